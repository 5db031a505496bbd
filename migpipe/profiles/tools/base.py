"""What every migration-tool plugin is made of.

A plugin is a module under migpipe/profiles/tools/ registered in
``registry.TOOLS``; ``ToolPlugin`` says what it holds: its name, its own
table of pipeline.toml (a ``ToolTable``), the commands that apply its
migrations (forbidden on every host's build path) and ``build``, which
turns its validated table into a ``ToolProfile``.

A profile is data plus a few shell snippets. Templates never ask "is this
Prisma?"; they render whatever the profile says. The shell snippets are the
bodies of bash functions in migrate-with-guards.sh; each names, in its
docstring in ``ToolProfile``, what it may use and what it must print.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import Field

from migpipe.config.tables import SharedTables
from migpipe.config.types import Section


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
    """A step the CI jobs run before the tool can (e.g. installing its binary).

    Either ``run`` (a shell command) or ``uses`` (a key of migpipe.pins.ACTIONS,
    rendered pinned to its commit) with its ``with_`` inputs.
    """

    name: str
    run: str | None = None
    uses: str | None = None
    with_: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ToolProfile:
    # A shell identifier (it prefixes the script's function names).
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
    # list_pending_body: print the pending migrations' names, in apply order;
    #   return non-zero (after saying why on stderr) when they cannot be
    #   known, and the script stops with exit 3.
    #   None: every name list_local_body prints that $applied does not hold.
    # list_local_body: print every local migration's name (used when
    #   list_pending_body is None).
    # pending_sql_file_body: given a pending name ($1), print the path of a
    #   file holding exactly the SQL it will run. Paths print as the user
    #   knows them. When only part of the file runs (an up section, not the
    #   down one), copy it to $work_dir/masked/<its path> with every other
    #   line blanked, and print that path: findings then name the user's file
    #   and line, the line numbers being the same. When the migration is code, write the SQL it will run to
    #   $work_dir/sql/<the migration as the user knows it> (a file path such
    #   as alembic/versions/1a2b_add_x.py, or a name) and print that path:
    #   findings then read "<that>, line N of its SQL" and quote the line.
    #   Return non-zero (after saying why on stderr) when the SQL cannot be
    #   produced; the script stops with exit 3.
    # apply_body: apply every pending migration.
    list_applied_sql: str | None
    list_failed_sql: str | None
    pending_sql_file_body: str
    apply_body: str
    list_local_body: str | None = None
    list_pending_body: str | None = None
    # Complete bash functions the bodies above may call, rendered as written
    # (not indented, so they may hold heredocs, e.g. a python3 helper).
    shell_helpers: str | None = None
    # Optional check that the migrations match the schema (exit non-zero on
    # drift), run before linting when pipeline.toml asks for it.
    drift_check_body: str | None = None
    # The variable the drift check reads its throwaway shadow database's URL
    # from; migrate-prod gets a Postgres service container for it.
    drift_check_env: str | None = None
    # The review job's check that migrations and schema agree, where the tool
    # can tell (each command exits non-zero on drift), run after the tool's
    # setup. With review_drift_database, a throwaway Postgres service is
    # there, its URL in the test database's url_env and in drift_check_env.
    review_drift_commands: tuple[str, ...] = ()
    review_drift_database: bool = False
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
    # The schema that holds the history table when the tool keeps it in a
    # fixed one of its own, whatever the URL says (then schema_param is unused).
    history_schema: str | None = None
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
    # Query string the test jobs' database URL needs for this tool (e.g.
    # "sslmode=disable": Go's lib/pq wants SSL unless told not to, and the
    # service container has none).
    test_database_url_query: str = ""
    # What the script's header must add to "lints exactly that SQL" when the
    # tool cannot show all of it (one sentence or two; wrapped as comments).
    lint_caveat: str = ""
    # What the runbook tells a person to do after a migration failed half-way.
    recovery: str = ""


def node_exec(package_manager: str) -> str:
    """How a project's own node binary is run, never downloading one."""
    return {"npm": "npx --no-install", "pnpm": "pnpm exec", "yarn": "yarn run --silent"}[package_manager]


class ToolTable(Section):
    """The [tool] table: ``name`` selects the plugin whose table this is."""

    name: str = Field(description="Migration tool.")


class ToolPlugin(Protocol):
    """A migration-tool module, as migpipe.profiles.tools.registry holds it.

    Its constants are read-only here, so a module's narrower types satisfy
    them (``TABLE: type[PrismaTool]``).
    """

    # The value of [tool] name that selects this plugin.
    @property
    def NAME(self) -> str: ...
    # Its table of pipeline.toml (its ``name`` is ``Literal[NAME]``).
    @property
    def TABLE(self) -> type[ToolTable]: ...
    # The commands that apply (or undo) its migrations.
    @property
    def FORBIDDEN(self) -> tuple[ForbiddenCommand, ...]: ...

    def build(self, tool: Any, shared: SharedTables, /) -> ToolProfile:
        """The profile of a validated ``TABLE`` (typed Any: each plugin takes its own)."""
        ...
