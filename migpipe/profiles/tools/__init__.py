"""Migration-tool profiles, one module per tool.

Each module has ``NAME``, ``FORBIDDEN`` (the tool's apply commands, which
the build guard forbids on the host's path) and, for tools pipeline.toml can
select, ``build(pipeline) -> ToolProfile``. Adding a tool means adding a
module here and its table to the config model, never editing templates.
"""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from migpipe.profiles.tools import (
    alembic,
    dbmate,
    django,
    drizzle,
    golang_migrate,
    knex,
    known,
    node_pg_migrate,
    prisma,
)
from migpipe.profiles.tools.base import ForbiddenCommand, SetupStep, ToolProfile, node_exec
from migpipe.profiles.tools.known import JUDGED_BY_NAME, UNREADABLE_SCRIPT_NAMES

if TYPE_CHECKING:
    from migpipe.config.model import Pipeline

TOOL_MODULES = (prisma, alembic, django, knex, drizzle, node_pg_migrate, dbmate, golang_migrate)

# Apply commands of every tool the guard knows. It forbids all of them,
# whatever tool this project uses: a migration is a migration. Read-only
# subcommands (status, check, plan) are deliberately not matched.
COMMON_FORBIDDEN: tuple[ForbiddenCommand, ...] = (
    *(command for module in TOOL_MODULES for command in module.FORBIDDEN),
    *known.FORBIDDEN,
)


def tool_profile(pipeline: Pipeline) -> ToolProfile:
    module = next(m for m in TOOL_MODULES if m.NAME == pipeline.tool.name)
    return dataclasses.replace(module.build(pipeline), forbidden=COMMON_FORBIDDEN)


__all__ = [
    "COMMON_FORBIDDEN",
    "JUDGED_BY_NAME",
    "UNREADABLE_SCRIPT_NAMES",
    "ForbiddenCommand",
    "SetupStep",
    "ToolProfile",
    "node_exec",
    "tool_profile",
]
