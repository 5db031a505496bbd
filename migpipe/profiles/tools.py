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
    # Commands the apply step needs on PATH (migrate-with-guards.sh checks
    # them first, so a missing one is "cannot start", not "applying failed").
    required_commands: tuple[str, ...] = ()
    # The PostgreSQL advisory lock the tool holds while it applies migrations,
    # if any. migrate-with-guards.sh waits for it before reading the history
    # table, so a migration another run is applying right now is not taken
    # for one that failed.
    apply_lock_key: int | None = None


# Apply commands of the common tools. The build guard forbids all of them,
# whatever tool this project uses: a migration is a migration.
#
# Each pattern is searched in one simple command, its words joined by single
# spaces, once as written and again after each wrapper (npx, dotenv --,
# bundle exec, ...) is removed; so "^" means "the program". Quoted phrases
# (messages) are not part of the text. Read-only subcommands (status, check,
# plan) are deliberately not matched.
COMMON_FORBIDDEN: tuple[ForbiddenCommand, ...] = (
    ForbiddenCommand("prisma migrate deploy|dev|reset", r"\bprisma\s+migrate\s+(deploy|dev|reset)\b"),
    ForbiddenCommand("prisma db push", r"\bprisma\s+db\s+push\b"),
    ForbiddenCommand("alembic upgrade|downgrade", r"\balembic\b.*\s(upgrade|downgrade)\b"),
    # Flask-Migrate is Alembic behind `flask db`.
    ForbiddenCommand("alembic via flask db upgrade|downgrade", r"\bflask\b.*\sdb\s+(upgrade|downgrade)\b"),
    ForbiddenCommand(
        "django manage.py migrate",
        r"\b(manage\.py|django-admin|django)(\s+-\S+)*\s+migrate\b(?!.*\s--(check|plan)\b)",
    ),
    ForbiddenCommand(
        "rails db:migrate|prepare|setup|reset|schema:load",
        r"\b(rails|rake)\s+(.*\s)?db:(migrate|prepare|setup|reset|schema:load|structure:load)\b(?!:status)",
    ),
    ForbiddenCommand("laravel artisan migrate", r"\bartisan\s+migrate\b(?!:status)"),
    ForbiddenCommand("knex migrate:latest|up|down|rollback", r"\bknex\b.*\smigrate:(latest|up|down|rollback)\b"),
    ForbiddenCommand("knex-migrator init|migrate", r"\bknex-migrator\s+(init|migrate)\b"),
    ForbiddenCommand("drizzle-kit migrate|push", r"\bdrizzle-kit\s+(migrate|push)\b"),
    ForbiddenCommand(
        "sequelize db:migrate", r"\bsequelize(-cli)?\s+(.*\s)?db:migrate\b(?!:status)"
    ),
    # Also typeorm-ts-node-commonjs / -esm and `ts-node node_modules/typeorm/cli.js`.
    ForbiddenCommand(
        "typeorm migration:run|revert, schema:sync",
        r"\btypeorm[\w./-]*\s+(.*\s)?(migration:run|migration:revert|schema:sync)\b",
    ),
    ForbiddenCommand("mikro-orm migration:up|fresh", r"\bmikro-orm\s+migration:(up|down|fresh)\b"),
    ForbiddenCommand("node-pg-migrate up|down|redo", r"\bnode-pg-migrate\b.*\s(up|down|redo)(\s|$)"),
    ForbiddenCommand("db-migrate up|down|reset", r"\bdb-migrate\s+(.*\s)?(up|down|reset)(\s|$)"),
    ForbiddenCommand("dbmate up|migrate|down|rollback", r"\bdbmate\b.*\s(up|migrate|down|rollback)(\s|$)"),
    # golang-migrate's binary is plain `migrate`: only as the program itself.
    ForbiddenCommand("golang-migrate up|down|goto", r"^(\S*/)?migrate\s(.*\s)?(up|down|goto)(\s|$)"),
    ForbiddenCommand("goose up|down|redo|reset", r"\bgoose\b.*\s(up|up-by-one|up-to|down|down-to|redo|reset)(\s|$)"),
    ForbiddenCommand("flyway migrate|clean", r"\bflyway\b.*\s(migrate|clean)(\s|$)"),
    ForbiddenCommand("liquibase update", r"\bliquibase\b.*\s(update|update-count|update-to-tag)(\s|$)"),
    ForbiddenCommand("atlas migrate|schema apply", r"\batlas\s+(migrate|schema)\s+apply\b"),
    ForbiddenCommand("hasura migrate apply", r"\bhasura\b.*\smigrate\s+apply\b"),
    ForbiddenCommand("sqlx migrate run", r"\bsqlx\s+migrate\s+run\b"),
    ForbiddenCommand("diesel migration run", r"\bdiesel\s+migration\s+run\b"),
    ForbiddenCommand("mix ecto.migrate|setup|reset", r"\bmix\s+(.*\s)?ecto\.(migrate|setup|reset)\b"),
    # `mix phx.gen.release` writes bin/migrate, which evals Release.migrate.
    ForbiddenCommand("phoenix release migrate", r"(^(\S*/)?bin/migrate$|\bRelease\.migrate\b)"),
    ForbiddenCommand("goatcounter migrate", r"\bgoatcounter\s+migrate\b"),
    # `rw deploy render api` applies Prisma and data migrations unless both are turned off.
    ForbiddenCommand(
        "redwood deploy <host> api | data-migrate up",
        r"\b(rw|redwood)\s+(deploy\s+(render|flightcontrol)\s+api\b"
        r"(?!(?=.*\s--(no-prisma|prisma[= ]false)\b)(?=.*\s--(no-data-migrate|no-dm|data-migrate[= ]false|dm[= ]false)\b))"
        r"|(data-migrate|dm)\s+up\b)",
    ),
    # migpipe's own apply script: the host must never call it either.
    ForbiddenCommand("migpipe migrate-with-guards.sh", r"(^|[\s/])migrate-with-guards\.sh\b"),
)


