"""node-pg-migrate."""
from __future__ import annotations

from migpipe.profiles.tools.base import ForbiddenCommand

NAME = "node-pg-migrate"

# The commands that apply (or undo) this tool's migrations.
FORBIDDEN: tuple[ForbiddenCommand, ...] = (
    ForbiddenCommand("node-pg-migrate up|down|redo", r"\bnode-pg-migrate\b.*\s(up|down|redo)(\s|$)"),
)
