"""Host profiles, one module per host.

Each module has ``NAME`` and ``build(pipeline) -> HostProfile``. Adding a
host means adding a module here, its table to the config model and its
config template under templates/hosts/.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from migpipe.profiles.hosts import fly, heroku, render
from migpipe.profiles.hosts.base import DeployStep, EntryPoint, HostProfile

if TYPE_CHECKING:
    from migpipe.config.model import Pipeline

HOST_MODULES = (render, fly, heroku)


def _module(host_name: str):
    return next(m for m in HOST_MODULES if m.NAME == host_name)


def host_profile(pipeline: Pipeline) -> HostProfile:
    return _module(pipeline.host.name).build(pipeline)


def default_host_config(host_name: str, working_directory: str) -> str:
    """Where the host reads its config when outputs.host_config is omitted."""
    return _module(host_name).default_config_path(working_directory)


def host_config_is_fixed(host_name: str) -> bool:
    """Whether the host reads its config from nowhere but its default path."""
    return _module(host_name).CONFIG_PATH_IS_FIXED


__all__ = [
    "DeployStep",
    "EntryPoint",
    "HostProfile",
    "default_host_config",
    "host_config_is_fixed",
    "host_profile",
]
