"""The kinds of change the migration policy speaks of: the one table.

pipeline.toml's ``[guards] block`` / ``warn`` name kinds (``drop-column``,
``truncate``); the lint engine (``migpipe.lint``) finds them, either through a
squawk rule (``squawk_rules``, names as of squawk-cli 2.x) or through one of
migpipe's own rules over PostgreSQL's parse tree (``migpipe.lint.rules``, whose
rule ids equal the kind names). The config model (validation and JSON schema),
the runbook and the engine all read this table; nothing else lists kinds.

``default`` is where a kind sits when pipeline.toml does not set the lists:
what destroys data, cannot be checked, or switches a guard off blocks; what
only slows or locks warns. Kinds with ``always_on`` cannot be left out of
both lists: SQL that cannot be parsed, or an exemption without a reason,
would otherwise pass unchecked; they block unless listed in ``warn``.

squawk's ``require-lock-timeout`` / ``require-statement-timeout`` (on by default
since squawk 2.60) are deliberately not mapped to any kind: migpipe sets both
timeouts in the session that applies the migrations, so a migration need not
(and must not: see ``timeout-change``) set them itself.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Action = Literal["block", "warn"]


@dataclass(frozen=True)
class Kind:
    name: str
    summary: str  # what the kind catches, one line
    squawk_rules: tuple[str, ...]  # squawk rules that report it; empty: a migpipe rule does
    safe_alternative: str
    default: Action | None  # None: off unless pipeline.toml lists it
    always_on: bool = False


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            "drop-table",
            "DROP TABLE of a table this migration did not create",
            ("ban-drop-table",),
            "stop all reads and writes first (contract step of expand/contract), back up, then drop by hand",
            "block",
        ),
        Kind(
            "drop-column",
            "ALTER TABLE ... DROP COLUMN of a column this migration did not create",
            ("ban-drop-column",),
            "remove every use of the column and deploy that first, then drop it in a later release",
            "block",
        ),
        Kind(
            "drop-schema",
            "DROP SCHEMA",
            ("ban-drop-schema",),
            "drop the objects one by one by hand after a backup, following the runbook",
            "block",
        ),
        Kind(
            "drop-database",
            "DROP DATABASE",
            ("ban-drop-database",),
            "never from a migration: do it by hand after a verified backup",
            "block",
        ),
        Kind(
            "column-type-change",
            "ALTER COLUMN ... TYPE (rewrites the table under an exclusive lock)",
            ("changing-column-type",),
            "add a column of the new type, backfill it in batches, switch reads, then drop the old one",
            "block",
        ),
        Kind(
            "rename-table",
            "ALTER TABLE ... RENAME TO of a table this migration did not create",
            ("renaming-table",),
            "create the new table (or a view), write to both, move readers, then drop the old name",
            "block",
        ),
        Kind(
            "rename-column",
            "RENAME COLUMN of a column this migration did not create",
            ("renaming-column",),
            "add the new column, write to both, backfill, move readers, then drop the old column",
            "block",
        ),
        Kind(
            "new-required-column",
            "ADD COLUMN ... NOT NULL without a default",
            ("adding-required-field",),
            "add the column nullable or with a default, backfill in batches, then add NOT NULL",
            "block",
        ),
        Kind(
            "set-not-null",
            "ALTER COLUMN ... SET NOT NULL (scans the table under an exclusive lock)",
            ("adding-not-nullable-field",),
            "add CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT, then SET NOT NULL",
            "block",
        ),
        Kind(
            "truncate-cascade",
            "TRUNCATE ... CASCADE (also empties every table that references it)",
            ("ban-truncate-cascade",),
            "truncate the tables you mean by name, without CASCADE, by hand after a backup",
            "block",
        ),
        Kind(
            "drop-index",
            "DROP INDEX without CONCURRENTLY",
            ("require-concurrent-index-deletion",),
            "DROP INDEX CONCURRENTLY, in a migration of its own (outside a transaction)",
            "warn",
        ),
        Kind(
            "non-concurrent-index",
            "CREATE INDEX without CONCURRENTLY",
            ("require-concurrent-index-creation",),
            "CREATE INDEX CONCURRENTLY, in a migration of its own (outside a transaction)",
            "warn",
        ),
        Kind(
            "foreign-key-without-not-valid",
            "ADD FOREIGN KEY validated at once (locks both tables while it scans)",
            ("adding-foreign-key-constraint",),
            "ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT in a later migration",
            "warn",
        ),
        Kind(
            "constraint-without-not-valid",
            "ADD CONSTRAINT validated at once (scans the table under a lock)",
            ("constraint-missing-not-valid",),
            "ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT in a later migration",
            "warn",
        ),
        # migpipe's own rules (migpipe/lint/rules/), over PostgreSQL's parse tree.
        Kind(
            "truncate",
            "every TRUNCATE (empties the table; CASCADE also reported as truncate-cascade)",
            (),
            "never empty a table from a migration: archive or delete by hand after a backup, following the runbook",
            "block",
        ),
        Kind(
            "delete-without-where",
            "DELETE without WHERE of a table this migration did not create (deletes every row)",
            (),
            "delete the rows you mean with a WHERE clause, in batches; to empty a table, do it by hand after a backup",
            "block",
        ),
        Kind(
            # Warn, not block: an UPDATE of every row overwrites the old values
            # (lost unless backed up) and locks every row until the migration
            # commits, but it is also the usual backfill of a new column. It is
            # not reported when the columns it sets were added by this migration.
            "update-without-where",
            "UPDATE without WHERE that overwrites existing columns in every row",
            (),
            "backfill in batches with a WHERE clause (e.g. WHERE id BETWEEN $1 AND $2 AND col IS NULL), each its own transaction",
            "warn",
        ),
        Kind(
            "dynamic-sql",
            "SQL that cannot be checked before it runs: DO blocks, EXECUTE, calling a function this migration creates",
            (),
            "write the statements out as plain SQL in the migration, so they can be checked and reviewed",
            "block",
        ),
        Kind(
            "drop-sequence",
            "DROP SEQUENCE of a sequence this migration did not create",
            (),
            "remove every use of the sequence (column defaults, code) first, then drop it by hand after a backup",
            "block",
        ),
        Kind(
            "drop-owned",
            "DROP OWNED BY (drops every object a role owns, in the whole database)",
            (),
            "drop the objects you mean by name, by hand after a backup",
            "block",
        ),
        Kind(
            "set-schema",
            "ALTER ... SET SCHEMA of an object this migration did not create (every query by the old name breaks)",
            (),
            "create the object in the new schema (or a view), move readers and writers, then drop the old one",
            "block",
        ),
        Kind(
            "timeout-change",
            "SET / RESET / set_config of lock_timeout or statement_timeout (incl. RESET ALL, SET LOCAL) in a migration",
            (),
            "leave the timeouts to migpipe (pipeline.toml [guards] lock_timeout / statement_timeout); for one slow statement, raise statement_timeout there for that release",
            "block",
        ),
        Kind(
            "unparseable",
            "SQL that PostgreSQL's parser (or squawk's) cannot parse, so nothing in it can be checked",
            (),
            "fix the syntax; the finding gives the parser's message and line",
            "block",
            always_on=True,
        ),
        Kind(
            "exemption-without-reason",
            "a squawk-ignore / migpipe-ignore comment without `-- REASON` after the rule names",
            (),
            "write the reason after the names: `-- squawk-ignore RULE -- REASON` (or `-- migpipe-ignore KIND -- REASON`)",
            "block",
            always_on=True,
        ),
    )
}

KIND_NAMES: tuple[str, ...] = tuple(KINDS)
DEFAULT_BLOCK: tuple[str, ...] = tuple(name for name, kind in KINDS.items() if kind.default == "block")
DEFAULT_WARN: tuple[str, ...] = tuple(name for name, kind in KINDS.items() if kind.default == "warn")
SQUAWK_RULE_KINDS: dict[str, str] = {rule: kind.name for kind in KINDS.values() for rule in kind.squawk_rules}


def actions(block: list[str] | tuple[str, ...], warn: list[str] | tuple[str, ...]) -> dict[str, Action]:
    """Each kind the policy reports, with its action (kinds in neither list are off).

    ``always_on`` kinds block unless listed in ``warn``. Unknown names raise
    ValueError (the config model has already refused them for pipeline.toml).
    """
    unknown = [name for name in (*block, *warn) if name not in KINDS]
    if unknown:
        raise ValueError(f"unknown kind(s): {', '.join(unknown)} (known: {', '.join(KIND_NAMES)})")
    decided: dict[str, Action] = {name: "block" for name, kind in KINDS.items() if kind.always_on}
    decided.update({name: "warn" for name in warn})
    decided.update({name: "block" for name in block})
    return decided


@dataclass(frozen=True)
class RuleDecision:
    kind: str
    squawk_rule: str
    action: str  # "block" or "warn"
    safe_alternative: str


def rules_for(block: list[str], warn: list[str]) -> list[RuleDecision]:
    """The squawk part of the policy as a flat list the migrate script can embed, block first."""
    decisions = []
    for action, kinds in (("block", block), ("warn", warn)):
        for name in kinds:
            kind = KINDS[name]
            for rule in kind.squawk_rules:
                decisions.append(RuleDecision(name, rule, action, kind.safe_alternative))
    return decisions
