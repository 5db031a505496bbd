"""drizzle-kit migrations."""
from __future__ import annotations

from migpipe.profiles.tools.base import ForbiddenCommand

NAME = "drizzle"

# The commands that apply (or undo) this tool's migrations.
FORBIDDEN: tuple[ForbiddenCommand, ...] = (
    ForbiddenCommand("drizzle-kit migrate|push", r"\bdrizzle-kit\s+(migrate|push)\b"),
)
