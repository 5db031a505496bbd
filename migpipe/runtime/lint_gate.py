"""Lint exactly the pending SQL through the policy engine (migpipe.lint).

The one place the runtime asks the lint. Each pending migration becomes one
``SqlSource`` (its display as the user knows it, exactly the SQL that runs);
the engine asserts that the set linted is the set asked for. Findings are
mapped back to the migration they belong to, so that SQL generated from
code (Alembic, Django, a JavaScript migration) is named "FILE, line N of its
SQL" with the offending line quoted: that SQL exists nowhere else.
"""
from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from migpipe.errors import LintError
from migpipe.lint import Finding, SqlSource, lint_sources
from migpipe.runtime.tools.base import PendingSql


class LintUnavailable(Exception):
    """The lint could not run; nothing can be said about the SQL."""


@dataclass(frozen=True)
class LintFinding:
    source: PendingSql
    finding: Finding

    @property
    def line(self) -> int:
        return self.finding.line

    @property
    def blocks(self) -> bool:
        return self.finding.blocks

    @property
    def label(self) -> str:
        if self.finding.exemption is not None:
            return "exempt"
        return "BLOCKED" if self.finding.action == "block" else "warning"

    @property
    def text(self) -> str:
        f = self.finding
        rule = f.kind if f.rule == f.kind else f"{f.kind} ({f.rule})"
        return f"{rule}: {f.message}"

    @property
    def safe_alternative(self) -> str | None:
        return None if self.finding.exemption is not None else self.finding.safe_alternative

    def location(self) -> str:
        if self.source.generated:
            return f"{self.source.display}, line {self.line} of its SQL"
        return f"{self.source.display}:{self.line}"

    def quoted_line(self) -> str | None:
        """The offending line, for SQL generated from code (it exists nowhere else)."""
        if not self.source.generated:
            return None
        lines = self.source.text.splitlines()
        return lines[self.line - 1].strip()[:200] if 0 < self.line <= len(lines) else None


@dataclass(frozen=True)
class LintOutcome:
    linted: tuple[str, ...]  # names of the migrations whose SQL was linted
    findings: tuple[LintFinding, ...]

    @property
    def blocked(self) -> bool:
        return any(finding.blocks for finding in self.findings)


def lint_pending(sources: Sequence[PendingSql], block: Collection[str], warn: Collection[str]) -> LintOutcome:
    """Lints every source that has SQL (not Knex's reviewed ones); raises LintUnavailable."""
    to_lint = [source for source in sources if source.reviewed_reason is None]
    by_display: dict[str, PendingSql] = {}
    for source in to_lint:
        if source.display in by_display:
            raise LintUnavailable(f"two pending migrations are both named {source.display}")
        by_display[source.display] = source
    try:
        report = lint_sources([SqlSource(s.display, s.text) for s in to_lint], block, warn)
    except LintError as error:
        raise LintUnavailable(f"the pending SQL could not be linted: {error}") from None
    if set(report.sources) != set(by_display):
        raise LintUnavailable("the lint did not check every pending migration")
    findings = tuple(LintFinding(by_display[f.display], f) for f in report.findings)
    return LintOutcome(tuple(by_display[d].name for d in report.sources), findings)
