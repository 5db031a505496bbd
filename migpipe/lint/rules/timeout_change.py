"""timeout-change: a migration that sets or resets lock_timeout / statement_timeout switches a guard off.

migpipe sets both timeouts in the session that applies the migrations, so
that a migration waiting for a busy table fails fast instead of stalling the
application. ``SET lock_timeout = 0`` (or ``RESET``, ``RESET ALL``, ``SET LOCAL``,
``set_config(...)``, ``ALTER DATABASE/ROLE ... SET``) inside the migration
undoes that for what follows. Any change is reported, raising ones too: the
limits belong in pipeline.toml, where the reviewer sees them.
"""
from __future__ import annotations

from collections.abc import Iterator

from migpipe.lint.created import Created
from migpipe.lint.parsed import Migration, Node, Statement, names, walk
from migpipe.lint.rules.base import Hit

TIMEOUTS = frozenset({"lock_timeout", "statement_timeout"})
_SETTING_HOLDERS = ("AlterDatabaseSetStmt", "AlterRoleSetStmt", "AlterSystemStmt")


def _setting_change(setting: Node) -> str | None:
    """What a VariableSetStmt does to the timeouts, or None."""
    kind = setting.get("kind", "")
    if kind == "VAR_RESET_ALL":
        return "RESET ALL resets lock_timeout and statement_timeout"
    name = str(setting.get("name", "")).lower()
    if name not in TIMEOUTS:
        return None
    local = " LOCAL" if setting.get("is_local") else ""
    return f"RESET {name}" if kind == "VAR_RESET" else f"SET{local} {name}"


def _set_config_calls(statement: Statement) -> Iterator[str]:
    for node_type, node in walk(statement.node):
        if node_type != "FuncCall" or names(node.get("funcname", []))[-1:] != ("set_config",):
            continue
        args = node.get("args", [])
        first = args[0].get("A_Const", {}).get("sval", {}).get("sval") if args else None
        if first is None:
            yield "set_config with a setting name computed at run time"
        elif str(first).lower() in TIMEOUTS:
            yield f"set_config('{first}', ...)"


class TimeoutChange:
    kind = "timeout-change"
    markers: tuple[str, ...] = (
        '"VariableSetStmt"',
        '"AlterDatabaseSetStmt"',
        '"AlterRoleSetStmt"',
        '"AlterSystemStmt"',
        '"set_config"',
    )

    def check(self, migration: Migration, created: Created) -> Iterator[Hit]:
        for statement in migration.statements:
            change: str | None = None
            if statement.type == "VariableSetStmt":
                change = _setting_change(statement.node)
            elif statement.type in _SETTING_HOLDERS:
                change = _setting_change(statement.node.get("setstmt", {}))
                if change:
                    change = f"{statement.type.removesuffix('SetStmt').removesuffix('Stmt')}: {change}"
            elif b"set_config" in migration.statement_text(statement).lower():
                change = next(_set_config_calls(statement), None)
            if change:
                yield Hit(statement, f"{change}: the session's timeouts set by migpipe no longer hold")
