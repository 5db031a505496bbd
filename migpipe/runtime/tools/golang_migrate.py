"""golang-migrate's runtime part.

golang-migrate keeps one row in ``schema_migrations`` (first schema of the
URL's ``search_path``): the version it got to, and ``dirty`` when that
migration failed part-way. Applied: every version up to a clean one;
pending: every ``<version>_<title>.up.sql`` above it; a dirty row is a
failed migration. Its CLI takes the URL on its command line, so it gets the
URL without the password, which lib/pq reads from PGPASSWORD.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from migpipe.runtime.processes import Command
from migpipe.runtime.tools.base import (
    BaseTool,
    History,
    PendingSql,
    RunContext,
    TimeoutsVia,
    display_path,
    leading_version,
    read_text,
)
from migpipe.runtime.tools.dbmate import first_schema
from migpipe.runtime.urls import DatabaseUrl, parse_url

if TYPE_CHECKING:
    from migpipe.pipeline import Pipeline


class GolangMigrate(BaseTool):
    name = "golang-migrate"
    label = "golang-migrate"
    history_table = "schema_migrations"
    timeouts_via: TimeoutsVia = "url-params"

    def history_schema(self, url: DatabaseUrl) -> str | None:
        return first_schema(url.param("search_path"))

    def history_sql(self, table: str) -> tuple[str | None, str | None]:
        return (f"SELECT version::text FROM {table} WHERE NOT dirty",
                f"SELECT version::text FROM {table} WHERE dirty")

    def pending(self, context: RunContext, history: History) -> list[str]:
        applied = int(history.applied[0]) if history.applied else None
        directory = context.migrations_dir()
        files = [p.name for p in directory.glob("*.up.sql") if p.is_file()] if directory.is_dir() else []
        versioned = sorted((int(leading_version(name)), name) for name in files if leading_version(name))
        return [name for version, name in versioned if applied is None or version > applied]

    def pending_sql(self, context: RunContext, name: str) -> PendingSql:
        path = context.migrations_dir() / name
        return PendingSql(name, display_path(context, path), read_text(path))

    def apply_command(self, context: RunContext, tool_url: str) -> Command:
        url = parse_url(tool_url)
        without_password = url.tool_url(with_password=False)
        env = {"PGPASSWORD": url.password} if url.password is not None else {}
        return Command(("migrate", "-path", context.tool.migrations_dir, "-database", without_password, "up"), env)

    def required_programs(self, pipeline: Pipeline) -> tuple[str, ...]:
        return ("migrate",)


def build(pipeline: Pipeline) -> GolangMigrate:
    return GolangMigrate()
