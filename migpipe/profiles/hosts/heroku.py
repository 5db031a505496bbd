"""Heroku: a Procfile without a release phase, deployed through the Platform API."""
from __future__ import annotations

import posixpath
import re
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from migpipe.config.tables import Deploy, SharedTables
from migpipe.config.types import Command, Ident, SecretName, matching
from migpipe.profiles.hosts.base import EntryPoint, HostProfile, HostTable

NAME = "heroku"


_HEROKU_APP_RE = re.compile(r"[a-z][a-z0-9-]{1,28}[a-z0-9]")


class HerokuHost(HostTable):
    """A Heroku app: a Procfile without a release phase; deployed through the Platform API."""

    name: Literal["heroku"] = Field(description="Hosting platform.")
    app: Annotated[str, matching(_HEROKU_APP_RE, "must be a Heroku app name: 3 to 30 lowercase letters, digits and '-', "
            "starting with a letter and not ending with '-'")] = Field(description="Heroku app name.")
    start_command: Command = Field(default="npm run start", description="Procfile `web:` command. Must never migrate.")
    api_key_secret: SecretName = Field(
        default="HEROKU_API_KEY",
        description="Environment secret holding a Heroku API key (heroku authorizations:create).",
    )
    other_processes: dict[Ident, Command] = Field(
        default_factory=dict,
        description="The Procfile's other process types (worker: …), as the team wrote them; none may migrate. No release:.",
    )

    @model_validator(mode="after")
    def _processes(self) -> HerokuHost:
        problems = [
            f"other_processes.{name}: "
            + ("a release process runs on every release, outside migrate-prod" if name == "release" else "set by start_command")
            + " (expected it not here)"
            for name in self.other_processes
            if name in ("release", "web")
        ]
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def carried_commands(self) -> list[tuple[str, str]]:
        return [(f"host.other_processes.{name}", command) for name, command in self.other_processes.items()]

    def template_extras(self, working_directory: str) -> dict[str, Any]:
        return {"other_processes": "".join(f"{name}: {command}\n" for name, command in self.other_processes.items())}


TABLE: type[HerokuHost] = HerokuHost
# Heroku reads the Procfile at the root of the source it builds, which is the
# working directory (the deploy job uploads exactly that directory).
CONFIG_PATH_IS_FIXED = True
# The Platform API takes an API key from the secret named in [host].
HAS_DEPLOY_HOOK = False


def default_config_path(working_directory: str) -> str:
    return posixpath.normpath(posixpath.join(working_directory, "Procfile"))


def credential_secrets(host: HerokuHost, deploy: Deploy) -> list[tuple[str, str]]:
    return [("host.api_key_secret", host.api_key_secret)]


def build(host: HerokuHost, shared: SharedTables) -> HostProfile:
    return HostProfile(
        name="heroku",
        label="Heroku",
        config_template="hosts/Procfile.j2",
        entry_points=(EntryPoint("web", "start", host.start_command, "start_command"),),
        # The Node.js buildpack runs package.json's install hooks,
        # heroku-prebuild, build (or heroku-postbuild instead) and
        # heroku-cleanup; the guard follows each.
        followed_files=("package.json",),
        # migpipe deploy uploads the commit's tarball (its working directory)
        # and builds it with version = SHA, then waits for the release.
        deploy_steps=(),
        deploy_secret_names=(host.api_key_secret,),
        deploy_method="Heroku Platform API build of the migrated commit, release awaited",
        deploy_secrets=(
            (
                host.api_key_secret,
                'paste a token from `heroku authorizations:create --description "migpipe deploy"`',
            ),
        ),
        auto_deploy_note=(
            "in the app's Deploy tab, keep GitHub's Automatic deploys off (or leave GitHub "
            "disconnected), and do not `git push heroku`: only the deploy job builds the app."
        ),
    )
