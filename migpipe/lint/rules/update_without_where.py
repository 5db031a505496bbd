"""update-without-where: UPDATE with no WHERE overwrites columns in every row.

The old values are lost (unless backed up) and every row stays locked until
the migration commits. The usual backfill of a column this migration added
(``ADD COLUMN c``, then ``UPDATE t SET c = ...``) overwrites nothing, so it is
not reported; nor is an UPDATE of a table this migration created. Warns by
default (see migpipe.policy).
"""
from __future__ import annotations

from collections.abc import Iterator

from migpipe.lint.created import Created
from migpipe.lint.parsed import Migration, executed, relation
from migpipe.lint.rules.base import Hit


class UpdateWithoutWhere:
    kind = "update-without-where"
    markers: tuple[str, ...] = ('"UpdateStmt"',)

    def check(self, migration: Migration, created: Created) -> Iterator[Hit]:
        for statement in migration.statements:
            for update in executed(statement, "UpdateStmt"):
                if "whereClause" in update:
                    continue
                table = relation(update.get("relation"))
                columns = [
                    target["ResTarget"].get("name", "")
                    for target in update.get("targetList", ())
                    if "ResTarget" in target
                ]
                existing = [column for column in columns if not created.column(table, column, statement)]
                if existing:
                    yield Hit(
                        statement,
                        f"UPDATE without WHERE overwrites {', '.join(existing)} in every row of {table[1]}",
                    )
