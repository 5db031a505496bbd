"""Heroku: a Procfile without a release phase, deployed through the Platform API."""
from __future__ import annotations

import posixpath
import re
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from migpipe.config.tables import Deploy, SharedTables
from migpipe.config.types import Command, Ident, SecretName, matching
from migpipe.profiles.hosts.base import DeployStep, EntryPoint, HostProfile, HostTable

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


def source_tree(shared: SharedTables) -> str:
    """The git tree the deploy job uploads: the commit, or its working directory."""
    working_directory = shared.project.working_directory
    return "${GITHUB_SHA}" if working_directory == "." else f"${{GITHUB_SHA}}:{working_directory}"


def deploy_script(shared: SharedTables) -> str:
    # Plain values reach the script through env (HEROKU_APP), never by
    # interpolation; the script's own comments say why the rest is as it is.
    return "\n".join(
        [
            "set -euo pipefail",
            'api="https://api.heroku.com/apps/${HEROKU_APP}"',
            "# The key reaches curl on stdin (--config -): it is on no command line and never printed.",
            "heroku_api() {",
            "  printf 'header = \"Authorization: Bearer %s\"\\n' \"$HEROKU_API_KEY\" |",
            "    curl --config - --fail --silent --show-error --max-time 60 \\",
            "      --header 'Accept: application/vnd.heroku+json; version=3' \"$@\"",
            "}",
            "# One field of the JSON on stdin, by its dotted path (source_blob.put_url).",
            "json_get() {",
            "  python3 -c 'import functools, json, sys; print(functools.reduce("
            'lambda value, key: value[key], sys.argv[1].split("."), json.load(sys.stdin)))\' "$1"',
            "}",
            "# 1. A source: a place to upload the code to, and the URL Heroku builds from.",
            'source=$(heroku_api --retry 3 --request POST "$api/sources")',
            'put_url=$(json_get source_blob.put_url <<<"$source")',
            'get_url=$(json_get source_blob.get_url <<<"$source")',
            "# 2. Upload the commit's files (no .git) as a tarball. The signed URLs are",
            "#    not printed: each one grants access to the upload.",
            'tarball="$RUNNER_TEMP/heroku-source.tar.gz"',
            f'git archive --format=tar.gz --output="$tarball" "{source_tree(shared)}"',
            "curl --fail --silent --show-error --max-time 300 --retry 3 --request PUT \\",
            "  --header 'Content-Type:' --data-binary \"@$tarball\" \"$put_url\"",
            "# 3. Build it (never retried: a retry could start a second build).",
            "body=$(python3 -c 'import json, os, sys; print(json.dumps("
            '{"source_blob": {"url": sys.argv[1], "version": os.environ["GITHUB_SHA"]}}))\' "$get_url")',
            "build=$(heroku_api --request POST --header 'Content-Type: application/json' \\",
            '  --data "$body" "$api/builds")',
            'build_id=$(json_get id <<<"$build")',
            'echo "Heroku build $build_id of $GITHUB_SHA started; its output follows."',
            'stream_url=$(json_get output_stream_url <<<"$build")',
            'curl --silent --show-error --no-buffer "$stream_url" || echo "(the build output ended early)"',
            "# 4. The build's own status decides: succeeded, or this step fails.",
            'status=$(json_get status <<<"$build")',
            'while [ "$status" = pending ]; do',
            "  sleep 5",
            '  status=$(heroku_api --retry 3 "$api/builds/$build_id" | json_get status)',
            "done",
            'if [ "$status" != succeeded ]; then',
            '  echo "::error::Heroku build $build_id ended with status \'$status\'; nothing was released."',
            "  exit 1",
            "fi",
            'echo "Heroku build $build_id succeeded; Heroku releases it."',
        ]
    )


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
        deploy_steps=(
            DeployStep(
                name="Build and release on Heroku (Platform API)",
                secrets=(("HEROKU_API_KEY", host.api_key_secret),),
                env=(("HEROKU_APP", host.app),),
                run=deploy_script(shared),
            ),
        ),
        # git archive uploads the checked-out commit.
        deploy_needs_checkout=True,
        deploy_method="Heroku Platform API build",
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
