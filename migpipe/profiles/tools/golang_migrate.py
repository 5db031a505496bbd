"""golang-migrate: ``<version>_<title>.up.sql`` (and ``.down.sql``) files,
applied by its CLI, which is plain ``migrate``.

golang-migrate keeps one row in ``schema_migrations``: the version it got
to, and ``dirty`` = true when that migration failed part-way. So the applied
migrations are every version up to a clean one, the pending ones every
``.up.sql`` above it, and a dirty row is a failed migration.

The CLI takes the URL on its command line, where any user of the machine
could read it in the process list; the script passes it without the password,
which lib/pq reads from PGPASSWORD instead. lib/pq sends URL parameters it
does not know (lock_timeout, statement_timeout) to the server as session
settings, and wants SSL unless the URL says ``sslmode=disable``.

CI builds the CLI with ``go install`` (with the postgres driver) after
setting up Go.
"""
from __future__ import annotations

import shlex
from typing import Annotated, Literal

from pydantic import Field

from migpipe.config.tables import SharedTables
from migpipe.config.types import RelPath, matching
from migpipe.profiles.tools.base import ForbiddenCommand, SetupStep, ToolProfile, ToolTable

NAME = "golang-migrate"

# The commands that apply (or undo) this tool's migrations.
FORBIDDEN: tuple[ForbiddenCommand, ...] = (
    # golang-migrate's binary is plain `migrate`: only as the program itself.
    ForbiddenCommand("golang-migrate up|down|goto", r"^(\S*/)?migrate\s(.*\s)?(up|down|goto)(\s|$)"),
)


GoModuleVersion = Annotated[str, matching(r"v[0-9]+\.[0-9]+\.[0-9]+", "must be a golang-migrate release such as 'v4.18.3'")]
GoVersion = Annotated[str, matching(r"1\.[0-9]{1,3}(\.[0-9]{1,3})?", "must be a Go version such as '1.24' or '1.24.4'")]


class GolangMigrateTool(ToolTable):
    """golang-migrate: `<version>_<name>.up.sql` / `.down.sql` files."""

    name: Literal["golang-migrate"] = Field(description="Migration tool.")
    migrations_dir: RelPath = Field(default="db/migrations", description="The migrations directory (-path).")
    cli_version: GoModuleVersion = Field(
        default="v4.18.3", description="golang-migrate release CI installs (go install …@VERSION)."
    )
    go_version: GoVersion = Field(
        default="1.24", description="Go version actions/setup-go installs to build the golang-migrate CLI."
    )


TABLE: type[GolangMigrateTool] = GolangMigrateTool


def build(tool: GolangMigrateTool, shared: SharedTables) -> ToolProfile:
    path = shlex.quote(tool.migrations_dir)
    return ToolProfile(
        name="golang_migrate",
        label="golang-migrate",
        runtime="node",
        history_table="schema_migrations",
        test_database_commands=(f'migrate -path {path} -database "${shared.test_database.url_env}" up',),
        test_database_url_query="sslmode=disable",
        timeouts_via="url-params",
        # golang-migrate's own x- parameters, and what lib/pq sends as settings.
        url_only_params=(
            "lock_timeout",
            "search_path",
            "statement_timeout",
            "x-migrations-table",
            "x-migrations-table-quoted",
            "x-multi-statement",
            "x-multi-statement-max-size",
            "x-statement-timeout",
        ),
        required_commands=("migrate",),
        setup_steps=(
            SetupStep(
                name="Set up Go (to build golang-migrate)",
                uses="actions/setup-go",
                # No cache: nothing a pull request wrote may reach the migrate-prod job.
                with_=(("go-version", tool.go_version), ("cache", "false")),
            ),
            SetupStep(
                name=f"Install golang-migrate {tool.cli_version}",
                run=(
                    "go install -tags 'postgres' "
                    f"github.com/golang-migrate/migrate/v4/cmd/migrate@{tool.cli_version}"
                ),
            ),
        ),
        recovery=(
            "golang-migrate runs each migration file as one batch of statements; when one fails it "
            "records that version in `schema_migrations` as dirty and refuses to go on. Look at the "
            "database: undo (or finish) what the failed migration did, by hand. Then tell "
            "golang-migrate where the database really is: `migrate -path "
            f"{path} -database \"$URL\" force VERSION`, with the version before the failed one "
            "(it will run again) or the failed one itself (you finished it by hand); then re-run "
            "the job."
        ),
    )
