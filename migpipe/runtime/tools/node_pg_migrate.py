"""node-pg-migrate's runtime part.

It records each applied migration by name (the file name without its
extension) in ``pgmigrations`` and holds an advisory lock while it applies.
An SQL migration runs its ``-- Up Migration`` section (all of the file when
it has none); a JavaScript/TypeScript migration is code, so what is linted
is the SQL node-pg-migrate prints for it with ``up --dry-run`` (which
connects, takes its lock and may create the history table; it applies
nothing). It connects with node-postgres, which passes the URL's
``options`` to the server.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from migpipe.runtime.processes import Command
from migpipe.runtime.tools.base import (
    BaseTool,
    History,
    PendingSql,
    RunContext,
    TimeoutsVia,
    ToolError,
    display_path,
    keep_section,
    node_exec,
    read_text,
)

if TYPE_CHECKING:
    from migpipe.pipeline import Pipeline

DEFAULT_MIGRATIONS_DIR = "migrations"
DEFAULT_MIGRATIONS_TABLE = "pgmigrations"
DEFAULT_URL_ENV = "DATABASE_URL"
# node-pg-migrate's default --lock-value: it holds this advisory lock while it applies.
LOCK_VALUE = 7241865325823964
_UP = re.compile(r"^[ \t]*--[ \t-]*up[ \t]+migration", re.IGNORECASE)
_DOWN = re.compile(r"^[ \t]*--[ \t-]*down[ \t]+migration", re.IGNORECASE)
_DRY_RUN_HEADER = re.compile(r"^### MIGRATION (.+) \(UP\) ###$")


class NodePgMigrate(BaseTool):
    name = "node-pg-migrate"
    label = "node-pg-migrate"
    timeouts_via: TimeoutsVia = "url-options"
    apply_lock_key: int | None = LOCK_VALUE

    def __init__(self, table: str) -> None:
        self.history_table = table

    def history_sql(self, table: str) -> tuple[str | None, str | None]:
        return f"SELECT name FROM {table} ORDER BY name", None

    def _run(self, context: RunContext) -> tuple[str, ...]:
        tool = context.tool
        options: list[str] = []
        if context.url_env != DEFAULT_URL_ENV:
            options += ["--database-url-var", context.url_env]
        if tool.migrations_dir != DEFAULT_MIGRATIONS_DIR:
            options += ["--migrations-dir", tool.migrations_dir]
        if tool.migrations_table != DEFAULT_MIGRATIONS_TABLE:
            options += ["--migrations-table", tool.migrations_table]
        return (*node_exec(context.pipeline.project.package_manager), "node-pg-migrate", *options)

    def _files(self, context: RunContext) -> dict[str, str]:
        directory = context.migrations_dir()
        if not directory.is_dir():
            return {}
        files = sorted(p.name for p in directory.iterdir() if p.is_file() and not p.name.startswith("."))
        return {name.rsplit(".", 1)[0] if "." in name else name: name for name in files}

    def pending(self, context: RunContext, history: History) -> list[str]:
        applied = set(history.applied)
        return [name for name in self._files(context) if name not in applied]

    def _dry_run(self, context: RunContext) -> dict[str, str]:
        if "dry-run" not in context.cache:
            result = context.run(Command((*self._run(context), "up", "--dry-run"),
                                         {context.url_env: context.url.tool_url()}))
            if result.returncode != 0:
                raise ToolError(f"node-pg-migrate up --dry-run failed:\n{result.last_lines()}")
            sections: dict[str, list[str]] = {}
            current: list[str] | None = None
            for line in result.stdout.splitlines():
                header = _DRY_RUN_HEADER.match(line)
                if header:
                    current = sections.setdefault(header.group(1), [])
                elif line.startswith("### MIGRATION ") or line == "Migrations complete!":
                    current = None
                elif current is not None:
                    current.append(line)
            context.cache["dry-run"] = {name: "\n".join(lines) + "\n" for name, lines in sections.items()}
        sql: dict[str, str] = context.cache["dry-run"]
        return sql

    def pending_sql(self, context: RunContext, name: str) -> PendingSql:
        file_name = self._files(context).get(name)
        if file_name is None:
            raise ToolError(f"no file for migration {name} in {context.tool.migrations_dir}")
        path = context.migrations_dir() / file_name
        if file_name.endswith(".sql"):
            text = keep_section(read_text(path), _UP, _DOWN, whole_without_start=True)
            return PendingSql(name, display_path(context, path), text)
        sql = self._dry_run(context).get(name)
        if sql is None:
            raise ToolError(f"node-pg-migrate up --dry-run printed no SQL for {name}")
        return PendingSql(name, display_path(context, path), sql, generated=True)

    def apply_command(self, context: RunContext, tool_url: str) -> Command:
        return Command((*self._run(context), "up"), {context.url_env: tool_url})

    def required_programs(self, pipeline: Pipeline) -> tuple[str, ...]:
        return (node_exec(pipeline.project.package_manager)[0],)


def build(pipeline: Pipeline) -> NodePgMigrate:
    from migpipe.profiles.tools.node_pg_migrate import NodePgMigrateTool

    assert isinstance(pipeline.tool, NodePgMigrateTool)
    return NodePgMigrate(pipeline.tool.migrations_table)
