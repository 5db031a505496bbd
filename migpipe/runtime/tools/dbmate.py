"""dbmate's runtime part.

dbmate records a migration by its version (the file name's leading digits)
in ``schema_migrations``, in the FIRST schema of the URL's ``search_path``
(not the whole path), only once it committed. Only the ``-- migrate:up``
section runs, so only it is linted (other lines blanked). dbmate (Go, lib/pq)
sends URL parameters it does not know to the server as session settings.
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
    display_path,
    keep_section,
    leading_version,
    node_exec,
    read_text,
)
from migpipe.runtime.urls import DatabaseUrl

if TYPE_CHECKING:
    from migpipe.pipeline import Pipeline

DEFAULT_MIGRATIONS_DIR = "db/migrations"
DEFAULT_MIGRATIONS_TABLE = "schema_migrations"
DEFAULT_URL_ENV = "DATABASE_URL"
_UP = re.compile(r"^--[ \t]*migrate:up")
_DOWN = re.compile(r"^--[ \t]*migrate:down")


def first_schema(search_path: str | None) -> str | None:
    """The first schema of a search_path value ("a, b" -> "a"; quotes removed)."""
    if not search_path:
        return None
    first = search_path.split(",")[0].strip()
    if len(first) >= 2 and first[0] == first[-1] == '"':
        first = first[1:-1].replace('""', '"')
    return first or None


class Dbmate(BaseTool):
    name = "dbmate"
    label = "dbmate"
    timeouts_via: TimeoutsVia = "url-params"

    def __init__(self, table: str = DEFAULT_MIGRATIONS_TABLE) -> None:
        self.history_table = table

    def history_schema(self, url: DatabaseUrl) -> str | None:
        return first_schema(url.param("search_path"))

    def history_sql(self, table: str) -> tuple[str | None, str | None]:
        return f"SELECT version FROM {table} ORDER BY version", None

    def pending(self, context: RunContext, history: History) -> list[str]:
        applied = set(history.applied)
        directory = context.migrations_dir()
        files = sorted(p.name for p in directory.glob("*.sql") if p.is_file()) if directory.is_dir() else []
        return [name for name in files if leading_version(name) and leading_version(name) not in applied]

    def pending_sql(self, context: RunContext, name: str) -> PendingSql:
        path = context.migrations_dir() / name
        text = keep_section(read_text(path), _UP, _DOWN, whole_without_start=False)
        return PendingSql(name, display_path(context, path), text)

    def apply_command(self, context: RunContext, tool_url: str) -> Command:
        tool = context.tool
        options: list[str] = []
        if context.url_env != DEFAULT_URL_ENV:
            options += ["--env", context.url_env]
        if tool.migrations_dir != DEFAULT_MIGRATIONS_DIR:
            options += ["--migrations-dir", tool.migrations_dir]
        if tool.migrations_table != DEFAULT_MIGRATIONS_TABLE:
            options += ["--migrations-table", tool.migrations_table]
        # `migrate`, not `up`: the production database exists; never create one.
        # --no-dump-schema: CI must not rewrite db/schema.sql behind anyone's back.
        argv = (*node_exec(context.pipeline.project.package_manager), "dbmate", *options, "--no-dump-schema", "migrate")
        return Command(argv, {context.url_env: tool_url})

    def required_programs(self, pipeline: Pipeline) -> tuple[str, ...]:
        return (node_exec(pipeline.project.package_manager)[0],)


def build(pipeline: Pipeline) -> Dbmate:
    from migpipe.profiles.tools.dbmate import DbmateTool

    assert isinstance(pipeline.tool, DbmateTool)
    return Dbmate(pipeline.tool.migrations_table)
