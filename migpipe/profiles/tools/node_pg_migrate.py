"""node-pg-migrate: SQL or JavaScript/TypeScript migrations.

node-pg-migrate records each applied migration by name (the file name
without its extension) in ``pgmigrations``, and by default applies all
pending migrations in one transaction (``--single-transaction``), history
included: a failed run leaves nothing behind.

What is linted:

* an SQL migration runs its ``-- Up Migration`` section (all of the file when
  it has none): the script lints a copy with every other line blanked, so
  findings name the file's own lines;
* a JavaScript or TypeScript migration is code: the script lints the SQL
  node-pg-migrate itself prints for it with ``up --dry-run``. That dry run
  connects to the database, takes node-pg-migrate's advisory lock and
  creates the history table if it does not exist yet; it applies nothing.

node-pg-migrate connects with node-postgres (``pg``), which passes the URL's
``options`` parameter to the server: that is how the timeouts reach it.
"""
from __future__ import annotations

import shlex
from typing import Literal

from pydantic import Field

from migpipe.config.tables import SharedTables
from migpipe.config.types import Ident, RelPath
from migpipe.profiles.tools.base import ForbiddenCommand, ToolProfile, ToolTable, node_exec

NAME = "node-pg-migrate"

# The commands that apply (or undo) this tool's migrations.
FORBIDDEN: tuple[ForbiddenCommand, ...] = (
    ForbiddenCommand("node-pg-migrate up|down|redo", r"\bnode-pg-migrate\b.*\s(up|down|redo)(\s|$)"),
)

DEFAULT_MIGRATIONS_DIR = "migrations"
DEFAULT_MIGRATIONS_TABLE = "pgmigrations"
DEFAULT_URL_ENV = "DATABASE_URL"
# node-pg-migrate's default --lock-value: it holds this advisory lock while it applies.
LOCK_VALUE = 7241865325823964


class NodePgMigrateTool(ToolTable):
    """node-pg-migrate (SQL or JavaScript migrations)."""

    name: Literal["node-pg-migrate"] = Field(description="Migration tool.")
    migrations_dir: RelPath = Field(default=DEFAULT_MIGRATIONS_DIR, description="node-pg-migrate's --migrations-dir.")
    migrations_table: Ident = Field(default=DEFAULT_MIGRATIONS_TABLE, description="node-pg-migrate's --migrations-table.")


TABLE: type[NodePgMigrateTool] = NodePgMigrateTool


def build(tool: NodePgMigrateTool, shared: SharedTables) -> ToolProfile:
    exec_prefix = node_exec(shared.project.package_manager)
    url_env = shared.test_database.url_env
    options = []
    if url_env != DEFAULT_URL_ENV:
        options.append(f"--database-url-var {url_env}")
    if tool.migrations_dir != DEFAULT_MIGRATIONS_DIR:
        options.append(f"--migrations-dir {shlex.quote(tool.migrations_dir)}")
    if tool.migrations_table != DEFAULT_MIGRATIONS_TABLE:
        options.append(f"--migrations-table {tool.migrations_table}")
    run = " ".join([f"{exec_prefix} node-pg-migrate", *options])
    return ToolProfile(
        name="node_pg_migrate",
        label="node-pg-migrate",
        runtime="node",
        history_table=tool.migrations_table,
        test_database_commands=(f"{run} up",),
        timeouts_via="url-options",
        # node-postgres knows these; psql would refuse them.
        url_only_params=("ssl", "uselibpqcompat"),
        required_commands=(exec_prefix.split()[0],),
        apply_lock_key=LOCK_VALUE,
        recovery=(
            "node-pg-migrate applies all pending migrations in one transaction and records them in "
            f"`{tool.migrations_table}` in that same transaction, so a failed run changed nothing and "
            "recorded nothing: fix the migration and re-run the job. A migration that calls "
            "`pgm.noTransaction()` (e.g. for `CREATE INDEX CONCURRENTLY`) breaks out of it: if it "
            "stopped half-way, finish or undo its statements by hand, then, once it is finished, "
            f"record it without running it: `{run} up 1 --fake`."
        ),
    )
