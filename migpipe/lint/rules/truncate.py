"""truncate: every TRUNCATE empties its tables at once, without a trace in the WAL of what was there.

Reported for every TRUNCATE, also of a table this migration created (a
migration has no business emptying tables). ``TRUNCATE ... CASCADE`` is
reported too as squawk's ``truncate-cascade``.
"""
from __future__ import annotations

from collections.abc import Iterator

from migpipe.lint.created import Created
from migpipe.lint.parsed import Migration, relation
from migpipe.lint.rules.base import Hit


class Truncate:
    kind = "truncate"
    markers: tuple[str, ...] = ('"TruncateStmt"',)

    def check(self, migration: Migration, created: Created) -> Iterator[Hit]:
        for statement in migration.statements:
            if statement.type == "TruncateStmt":
                tables = ", ".join(
                    relation(item.get("RangeVar"))[1] for item in statement.node.get("relations", ())
                )
                yield Hit(statement, f"TRUNCATE empties {tables} (every row is deleted)")
