"""Prisma Migrate, majors 6 and 7.

Prisma 7 removed ``migrate diff --from-url/--to-url/--shadow-database-url``
and ``migrate reset --skip-seed``, and reads the datasource URL from
prisma.config.ts; the commands below differ by major accordingly.
"""
from __future__ import annotations

import shlex
from typing import Literal

from pydantic import Field

from migpipe.config.tables import SharedTables
from migpipe.config.types import RelPath
from migpipe.profiles.tools.base import ForbiddenCommand, ToolProfile, ToolTable, node_exec

NAME = "prisma"

FORBIDDEN: tuple[ForbiddenCommand, ...] = (
    ForbiddenCommand("prisma migrate deploy|dev|reset", r"\bprisma\s+migrate\s+(deploy|dev|reset)\b"),
    ForbiddenCommand("prisma db push", r"\bprisma\s+db\s+push\b"),
)


class PrismaTool(ToolTable):
    """Prisma Migrate. Prisma 6 and 7 differ in flags and where the URL lives."""

    name: Literal["prisma"] = Field(description="Migration tool.")
    version: Literal[6, 7] = Field(description="Prisma major version (6 or 7).")
    schema_path: RelPath = Field(
        default="prisma/schema.prisma",
        description="Path of schema.prisma, relative to the working directory.",
    )
    migrations_dir: RelPath = Field(
        default="prisma/migrations",
        description="Directory of migration folders, relative to the working directory.",
    )
    config_path: RelPath = Field(
        default="prisma.config.ts",
        description="Prisma 7 only: prisma.config.ts, which holds the datasource URL.",
    )
    drift_check: bool = Field(
        default=False,
        description="Before applying, compare the migrations with the schema using a shadow database.",
    )


TABLE: type[PrismaTool] = PrismaTool


def build(tool: PrismaTool, shared: SharedTables) -> ToolProfile:
    exec_prefix = node_exec(shared.project.package_manager)
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
    return ToolProfile(
        name="prisma",
        label=f"Prisma {tool.version}",
        runtime="node",
        history_table="_prisma_migrations",
        test_database_commands=(reset, deploy),
        # Prisma 6 takes the shadow database on the command line; Prisma 7 from
        # datasource.shadowDatabaseUrl in prisma.config.ts, which must read
        # env("SHADOW_DATABASE_URL").
        drift_check_body=drift if tool.drift_check else None,
        drift_check_env="SHADOW_DATABASE_URL" if tool.drift_check else None,
        # The same check in the pull request's review, with a shadow database.
        review_drift_commands=(drift,) if tool.drift_check else (),
        review_drift_database=tool.drift_check,
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
        required_commands=(exec_prefix.split()[0],),
        # Prisma's schema engine takes pg_advisory_lock(72707369) for the
        # whole of `migrate deploy` (and waits at most 10 s for it).
        apply_lock_key=72707369,
        recovery=(
            f"Prisma records the failed migration in `_prisma_migrations` and refuses to go on. "
            f"After fixing the database by hand, mark it: `{run} migrate resolve --rolled-back NAME` "
            f"(it will run again) or `--applied NAME` (you finished it by hand), then re-run the job."
        ),
    )
