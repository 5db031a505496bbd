"""The SQL policy engine: what a migration does, checked against pipeline.toml's kinds.

Two sources of findings, one policy: migpipe's own rules over PostgreSQL's
parse tree (pglast; one rule per module under ``migpipe.lint.rules``) and the
real squawk for the rules it has (mapped to kinds in ``migpipe.policy``).
Exemptions (``-- squawk-ignore RULE -- REASON``, ``-- migpipe-ignore KIND --
REASON``, in every comment form squawk honours) need a reason.

This module is the contract used by ``migpipe lint``, the migrate runtime and
the PR review; it knows nothing of the command line. The engine is imported
only when something is linted, so importing the types stays cheap.
"""
from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class SqlSource:
    """One unit of SQL to lint."""

    display: str  # the path (or "path, line N of its SQL") as the user knows it
    text: str  # exactly the SQL that will run


@dataclass(frozen=True)
class Finding:
    display: str
    line: int  # 1-based
    column: int  # 1-based, in characters
    kind: str  # a name usable in [guards] block/warn (migpipe.policy.KINDS)
    rule: str  # the squawk rule, or migpipe's rule id (its kind name)
    message: str
    safe_alternative: str
    action: Literal["block", "warn"]
    exemption: str | None  # the written reason when exempted (then it does not block)

    @property
    def blocks(self) -> bool:
        return self.action == "block" and self.exemption is None


@dataclass(frozen=True)
class LintReport:
    sources: tuple[str, ...]  # the display of every source linted, in the order asked
    findings: tuple[Finding, ...]

    @property
    def blocked(self) -> bool:
        return any(finding.blocks for finding in self.findings)


def lint_sources(sources: Sequence[SqlSource], block: Collection[str], warn: Collection[str]) -> LintReport:
    """Lint every source against the policy (kinds in ``block`` stop, in ``warn`` are reported).

    Raises ``migpipe.errors.LintError`` when any source could not be linted
    (the set linted must equal the set asked for), and ValueError for an
    unknown kind name.
    """
    from migpipe.lint.engine import lint

    return lint(sources, block, warn)


__all__ = ["Finding", "LintReport", "SqlSource", "lint_sources"]
