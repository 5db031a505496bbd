"""What a migration tool's runtime part is: the ``ToolRuntime`` Protocol.

One module per tool under migpipe/runtime/tools/ implements it; the
registry (migpipe/runtime/tools/__init__.py) maps pipeline.toml's
``[tool] name`` to it. A tool's part answers four questions, in Python:
where its history table is and what it records (applied, failed), which
local migrations are pending, exactly what SQL each pending one runs, and
how to apply them (the command, and how the session gets its timeouts).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from migpipe.runtime.processes import Command, Completed, run
from migpipe.runtime.urls import DatabaseUrl

if TYPE_CHECKING:
    from migpipe.pipeline import Pipeline

# How the applying session gets lock_timeout / statement_timeout:
# "url-options": ?options=-c lock_timeout=... (Prisma's engine, node-postgres);
# "url-params":  ?lock_timeout=...&statement_timeout=... (Go's lib/pq sends
#                unknown parameters as session settings);
# "pgoptions":   the PGOPTIONS environment variable (libpq: psycopg, psql).
TimeoutsVia = Literal["url-options", "url-params", "pgoptions"]


class ToolError(Exception):
    """The tool could not say what is pending or what SQL a migration runs."""


@dataclass(frozen=True)
class History:
    """What the history table records (both empty when it does not exist yet)."""

    applied: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()


@dataclass(frozen=True)
class PendingSql:
    """The SQL one pending migration runs, as the lint sees it."""

    name: str
    # The migration as the user knows it: a file path (or app.name).
    display: str
    # Exactly the SQL that runs; lines that do not run are blank, so line
    # numbers are the file's.
    text: str
    # The tool printed this SQL from code (Alembic, Django, a JS migration):
    # findings then say "DISPLAY, line N of its SQL" and quote the line.
    generated: bool = False
    # Set when the SQL cannot be shown and a person vouched for the
    # migration instead (Knex's `// migpipe-reviewed: REASON`).
    reviewed_reason: str | None = None


@dataclass(frozen=True)
class MigrationFile:
    """One migration file as a branch holds it (read from git, not imported)."""

    path: str  # relative to the repository root
    text: str


@dataclass(frozen=True)
class OrderConflict:
    """Migrations whose apply order the tool cannot settle once the branch merges."""

    path: str  # the file to fix, relative to the repository root
    line: int
    message: str
    fix: str


@dataclass(frozen=True)
class SchemaDrift:
    """The schema needs a migration the branch does not have (or the tool could not tell)."""

    path: str  # the file to look at, relative to the working directory
    message: str
    fix: str


# A tool whose apply order is not (only) its file names (Alembic's
# down_revision, Django's dependencies, drizzle-kit's journal) says, from the
# files alone, which conflicts the files a branch adds create with the base
# branch's: (base files, the branch's added files) -> conflicts. Both lists
# also hold, as each side has them, the other files the tool's
# ``OrderInputs`` names from the migrations' paths (drizzle-kit's journal, a
# Django app's apps.py). Tools ordered by file name alone have none: the
# review compares names.
OrderCheck = Callable[[Sequence[MigrationFile], Sequence[MigrationFile]], list[OrderConflict]]
OrderInputs = Callable[[Sequence[str]], list[str]]


@dataclass
class RunContext:
    """What a tool's runtime part may use."""

    pipeline: Pipeline
    workdir: Path
    url: DatabaseUrl
    url_env: str
    lock_timeout: str
    statement_timeout: str
    secrets: tuple[str, ...]
    scratch: Path
    cache: dict[str, Any] = field(default_factory=dict)
    # What every command of the tool gets in its environment besides its own
    # (the URL's parts in test_database.url_part_envs).
    tool_env: dict[str, str] = field(default_factory=dict)

    @property
    def tool(self) -> Any:
        return self.pipeline.tool

    def migrations_dir(self) -> Path:
        return self.workdir / str(self.tool.migrations_dir)

    def run(self, command: Command, *, show: bool = False) -> Completed:
        if self.tool_env:
            command = Command(command.argv, {**self.tool_env, **command.env})
        return run(command, self.workdir, self.secrets, show=show)


