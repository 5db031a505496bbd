"""Django migrations (manage.py migrate)."""
from __future__ import annotations

from migpipe.profiles.tools.base import ForbiddenCommand

NAME = "django"

# The commands that apply (or undo) this tool's migrations.
FORBIDDEN: tuple[ForbiddenCommand, ...] = (
    ForbiddenCommand(
        "django manage.py migrate",
        r"\b(manage\.py|django-admin|django)(\s+-\S+)*\s+migrate\b(?!.*\s--(check|plan)\b)",
    ),
)
