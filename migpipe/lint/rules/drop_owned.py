"""drop-owned: DROP OWNED BY drops every object the roles own, in the whole database."""
from __future__ import annotations

from collections.abc import Iterator

from migpipe.lint.created import Created
from migpipe.lint.parsed import Migration
from migpipe.lint.rules.base import Hit


class DropOwned:
    kind = "drop-owned"
    markers: tuple[str, ...] = ('"DropOwnedStmt"',)

    def check(self, migration: Migration, created: Created) -> Iterator[Hit]:
        for statement in migration.statements:
            if statement.type == "DropOwnedStmt":
                roles = ", ".join(
                    role.get("RoleSpec", {}).get("rolename", "CURRENT_USER")
                    for role in statement.node.get("roles", ())
                )
                yield Hit(statement, f"DROP OWNED BY {roles} drops every object they own")
