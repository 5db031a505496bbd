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

_LIST_LOCAL = """\
# Every file in the migrations directory is a migration (dot files are not),
# named by its file name without the extension.
local file name
for file in "$MIGRATIONS_DIR"/*; do
  [ -f "$file" ] || continue
  name=${file##*/}
  printf '%s\\n' "${name%.*}"
done
return 0"""

_PENDING_SQL_FILE = """\
local file sql_file
for file in "$MIGRATIONS_DIR/$1".*; do
  [ -f "$file" ] && break
done
if [ ! -f "$file" ]; then
  printf 'no file for migration %s in %s\\n' "$1" "$MIGRATIONS_DIR" >&2
  return 1
fi
if [ "${file##*.}" = sql ]; then
  # Lint the up section in place: a copy with every other line blanked.
  sql_file="$work_dir/masked/$file"
  mkdir -p "${sql_file%/*}"
  node_pg_migrate_up_section "$file" >"$sql_file"
else
  # Code: lint the SQL node-pg-migrate prints for it in a dry run.
  node_pg_migrate_dry_run || return 1
  sql_file="$work_dir/sql/$file"
  mkdir -p "${sql_file%/*}"
  awk -v start="### MIGRATION $1 (UP) ###" \\
    '$0 == start { on = 1; next } /^### MIGRATION / || /^Migrations complete!$/ { on = 0 } on' \\
    "$work_dir/dry-run.txt" >"$sql_file"
fi
printf '%s\\n' "$sql_file\""""


def _helpers(run: str, url_env: str) -> str:
    return f"""\
# Prints an SQL migration with every line outside its up section blanked.
# Like node-pg-migrate: the up section starts at the first "-- Up Migration"
# line and ends at a "-- Down Migration" line after it; a file without an
# "-- Up Migration" line runs whole.
node_pg_migrate_up_section() {{
  awk '
    function marks(direction) {{ return tolower($0) ~ ("^[ \\t]*--[ \\t-]*" direction "[ \\t]+migration") }}
    NR == FNR {{ if (marks("up")) has_up = 1; next }}
    FNR == 1 {{ on = !has_up }}
    marks("up") && !seen_up {{ on = 1; seen_up = 1 }}
    marks("down") && seen_up {{ on = 0 }}
    {{ print (on ? $0 : "") }}
  ' "$1" "$1"
}}

# Writes the SQL node-pg-migrate would run for every pending migration to
# $work_dir/dry-run.txt, once; each migration's part starts with a line
# "### MIGRATION <name> (UP) ###".
node_pg_migrate_dry_run() {{
  [ -f "$work_dir/dry-run.txt" ] && return 0
  if ! {url_env}="$APPLY_URL" {run} up --dry-run >"$work_dir/dry-run.txt" 2>"$work_dir/dry-run-error"; then
    rm -f "$work_dir/dry-run.txt"
    printf 'node-pg-migrate up --dry-run failed:\\n' >&2
    grep -v '^npm warn' "$work_dir/dry-run-error" | tail -n 5 >&2
    return 1
  fi
}}"""


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
        list_applied_sql="SELECT name AS migration_name FROM {table} ORDER BY name",
        # One transaction for the whole run, history included: no failed rows.
        list_failed_sql=None,
        list_local_body=_LIST_LOCAL,
        shell_helpers=_helpers(run, url_env),
        pending_sql_file_body=_PENDING_SQL_FILE,
        apply_body=f'{url_env}="$APPLY_URL" {run} up',
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
