"""Knex's runtime part.

Knex migrations are JavaScript and Knex cannot print the SQL they run, so
nothing can be linted: a pending Knex migration stops the run (exit 3)
unless it holds a line ``// migpipe-reviewed: REASON`` written by the person
who read it; such a migration is applied with a warning that it was not
linted. Knex records applied migrations by file name in ``knex_migrations``,
only once they succeeded.
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
    node_exec,
    read_text,
)

if TYPE_CHECKING:
    from migpipe.pipeline import Pipeline

EXTENSIONS = (".js", ".cjs", ".mjs", ".ts")
REVIEWED = re.compile(r"^[ \t]*//[ \t]*migpipe-reviewed:[ \t]*(\S.*)$", re.MULTILINE)


class Knex(BaseTool):
    name = "knex"
    label = "Knex"
    timeouts_via: TimeoutsVia = "url-options"

    def __init__(self, table: str) -> None:
        self.history_table = table

    def history_sql(self, table: str) -> tuple[str | None, str | None]:
        return f"SELECT name FROM {table} ORDER BY id", None

    def pending(self, context: RunContext, history: History) -> list[str]:
        applied = set(history.applied)
        directory = context.migrations_dir()
        local = sorted(p.name for p in directory.iterdir() if p.is_file() and p.suffix in EXTENSIONS) \
            if directory.is_dir() else []
        return [name for name in local if name not in applied]

    def pending_sql(self, context: RunContext, name: str) -> PendingSql:
        path = context.migrations_dir() / name
        shown = display_path(context, path)
        reviewed = REVIEWED.search(read_text(path))
        if not reviewed:
            raise ToolError(
                f"{shown} is JavaScript and Knex cannot print the SQL it runs, so it cannot be linted.\n"
                'Read it; if every statement is expand-only, add a line "// migpipe-reviewed: REASON" to it.'
            )
        return PendingSql(name, shown, "", reviewed_reason=reviewed.group(1).strip())

    def apply_command(self, context: RunContext, tool_url: str) -> Command:
        argv = (*node_exec(context.pipeline.project.package_manager), "knex", "--knexfile",
                context.tool.knexfile, "migrate:latest")
        return Command(argv, {context.url_env: tool_url})

    def required_programs(self, pipeline: Pipeline) -> tuple[str, ...]:
        return (node_exec(pipeline.project.package_manager)[0],)


def build(pipeline: Pipeline) -> Knex:
    from migpipe.profiles.tools.knex import KnexTool

    assert isinstance(pipeline.tool, KnexTool)
    return Knex(pipeline.tool.migrations_table)
