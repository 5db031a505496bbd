"""Destructive-change kinds: what each means, how it is detected, the safe path.

pipeline.toml speaks in kinds (``drop-column``); the migrate script speaks in
squawk rules. This table is the one place that maps between them (rule
names as of squawk-cli 2.x).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    name: str
    squawk_rules: tuple[str, ...]
    safe_alternative: str


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            "drop-table",
            ("ban-drop-table",),
            "stop all reads and writes first (contract step of expand/contract), back up, then drop by hand",
        ),
        Kind(
            "drop-column",
            ("ban-drop-column",),
            "remove every use of the column and deploy that first, then drop it in a later release",
        ),
        Kind(
            "drop-schema",
            ("ban-drop-schema",),
            "drop the objects one by one by hand after a backup, following the runbook",
        ),
        Kind(
            "drop-database",
            ("ban-drop-database",),
            "never from a migration: do it by hand after a verified backup",
        ),
        Kind(
            "column-type-change",
            ("changing-column-type",),
            "add a column of the new type, backfill it in batches, switch reads, then drop the old one",
        ),
        Kind(
            "rename-table",
            ("renaming-table",),
            "create the new table (or a view), write to both, move readers, then drop the old name",
        ),
        Kind(
            "rename-column",
            ("renaming-column",),
            "add the new column, write to both, backfill, move readers, then drop the old column",
        ),
        Kind(
            "new-required-column",
            ("adding-required-field",),
            "add the column nullable or with a default, backfill in batches, then add NOT NULL",
        ),
        Kind(
            "set-not-null",
            ("adding-not-nullable-field",),
            "add CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT, then SET NOT NULL",
        ),
        Kind(
            "truncate-cascade",
            ("ban-truncate-cascade",),
            "truncate the tables you mean by name, without CASCADE, by hand after a backup",
        ),
        Kind(
            "drop-index",
            ("require-concurrent-index-deletion",),
            "DROP INDEX CONCURRENTLY, in a migration of its own (outside a transaction)",
        ),
        Kind(
            "non-concurrent-index",
            ("require-concurrent-index-creation",),
            "CREATE INDEX CONCURRENTLY, in a migration of its own (outside a transaction)",
        ),
        Kind(
            "foreign-key-without-not-valid",
            ("adding-foreign-key-constraint",),
            "ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT in a later migration",
        ),
        Kind(
            "constraint-without-not-valid",
            ("constraint-missing-not-valid",),
            "ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT in a later migration",
        ),
    )
}


@dataclass(frozen=True)
class RuleDecision:
    kind: str
    squawk_rule: str
    action: str  # "block" or "warn"
    safe_alternative: str


def rules_for(block: list[str], warn: list[str]) -> list[RuleDecision]:
    """The policy as a flat list the migrate script can embed, block first."""
    decisions = []
    for action, kinds in (("block", block), ("warn", warn)):
        for name in kinds:
            kind = KINDS[name]
            for rule in kind.squawk_rules:
                decisions.append(RuleDecision(name, rule, action, kind.safe_alternative))
    return decisions
