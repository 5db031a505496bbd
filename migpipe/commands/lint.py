"""migpipe lint: the migration policy over SQL files. Exit 0 clean or warnings only, 1 blocked, 2 usage.

The policy's kinds come from ``-c pipeline.toml`` ([guards] block / warn)
when given, else from the defaults in ``migpipe.policy``; ``--block`` and
``--warn`` then move the kinds they name into that list.
"""
from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from migpipe.errors import EXIT_FINDINGS, EXIT_OK, LintUsageError
from migpipe.lint import Finding, LintReport, SqlSource, lint_sources
from migpipe.policy import DEFAULT_BLOCK, DEFAULT_WARN, KIND_NAMES, KINDS
from migpipe.reporting import Item, Report, reporter


def split_kinds(values: Sequence[str], option: str) -> list[str]:
    """Kinds from repeated and comma-separated option values, each checked against the table."""
    kinds = [name.strip() for value in values for name in value.split(",") if name.strip()]
    for name in kinds:
        if name not in KINDS:
            raise LintUsageError(f"{option}: unknown kind {name!r} (expected one of: {', '.join(KIND_NAMES)})")
    return kinds


def policy(config: str | None, block_option: Sequence[str], warn_option: Sequence[str]) -> tuple[list[str], list[str]]:
    """(block, warn): pipeline.toml's lists or the defaults, with the options' kinds moved in."""
    if config is not None:
        from migpipe.pipeline import load_pipeline

        guards = load_pipeline(config).guards
        block, warn = list(guards.block), list(guards.warn)
    else:
        block, warn = list(DEFAULT_BLOCK), list(DEFAULT_WARN)
    extra_block = split_kinds(block_option, "--block")
    extra_warn = split_kinds(warn_option, "--warn")
    both = sorted(set(extra_block) & set(extra_warn))
    if both:
        raise LintUsageError(f"--block and --warn both name {', '.join(both)} (expected each kind in one list)")
    block = [name for name in block if name not in extra_warn] + [n for n in extra_block if n not in block]
    warn = [name for name in warn if name not in extra_block] + [n for n in extra_warn if n not in warn]
    return block, warn


def read_sources(files: Sequence[str]) -> list[SqlSource]:
    """Each FILE as a SqlSource named as given; any unreadable one is a usage error (nothing linted)."""
    if not files:
        raise LintUsageError("no FILE given (expected one or more SQL files)")
    sources = []
    for name in files:
        path = Path(name)
        try:
            if path.is_dir():
                raise LintUsageError(f"{name}: is a directory (expected an SQL file)")
            raw = path.read_bytes()
        except FileNotFoundError:
            raise LintUsageError(f"{name}: no such file") from None
        except PermissionError:
            raise LintUsageError(f"{name}: permission denied") from None
        except OSError as exc:
            raise LintUsageError(f"{name}: cannot read ({exc.strerror or exc})") from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise LintUsageError(f"{name}: is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})") from None
        if "\x00" in text:
            raise LintUsageError(f"{name}: is a binary file (found a NUL byte; expected SQL text)")
        sources.append(SqlSource(name, text.removeprefix("\ufeff")))
    return sources


def _label(finding: Finding) -> str:
    if finding.exemption is not None:
        return "exempt"
    return "BLOCKED" if finding.action == "block" else "warning"


def _title(finding: Finding) -> str:
    return finding.kind if finding.rule == finding.kind else f"{finding.kind} ({finding.rule})"


def _item(finding: Finding) -> Item:
    """A finding for migpipe.reporting: in text, its line and then its safe alternative or its exemption's reason."""
    after = (
        f"exempted: {finding.exemption}"
        if finding.exemption is not None
        else f"safe alternative: {finding.safe_alternative}"
    )
    return Item(
        title=_title(finding),
        message=f"{finding.message} ({after})",
        path=finding.display,
        line=finding.line,
        text=(
            f"{_label(finding)} {finding.display}:{finding.line}:{finding.column}: "
            f"{_title(finding)}: {finding.message}\n    {after}"
        ),
        level="notice" if finding.exemption is not None else "error" if finding.action == "block" else "warning",
        tone="error" if finding.blocks else "warning",
    )


def to_report(report: LintReport) -> Report:
    blocking = sum(finding.blocks for finding in report.findings)
    exempt = sum(finding.exemption is not None for finding in report.findings)
    warnings = len(report.findings) - blocking - exempt
    files = len(report.sources)
    conclusion = (
        f"lint {'blocked' if report.blocked else 'passed'}: {files} file{'s' if files != 1 else ''} linted, "
        f"{blocking} blocking, {warnings} warning{'s' if warnings != 1 else ''}, {exempt} exempted"
    )
    document = {
        "blocked": report.blocked,
        "sources": list(report.sources),
        "findings": [{**asdict(finding), "blocks": finding.blocks} for finding in report.findings],
    }
    items = tuple(_item(finding) for finding in report.findings)
    return Report(command="migpipe lint", items=items, document=document, conclusion=conclusion)


def run(
    files: Sequence[str],
    output_format: str = "text",
    block: Sequence[str] = (),
    warn: Sequence[str] = (),
    config: str | None = None,
) -> int:
    chosen = reporter(output_format)
    block_kinds, warn_kinds = policy(config, block, warn)
    sources = read_sources(files)
    report = lint_sources(sources, block_kinds, warn_kinds)
    chosen.write(to_report(report), sys.stdout, sys.stderr)
    return EXIT_FINDINGS if report.blocked else EXIT_OK
