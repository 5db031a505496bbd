"""Render: render.yaml (a Blueprint) and its deploy hook."""
from __future__ import annotations

import typing
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, model_validator

from migpipe.config.host_config import render_commands, render_problems
from migpipe.config.tables import Deploy, SharedTables
from migpipe.config.types import Command, OptionalCommand, PlainText, SecretName, Text, WorkDir
from migpipe.profiles.hosts.base import EntryPoint, HostProfile, HostTable
from migpipe.yaml_write import dump_yaml

NAME = "render"


# What render.yaml's runtime and region may say (Render's Blueprint spec).
Runtime = Literal["node", "docker", "python", "ruby", "go", "elixir", "rust"]
Region = Literal["oregon", "ohio", "virginia", "frankfurt", "singapore"]
RUNTIMES: tuple[str, ...] = typing.get_args(Runtime)
REGIONS: tuple[str, ...] = typing.get_args(Region)


class RenderHost(HostTable):
    """A Render web service that only builds and starts, never migrates."""

    name: Literal["render"] = Field(description="Hosting platform.")
    service_name: PlainText = Field(description="Render service name.")
    service_type: Literal["web", "worker", "pserv"] = Field(
        default="web", description="Render service type."
    )
    runtime: Runtime = Field(
        default="node", description="Render runtime."
    )
    region: Region | None = Field(
        default=None, description="Render region; omitted means Render's default."
    )
    plan: Text | None = Field(default=None, description="Render plan; omitted means Render's default.")
    build_command: Command = Field(
        default="npm run build:render", description="Render buildCommand. Must never migrate."
    )
    pre_deploy_command: OptionalCommand = Field(
        default="npm run build:render",
        description='Render preDeployCommand. Must never migrate; "" leaves it out.',
    )
    start_command: Command = Field(
        default="npm run start", description="Render startCommand. Must never migrate."
    )
    auto_deploy: Literal[False] = Field(
        default=False,
        description="Always false: deploys happen only from the deploy job, after migrate-prod.",
    )
    health_check_path: Text | None = Field(default=None, description="Render healthCheckPath.")
    env_vars: list[SecretName] = Field(
        default_factory=lambda: ["DATABASE_URL"],
        description="Environment variable names the service needs; values are set in Render's dashboard (sync: false).",
    )
    root_dir: WorkDir | None = Field(
        default=None,
        description="render.yaml rootDir; omitted means the working directory, \".\" means none (commands run at the root).",
    )
    service_extra: dict[str, Any] = Field(
        default_factory=dict,
        description=(
            "The service's other render.yaml keys, as the team wrote them (envVars with value / fromDatabase / "
            "generateValue, disk, numInstances, routes, …); written back unchanged."
        ),
    )
    other_services: list[dict[str, Any]] = Field(
        default_factory=list,
        description="render.yaml's other services, as the team wrote them; none of their commands may migrate.",
    )
    blueprint: dict[str, Any] = Field(
        default_factory=dict,
        description="render.yaml's other top-level keys (databases, envVarGroups, previews, …), as the team wrote them.",
    )
    service_id_secret: SecretName = Field(
        default="RENDER_SERVICE_ID",
        description="Secret holding the service's id (srv-…), for deploys through Render's API (deploy.mode = \"api\").",
    )
    api_key_secret: SecretName = Field(
        default="RENDER_API_KEY",
        description="Secret holding a Render API key, for deploys through Render's API (deploy.mode = \"api\").",
    )

    @model_validator(mode="after")
    def _carried(self) -> RenderHost:
        problems = render_problems(self.service_extra, self.other_services, self.blueprint)
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def carried_commands(self) -> list[tuple[str, str]]:
        return render_commands(self.other_services)

    def template_extras(self, working_directory: str) -> dict[str, Any]:
        extra = dict(self.service_extra)
        env = extra.pop("envVars", [])
        # An entry the team wrote (value, fromDatabase, generateValue…) stands as they wrote it.
        env_names = {entry.get("key") for entry in env if isinstance(entry, Mapping)}
        root_dir = working_directory if self.root_dir is None else self.root_dir
        return {
            "service_extra": dump_yaml(extra, 4) if extra else "",
            "env_extra": dump_yaml(env, 4) if env else "",  # a list: its dashes sit 2 further in
            "other_services": dump_yaml(list(self.other_services), 0) if self.other_services else "",
            "blueprint": dump_yaml(dict(self.blueprint), 0) if self.blueprint else "",
            "env_vars": [name for name in self.env_vars if name not in env_names],
            # Omitted: the working directory; ".": none (the team's commands run at the root).
            "root_dir": "" if root_dir == "." else root_dir,
        }


TABLE: type[RenderHost] = RenderHost
# Render can read a Blueprint from another path (set in its dashboard).
CONFIG_PATH_IS_FIXED = False
# Render also offers a deploy hook (deploy.mode = "hook"), whose URL is the
# secret deploy.hook_secret names.
HAS_DEPLOY_HOOK = True


def default_config_path(working_directory: str) -> str:
    # At the repository root whatever the app's directory (rootDir says that).
    return "render.yaml"


def credential_secrets(host: RenderHost, deploy: Deploy) -> list[tuple[str, str]]:
    if deploy.mode == "hook":
        return [("deploy.hook_secret", deploy.hook_secret)]
    return [("host.api_key_secret", host.api_key_secret), ("host.service_id_secret", host.service_id_secret)]


def build(host: RenderHost, shared: SharedTables) -> HostProfile:
    entry_points = [EntryPoint("buildCommand", "build", host.build_command, "build_command")]
    if host.pre_deploy_command:
        entry_points.append(
            EntryPoint("preDeployCommand", "pre-deploy", host.pre_deploy_command, "pre_deploy_command")
        )
    entry_points.append(EntryPoint("startCommand", "start", host.start_command, "start_command"))
    if shared.deploy.mode == "hook":
        secrets: tuple[tuple[str, str], ...] = ((shared.deploy.hook_secret, "paste Render's deploy hook URL"),)
        method = "Render deploy hook (weaker: deploys the branch head, not confirmed live)"
    else:
        secrets = (
            (host.service_id_secret, "paste the service's id (srv-…, in the service's Settings and its URL)"),
            (host.api_key_secret, "paste a Render API key (Account Settings > API Keys)"),
        )
        method = "Render API deploy of the migrated commit, polled until live"
    return HostProfile(
        name="render",
        label="Render",
        auto_deploy_note="render.yaml sets autoDeployTrigger to \"off\"; check the service's settings match.",
        config_template="hosts/render.yaml.j2",
        deploy_method=method,
        deploy_secrets=secrets,
        # migpipe deploy reads each from an env var of the same name.
        deploy_secret_names=tuple(name for name, _ in secrets),
        entry_points=tuple(entry_points),
        # A docker runtime builds and starts from the Dockerfile.
        followed_files=("Dockerfile",) if host.runtime == "docker" else (),
        deploy_steps=(),
    )
