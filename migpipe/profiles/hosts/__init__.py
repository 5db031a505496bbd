"""Host profiles, one module per host.

Each module has ``NAME`` and ``build(pipeline) -> HostProfile``. Adding a
host means adding a module here, its table to the config model and its
config template under templates/hosts/.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from migpipe.profiles.hosts import render
from migpipe.profiles.hosts.base import DeployStep, EntryPoint, HostProfile

if TYPE_CHECKING:
    from migpipe.config.model import Pipeline

HOST_MODULES = (render,)


def host_profile(pipeline: Pipeline) -> HostProfile:
    module = next(m for m in HOST_MODULES if m.NAME == pipeline.host.name)
    return module.build(pipeline)


__all__ = ["DeployStep", "EntryPoint", "HostProfile", "host_profile"]
