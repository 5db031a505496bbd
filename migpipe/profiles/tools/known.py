"""Migration tools migpipe has no full profile for, known to the build guard.

Their apply commands are forbidden on the host's build path all the same.
"""
from __future__ import annotations

from migpipe.profiles.tools.base import ForbiddenCommand

FORBIDDEN: tuple[ForbiddenCommand, ...] = (
    ForbiddenCommand(
        "rails db:migrate|prepare|setup|reset|schema:load",
        r"\b(rails|rake)\s+(.*\s)?db:(migrate|prepare|setup|reset|schema:load|structure:load)\b(?!:status)",
    ),
    ForbiddenCommand("laravel artisan migrate", r"\bartisan\s+migrate\b(?!:status)"),
    ForbiddenCommand("knex-migrator init|migrate", r"\bknex-migrator\s+(init|migrate)\b"),
    ForbiddenCommand(
        "sequelize db:migrate", r"\bsequelize(-cli)?\s+(.*\s)?db:migrate\b(?!:status)"
    ),
    # Also typeorm-ts-node-commonjs / -esm and `ts-node node_modules/typeorm/cli.js`.
    ForbiddenCommand(
        "typeorm migration:run|revert, schema:sync",
        r"\btypeorm[\w./-]*\s+(.*\s)?(migration:run|migration:revert|schema:sync)\b",
    ),
    ForbiddenCommand("mikro-orm migration:up|fresh", r"\bmikro-orm\s+migration:(up|down|fresh)\b"),
    ForbiddenCommand("db-migrate up|down|reset", r"\bdb-migrate\s+(.*\s)?(up|down|reset)(\s|$)"),
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
# A program chosen at run time (`execFile(prismaBin, ["migrate", "deploy"])`)
# is judged by the subcommand it is given, when only a migration tool takes it.
JUDGED_BY_ARGUMENTS = " (judged by its arguments: the program is chosen at run time)"
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
