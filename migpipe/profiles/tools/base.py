"""What every migration-tool plugin is made of.

A plugin is a module under migpipe/profiles/tools/ registered in
``registry.TOOLS``; ``ToolPlugin`` says what it holds: its name, its own
table of pipeline.toml (a ``ToolTable``), the commands that apply its
migrations (forbidden on every host's build path) and ``build``, which
turns its validated table into a ``ToolProfile``.

A profile is data the compiler renders: the commands that build the test
jobs' database, the setup steps CI runs first, the commands forbidden on the
build path, the drift check, how the applying session gets its timeouts, the
recovery advice for the runbook, ... Templates never ask "is this Prisma?";
they render whatever the profile says. Applying in production is not here:
that is the runtime's per-tool part (migpipe/runtime/tools/).
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
    # The tool's identifier (e.g. "alembic").
    name: str
    label: str
    # What the CI jobs set up to run the tool: "node" or "python".
    runtime: str
    # The table where the tool records applied migrations (for messages).
    history_table: str
    # Commands the test jobs run to build their database with real migrations.
    test_database_commands: tuple[str, ...]
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
    # How the review finds an ordering conflict between branches, for the
    # runbook: "a new migration <this>".
    review_ordering: str = "that sorts before the newest one on the base branch (rename it)"
    # Whether the review step itself asks the tool's runtime part about drift
    # (`migpipe review --schema-drift`): where no command of the tool says it.
    review_schema_drift: bool = False
    # How the applying session gets lock_timeout / statement_timeout:
    # "url-options": ?options=-c lock_timeout=... (Prisma's engine, node-postgres);
    # "url-params":  ?lock_timeout=...&statement_timeout=... (Go's lib/pq sends
    #                unknown parameters as session settings);
    # "pgoptions":   the PGOPTIONS environment variable (libpq: psycopg, psql).
    timeouts_via: str = "url-options"
    # Query-string parameters of the tool's URL that libpq does not know
    # (removed before psql / pg_dump see the URL).
    url_only_params: tuple[str, ...] = ()
    # The schema that holds the history table when the tool keeps it in a
    # fixed one of its own, whatever the URL says.
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
