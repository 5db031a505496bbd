"""Prisma Migrate's runtime part.

_prisma_migrations (in the URL's ``schema``, public by default) records a
migration's start before running it; finished_at is set when it succeeded.
A row with neither finished_at nor rolled_back_at is a migration that failed
(or one applying right now: Prisma holds advisory lock 72707369 meanwhile),
and it blocks every later ``migrate deploy`` (P3009) until
``migrate resolve --rolled-back NAME`` (or ``--applied``).
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING

from migpipe.runtime.processes import Command
from migpipe.runtime.tools.base import (
    BaseTool,
    History,
    PendingSql,
    RunContext,
    TimeoutsVia,
    display_path,
    node_exec,
    read_text,
)
from migpipe.runtime.urls import DatabaseUrl

if TYPE_CHECKING:
    from migpipe.pipeline import Pipeline

PRISMA_ADVISORY_LOCK = 72707369


class Prisma(BaseTool):
    name = "prisma"
    label = "Prisma"
    history_table = "_prisma_migrations"
    timeouts_via: TimeoutsVia = "url-options"
    apply_lock_key: int | None = PRISMA_ADVISORY_LOCK

    def history_schema(self, url: DatabaseUrl) -> str | None:
        return url.param("schema") or "public"

    def history_sql(self, table: str) -> tuple[str | None, str | None]:
        applied = f"SELECT migration_name FROM {table} WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL"
        failed = f"SELECT migration_name FROM {table} WHERE finished_at IS NULL AND rolled_back_at IS NULL"
        return f"{applied} ORDER BY migration_name", f"{failed} ORDER BY migration_name"

    def _location(self, context: RunContext) -> tuple[str, ...]:
        tool = context.tool
        if tool.version >= 7:
            return () if tool.config_path == "prisma.config.ts" else ("--config", tool.config_path)
        return ("--schema", tool.schema_path)

    def _prisma(self, context: RunContext) -> tuple[str, ...]:
        return (*node_exec(context.pipeline.project.package_manager), "prisma")

    def pending(self, context: RunContext, history: History) -> list[str]:
        directory = context.migrations_dir()
        applied = set(history.applied)
        local = sorted(
            folder.name for folder in directory.iterdir() if (folder / "migration.sql").is_file()
        ) if directory.is_dir() else []
        return [name for name in local if name not in applied]

    def pending_sql(self, context: RunContext, name: str) -> PendingSql:
        path = context.migrations_dir() / name / "migration.sql"
        return PendingSql(name, display_path(context, path), read_text(path))

    def apply_command(self, context: RunContext, tool_url: str) -> Command:
        return Command((*self._prisma(context), "migrate", "deploy", *self._location(context)), {context.url_env: tool_url})

    def resolve_rolled_back(self, context: RunContext, name: str, tool_url: str) -> Command | None:
        return Command(
            (*self._prisma(context), "migrate", "resolve", "--rolled-back", name, *self._location(context)),
            {context.url_env: tool_url},
        )

    def drift_check(self, context: RunContext) -> Command | None:
        tool = context.tool
        if not tool.drift_check:
            return None
        if tool.version >= 7:
            argv = (*self._prisma(context), "migrate", "diff", "--from-migrations", tool.migrations_dir,
                    "--to-schema", tool.schema_path, "--exit-code", *self._location(context))
        else:
            # Prisma 6 takes the shadow database on its command line. It is the
            # job's throwaway service container, whose password pipeline.toml
            # states ([test_database] password): not a secret.
            argv = (*self._prisma(context), "migrate", "diff", "--from-migrations", tool.migrations_dir,
                    "--to-schema-datamodel", tool.schema_path, "--shadow-database-url",
                    os.environ.get("SHADOW_DATABASE_URL", ""), "--exit-code")
        return Command(argv, {context.url_env: context.url.tool_url()})

    def required_programs(self, pipeline: Pipeline) -> tuple[str, ...]:
        return (node_exec(pipeline.project.package_manager)[0],)


def build(pipeline: Pipeline) -> Prisma:
    return Prisma()
