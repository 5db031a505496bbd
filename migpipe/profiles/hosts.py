"""Host profiles: the config file a host owns, its entry points, how to deploy.

Like tool profiles, a host profile is data: the compiler reads it and the
templates render it. A host's config must be build-only: none of its entry
points may run a migration, and nothing deploys except the deploy job.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from migpipe.config.model import Pipeline


@dataclass(frozen=True)
class EntryPoint:
    """A command the host runs on its own: the build guard follows each one."""

    field: str  # the key in the host's config file (e.g. buildCommand)
    stage: str  # build / pre-deploy / start
    command: str


@dataclass(frozen=True)
class DeployStep:
    name: str
    secret: str  # the environment secret the step reads
    env_name: str  # the env var it is exposed as
    run: str  # shell, reads the secret only from env


@dataclass(frozen=True)
class HostProfile:
    name: str
    label: str
    config_template: str  # template under templates/hosts/
    entry_points: tuple[EntryPoint, ...]
    deploy_steps: tuple[DeployStep, ...]


def render_profile(pipeline: Pipeline) -> HostProfile:
    host = pipeline.host
    entry_points = [EntryPoint("buildCommand", "build", host.build_command)]
    if host.pre_deploy_command:
        entry_points.append(EntryPoint("preDeployCommand", "pre-deploy", host.pre_deploy_command))
    entry_points.append(EntryPoint("startCommand", "start", host.start_command))
    secret = pipeline.deploy.hook_secret
    return HostProfile(
        name="render",
        label="Render",
        config_template="hosts/render.yaml.j2",
        entry_points=tuple(entry_points),
        deploy_steps=(
            DeployStep(
                name="Trigger the Render deploy hook",
                secret=secret,
                env_name=secret,
                # --fail turns an HTTP error into a failed step; the URL (which
                # embeds the hook's key) is read from env and never printed.
                run=(
                    f'curl --fail --silent --show-error --max-time 60 --retry 3 '
                    f'--request POST --output /dev/null "${secret}"'
                ),
            ),
        ),
    )


def host_profile(pipeline: Pipeline) -> HostProfile:
    builders = {"render": render_profile}
    return builders[pipeline.host.name](pipeline)
