"""Fly.io: fly.toml without a release_command, deployed by `flyctl deploy`."""
from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from migpipe.config.host_config import fly_commands, fly_problems
from migpipe.config.tables import Deploy, SharedTables
from migpipe.config.types import (
    OptionalCommand,
    RelPath,
    SecretName,
    empty_means_none,
    matching,
)
from migpipe.profiles.hosts.base import DeployStep, EntryPoint, HostProfile, HostTable
from migpipe.toml_write import document

NAME = "fly"


_FLY_APP_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
_FLY_REGION_RE = re.compile(r"[a-z]{3}")
_FLYCTL_VERSION_RE = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+")


FlyctlVersion = Annotated[
    str,
    matching(_FLYCTL_VERSION_RE, "must be a flyctl release such as '0.3.120' (or leave it out for the latest)"),
]


class FlyHost(HostTable):
    """A Fly.io app: fly.toml without a release_command; deployed by `flyctl deploy`."""

    name: Literal["fly"] = Field(description="Hosting platform.")
    app: Annotated[str, matching(_FLY_APP_RE, "must be a Fly app name: lowercase letters, digits and '-' (at most 63)")] = Field(description="Fly app name.")
    primary_region: Annotated[
        Annotated[str, matching(_FLY_REGION_RE, "must be a Fly region code such as 'iad', 'ams' or 'syd'")] | None,
        BeforeValidator(empty_means_none),
    ] = Field(default="iad", description='Fly primary_region (a three-letter region code); "" leaves it out of fly.toml.')
    dockerfile: RelPath = Field(
        default="Dockerfile",
        description="Dockerfile Fly builds, relative to the working directory (its RUN/CMD/ENTRYPOINT are guarded).",
    )
    start_command: OptionalCommand = Field(
        default=None,
        description="[processes] app command; omitted means the Dockerfile's CMD. Must never migrate.",
    )
    internal_port: int = Field(default=8080, ge=1, le=65535, description="[http_service] internal_port.")
    api_token_secret: SecretName = Field(
        default="FLY_API_TOKEN", description="Environment secret holding a Fly deploy token (fly tokens create deploy)."
    )
    flyctl_version: FlyctlVersion | None = Field(
        default=None, description="flyctl release the deploy job installs; omitted means the latest."
    )
    extra: dict[str, Any] = Field(
        default_factory=dict,
        description=(
            "fly.toml's other keys, as the team wrote them ([env], [mounts], checks, [deploy] strategy, "
            "[[services]], …); written back unchanged. No [deploy] release_command."
        ),
    )

    @model_validator(mode="after")
    def _carried(self) -> FlyHost:
        problems = fly_problems(self.extra, self.start_command is not None)
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def carried_commands(self) -> list[tuple[str, str]]:
        return fly_commands(self.extra)

    def template_extras(self, working_directory: str) -> dict[str, Any]:
        extra = dict(self.extra)
        parts: dict[str, Any] = {}
        for name in ("build", "http_service", "processes"):
            value = extra.pop(name) if isinstance(extra.get(name), Mapping) else {}
            # Its keys go inside migpipe's own [name] table; its sub-tables after it.
            parts[f"{name}_extra"], parts[f"{name}_tables"] = document(dict(value), name)
        # Old-style [[services]] replace [http_service]: a second listener would clash.
        parts["has_services"] = "services" in extra
        parts["top"], parts["tables"] = document(extra)
        return parts

TABLE: type[FlyHost] = FlyHost
# flyctl deploy is told where the file is (--config).
CONFIG_PATH_IS_FIXED = False
# flyctl reads a deploy token from the secret named in [host].
HAS_DEPLOY_HOOK = False


def default_config_path(working_directory: str) -> str:
    return _in_working_directory(working_directory, "fly.toml")


def credential_secrets(host: FlyHost, deploy: Deploy) -> list[tuple[str, str]]:
    return [("host.api_token_secret", host.api_token_secret)]


def _in_working_directory(working_directory: str, name: str) -> str:
    return posixpath.normpath(posixpath.join(working_directory, name))


def dockerfile_from_config(host: FlyHost, shared: SharedTables) -> str:
    """The Dockerfile as fly.toml must name it: flyctl reads [build] dockerfile
    relative to the directory of fly.toml, not to the working directory."""
    config_dir = posixpath.dirname(shared.output_paths()["host_config"]) or "."
    return posixpath.relpath(_in_working_directory(shared.project.working_directory, host.dockerfile), config_dir)


def build(host: FlyHost, shared: SharedTables) -> HostProfile:
    entry_points = []
    if host.start_command:
        entry_points.append(EntryPoint("processes.app", "start", host.start_command, "start_command"))
    setup = DeployStep(
        name="Set up flyctl",
        uses="superfly/flyctl-actions/setup-flyctl",
        with_=(("version", host.flyctl_version),) if host.flyctl_version else (),
    )
    return HostProfile(
        name="fly",
        label="Fly.io",
        config_template="hosts/fly.toml.j2",
        entry_points=tuple(entry_points),
        # Fly builds the image from the Dockerfile: its RUN lines are the build,
        # and its CMD / ENTRYPOINT start the app unless [processes] replaces them.
        followed_files=(host.dockerfile,),
        # migpipe deploy runs flyctl deploy --image-label <SHA> on the checkout,
        # handing it the token as FLY_API_TOKEN (never on a command line).
        deploy_steps=(setup,),
        deploy_secret_names=(host.api_token_secret,),
        config_values={"dockerfile": dockerfile_from_config(host, shared)},
        deploy_method="flyctl deploy of the migrated commit, image labelled with its SHA, health checks awaited",
        deploy_secrets=(
            (host.api_token_secret, f"paste the output of `fly tokens create deploy --app {host.app}`"),
        ),
        auto_deploy_note=(
            "Fly.io deploys only when `flyctl deploy` runs, so make sure nothing else runs it: "
            "no other workflow (such as the fly-deploy.yml that `fly launch` offers to add) and no "
            "GitHub deploy connected to the app in Fly.io's dashboard."
        ),
    )
