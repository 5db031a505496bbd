"""set-schema: ALTER ... SET SCHEMA moves an object; every query naming it the old way breaks.

Not reported for a table or sequence this migration created.
"""
from __future__ import annotations

from collections.abc import Iterator

from migpipe.lint.created import Created, dropped_all_created
from migpipe.lint.parsed import Migration
from migpipe.lint.rules.base import Hit


class SetSchema:
    kind = "set-schema"
    markers: tuple[str, ...] = ('"AlterObjectSchemaStmt"',)

    def check(self, migration: Migration, created: Created) -> Iterator[Hit]:
        for statement in migration.statements:
            if statement.type != "AlterObjectSchemaStmt":
                continue
            if dropped_all_created(created, statement, self.kind):
                continue
            object_type = str(statement.node.get("objectType", "OBJECT_")).removeprefix("OBJECT_").lower()
            yield Hit(statement, f"moves a {object_type} to schema {statement.node.get('newschema', '?')}")
