"""dbmate: plain SQL files, ``<version>_<name>.sql``, each with a
``-- migrate:up`` and a ``-- migrate:down`` section.

dbmate records a migration by its version (the file name's leading digits)
in ``schema_migrations``, only once the migration committed; it keeps no
record of a failed one. Only the up section runs, so only the up section is
linted: the script lints a copy of each file with every other line blanked,
so that findings name the file's own lines.

dbmate is a Go program using lib/pq, which sends URL parameters it does not
know (lock_timeout, statement_timeout) to the server as session settings,
and which wants SSL unless the URL says ``sslmode=disable``. The npm package
``dbmate`` ships the binary, so the project's package manager installs it.
"""
from __future__ import annotations

import shlex
from typing import Literal

from pydantic import Field

from migpipe.config.tables import SharedTables
from migpipe.config.types import Ident, RelPath
from migpipe.profiles.tools.base import ForbiddenCommand, ToolProfile, ToolTable, node_exec

NAME = "dbmate"

# The commands that apply (or undo) this tool's migrations.
FORBIDDEN: tuple[ForbiddenCommand, ...] = (
    ForbiddenCommand("dbmate up|migrate|down|rollback", r"\bdbmate\b.*\s(up|migrate|down|rollback)(\s|$)"),
)

# dbmate's own defaults: left off the command line when pipeline.toml keeps them.
DEFAULT_MIGRATIONS_DIR = "db/migrations"
DEFAULT_MIGRATIONS_TABLE = "schema_migrations"
DEFAULT_URL_ENV = "DATABASE_URL"


class DbmateTool(ToolTable):
    """dbmate: plain SQL files with `-- migrate:up` / `-- migrate:down` sections."""

    name: Literal["dbmate"] = Field(description="Migration tool.")
    migrations_dir: RelPath = Field(default=DEFAULT_MIGRATIONS_DIR, description="dbmate's --migrations-dir.")
    migrations_table: Ident = Field(default=DEFAULT_MIGRATIONS_TABLE, description="dbmate's --migrations-table.")


TABLE: type[DbmateTool] = DbmateTool


def build(tool: DbmateTool, shared: SharedTables) -> ToolProfile:
    exec_prefix = node_exec(shared.project.package_manager)
    url_env = shared.test_database.url_env
    options = []
    if url_env != DEFAULT_URL_ENV:
        options.append(f"--env {url_env}")
    if tool.migrations_dir != DEFAULT_MIGRATIONS_DIR:
        options.append(f"--migrations-dir {shlex.quote(tool.migrations_dir)}")
    if tool.migrations_table != DEFAULT_MIGRATIONS_TABLE:
        options.append(f"--migrations-table {tool.migrations_table}")
    # --no-dump-schema: CI must not rewrite db/schema.sql behind anyone's back.
    run = " ".join([f"{exec_prefix} dbmate", *options, "--no-dump-schema"])
    return ToolProfile(
        name="dbmate",
        label="dbmate",
        runtime="node",
        history_table=tool.migrations_table,
        # `up` also creates the database if it does not exist yet.
        test_database_commands=(f"{run} up",),
        test_database_url_query="sslmode=disable",
        timeouts_via="url-params",
        # lib/pq sends these to the server as settings; psql would refuse them.
        url_only_params=("lock_timeout", "search_path", "statement_timeout"),
        required_commands=(exec_prefix.split()[0],),
        recovery=(
            "dbmate runs each migration in a transaction of its own and records its version in "
            f"`{tool.migrations_table}` in that same transaction, so a migration that failed changed "
            "nothing and is not recorded; the ones before it stay applied. Fix the migration and "
            "re-run the job. A migration marked `-- migrate:up transaction:false` (e.g. for "
            "`CREATE INDEX CONCURRENTLY`) runs without one: if it stopped half-way, finish or undo "
            "its statements by hand; once it is finished, record it with "
            f"`INSERT INTO {tool.migrations_table} (version) VALUES ('VERSION');` rather than running it again. "
            f"`{exec_prefix} dbmate status` lists what is applied and what is pending."
        ),
    )
