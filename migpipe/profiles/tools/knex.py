"""Knex migrations: JavaScript (or TypeScript) files.

Knex cannot show the SQL a migration will run: there is no dry run, and a
migration is code that may decide what to do while it runs. So the guards
cannot lint it. Rather than wave it through, the script refuses (exit 3,
nothing applied) any pending Knex migration until a person who read it says
so in the file, on a line of its own:

    // migpipe-reviewed: REASON

(e.g. ``// migpipe-reviewed: adds a nullable column only -- @ana``). Such a
migration is applied with a loud warning that it was not linted; the reviewer
of migrate-prod sees the list. The runbook says the same.

Knex records applied migrations by file name in ``knex_migrations``. The
knexfile must read the URL from the environment variable pipeline.toml names
(``url_env``) and pass it to the ``pg`` client as a connection string, so that
the URL's ``options`` parameter (the timeouts) reaches the server.
"""
from __future__ import annotations

import shlex
from typing import Literal

from pydantic import Field

from migpipe.config.tables import SharedTables
from migpipe.config.types import Ident, RelPath
from migpipe.profiles.tools.base import ForbiddenCommand, ToolProfile, ToolTable, node_exec

NAME = "knex"

# The commands that apply (or undo) this tool's migrations.
FORBIDDEN: tuple[ForbiddenCommand, ...] = (
    ForbiddenCommand("knex migrate:latest|up|down|rollback", r"\bknex\b.*\smigrate:(latest|up|down|rollback)\b"),
)


class KnexTool(ToolTable):
    """Knex migrations (JavaScript)."""

    name: Literal["knex"] = Field(description="Migration tool.")
    knexfile: RelPath = Field(default="knexfile.js", description="The knexfile.")
    migrations_dir: RelPath = Field(default="migrations", description="Knex's migrations directory.")
    migrations_table: Ident = Field(default="knex_migrations", description="Knex's migrations table.")


TABLE: type[KnexTool] = KnexTool


def build(tool: KnexTool, shared: SharedTables) -> ToolProfile:
    exec_prefix = node_exec(shared.project.package_manager)
    run = f"{exec_prefix} knex --knexfile {shlex.quote(tool.knexfile)}"
    return ToolProfile(
        name="knex",
        label="Knex",
        runtime="node",
        history_table=tool.migrations_table,
        test_database_commands=(f"{run} migrate:latest",),
        timeouts_via="url-options",
        url_only_params=("ssl", "uselibpqcompat"),
        required_commands=(exec_prefix.split()[0],),
        lint_caveat=(
            "Knex migrations are JavaScript and Knex cannot print the SQL they run, so there "
            "is no SQL to lint: a pending Knex migration stops the run (exit 3) unless it holds "
            "a line `// migpipe-reviewed: REASON`, written by the person who read it; such a "
            "migration is applied with a warning that it was not linted."
        ),
        recovery=(
            "Knex runs each migration in a transaction of its own (unless it sets "
            "`config = { transaction: false }`) and records it in "
            f"`{tool.migrations_table}` only when it succeeded; the migrations before it in the "
            "same run stay applied. Fix the failed migration and re-run the job. If the job was "
            f"killed while Knex held its lock, `{run} migrate:unlock` releases it. A migration without "
            "a transaction that stopped half-way: finish or undo its statements by hand first. "
            "Knex migrations are never linted (Knex cannot print their SQL): each needs a "
            "`// migpipe-reviewed: REASON` line from the person who read it."
        ),
    )