class ToolRuntime(Protocol):
    """A migration tool's runtime part (one module per tool)."""

    name: str
    label: str
    history_table: str
    timeouts_via: TimeoutsVia
    # The advisory lock the tool holds while it applies, if any: migpipe
    # waits for it before reading the history table.
    apply_lock_key: int | None

    def history_schema(self, url: DatabaseUrl) -> str | None:
        """The schema of the history table; None: wherever search_path finds it."""

    def history_sql(self, table: str) -> tuple[str | None, str | None]:
        """(query for applied names, query for failed names), each one column;
        ``table`` is the qualified, quoted table name."""

    def pending(self, context: RunContext, history: History) -> list[str]:
        """Pending migration names, in apply order. Raises ToolError."""

    def pending_sql(self, context: RunContext, name: str) -> PendingSql:
        """The SQL ``name`` runs. Raises ToolError."""

    def apply_command(self, context: RunContext, tool_url: str) -> Command:
        """The command that applies every pending migration."""

    def required_programs(self, pipeline: Pipeline) -> tuple[str, ...]:
        """Programs the tool needs on PATH (missing: exit 3)."""

    def resolve_rolled_back(self, context: RunContext, name: str, tool_url: str) -> Command | None:
        """How to mark a failed migration that changed nothing as rolled back
        (None: the tool keeps no failed record)."""

    def drift_check(self, context: RunContext) -> Command | None:
        """A command exiting 2 when the migrations do not produce the schema."""

    def schema_drift(self, pipeline: Pipeline, workdir: Path) -> SchemaDrift | None:
        """For the review, where only migpipe can tell (no tool command says it):
        whether the schema the code declares needs a migration the checkout in
        ``workdir`` lacks. None: no drift (or the tool's own command checks it)."""


class BaseTool:
    """Defaults most tools share: no failed records, no drift check."""

    name = ""
    label = ""
    history_table = ""
    timeouts_via: TimeoutsVia = "url-options"
    apply_lock_key: int | None = None

    def history_schema(self, url: DatabaseUrl) -> str | None:
        return None

    def resolve_rolled_back(self, context: RunContext, name: str, tool_url: str) -> Command | None:
        return None

    def drift_check(self, context: RunContext) -> Command | None:
        return None

    def schema_drift(self, pipeline: Pipeline, workdir: Path) -> SchemaDrift | None:
        return None

    def required_programs(self, pipeline: Pipeline) -> tuple[str, ...]:
        return ()


# ---- helpers the tools share ---------------------------------------------------


def node_exec(package_manager: str) -> tuple[str, ...]:
    """How a project's own node binary is run, never downloading one."""
    return {
        "npm": ("npx", "--no-install"),
        "pnpm": ("pnpm", "exec"),
        "yarn": ("yarn", "run", "--silent"),
    }[package_manager]


def display_path(context: RunContext, path: Path) -> str:
    """``path`` as the user knows it: relative to the working directory."""
    try:
        return str(path.relative_to(context.workdir))
    except ValueError:
        return str(path)


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ToolError(f"cannot read {path.name}: {error}") from error


def keep_section(text: str, starts: re.Pattern[str], stops: re.Pattern[str], *, whole_without_start: bool) -> str:
    """``text`` with every line outside its section blanked (line numbers kept).

    The section runs from the first line matching ``starts`` to the next line
    matching ``stops``; without a ``starts`` line, all of the text runs when
    ``whole_without_start``, none otherwise.
    """
    lines = text.split("\n")
    has_start = any(starts.search(line) for line in lines)
    on = whole_without_start and not has_start
    seen = False
    kept = []
    for line in lines:
        if starts.search(line) and not seen:
            on, seen = True, True
        elif seen and stops.search(line):
            on = False
        kept.append(line if on else "")
    return "\n".join(kept)


def leading_version(file_name: str) -> str:
    """The leading digits of a file name ("" when none)."""
    match = re.match(r"[0-9]+", file_name)
    return match.group(0) if match else ""
