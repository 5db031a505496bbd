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


def _module(pipeline: Pipeline):
    return next(m for m in HOST_MODULES if m.NAME == pipeline.host.name)


def host_profile(pipeline: Pipeline) -> HostProfile:
    return _module(pipeline).build(pipeline)


def default_host_config(pipeline: Pipeline) -> str:
    """Where the host reads its config when outputs.host_config is omitted."""
    return _module(pipeline).default_config_path(pipeline)


def host_config_is_fixed(pipeline: Pipeline) -> bool:
    """Whether the host reads its config from nowhere but its default path."""
    return _module(pipeline).CONFIG_PATH_IS_FIXED


__all__ = [
    "DeployStep",
    "EntryPoint",
    "HostProfile",
    "default_host_config",
    "host_config_is_fixed",
    "host_profile",
]
