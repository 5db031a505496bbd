"""Each host's deploy, by the ``[host] name`` that selects it.

A host's runtime module (render, heroku, fly, vercel beside this one) gives
two things: ``target_from(pipeline, root, environment)``, its target made of
pipeline.toml's settings and the credentials in the environment variables
named there, and ``run(target, sha, wait, scratch)``, which deploys that
commit and waits until the host says it is live. ``migpipe deploy`` looks the
host up here and calls both; a new host is a module and a line below.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from migpipe.errors import FatalError
from migpipe.pipeline import Pipeline
from migpipe.runtime.deploy import DeployOutcome, Environment, Wait, fly, heroku, render, vercel


class HostDeploy(Protocol):
    """A host's runtime module, as ``DEPLOYS`` holds it."""

    def target_from(self, pipeline: Pipeline, root: Path, environment: Environment, /) -> Any:
        """The host's target (typed Any: each module has its own)."""
        ...

    def run(self, target: Any, sha: str, wait: Wait, scratch: Path, /) -> DeployOutcome:
        """Deploy ``sha`` to ``target`` and wait until it is live (DeployFailed when not)."""
        ...


DEPLOYS: dict[str, HostDeploy] = {"render": render, "heroku": heroku, "fly": fly, "vercel": vercel}


def deploy(pipeline: Pipeline, root: Path, environment: Environment, sha: str, wait: Wait, scratch: Path) -> DeployOutcome:
    """Deploy ``sha`` to the host pipeline.toml names."""
    host = DEPLOYS.get(pipeline.host.name)
    if host is None:
        raise FatalError(f"migpipe deploy does not know host {pipeline.host.name!r}")
    return host.run(host.target_from(pipeline, root, environment), sha, wait, scratch)
