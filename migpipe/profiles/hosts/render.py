"""Render: render.yaml (a Blueprint) and its deploy hook."""
from __future__ import annotations

from typing import TYPE_CHECKING

from migpipe.profiles.hosts.base import DeployStep, EntryPoint, HostProfile

if TYPE_CHECKING:
    from migpipe.config.model import Pipeline


NAME = "render"
# Render can read a Blueprint from another path (set in its dashboard).
CONFIG_PATH_IS_FIXED = False


def default_config_path(working_directory: str) -> str:
    # At the repository root whatever the app's directory (rootDir says that).
    return "render.yaml"


def build(pipeline: Pipeline) -> HostProfile:
    host = pipeline.host
    entry_points = [EntryPoint("buildCommand", "build", host.build_command, "build_command")]
    if host.pre_deploy_command:
        entry_points.append(
            EntryPoint("preDeployCommand", "pre-deploy", host.pre_deploy_command, "pre_deploy_command")
        )
    entry_points.append(EntryPoint("startCommand", "start", host.start_command, "start_command"))
    secret = pipeline.deploy.hook_secret
    return HostProfile(
        name="render",
        label="Render",
        auto_deploy_note="render.yaml sets autoDeployTrigger to \"off\"; check the service's settings match.",
        config_template="hosts/render.yaml.j2",
        deploy_method="Render deploy hook",
        deploy_secrets=((secret, "paste Render's deploy hook URL"),),
        entry_points=tuple(entry_points),
        # A docker runtime builds and starts from the Dockerfile.
        followed_files=("Dockerfile",) if host.runtime == "docker" else (),
        deploy_steps=(
            DeployStep(
                name="Trigger the Render deploy hook",
                secrets=((secret, secret),),
                # --fail turns an HTTP error into a failed step; the URL (which
                # embeds the hook's key) is read from env and never printed.
                run=(
                    f'curl --fail --silent --show-error --max-time 60 --retry 3 '
                    f'--request POST --output /dev/null "${secret}"'
                ),
            ),
        ),
    )
