"""The parser side of one source: PostgreSQL's parse, migpipe's rules, exemptions, then squawk's findings mapped.

``Prepared.of`` runs while squawk does (see ``migpipe.lint.engine``);
``Prepared.finish`` takes squawk's findings for the source when they come.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from migpipe.errors import LintError
from migpipe.lint import Finding
from migpipe.lint.created import Created, created_objects, dropped_all_created
from migpipe.lint.exemptions import Exemption, find_exemptions
from migpipe.lint.parsed import Migration
from migpipe.lint.rules import RULES
from migpipe.lint.squawk import SquawkHit
from migpipe.policy import KINDS, SQUAWK_RULE_KINDS, Action

# Kinds squawk reports that are not destructive for an object the migration created.
_NOT_DESTRUCTIVE_WHEN_CREATED = frozenset({"drop-table", "drop-column", "drop-index", "rename-table", "rename-column"})

# Where squawk can report a drop or rename of something the source created:
# such sources are decoded before squawk's findings arrive, off the critical path.
_DROPS_OR_RENAMES = frozenset({'"DropStmt"', '"RenameStmt"', '"AT_DropColumn"'})
# Every rule's markers and those, found in a tree's JSON text in one pass.
_MARKERS = re.compile(
    "|".join(sorted({re.escape(m) for rule in RULES.values() for m in rule.markers} | set(_DROPS_OR_RENAMES)))
)

# (kind, rule, line, column, message, from squawk)
_Candidate = tuple[str, str, int, int, str, bool]


@dataclass
class Prepared:
    """One source after PostgreSQL's parser and migpipe's rules, waiting for squawk's findings."""

    migration: Migration
    candidates: list[_Candidate]
    exemptions: list[Exemption]
    _created: Created | None = None

    @property
    def created(self) -> Created:
        """What the source creates (decodes its parse tree: asked only when a rule or a squawk finding needs it)."""
        if self._created is None:
            self._created = created_objects(self.migration)
        return self._created

    @classmethod
    def of(cls, migration: Migration, decided: dict[str, Action]) -> Prepared:
        prepared = cls(migration, [], find_exemptions(migration.source.text))
        present = migration.markers_in_tree(_MARKERS)
        prepared.candidates.extend(_parser_candidates(prepared, present, decided))
        if not present.isdisjoint(_DROPS_OR_RENAMES):
            _ = prepared.created
        for exemption in prepared.exemptions:
            if exemption.reason is None:
                prepared.candidates.append(
                    (
                        "exemption-without-reason",
                        "exemption-without-reason",
                        exemption.line,
                        exemption.column,
                        f"`{exemption.directive}` gives no reason, so it exempts nothing",
                        False,
                    )
                )
        return prepared

    def finish(self, hits: list[SquawkHit], read_to_end: bool, decided: dict[str, Action]) -> list[Finding]:
        migration = self.migration
        squawk_candidates = list(_squawk_candidates(self, hits, decided))
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


def _parser_candidates(prepared: Prepared, present: frozenset[str], decided: dict[str, Action]) -> Iterator[_Candidate]:
    migration = prepared.migration
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
        if kind not in decided or present.isdisjoint(rule.markers):
            continue
        for hit in rule.check(migration, prepared.created):
            line, column = migration.position(hit.statement.start if hit.offset is None else hit.offset)
            yield (kind, kind, line, column, hit.message, False)


def _squawk_candidates(prepared: Prepared, hits: list[SquawkHit], decided: dict[str, Action]) -> Iterator[_Candidate]:
    migration = prepared.migration
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
            if statement is not None and dropped_all_created(prepared.created, statement, kind):
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
