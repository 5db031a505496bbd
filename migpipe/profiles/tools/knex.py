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

_LIST_LOCAL = """\
# Knex loads .js, .cjs, .mjs and .ts files; it records them by file name.
local file
for file in "$MIGRATIONS_DIR"/*.js "$MIGRATIONS_DIR"/*.cjs "$MIGRATIONS_DIR"/*.mjs "$MIGRATIONS_DIR"/*.ts; do
  [ -f "$file" ] && printf '%s\\n' "${file##*/}"
done
return 0"""

_PENDING_SQL_FILE = """\
# Knex cannot print the SQL a migration runs, so there is nothing to lint.
# Only a migration a person has read, and marked so, goes on.
local file="$MIGRATIONS_DIR/$1" reason sql_file
reason=$(sed -n 's|^[[:space:]]*//[[:space:]]*migpipe-reviewed:[[:space:]]*\\([^[:space:]].*\\)$|\\1|p' "$file" | head -n 1)
if [ -z "$reason" ]; then
  printf '%s is JavaScript and Knex cannot print the SQL it runs, so it cannot be linted.\\n' "$file" >&2
  printf 'Read it; if every statement is expand-only, add a line "// migpipe-reviewed: REASON" to it.\\n' >&2
  return 1
fi
printf 'migrate-with-guards: WARNING: %s was NOT linted (Knex cannot print its SQL); reviewed: %s\\n' "$file" "$reason" >&2
# An empty SQL file: squawk has nothing to check, and says so by passing.
sql_file="$work_dir/sql/$file"
mkdir -p "${sql_file%/*}"
printf -- '-- %s: not linted, reviewed by a person\\n' "$file" >"$sql_file"
printf '%s\\n' "$sql_file\""""


class KnexTool(ToolTable):
    """Knex migrations (JavaScript)."""

    name: Literal["knex"] = Field(description="Migration tool.")
    knexfile: RelPath = Field(default="knexfile.js", description="The knexfile.")
    migrations_dir: RelPath = Field(default="migrations", description="Knex's migrations directory.")
    migrations_table: Ident = Field(default="knex_migrations", description="Knex's migrations table.")


TABLE: type[KnexTool] = KnexTool


def build(tool: KnexTool, shared: SharedTables) -> ToolProfile:
    exec_prefix = node_exec(shared.project.package_manager)
    url_env = shared.test_database.url_env
    run = f"{exec_prefix} knex --knexfile {shlex.quote(tool.knexfile)}"
    return ToolProfile(
        name="knex",
        label="Knex",
        runtime="node",
        history_table=tool.migrations_table,
        test_database_commands=(f"{run} migrate:latest",),
        list_applied_sql="SELECT name AS migration_name FROM {table} ORDER BY id",
        # Knex records a migration only once it succeeded.
        list_failed_sql=None,
        list_local_body=_LIST_LOCAL,
        pending_sql_file_body=_PENDING_SQL_FILE,
        apply_body=f'{url_env}="$APPLY_URL" {run} migrate:latest',
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
