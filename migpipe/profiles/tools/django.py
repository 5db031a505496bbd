"""Django migrations (manage.py migrate).

Django migrations are Python, so the SQL the guards lint is what Django
itself prints for each pending migration (``manage.py sqlmigrate APP NAME``).
Which migrations are pending, and in what order, comes from Django too
(``manage.py showmigrations --plan``), which reads django_migrations.
"""
from __future__ import annotations

import shlex
from typing import Literal

from pydantic import Field

from migpipe.config.tables import SharedTables
from migpipe.config.types import RelPath, Text, WorkDir
from migpipe.profiles.tools.base import ForbiddenCommand, ToolProfile, ToolTable

NAME = "django"

# The commands that apply (or undo) this tool's migrations.
FORBIDDEN: tuple[ForbiddenCommand, ...] = (
    ForbiddenCommand(
        "django manage.py migrate",
        r"\b(manage\.py|django-admin|django)(\s+-\S+)*\s+migrate\b(?!.*\s--(check|plan)\b)",
    ),
)


class DjangoTool(ToolTable):
    """Django's own migrations (manage.py migrate)."""

    name: Literal["django"] = Field(description="Migration tool.")
    manage_py: RelPath = Field(default="manage.py", description="manage.py, relative to the working directory.")
    settings_module: Text | None = Field(
        default=None, description="DJANGO_SETTINGS_MODULE for CI; omitted means manage.py's own default."
    )
    migrations_dir: WorkDir = Field(
        default=".", description="Where the apps (and their migrations/ folders) live, relative to the working directory."
    )


TABLE: type[DjangoTool] = DjangoTool


def build(tool: DjangoTool, shared: SharedTables) -> ToolProfile:
    settings = f" --settings={shlex.quote(tool.settings_module)}" if tool.settings_module else ""
    manage_py = shlex.quote(tool.manage_py)
    # CI's setup-python provides `python`.
    ci_manage = f"python {manage_py}"
    return ToolProfile(
        name="django",
        label="Django",
        runtime="python",
        history_table="django_migrations",
        test_database_commands=(f"{ci_manage} migrate --noinput{settings}",),
        # Models changed without a migration: makemigrations would write one.
        review_drift_commands=(f"{ci_manage} makemigrations --check --dry-run{settings}",),
        review_drift_database=True,
        review_ordering=(
            "whose `dependencies` miss its app's latest migration on the base branch, which would give the app "
            "a second leaf migration once merged (`makemigrations --merge`, or depend on it and renumber)"
        ),
        # Django connects through psycopg (2 or 3), i.e. libpq.
        timeouts_via="pgoptions",
        recovery=(
            "Django runs each migration in its own transaction on PostgreSQL, so the one that "
            "failed was rolled back and is not in `django_migrations`; the ones before it stay "
            f"applied. Fix the migration and re-run the job; `{ci_manage} showmigrations{settings}` "
            "shows where the database is. A migration with `atomic = False` (which "
            "`AddIndexConcurrently` needs) runs outside a transaction and can stop half-way: "
            "finish or undo its statements by hand, then, only if you finished it, record it with "
            f"`{ci_manage} migrate --fake APP NAME{settings}` before re-running the job."
        ),
    )
