"""Knex migrations."""
from __future__ import annotations

from migpipe.profiles.tools.base import ForbiddenCommand

NAME = "knex"

# The commands that apply (or undo) this tool's migrations.
FORBIDDEN: tuple[ForbiddenCommand, ...] = (
    ForbiddenCommand("knex migrate:latest|up|down|rollback", r"\bknex\b.*\smigrate:(latest|up|down|rollback)\b"),
)
