"""golang-migrate (its binary is plain `migrate`)."""
from __future__ import annotations

from migpipe.profiles.tools.base import ForbiddenCommand

NAME = "golang-migrate"

# The commands that apply (or undo) this tool's migrations.
FORBIDDEN: tuple[ForbiddenCommand, ...] = (
    # golang-migrate's binary is plain `migrate`: only as the program itself.
    ForbiddenCommand("golang-migrate up|down|goto", r"^(\S*/)?migrate\s(.*\s)?(up|down|goto)(\s|$)"),
)
