"""Alembic (and Flask-Migrate, which is Alembic behind `flask db`)."""
from __future__ import annotations

from migpipe.profiles.tools.base import ForbiddenCommand

NAME = "alembic"

# The commands that apply (or undo) this tool's migrations.
FORBIDDEN: tuple[ForbiddenCommand, ...] = (
    ForbiddenCommand("alembic upgrade|downgrade", r"\balembic\b.*\s(upgrade|downgrade)\b"),
    # Flask-Migrate is Alembic behind `flask db`.
    ForbiddenCommand("alembic via flask db upgrade|downgrade", r"\bflask\b.*\sdb\s+(upgrade|downgrade)\b"),
)
