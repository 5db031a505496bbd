"""dbmate."""
from __future__ import annotations

from migpipe.profiles.tools.base import ForbiddenCommand

NAME = "dbmate"

# The commands that apply (or undo) this tool's migrations.
FORBIDDEN: tuple[ForbiddenCommand, ...] = (
    ForbiddenCommand("dbmate up|migrate|down|rollback", r"\bdbmate\b.*\s(up|migrate|down|rollback)(\s|$)"),
)
