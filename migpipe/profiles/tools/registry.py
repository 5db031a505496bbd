"""Every migration-tool plugin, by the ``[tool] name`` that selects it."""
from __future__ import annotations

import dataclasses

from migpipe.config.tables import SharedTables
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
from migpipe.profiles.tools.base import ForbiddenCommand, ToolPlugin, ToolProfile, ToolTable

# The build guard tries their FORBIDDEN patterns in this order (the first
# match names a finding); the schema lists their tables in it too.
_PLUGINS: tuple[ToolPlugin, ...] = (
    prisma,
    alembic,
    django,
    knex,
    drizzle,
    node_pg_migrate,
    dbmate,
    golang_migrate,
)
TOOLS: dict[str, ToolPlugin] = {plugin.NAME: plugin for plugin in _PLUGINS}

# Apply commands of every tool the guard knows. It forbids all of them,
# whatever tool this project uses: a migration is a migration. Read-only
# subcommands (status, check, plan) are deliberately not matched.
COMMON_FORBIDDEN: tuple[ForbiddenCommand, ...] = (
    *(command for plugin in _PLUGINS for command in plugin.FORBIDDEN),
    *known.FORBIDDEN,
)


def tool_profile(tool: ToolTable, shared: SharedTables) -> ToolProfile:
    """The profile of a validated [tool] table."""
    return dataclasses.replace(TOOLS[tool.name].build(tool, shared), forbidden=COMMON_FORBIDDEN)
