"""drizzle-kit's runtime part.

drizzle-kit records applied migrations in ``drizzle.__drizzle_migrations``
(its own schema, whatever the URL says) with the ``when`` of their journal
entry as ``created_at``, and applies every journal entry newer than the
newest ``created_at``. Each is ``<tag>.sql`` in the migrations directory,
linted as it is. All pending migrations run in one transaction, history
included: no failed rows. It connects with node-postgres (URL ``options``).
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING

from migpipe.runtime.processes import Command, Completed
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
from migpipe.runtime.urls import DatabaseUrl

if TYPE_CHECKING:
    from migpipe.pipeline import Pipeline

DEFAULT_CONFIG = "drizzle.config.ts"


class Drizzle(BaseTool):
    name = "drizzle"
    label = "drizzle-kit"
    history_table = "__drizzle_migrations"
    timeouts_via: TimeoutsVia = "url-options"

    def history_schema(self, url: DatabaseUrl) -> str | None:
        return "drizzle"

    def history_sql(self, table: str) -> tuple[str | None, str | None]:
        # Only the newest: drizzle-kit compares the journal with it alone.
        return f"SELECT created_at::text FROM {table} ORDER BY created_at DESC LIMIT 1", None

    def pending(self, context: RunContext, history: History) -> list[str]:
        journal = context.migrations_dir() / "meta" / "_journal.json"
        last = int(history.applied[0]) if history.applied else None
        try:
            entries = json.loads(read_text(journal))["entries"]
            return [str(entry["tag"]) for entry in entries if last is None or int(entry["when"]) > last]
        except (ValueError, KeyError, TypeError) as error:
            raise ToolError(f"cannot read {display_path(context, journal)}: {error!r}") from error

    def pending_sql(self, context: RunContext, name: str) -> PendingSql:
        path = context.migrations_dir() / f"{name}.sql"
        return PendingSql(name, display_path(context, path), read_text(path))

    def apply_command(self, context: RunContext, tool_url: str) -> Command:
        config = context.tool.config_path
        options = () if config == DEFAULT_CONFIG else ("--config", config)
        argv = (*node_exec(context.pipeline.project.package_manager), "drizzle-kit", "migrate", *options)
        return Command(argv, {context.url_env: tool_url})

    def required_programs(self, pipeline: Pipeline) -> tuple[str, ...]:
        return (node_exec(pipeline.project.package_manager)[0],)

    def failure_hint(self, result: Completed) -> str | None:
        # drizzle-kit 0.31.10 and later exit 1 on a failed migration without
        # printing the database's error (their spinner swallows it:
        # drizzle-orm issues #6121, #5816).
        if "error" in result.output.lower():
            return None
        return (f"drizzle-kit migrate failed (exit {result.returncode}). drizzle-kit 0.31.10 and later do not print "
                "the database error;\nthe PostgreSQL server log has it (e.g. a lock timeout: another session held a "
                "table lock).")


def build(pipeline: Pipeline) -> Drizzle:
    return Drizzle()
