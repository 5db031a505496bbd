"""Alembic's runtime part.

``alembic_version`` holds only the heads of what was applied; pending is
worked out from the revision graph by Alembic itself (alembic_pending.py,
run by the app's python3), and the SQL of a pending revision is what
``alembic upgrade FROM:REV --sql`` prints (offline mode). Alembic keeps no
record of a failed revision: its transaction is rolled back.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from migpipe.runtime.processes import Command, run
from migpipe.runtime.tools import alembic_pending
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


class Alembic(BaseTool):
    name = "alembic"
    label = "Alembic"
    history_table = "alembic_version"
    # SQLAlchemy with psycopg: libpq reads PGOPTIONS.
    timeouts_via: TimeoutsVia = "pgoptions"

    def history_sql(self, table: str) -> tuple[str | None, str | None]:
        return f"SELECT version_num FROM {table} ORDER BY version_num", None

    def _alembic(self, context: RunContext) -> tuple[str, ...]:
        return ("alembic", "-c", context.tool.config_path)

    def pending(self, context: RunContext, history: History) -> list[str]:
        # Fed on stdin (`python3 -`), so the app's directory, not this
        # package's, is first on sys.path, as when the app runs alembic.
        helper = Path(alembic_pending.__file__).read_text(encoding="utf-8")
        result = run(Command(("python3", "-", context.tool.config_path, *history.applied),
                             {context.url_env: context.url.tool_url()}),
                     context.workdir, context.secrets, stdin=helper)
        if result.returncode != 0:
            raise ToolError(result.last_lines())
        rows: dict[str, tuple[str, str]] = {}
        for line in result.stdout.splitlines():
            revision, start, file = line.split("\t")
            rows[revision] = (start, file)
        context.cache["alembic"] = rows
        return list(rows)

    def pending_sql(self, context: RunContext, name: str) -> PendingSql:
        start, file = context.cache["alembic"][name]
        result = context.run(Command((*self._alembic(context), "upgrade", f"{start}:{name}", "--sql"),
                                     {context.url_env: context.url.tool_url()}))
        if result.returncode != 0:
            raise ToolError(result.last_lines())
        return PendingSql(name, file, result.stdout, generated=True)

    def apply_command(self, context: RunContext, tool_url: str) -> Command:
        return Command((*self._alembic(context), "upgrade", "head"), {context.url_env: tool_url})

    def required_programs(self, pipeline: Pipeline) -> tuple[str, ...]:
        return ("alembic", "python3")


def build(pipeline: Pipeline) -> Alembic:
    return Alembic()
