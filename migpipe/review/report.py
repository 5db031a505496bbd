"""The review's words: a text report, GitHub annotations and the job summary.

GitHub shows at most 10 annotations of each level (error, warning) per step
and a job summary of at most 1 MiB per step: the annotations beyond ten are
counted and left to the summary, and the summary is cut, saying so, before
the limit.
"""
from __future__ import annotations

from collections.abc import Callable

from migpipe.review import ReviewReport
from migpipe.runtime.github import fit_summary

ANNOTATIONS_PER_LEVEL = 10


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def annotation_lines(report: ReviewReport) -> list[str]:
    """``::error file=…,line=…::`` lines, at most ten per level, then a count of the rest."""
    items: list[tuple[str, str, int, str, str]] = []
    for problem in report.problems:
        items.append(("error", problem.path, problem.line, problem.kind, f"{problem.message}. Fix: {problem.fix}"))
    for finding in report.findings:
        level = "error" if finding.blocks else "warning"
        exempt = f" (exempted: {finding.exemption})" if finding.exemption else ""
        items.append(
            (level, finding.display, finding.line, f"{finding.kind} ({finding.rule})",
             f"{finding.message}{exempt}. Safe alternative: {finding.safe_alternative}")
        )
    lines, shown = [], {"error": 0, "warning": 0}
    for level, path, line, title, message in items:
        if shown[level] >= ANNOTATIONS_PER_LEVEL:
            continue
        shown[level] += 1
        lines.append(
            f"::{level} file={_escape_property(path)},line={line},title={_escape_property(title)}::{_escape_data(message)}"
        )
    for level in ("error", "warning"):
        rest = sum(1 for item in items if item[0] == level) - shown[level]
        if rest > 0:
            lines.append(f"::{level}::{rest} more {level}s are listed in the job summary (GitHub shows {ANNOTATIONS_PER_LEVEL} per step)")
    return lines


def text(report: ReviewReport) -> str:
    out = [f"migpipe review: {len(report.changes)} migration file(s) changed since {report.base}"]
    for change in report.changes:
        out.append(f"  {change.status:8} {change.path}")
    for problem in report.problems:
        out.append(f"{problem.path}:{problem.line}: error: {problem.kind}: {problem.message}")
        out.append(f"    fix: {problem.fix}")
    for finding in report.findings:
        level = "error" if finding.blocks else ("exempted" if finding.exemption else "warning")
        out.append(f"{finding.display}:{finding.line}:{finding.column}: {level}: {finding.kind} ({finding.rule}): {finding.message}")
        out.append(f"    safe alternative: {finding.safe_alternative}")
    for path, why in report.not_linted:
        out.append(f"{path}: not linted: {why}")
    out.append("review failed" if report.failed else "review passed")
    return "\n".join(out) + "\n"


def summary(report: ReviewReport, extra: Callable[[], str] | None = None) -> str:
    verdict = "blocks the merge" if report.failed else "passes"
    out = [f"## Migration review: {verdict}", "", f"Compared with `{report.base}`.", ""]
    if not report.changes:
        out.append("This change adds or edits no migration.")
    else:
        out += ["| migration | file | change | linted |", "|---|---|---|---|"]
        linted = set(report.linted)
        reasons = dict(report.not_linted)
        for change in report.changes:
            state = "yes" if change.path in linted else ("no: " + reasons[change.path] if change.path in reasons else "—")
            out.append(f"| `{_md(change.migration)}` | `{_md(change.path)}` | {change.status} | {_md(state)} |")
    if report.problems:
        out += ["", "### History and ordering", "", "| file | problem | fix |", "|---|---|---|"]
        out += [f"| `{_md(p.path)}` | **{p.kind}**: {_md(p.message)} | {_md(p.fix)} |" for p in report.problems]
    if report.findings:
        out += ["", "### Findings", "", "| where | kind | action | what | safe alternative |", "|---|---|---|---|---|"]
        for f in report.findings:
            action = f"exempted: {f.exemption}" if f.exemption else f.action
            out.append(
                f"| `{_md(f.display)}:{f.line}` | `{f.kind}` ({_md(f.rule)}) | {_md(action)} | {_md(f.message)} | {_md(f.safe_alternative)} |"
            )
    return fit_summary("\n".join(out) + "\n", "The summary was cut at GitHub's 1 MiB limit; the job log has every line.")
