"""What every host profile is made of.

A host module has ``NAME``, ``build(pipeline) -> HostProfile``,
``default_config_path(working_directory)`` (where the host reads its config when
outputs.host_config is omitted) and ``CONFIG_PATH_IS_FIXED`` (True when the
host reads it from nowhere else, so outputs.host_config may not move it).

A host profile says which config file the host reads (and its template),
which of that file's commands the host runs on its own (the build guard
follows each), and how the deploy job triggers a deploy. The config it
generates must be build-only: no entry point may run a migration, and
nothing deploys except the deploy job.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class EntryPoint:
    """A command the host runs on its own: the build guard follows each one."""

    field: str  # the key in the host's config file (e.g. buildCommand)
    stage: str  # build / pre-deploy / release / start
    command: str
    config_key: str  # the key under [host] in pipeline.toml (e.g. build_command)


@dataclass(frozen=True)
class DeployStep:
    """One step of the deploy job. Secrets reach it only through ``env``."""

    name: str
    run: str | None = None
    uses: str | None = None  # a key of migpipe.pins.ACTIONS
    with_: tuple[tuple[str, str], ...] = ()
    # env var name -> secret name
    secrets: tuple[tuple[str, str], ...] = ()
    # plain env values
    env: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class HostProfile:
    name: str
    label: str
    config_template: str  # under templates/hosts/
    entry_points: tuple[EntryPoint, ...]
    deploy_steps: tuple[DeployStep, ...]
    # Files in the repository the host also runs from (a Dockerfile it
    # builds, package.json lifecycle scripts its buildpack runs); the build
    # guard follows them too. Paths relative to the working directory.
    followed_files: tuple[str, ...] = field(default=())
    # Whether the deploy job needs the repository checked out (e.g. to
    # upload its source).
    deploy_needs_checkout: bool = False
    # The runbook's words for where automatic deploys are turned off.
    auto_deploy_note: str = ""
    # The runbook's words for how the deploy job deploys (the flowchart's box).
    deploy_method: str = ""
    # Secrets the deploy job reads from its environment, with what to paste
    # into each; the runbook tells how to create them.
    deploy_secrets: tuple[tuple[str, str], ...] = field(default=())
    # Values the host's config template needs beyond pipeline.toml's own
    # (e.g. a path made relative to where the config file is written).
    config_values: Mapping[str, str] = field(default_factory=dict)
