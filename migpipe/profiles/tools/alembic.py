"""Alembic (and Flask-Migrate, which is Alembic behind `flask db`).

Alembic migrations are Python, so the SQL the guards lint is what Alembic
itself prints for each pending revision in offline mode
(``alembic upgrade FROM:REV --sql``): the env.py must support offline mode,
as the one ``alembic init`` writes does.

``alembic_version`` holds only the revisions at the tip (the heads) of what
was applied; every ancestor of a head is applied too. So "pending" is
worked out from the revision graph, by Alembic's own ScriptDirectory, the
same way ``alembic upgrade`` works it out.
"""
from __future__ import annotations

import shlex
from typing import Literal

from pydantic import Field

from migpipe.config.tables import SharedTables
from migpipe.config.types import RelPath
from migpipe.profiles.tools.base import ForbiddenCommand, ToolProfile, ToolTable

NAME = "alembic"

# The commands that apply (or undo) this tool's migrations.
FORBIDDEN: tuple[ForbiddenCommand, ...] = (
    # `--sql` is offline mode: it prints the SQL and touches no database.
    ForbiddenCommand("alembic upgrade|downgrade", r"\balembic\b(?!.*\s--sql\b).*\s(upgrade|downgrade)\b"),
    # Flask-Migrate is Alembic behind `flask db`.
    ForbiddenCommand("alembic via flask db upgrade|downgrade", r"\bflask\b(?!.*\s--sql\b).*\sdb\s+(upgrade|downgrade)\b"),
)


class AlembicTool(ToolTable):
    """Alembic (SQLAlchemy); also Flask-Migrate, which is Alembic behind `flask db`."""

    name: Literal["alembic"] = Field(description="Migration tool.")
    config_path: RelPath = Field(default="alembic.ini", description="alembic.ini, relative to the working directory.")
    migrations_dir: RelPath = Field(
        default="alembic/versions", description="Directory of revision files, relative to the working directory."
    )


TABLE: type[AlembicTool] = AlembicTool


def build(tool: AlembicTool, shared: SharedTables) -> ToolProfile:
    config = shlex.quote(tool.config_path)
    run = f"alembic -c {config}"
    return ToolProfile(
        name="alembic",
        label="Alembic",
        runtime="python",
        history_table="alembic_version",
        test_database_commands=(f"{run} upgrade head",),
        # alembic check compares the models with a database at head.
        review_drift_commands=(f"{run} upgrade head", f"{run} check"),
        review_drift_database=True,
        review_ordering=(
            "whose `down_revision` is older than the base branch's head, which would give the revision graph a "
            "second head once merged (rebase its `down_revision`, or `alembic merge` the heads)"
        ),
        # Alembic connects through SQLAlchemy and psycopg, i.e. libpq.
        timeouts_via="pgoptions",
        required_commands=("alembic",),
        recovery=(
            "On PostgreSQL Alembic applies in a transaction (one for the whole run, or one per "
            "revision when env.py sets `transaction_per_migration`), so the revision that failed "
            "was rolled back, its line in `alembic_version` included: fix it and re-run the job. "
            f"`{run} current` shows where the database is. A revision that steps out of the "
            "transaction (`op.get_context().autocommit_block()`, e.g. for `CREATE INDEX "
            "CONCURRENTLY`) can stop half-way: finish or undo its statements by hand, then, only "
            f"if you finished it, record it with `{run} stamp REVISION` before re-running the job."
        ),
    )
