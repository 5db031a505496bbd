"""dynamic-sql: SQL built or hidden at run time cannot be checked before it runs.

Reported: every ``DO`` block, every ``EXECUTE`` of a prepared statement, and
every call (``SELECT f()``, ``CALL p()``, ...) of a function or procedure this
migration created: its body runs with no rule having seen it. Creating a
function is fine; calling one that existed before is not reported (its body
was reviewed when it was created).
"""
from __future__ import annotations

from collections.abc import Iterator

from migpipe.lint.created import Created
from migpipe.lint.parsed import Migration, Node, Statement, names, qualified, walk
from migpipe.lint.rules.base import Hit


def _calls(statement: Statement) -> Iterator[Node]:
    if statement.type == "CallStmt":
        yield statement.node.get("funccall", {})
    for node_type, node in walk(statement.node):
        if node_type == "FuncCall":
            yield node


class DynamicSql:
    kind = "dynamic-sql"
    markers: tuple[str, ...] = ('"DoStmt"', '"ExecuteStmt"', '"CreateFunctionStmt"')

    def check(self, migration: Migration, created: Created) -> Iterator[Hit]:
        for statement in migration.statements:
            if statement.type == "DoStmt":
                yield Hit(statement, "a DO block runs code no rule can check")
            elif statement.type == "ExecuteStmt":
                yield Hit(statement, f"EXECUTE {statement.node.get('name', '')} runs a prepared statement")
            elif created.functions and statement.type != "CreateFunctionStmt":
                for call in _calls(statement):
                    name = qualified(names(call.get("funcname", [])))
                    if created.function(name, statement):
                        yield Hit(statement, f"calls {name[1]}(), which this migration creates: its body is not checked")
                        break
