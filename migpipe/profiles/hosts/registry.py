"""Every host plugin, by the ``[host] name`` that selects it."""
from __future__ import annotations

from migpipe.config.tables import SharedTables
from migpipe.profiles.hosts import fly, heroku, render, vercel
from migpipe.profiles.hosts.base import HostPlugin, HostProfile, HostTable

# In the order the schema lists them.
_PLUGINS: tuple[HostPlugin, ...] = (render, fly, heroku, vercel)
HOSTS: dict[str, HostPlugin] = {plugin.NAME: plugin for plugin in _PLUGINS}


def host_profile(host: HostTable, shared: SharedTables) -> HostProfile:
    """The profile of a validated [host] table."""
    return HOSTS[host.name].build(host, shared)
