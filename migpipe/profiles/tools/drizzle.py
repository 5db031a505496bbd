"""drizzle-kit migrations: SQL files named by ``meta/_journal.json``.

drizzle-kit records applied migrations in ``drizzle.__drizzle_migrations``
(its own schema, whatever the URL says) with the ``when`` of their journal
entry as ``created_at``, and applies every journal entry whose ``when`` is
newer than the newest ``created_at``: that is how the script finds the
pending ones. Each is ``<tag>.sql`` in the migrations directory, linted as
it is (``--> statement-breakpoint`` lines are SQL comments).

drizzle-kit applies all pending migrations in one transaction. It connects
with node-postgres or postgres.js, both of which pass the URL's ``options``
parameter to the server. drizzle.config.ts must read the URL from the
environment variable pipeline.toml names (``url_env``), and keep drizzle's
default migrations table and schema.
"""
from __future__ import annotations

import shlex
from typing import Literal

from pydantic import Field

from migpipe.config.tables import SharedTables
from migpipe.config.types import RelPath
from migpipe.profiles.tools.base import ForbiddenCommand, ToolProfile, ToolTable, node_exec

NAME = "drizzle"

# The commands that apply (or undo) this tool's migrations.
FORBIDDEN: tuple[ForbiddenCommand, ...] = (
    ForbiddenCommand("drizzle-kit migrate|push", r"\bdrizzle-kit\s+(migrate|push)\b"),
)

DEFAULT_CONFIG = "drizzle.config.ts"

_HELPERS = """\
# Prints the tags of the journal's entries newer than $1 (the created_at
# drizzle recorded last; empty: nothing applied yet), in journal order.
drizzle_pending_tags() {
  python3 - "$MIGRATIONS_DIR/meta/_journal.json" "$1" <<'PYTHON'
import json
import sys

journal_file, last_applied = sys.argv[1:3]
try:
    with open(journal_file, encoding="utf-8") as handle:
        entries = json.load(handle)["entries"]
    for entry in entries:
        if not last_applied or int(entry["when"]) > int(last_applied):
            print(entry["tag"])
except (OSError, ValueError, KeyError, TypeError) as error:
    sys.exit(f"cannot read {journal_file}: {error!r}")
PYTHON
}"""


# drizzle-kit 0.31.10 and later exit 1 on a failed migration without printing
# the database's error (their spinner swallows it: drizzle-orm issues #6121,
# #5816), so "the tool's own output above says why" would not hold. Say so,
# and where the error can be read, rather than leave a bare spinner line.
_APPLY = """\
local status=0
{url_env}="$APPLY_URL" {migrate} || status=$?
if [ "$status" -ne 0 ]; then
  printf '\\nmigrate-with-guards: drizzle-kit migrate failed (exit %s). drizzle-kit 0.31.10 and later do not print the database error;\\n' "$status" >&2
  printf 'migrate-with-guards: the PostgreSQL server log has it (e.g. a lock timeout: another session held a table lock).\\n' >&2
fi
return "$status\""""


class DrizzleTool(ToolTable):
    """drizzle-kit migrations (SQL files with a meta/_journal.json)."""

    name: Literal["drizzle"] = Field(description="Migration tool.")
    config_path: RelPath = Field(default=DEFAULT_CONFIG, description="drizzle.config.ts.")
    migrations_dir: RelPath = Field(default="drizzle", description="drizzle-kit's `out` directory.")


TABLE: type[DrizzleTool] = DrizzleTool


def build(tool: DrizzleTool, shared: SharedTables) -> ToolProfile:
    exec_prefix = node_exec(shared.project.package_manager)
    url_env = shared.test_database.url_env
    config = "" if tool.config_path == DEFAULT_CONFIG else f" --config {shlex.quote(tool.config_path)}"
    migrate = f"{exec_prefix} drizzle-kit migrate{config}"
    return ToolProfile(
        name="drizzle",
        label="drizzle-kit",
        runtime="node",
        history_table="__drizzle_migrations",
        history_schema="drizzle",
        test_database_commands=(migrate,),
        # drizzle-kit check: the snapshots and migrations agree (no database).
        review_drift_commands=(f"{exec_prefix} drizzle-kit check{config}",),
        # Only the newest: drizzle-kit compares the journal with it alone.
        list_applied_sql=(
            "SELECT created_at::text AS migration_name FROM {table} ORDER BY created_at DESC LIMIT 1"
        ),
        # One transaction for the whole run, history included: no failed rows.
        list_failed_sql=None,
        shell_helpers=_HELPERS,
        list_pending_body='drizzle_pending_tags "$applied"',
        pending_sql_file_body="printf '%s\\n' \"$MIGRATIONS_DIR/$1.sql\"",
        apply_body=_APPLY.format(url_env=url_env, migrate=migrate),
        timeouts_via="url-options",
        # node-postgres knows these; psql would refuse them.
        url_only_params=("ssl", "uselibpqcompat"),
        required_commands=(exec_prefix.split()[0], "python3"),
        recovery=(
            "drizzle-kit applies all pending migrations in one transaction and records them in "
            "`drizzle.__drizzle_migrations` in that same transaction, so a failed run changed nothing "
            "and recorded nothing: fix the migration's SQL file (it never ran, so editing it is safe) "
            "and re-run the job. If a statement that cannot run in a transaction was involved and the "
            "database is half-changed, finish or undo it by hand; never delete rows from "
            "`drizzle.__drizzle_migrations` to make a migration run again."
        ),
    )
