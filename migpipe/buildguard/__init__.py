"""The build guard: finds a migration anywhere on what the host runs on its own.

``Scanner`` follows entry points (host config files, commands from
pipeline.toml) through package.json scripts, wrappers and shell scripts, and
reports each forbidden command it reaches with the chain that reaches it.
The forbidden commands are data (``migpipe.profiles.tools``), passed in.
"""
from __future__ import annotations

from migpipe.buildguard.scanner import Finding, Scanner, Step, literal_forbidden
from migpipe.errors import BuildGuardError

__all__ = ["BuildGuardError", "Finding", "Scanner", "Step", "literal_forbidden"]
