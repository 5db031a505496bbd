"""delete-without-where: DELETE with no WHERE deletes every row of a table.

Also inside the statement that runs it (``WITH d AS (DELETE FROM t) ...``,
``EXPLAIN ANALYZE DELETE ...``). Not reported for a table this migration
created (it holds nothing yet).
"""
from __future__ import annotations

from collections.abc import Iterator

from migpipe.lint.created import Created
from migpipe.lint.parsed import Migration, executed, relation
from migpipe.lint.rules.base import Hit


class DeleteWithoutWhere:
    kind = "delete-without-where"
    markers: tuple[str, ...] = ('"DeleteStmt"',)

    def check(self, migration: Migration, created: Created) -> Iterator[Hit]:
        for statement in migration.statements:
            for delete in executed(statement, "DeleteStmt"):
                table = relation(delete.get("relation"))
                if "whereClause" not in delete and not created.table(table, statement):
                    yield Hit(statement, f"DELETE without WHERE deletes every row of {table[1]}")
