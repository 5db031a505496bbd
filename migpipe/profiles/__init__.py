"""Profiles: what the compiler knows about migration tools and hosts."""
from __future__ import annotations

from migpipe.profiles.hosts import HostProfile, host_profile
from migpipe.profiles.tools import ToolProfile, tool_profile

__all__ = ["HostProfile", "ToolProfile", "host_profile", "tool_profile"]
