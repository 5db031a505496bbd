"""The registry of tools' runtime parts: pipeline.toml's ``[tool] name`` -> module.

Each module has ``build(pipeline) -> ToolRuntime`` (see base.py).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from migpipe.runtime.tools import (
    alembic,
    dbmate,
    django,
    drizzle,
    golang_migrate,
    knex,
    node_pg_migrate,
    prisma,
)
from migpipe.runtime.tools.base import ToolRuntime

if TYPE_CHECKING:
    from migpipe.pipeline import Pipeline

REGISTRY: dict[str, Callable[[Pipeline], ToolRuntime]] = {
    "prisma": prisma.build,
    "alembic": alembic.build,
    "django": django.build,
    "dbmate": dbmate.build,
    "node-pg-migrate": node_pg_migrate.build,
    "drizzle": drizzle.build,
    "knex": knex.build,
    "golang-migrate": golang_migrate.build,
}


def tool_runtime(pipeline: Pipeline) -> ToolRuntime:
    """The runtime part of the tool pipeline.toml selects."""
    return REGISTRY[pipeline.tool.name](pipeline)
