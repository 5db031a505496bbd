"""drop-sequence: DROP SEQUENCE loses the counter, and breaks every default and caller using it.

Not reported for a sequence this migration created.
"""
from __future__ import annotations

from collections.abc import Iterator

from migpipe.lint.created import Created, dropped_all_created
from migpipe.lint.parsed import Migration, names
from migpipe.lint.rules.base import Hit


class DropSequence:
    kind = "drop-sequence"
    markers: tuple[str, ...] = ('"OBJECT_SEQUENCE"',)

    def check(self, migration: Migration, created: Created) -> Iterator[Hit]:
        for statement in migration.statements:
            if statement.type != "DropStmt" or statement.node.get("removeType") != "OBJECT_SEQUENCE":
                continue
            if dropped_all_created(created, statement, self.kind):
                continue
            dropped = ", ".join(".".join(names(obj)) for obj in statement.node.get("objects", ()))
            yield Hit(statement, f"DROP SEQUENCE {dropped}")
