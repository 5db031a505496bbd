"""Migration-tool profiles: everything the compiler needs to know about a tool.

A profile is data plus a few shell snippets. Templates never ask "is this
Prisma?"; they render whatever the profile says. Adding a tool means adding a
profile here, not editing templates.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from migpipe.config.model import Pipeline


@dataclass(frozen=True)
class ForbiddenCommand:
    """A command the build guard must never find on the host's build path.

    ``pattern`` is a regular expression matched against one shell command
    (after wrappers such as ``npx`` or ``dotenv --`` are removed).
    """

    label: str
    pattern: str


@dataclass(frozen=True)
class ToolProfile:
    name: str
    label: str
    # Setup the CI jobs need before they can run the tool: "node" or "python".
    runtime: str
    # The table where the tool records applied migrations.
    history_table: str
    # Commands the test jobs run to build their database with real migrations.
    test_database_commands: tuple[str, ...]
    # Shell snippets used by migrate-with-guards.sh; each is the body of a
    # bash function (see templates/scripts/migrate-with-guards.sh.j2).
    list_applied_sql: str
    list_failed_sql: str
    list_local_body: str
    pending_sql_file_body: str
    apply_body: str
    drift_check_body: str | None
    # How the applying session gets lock_timeout / statement_timeout:
    # "url-options" (append ?options=-c ... to the URL the tool reads) or
    # "pgoptions" (libpq's PGOPTIONS environment variable).
    timeouts_via: str
    # Query-string parameters of the tool's URL that libpq does not know
    # (stripped before psql / pg_dump see the URL).
    url_only_params: tuple[str, ...] = ()
    # URL parameter naming the schema that holds the history table, if any.
    schema_param: str | None = None
    forbidden: tuple[ForbiddenCommand, ...] = field(default=())
    # Commands the deploy or apply step needs on PATH.
    required_commands: tuple[str, ...] = ()


# Apply commands of the common tools. The build guard forbids all of them,
# whatever tool this project uses: a migration is a migration.
COMMON_FORBIDDEN: tuple[ForbiddenCommand, ...] = (
    ForbiddenCommand("prisma migrate deploy|dev|reset", r"\bprisma\s+migrate\s+(deploy|dev|reset)\b"),
    ForbiddenCommand("prisma db push", r"\bprisma\s+db\s+push\b"),
)


def _exec_prefix(package_manager: str) -> str:
    return {"npm": "npx --no-install", "pnpm": "pnpm exec", "yarn": "yarn run --silent"}[
        package_manager
    ]


def prisma_profile(pipeline: Pipeline) -> ToolProfile:
    tool = pipeline.tool
    run = f"{_exec_prefix(pipeline.project.package_manager)} prisma"
    if tool.version >= 7:
        # Prisma 7 reads the datasource (and shadow database) from prisma.config.ts.
        location = "" if tool.config_path == "prisma.config.ts" else f" --config {shlex.quote(tool.config_path)}"
        reset = f"{run} migrate reset --force{location}"
        deploy = f"{run} migrate deploy{location}"
        drift = (
            f"{run} migrate diff --from-migrations {shlex.quote(tool.migrations_dir)} "
            f"--to-schema {shlex.quote(tool.schema_path)} --exit-code{location}"
        )
    else:
        schema = f" --schema {shlex.quote(tool.schema_path)}"
        reset = f"{run} migrate reset --force --skip-seed{schema}"
        deploy = f"{run} migrate deploy{schema}"
        drift = (
            f"{run} migrate diff --from-migrations {shlex.quote(tool.migrations_dir)} "
            f'--to-schema-datamodel {shlex.quote(tool.schema_path)} --shadow-database-url "$SHADOW_DATABASE_URL" --exit-code'
        )
    url_env = pipeline.test_database.url_env
    return ToolProfile(
        name="prisma",
        label=f"Prisma {tool.version}",
        runtime="node",
        history_table="_prisma_migrations",
        test_database_commands=(reset, deploy),
        list_applied_sql=(
            "SELECT migration_name FROM {table} "
            "WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY migration_name"
        ),
        list_failed_sql=(
            "SELECT migration_name FROM {table} "
            "WHERE finished_at IS NULL AND rolled_back_at IS NULL ORDER BY migration_name"
        ),
        # Prisma keeps one folder per migration, holding migration.sql.
        list_local_body=(
            'local dir\n'
            'for dir in "$MIGRATIONS_DIR"/*/; do\n'
            '  [ -f "${dir}migration.sql" ] && basename "$dir"\n'
            'done\n'
            'return 0'
        ),
        pending_sql_file_body='printf \'%s\\n\' "$MIGRATIONS_DIR/$1/migration.sql"',
        apply_body=f'{url_env}="$APPLY_URL" {deploy}',
        drift_check_body=drift,
        timeouts_via="url-options",
        url_only_params=(
            "schema",
            "connection_limit",
            "pool_timeout",
            "pgbouncer",
            "socket_timeout",
            "statement_cache_size",
            "sslaccept",
            "sslidentity",
        ),
        schema_param="schema",
        forbidden=COMMON_FORBIDDEN,
        required_commands=("psql",),
    )


def tool_profile(pipeline: Pipeline) -> ToolProfile:
    builders = {"prisma": prisma_profile}
    return builders[pipeline.tool.name](pipeline)
