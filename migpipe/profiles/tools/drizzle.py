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



class DrizzleTool(ToolTable):
    """drizzle-kit migrations (SQL files with a meta/_journal.json)."""

    name: Literal["drizzle"] = Field(description="Migration tool.")
    config_path: RelPath = Field(default=DEFAULT_CONFIG, description="drizzle.config.ts.")
    migrations_dir: RelPath = Field(default="drizzle", description="drizzle-kit's `out` directory.")


TABLE: type[DrizzleTool] = DrizzleTool


def build(tool: DrizzleTool, shared: SharedTables) -> ToolProfile:
    exec_prefix = node_exec(shared.project.package_manager)
    config = "" if tool.config_path == DEFAULT_CONFIG else f" --config {shlex.quote(tool.config_path)}"
    migrate = f"{exec_prefix} drizzle-kit migrate{config}"
    return ToolProfile(
        name="drizzle",
        label="drizzle-kit",
        runtime="node",
        history_table="__drizzle_migrations",
        history_schema="drizzle",
        test_database_commands=(migrate,),
        # drizzle-kit check: the snapshots under meta/ agree with each other
        # (no database). It does not compare the schema with the migrations:
        # `migpipe review --schema-drift` does, with drizzle-kit generate.
        review_drift_commands=(f"{exec_prefix} drizzle-kit check{config}",),
        review_schema_drift=True,
        review_ordering=(
            "whose journal entry (`when` in meta/_journal.json) is not newer than the base branch's newest, "
            "which production would skip silently once merged (drizzle-kit migrate applies only newer entries: "
            "generate it again on top of the base branch)"
        ),
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
