"""What every migration-tool profile is made of.

A profile is data plus a few shell snippets. Templates never ask "is this
Prisma?"; they render whatever the profile says. The shell snippets are the
bodies of bash functions in migrate-with-guards.sh; each names, in its
docstring in ``ToolProfile``, what it may use and what it must print.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ForbiddenCommand:
    """A command the build guard must never find on the host's build path.

    ``pattern`` is a regular expression searched in one simple command, its
    words joined by single spaces, once as written and again after each
    wrapper (npx, dotenv --, bundle exec, ...) is removed; so "^" means "the
    program". Quoted phrases (messages) are not part of the text.
    """

    label: str
    pattern: str


@dataclass(frozen=True)
class SetupStep:
    """A step the CI jobs run before the tool can (e.g. installing its binary)."""

    name: str
    run: str


@dataclass(frozen=True)
class ToolProfile:
    name: str
    label: str
    # What the CI jobs set up to run the tool: "node" or "python".
    runtime: str
    # The table where the tool records applied migrations (for messages and
    # the history query below).
    history_table: str
    # Commands the test jobs run to build their database with real migrations.
    test_database_commands: tuple[str, ...]
    # --- migrate-with-guards.sh --------------------------------------------
    # Bodies of bash functions. Available to them: $MIGRATIONS_DIR, $work_dir
    # (a private temp dir), $applied (names from list_applied_sql, one per
    # line), psql_run (psql on the target database, history schema in the
    # psql variable :schema), $APPLY_URL (the URL with the timeouts added).
    #
    # list_pending_body: print the pending migrations' names, in apply order.
    #   None: every name list_local_body prints that $applied does not hold.
    # list_local_body: print every local migration's name (used when
    #   list_pending_body is None).
    # pending_sql_file_body: given a pending name ($1), print the path of a
    #   file holding exactly the SQL it will run (write one under $work_dir
    #   when the migration is code). Paths print as the user knows them.
    # apply_body: apply every pending migration.
    list_applied_sql: str | None
    list_failed_sql: str | None
    pending_sql_file_body: str
    apply_body: str
    list_local_body: str | None = None
    list_pending_body: str | None = None
    # Optional check that the migrations match the schema (exit non-zero on
    # drift), run before linting when pipeline.toml asks for it.
    drift_check_body: str | None = None
    # How the applying session gets lock_timeout / statement_timeout:
    # "url-options": ?options=-c lock_timeout=... (Prisma's engine, node-postgres);
    # "url-params":  ?lock_timeout=...&statement_timeout=... (Go's lib/pq sends
    #                unknown parameters as session settings);
    # "pgoptions":   the PGOPTIONS environment variable (libpq: psycopg, psql).
    timeouts_via: str = "url-options"
    # Query-string parameters of the tool's URL that libpq does not know
    # (removed before psql / pg_dump see the URL).
    url_only_params: tuple[str, ...] = ()
    # URL parameter naming the schema that holds the history table, if any.
    schema_param: str | None = None
    # Every tool's apply commands (a migration is a migration, whatever tool
    # this project uses); filled in by migpipe.profiles.tools.
    forbidden: tuple[ForbiddenCommand, ...] = field(default=())
    # Commands the apply step needs on PATH (checked first: a missing one is
    # "cannot start", exit 3, not "applying failed").
    required_commands: tuple[str, ...] = ()
    # The advisory lock the tool holds while it applies, if any: the script
    # waits for it before reading the history table.
    apply_lock_key: int | None = None
    # Steps CI runs after installing dependencies, before the tool is used.
    setup_steps: tuple[SetupStep, ...] = ()
    # What the runbook tells a person to do after a migration failed half-way.
    recovery: str = ""


def node_exec(package_manager: str) -> str:
    """How a project's own node binary is run, never downloading one."""
    return {"npm": "npx --no-install", "pnpm": "pnpm exec", "yarn": "yarn run --silent"}[package_manager]
