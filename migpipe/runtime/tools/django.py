"""Django's runtime part.

Which migrations are pending, and in what order, comes from Django
(``manage.py showmigrations --plan``, which reads django_migrations); the
SQL of each is what ``manage.py sqlmigrate APP NAME`` prints. Django records
a migration only once it succeeded.
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
    ToolError,
)

if TYPE_CHECKING:
    from migpipe.pipeline import Pipeline


class Django(BaseTool):
    name = "django"
    label = "Django"
    history_table = "django_migrations"
    # Django connects through psycopg: libpq reads PGOPTIONS.
    timeouts_via: TimeoutsVia = "pgoptions"

    def history_sql(self, table: str) -> tuple[str | None, str | None]:
        return None, None

    def _manage(self, context: RunContext, *args: str) -> tuple[str, ...]:
        tool = context.tool
        settings = (f"--settings={tool.settings_module}",) if tool.settings_module else ()
        return ("python3", tool.manage_py, *args, *settings)

    def pending(self, context: RunContext, history: History) -> list[str]:
        result = context.run(Command(self._manage(context, "showmigrations", "--plan"),
                                     {context.url_env: context.url.tool_url()}))
        if result.returncode != 0:
            raise ToolError(result.last_lines())
        # "[X]  app.name" when applied, "[ ]  app.name" when not.
        return [line[3:].strip() for line in result.stdout.splitlines() if line.startswith("[ ]")]

    def pending_sql(self, context: RunContext, name: str) -> PendingSql:
        app, _, migration = name.partition(".")
        result = context.run(Command(self._manage(context, "sqlmigrate", app, migration),
                                     {context.url_env: context.url.tool_url()}))
        if result.returncode != 0:
            raise ToolError(result.last_lines())
        return PendingSql(name, name, result.stdout, generated=True)

    def apply_command(self, context: RunContext, tool_url: str) -> Command:
        return Command(self._manage(context, "migrate", "--noinput"), {context.url_env: tool_url})

    def required_programs(self, pipeline: Pipeline) -> tuple[str, ...]:
        return ("python3",)


def build(pipeline: Pipeline) -> Django:
    return Django()
