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

# Writes one line per pending revision, oldest first, to a file:
# "REVISION<tab>FROM<tab>FILE", FROM being the revision it upgrades from
# ("base" for a first revision) and FILE its path as the user knows it.
# Reads only the revision files, never the database.
_PENDING_HELPER = '''\
# Pending Alembic revisions, oldest first, as "REVISION<tab>FROM<tab>FILE"
# lines. $1: alembic.ini; the rest: the revisions alembic_version holds.
alembic_pending_revisions() {
  python3 - "$@" <<'PYTHON'
import os
import sys

try:
    from alembic.config import Config
    from alembic.script import ScriptDirectory
except ImportError as error:
    sys.exit(f"python3 cannot import alembic ({error}); run this script where the app's requirements are installed")

config_file, *current = sys.argv[1:]
try:
    script = ScriptDirectory.from_config(Config(config_file))
    heads = script.get_heads()
    if len(heads) > 1:
        sys.exit(
            f"the revisions have {len(heads)} heads ({', '.join(sorted(heads))}); "
            "merge them first (alembic merge heads), so the order they run in is decided"
        )
    # What `alembic upgrade heads` would run from the current heads, in order.
    revisions = reversed(list(script.iterate_revisions("heads", tuple(current), implicit_base=True)))
    for revision in revisions:
        down = revision.down_revision
        # A merge revision upgrades from several; linting from the first one
        # may lint the others' SQL twice, never less.
        start = (down if isinstance(down, str) else down[0]) if down else "base"
        print(f"{revision.revision}\\t{start}\\t{os.path.relpath(revision.path)}")
except Exception as error:  # Alembic's own errors say what is wrong
    sys.exit(f"alembic: {error}")
PYTHON
}'''


class AlembicTool(ToolTable):
    """Alembic (SQLAlchemy); also Flask-Migrate, which is Alembic behind `flask db`."""

    name: Literal["alembic"] = Field(description="Migration tool.")
    config_path: RelPath = Field(default="alembic.ini", description="alembic.ini, relative to the working directory.")
    migrations_dir: RelPath = Field(
        default="alembic/versions", description="Directory of revision files, relative to the working directory."
    )


TABLE: type[AlembicTool] = AlembicTool


def build(tool: AlembicTool, shared: SharedTables) -> ToolProfile:
    url_env = shared.test_database.url_env
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
        # The heads of what was applied (one row, or one per branch).
        list_applied_sql="SELECT version_num AS migration_name FROM {table} ORDER BY version_num",
        # Alembic keeps no record of a failed revision: its transaction is
        # rolled back, alembic_version included.
        list_failed_sql=None,
        shell_helpers=_PENDING_HELPER,
        list_pending_body=(
            "# $applied: the heads alembic_version holds (one per line, none yet when empty).\n"
            "local revisions\n"
            f"mapfile -t revisions < <(printf '%s\\n' \"$applied\" | sed '/^$/d')\n"
            f'alembic_pending_revisions {config} "${{revisions[@]}}" >"$work_dir/alembic-pending" || return 1\n'
            "cut -f 1 \"$work_dir/alembic-pending\""
        ),
        pending_sql_file_body=(
            "# The SQL Alembic prints for this revision alone, in offline mode.\n"
            "local from file sql_file\n"
            "IFS=$'\\t' read -r from file < <(awk -F '\\t' -v revision=\"$1\" '$1 == revision { print $2 \"\\t\" $3 }' \"$work_dir/alembic-pending\")\n"
            'sql_file="$work_dir/sql/$file"\n'
            'mkdir -p "$(dirname "$sql_file")"\n'
            f'if ! {run} upgrade "$from:$1" --sql >"$sql_file" 2>"$work_dir/alembic-error"; then\n'
            '  tail -n 5 "$work_dir/alembic-error" >&2\n'
            "  return 1\n"
            "fi\n"
            "printf '%s\\n' \"$sql_file\""
        ),
        apply_body=f'{url_env}="$APPLY_URL" {run} upgrade head',
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