# A package script the guard cannot read (no package.json beside a Dockerfile,
# a script of another workspace package) leaves only its name. A guard must
# not pass what it cannot read, so a name that announces a migration counts
# as that migration; the finding says it was judged by the name.
JUDGED_BY_NAME = " (judged by the script's name: its definition is not in the repository)"
UNREADABLE_SCRIPT_NAMES: tuple[ForbiddenCommand, ...] = (
    ForbiddenCommand("drizzle-kit migrate|push" + JUDGED_BY_NAME, r"^drizzle[:_-](kit[:_-])?(push|migrate)\b"),
    ForbiddenCommand("prisma migrate|db push" + JUDGED_BY_NAME, r"^prisma[:_-](migrate|deploy|push|reset)\b"),
    ForbiddenCommand("typeorm migration:run" + JUDGED_BY_NAME, r"^typeorm[:_-]migration[:_-]run\b"),
    ForbiddenCommand("knex migrate" + JUDGED_BY_NAME, r"^knex[:_-]migrate\b"),
    ForbiddenCommand("sequelize db:migrate" + JUDGED_BY_NAME, r"^sequelize[:_-](db[:_-])?migrate\b"),
    ForbiddenCommand(
        "a migration" + JUDGED_BY_NAME,
        r"^(db[:_-])?migrat(e|ions?)([:_-](deploy|up|latest|run|prod|production))?$",
    ),
)


def _exec_prefix(package_manager: str) -> str:
    return {"npm": "npx --no-install", "pnpm": "pnpm exec", "yarn": "yarn run --silent"}[
        package_manager
    ]


def prisma_profile(pipeline: Pipeline) -> ToolProfile:
    tool = pipeline.tool
    exec_prefix = _exec_prefix(pipeline.project.package_manager)
    run = f"{exec_prefix} prisma"
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
            "max_connection_lifetime",
            "max_idle_connection_lifetime",
        ),
        schema_param="schema",
        forbidden=COMMON_FORBIDDEN,
        required_commands=(exec_prefix.split()[0],),
        # Prisma's schema engine takes pg_advisory_lock(72707369) for the
        # whole of `migrate deploy` (and waits at most 10 s for it).
        apply_lock_key=72707369,
    )


def tool_profile(pipeline: Pipeline) -> ToolProfile:
    builders = {"prisma": prisma_profile}
    return builders[pipeline.tool.name](pipeline)
