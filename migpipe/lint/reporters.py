"""How a LintReport is written out: reporters as classes chosen by name (text, json, github)."""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from typing import Protocol

from migpipe.lint import Finding, LintReport

# GitHub shows at most 10 annotations of each level per step; the rest are dropped silently.
GITHUB_ANNOTATIONS_PER_LEVEL = 10


class Reporter(Protocol):
    def render(self, report: LintReport) -> str: ...


def _label(finding: Finding) -> str:
    if finding.exemption is not None:
        return "exempt"
    return "BLOCKED" if finding.action == "block" else "warning"


def _rule_part(finding: Finding) -> str:
    return finding.kind if finding.rule == finding.kind else f"{finding.kind} ({finding.rule})"


def _summary(report: LintReport) -> str:
    blocking = sum(finding.blocks for finding in report.findings)
    exempt = sum(finding.exemption is not None for finding in report.findings)
    warnings = len(report.findings) - blocking - exempt
    files = len(report.sources)
    verdict = "blocked" if report.blocked else "passed"
    return (
        f"lint {verdict}: {files} file{'s' if files != 1 else ''} linted, {blocking} blocking, "
        f"{warnings} warning{'s' if warnings != 1 else ''}, {exempt} exempted"
    )


class TextReporter:
    """One line per finding (FILE:LINE:COL), its safe alternative or its exemption's reason, then a summary."""

    def render(self, report: LintReport) -> str:
        lines = []
        for finding in report.findings:
            lines.append(
                f"{_label(finding)} {finding.display}:{finding.line}:{finding.column}: "
                f"{_rule_part(finding)}: {finding.message}"
            )
            if finding.exemption is not None:
                lines.append(f"    exempted: {finding.exemption}")
            else:
                lines.append(f"    safe alternative: {finding.safe_alternative}")
        lines.append(_summary(report))
        return "\n".join(lines) + "\n"


class JsonReporter:
    def render(self, report: LintReport) -> str:
        data = {
            "blocked": report.blocked,
            "sources": list(report.sources),
            "findings": [{**asdict(finding), "blocks": finding.blocks} for finding in report.findings],
        }
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


class GithubReporter:
    """The text report for the log, then workflow-command annotations within GitHub's limit.

    Blocking findings are ``::error``, warnings ``::warning``, exempted ones
    ``::notice``; the first 10 of each level become annotations, and a line says
    how many more the log holds.
    """

    def render(self, report: LintReport) -> str:
        levels: dict[str, list[Finding]] = {"error": [], "warning": [], "notice": []}
        for finding in report.findings:
            if finding.exemption is not None:
                levels["notice"].append(finding)
            else:
                levels["error" if finding.action == "block" else "warning"].append(finding)
        lines = [TextReporter().render(report).rstrip("\n")]
        for level, findings in levels.items():
            for finding in findings[:GITHUB_ANNOTATIONS_PER_LEVEL]:
                detail = (
                    f"exempted: {finding.exemption}"
                    if finding.exemption is not None
                    else f"safe alternative: {finding.safe_alternative}"
                )
                properties = ",".join(
                    (
                        f"file={_escape_property(finding.display)}",
                        f"line={finding.line}",
                        f"col={finding.column}",
                        f"title={_escape_property(_rule_part(finding))}",
                    )
                )
                lines.append(f"::{level} {properties}::{_escape_data(f'{finding.message} ({detail})')}")
            hidden = len(findings) - GITHUB_ANNOTATIONS_PER_LEVEL
            if hidden > 0:
                lines.append(
                    f"{hidden} more {level}s than GitHub shows as annotations ({GITHUB_ANNOTATIONS_PER_LEVEL} per step); "
                    "every finding is listed above"
                )
        return "\n".join(lines) + "\n"


REPORTERS: dict[str, Callable[[], Reporter]] = {
    "text": TextReporter,
    "json": JsonReporter,
    "github": GithubReporter,
}
