"""migpipe check-build: exit 1 if anything a host runs on its own reaches a migration.

With FILE arguments, each file is something the host runs (a package.json,
Procfile, fly.toml, render.yaml, railway.json, app.json, Dockerfile,
compose file or shell script). Without, the guard reads the declared host's
commands from pipeline.toml, the files that host builds or starts from, and
every other host config present in the repository; pipeline.toml's
[[guards.exempt]] entries (each with a written reason) are reported but do
not fail. Without a pipeline.toml, every host config is checked, none exempt.
References the guard could not follow are listed; --strict fails on them.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

from migpipe.buildguard import BuildGuardError, Scanner, Step
from migpipe.buildguard.repository import (
    Exemption,
    apply_exemptions,
    check_repository,
)
from migpipe.buildguard.repository import (
    Report as GuardReport,
)
from migpipe.errors import EXIT_FINDINGS, EXIT_OK
from migpipe.pipeline import load_pipeline
from migpipe.profiles.tools.registry import COMMON_FORBIDDEN
from migpipe.reporting import Item, Report, reporter

DEFAULT_CONFIG = "pipeline.toml"


def _locate(argument: str, root: Path) -> Path:
    """A FILE argument: as given (relative to the current directory), else under root."""
    for candidate in (Path(argument), root / argument):
        if candidate.exists():
            return candidate
    raise BuildGuardError(f"{argument}: no such file (looked in . and in {root})")


def _config_line(text: str, key: str) -> int:
    """The line of ``key`` in pipeline.toml, else of [host] (the value is a default)."""
    for pattern in (rf"^\s*{re.escape(key)}\s*=", r"^\s*\[host\]"):
        match = re.search(pattern, text, re.MULTILINE)
        if match:
            return text.count("\n", 0, match.start()) + 1
    return 1


def _scan_config(config: str, root: Path) -> GuardReport:
    pipeline = load_pipeline(config)
    outputs = pipeline.outputs
    scanner = Scanner(
        root,
        pipeline.tool_profile().forbidden or COMMON_FORBIDDEN,
        own_scripts=(outputs.build_guard, outputs.migrate_script),
        # The apply script may be renamed; calling it from the host is still a migration.
        project_commands=[*pipeline.guards.forbidden_commands, outputs.migrate_script],
    )
    workdir = root / pipeline.project.working_directory
    text = Path(config).read_text(encoding="utf-8")
    shown = scanner.display(Path(config))
    host = pipeline.host_profile()
    for entry in host.entry_points:
        key = entry.config_key
        scanner.check_command(entry.command, Step(shown, _config_line(text, key), f"host.{key}"), workdir)
    for followed in host.followed_files:
        if (workdir / followed).is_file():
            scanner.check_file(workdir / followed)
    host_config = root / pipeline.output_paths()["host_config"]
    if host_config.is_file():
        scanner.check_file(host_config)
    exemptions = [Exemption(item.path, item.reason) for item in pipeline.guards.exempt]
    return check_repository(scanner, exemptions)


def find_migrations(files: list[str], root: str, config: str | None) -> GuardReport:
    root_path = Path(root)
    if not root_path.is_dir():
        raise BuildGuardError(f"--root {root}: no such directory")
    if not files:
        if config is None and not Path(DEFAULT_CONFIG).is_file():
            # No policy yet: every host config in the repository, none exempt.
            return check_repository(Scanner(root_path, COMMON_FORBIDDEN))
        return _scan_config(config or DEFAULT_CONFIG, root_path)
    # An explicit --config adds the project's own forbidden commands and exemptions.
    pipeline = load_pipeline(config) if config is not None else None
    own = pipeline.guards.forbidden_commands if pipeline is not None else []
    scanner = Scanner(root_path, COMMON_FORBIDDEN, project_commands=own)
    for argument in files:
        scanner.check_file(_locate(argument, root_path))
    exemptions = [Exemption(e.path, e.reason) for e in pipeline.guards.exempt] if pipeline is not None else []
    return GuardReport(apply_exemptions(scanner.findings, exemptions), list(scanner.unresolved), files, sorted(scanner.followed))


def _report(report: GuardReport, strict: bool) -> Report:
    failing = report.failing
    items = [
        Item(
            title="reaches a migration",
            message=str(finding),
            path=finding.file,
            line=finding.line,
            text=str(finding),
        )
        for finding in failing
    ]
    items += [
        Item(title="exempt", message=str(finding), path=finding.file, line=finding.line, text=f"exempt: {finding}", level="notice")
        for finding in report.exempted
    ]
    items += [
        Item(title="could not follow", message=str(item), text=f"could not follow: {item}", level="warning")
        for item in report.unresolved
    ]
    if failing:
        conclusion = (
            f"check-build: {len(failing)} migration command(s) reachable from what a host "
            "runs on its own; migrations run only in the migrate-prod job"
        )
    elif strict and report.unresolved:
        conclusion = f"check-build: --strict: {len(report.unresolved)} reference(s) could not be followed"
    else:
        counts = (
            f" ({len(report.exempted)} exempted, {len(report.unresolved)} not followed)"
            if report.exempted or report.unresolved
            else ""
        )
        conclusion = "ok: no migration command is reachable from what a host runs" + counts
    document = {
        "findings": [finding.to_json() for finding in failing],
        "exempted": [finding.to_json() for finding in report.exempted],
        "unresolved": [item.to_json() for item in report.unresolved],
        "entry_files": report.entry_files,
    }
    return Report(command="migpipe check-build", items=tuple(items), document=document, conclusion=conclusion)


def run(files: list[str], root: str, config: str | None, output_format: str, strict: bool = False) -> int:
    chosen = reporter(output_format)
    report = find_migrations(files, root, config)
    failed = bool(report.failing) or (strict and bool(report.unresolved))
    chosen.write(_report(report, strict), sys.stdout, sys.stderr)
    return EXIT_FINDINGS if failed else EXIT_OK
