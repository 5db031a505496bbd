"""Fly.io: fly.toml without a release_command, deployed by `flyctl deploy`."""
from __future__ import annotations

import posixpath
import shlex
from typing import TYPE_CHECKING

from migpipe.profiles.hosts.base import DeployStep, EntryPoint, HostProfile

if TYPE_CHECKING:
    from migpipe.config.model import Pipeline


NAME = "fly"
# flyctl deploy is told where the file is (--config).
CONFIG_PATH_IS_FIXED = False


def default_config_path(working_directory: str) -> str:
    return _in_working_directory(working_directory, "fly.toml")


def _in_working_directory(working_directory: str, name: str) -> str:
    return posixpath.normpath(posixpath.join(working_directory, name))


def dockerfile_from_config(pipeline: Pipeline) -> str:
    """The Dockerfile as fly.toml must name it: flyctl reads [build] dockerfile
    relative to the directory of fly.toml, not to the working directory."""
    config_dir = posixpath.dirname(pipeline.output_paths()["host_config"]) or "."
    return posixpath.relpath(_in_working_directory(pipeline.project.working_directory, pipeline.host.dockerfile), config_dir)


def deploy_command(pipeline: Pipeline) -> str:
    working_directory = pipeline.project.working_directory
    config = pipeline.output_paths()["host_config"]
    # The working directory is the build context sent to Fly's remote builder;
    # named even when it is ".", since flyctl's default depends on --config.
    return shlex.join(["flyctl", "deploy", working_directory, "--config", config, "--remote-only"])


def build(pipeline: Pipeline) -> HostProfile:
    host = pipeline.host
    entry_points = []
    if host.start_command:
        entry_points.append(EntryPoint("processes.app", "start", host.start_command, "start_command"))
    setup = DeployStep(
        name="Set up flyctl",
        uses="superfly/flyctl-actions/setup-flyctl",
        with_=(("version", host.flyctl_version),) if host.flyctl_version else (),
    )
    deploy = DeployStep(
        name="Deploy to Fly.io",
        # flyctl reads the token from FLY_API_TOKEN; it is never on a command line.
        secrets=(("FLY_API_TOKEN", host.api_token_secret),),
        run=deploy_command(pipeline),
    )
    return HostProfile(
        name="fly",
        label="Fly.io",
        config_template="hosts/fly.toml.j2",
        entry_points=tuple(entry_points),
        # Fly builds the image from the Dockerfile: its RUN lines are the build,
        # and its CMD / ENTRYPOINT start the app unless [processes] replaces them.
        followed_files=(host.dockerfile,),
        deploy_steps=(setup, deploy),
        # flyctl uploads the checked-out source to Fly's remote builder.
        deploy_needs_checkout=True,
        config_values={"dockerfile": dockerfile_from_config(pipeline)},
        deploy_method="flyctl deploy --remote-only",
        deploy_secrets=(
            (host.api_token_secret, f"paste the output of `fly tokens create deploy --app {host.app}`"),
        ),
        auto_deploy_note=(
            "Fly.io deploys only when `flyctl deploy` runs, so make sure nothing else runs it: "
            "no other workflow (such as the fly-deploy.yml that `fly launch` offers to add) and no "
            "GitHub deploy connected to the app in Fly.io's dashboard."
        ),
    )
