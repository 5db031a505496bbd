"""lint_sources: squawk and migpipe's rules over every source, one policy, exemptions with reasons.

For each source, in order:
  1. squawk starts over all sources at once (``migpipe.lint.squawk``);
  2. PostgreSQL's parser reads the source; SQL it cannot parse is an
     ``unparseable`` finding (the parser's message and line), never a pass;
  3. migpipe's rules (``migpipe.lint.rules``) run over the statements;
  4. squawk's findings are mapped to kinds; a drop or rename of an object
     created earlier in the same source is not destructive and is dropped;
  5. exemptions with a reason mark the findings they cover; one without a
     reason is itself a finding.
Every source asked for must come out linted (parsed, and read to its end by
squawk unless unparseable); otherwise LintError, never a report.
"""
from __future__ import annotations

import gc
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from migpipe.errors import LintError
from migpipe.lint import Finding, LintReport, SqlSource
from migpipe.lint.created import Created, created_objects, dropped_all_created
from migpipe.lint.exemptions import Exemption, find_exemptions
from migpipe.lint.parsed import Migration, parse
from migpipe.lint.rules import RULES
from migpipe.lint.squawk import SquawkHit, SquawkRun
from migpipe.policy import KINDS, SQUAWK_RULE_KINDS, Action, actions

# Kinds squawk reports that are not destructive for an object the migration created.
_NOT_DESTRUCTIVE_WHEN_CREATED = frozenset({"drop-table", "drop-column", "drop-index", "rename-table", "rename-column"})

# (kind, rule, line, column, message, from squawk)
_Candidate = tuple[str, str, int, int, str, bool]


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Parse trees are millions of small dicts and lists, all freed by reference counting;
    the cycle collector would walk them over and over while they are built (a third of
    the parse time on the corpus)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def lint(sources: Sequence[SqlSource], block: Collection[str], warn: Collection[str]) -> LintReport:
    with _without_cycle_collection():
        return _lint(sources, block, warn)


def _lint(sources: Sequence[SqlSource], block: Collection[str], warn: Collection[str]) -> LintReport:
    decided = actions(tuple(block), tuple(warn))
    asked = tuple(sources)
    for source in asked:
        if not isinstance(source, SqlSource):
            raise TypeError(f"expected SqlSource, got {type(source).__name__}")
    if not asked:
        return LintReport((), ())
    run = SquawkRun([source.text for source in asked])
    try:
        # PostgreSQL's parser and migpipe's rules run while squawk does.
        prepared = [_Prepared.of(parse(number, source), decided) for number, source in enumerate(asked)]
    finally:
        squawk_results = run.results()
    if len(squawk_results) != len(prepared):
        raise LintError(f"squawk returned {len(squawk_results)} results for {len(prepared)} sources")
    findings: list[Finding] = []
    linted: list[str] = []
    for ready, (hits, read_to_end) in zip(prepared, squawk_results):
        findings.extend(ready.finish(hits, read_to_end, decided))
        linted.append(ready.migration.source.display)
    if tuple(linted) != tuple(source.display for source in asked):
        raise LintError("the sources linted are not the sources asked for")
    return LintReport(tuple(linted), tuple(findings))


@dataclass
class _Prepared:
    """One source after PostgreSQL's parser and migpipe's rules, waiting for squawk's findings."""

    migration: Migration
    created: Created
    candidates: list[_Candidate]
    exemptions: list[Exemption]

    @classmethod
    def of(cls, migration: Migration, decided: dict[str, Action]) -> _Prepared:
        created = created_objects(migration)
        candidates = list(_parser_candidates(migration, created, decided))
        exemptions = find_exemptions(migration.source.text)
        for exemption in exemptions:
            if exemption.reason is None:
                candidates.append(
                    (
                        "exemption-without-reason",
                        "exemption-without-reason",
                        exemption.line,
                        exemption.column,
                        f"`{exemption.directive}` gives no reason, so it exempts nothing",
                        False,
                    )
                )
        return cls(migration, created, candidates, exemptions)

    def finish(self, hits: list[SquawkHit], read_to_end: bool, decided: dict[str, Action]) -> list[Finding]:
        migration = self.migration
        squawk_candidates = list(_squawk_candidates(migration, self.created, hits, decided))
        squawk_could_not_parse = any(candidate[1] == "squawk-syntax-error" for candidate in squawk_candidates)
        if not read_to_end and migration.failure is None and not squawk_could_not_parse:
            raise LintError(
                f"{migration.source.display}: squawk did not read this SQL to its end, so it was not linted"
            )
        findings = [
            _finding(migration, candidate, decided, self.exemptions)
            for candidate in self.candidates + squawk_candidates
            if candidate[0] in decided
        ]
        findings.sort(key=lambda finding: (finding.line, finding.column, finding.kind))
        return findings


def _parser_candidates(migration: Migration, created: Created, decided: dict[str, Action]) -> Iterator[_Candidate]:
    if migration.failure is not None:
        line, column = migration.position(migration.failure.offset)
        yield (
            "unparseable",
            "syntax-error",
            line,
            column,
            f"PostgreSQL's parser cannot parse this SQL ({migration.failure.message}), so nothing in it can be checked",
            False,
        )
        return
    for kind, rule in RULES.items():
        if kind not in decided:
            continue
        for hit in rule.check(migration, created):
            line, column = migration.position(hit.statement.start if hit.offset is None else hit.offset)
            yield (kind, kind, line, column, hit.message, False)


def _squawk_candidates(
    migration: Migration, created: Created, hits: list[SquawkHit], decided: dict[str, Action]
) -> Iterator[_Candidate]:
    for hit in hits:
        offset = migration.offset_of(hit.line, hit.column)
        line, column = migration.position(offset)
        if hit.rule == "syntax-error":
            if migration.failure is None:  # else PostgreSQL's parser has said it
                yield (
                    "unparseable",
                    "squawk-syntax-error",
                    line,
                    column,
                    f"squawk cannot parse this SQL ({hit.message}), so its rules did not check it",
                    True,
                )
            continue
        kind = SQUAWK_RULE_KINDS.get(hit.rule)
        if kind is None or kind not in decided:
            continue
        if kind in _NOT_DESTRUCTIVE_WHEN_CREATED and migration.failure is None:
            statement = migration.statement_at(offset)
            if statement is not None and dropped_all_created(created, statement, kind):
                continue
        yield (kind, hit.rule, line, column, hit.message, True)


def _finding(
    migration: Migration, candidate: _Candidate, decided: dict[str, Action], exemptions: list[Exemption]
) -> Finding:
    kind, rule, line, column, message, from_squawk = candidate
    reason = next(
        (exemption.reason for exemption in exemptions if exemption.covers(line, rule, kind, from_squawk)),
        None,
    )
    return Finding(
        display=migration.source.display,
        line=line,
        column=column,
        kind=kind,
        rule=rule,
        message=message,
        safe_alternative=KINDS[kind].safe_alternative,
        action=decided[kind],
        exemption=reason,
    )
