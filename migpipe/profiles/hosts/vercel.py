"""Vercel: vercel.json with Git deployments off, built in CI and deployed prebuilt.

The deploy job runs `migpipe deploy`, which runs ``vercel pull``, ``vercel
build --prod`` (on the runner, from the checkout of the migrated commit) and
``vercel deploy --prebuilt --prod --no-wait``, then polls the deployment until it is
READY (migpipe.runtime.deploy.vercel). vercel.json turns Vercel's own Git
deployments off, so nothing else deploys.

What Vercel runs on its own is the install command and the build command:
``installCommand`` / ``buildCommand`` of vercel.json when set, else the
package manager's install (with package.json's install hooks) and
package.json's ``vercel-build`` script, or ``build`` when there is no
``vercel-build``. The build guard reads the generated vercel.json like any
vercel.json it finds (migpipe.buildguard.sources), so it follows each of them.

vercel.json is JSON, which has no comments, and Vercel refuses keys it does
not know: the file carries no migpipe header. ``.migpipe/manifest.json``
records that migpipe owns it (its "headerless" list) and with which digest;
``verify`` compares it byte for byte like every output.
"""
from __future__ import annotations

import json
import posixpath
import shlex
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from migpipe.config.host_config import VERCEL_COMMAND_KEYS, vercel_commands, vercel_problems
from migpipe.config.tables import Deploy, SharedTables
from migpipe.config.types import OptionalCommand, SecretName
from migpipe.profiles.hosts.base import DeployStep, EntryPoint, HostProfile, HostTable

NAME = "vercel"

# The release of the Vercel CLI the deploy job installs, and where its npm
# manifest and lockfile are (every dependency pinned with its integrity hash):
# the job installs it with `npm ci`, never an unlocked `npm install -g`. To
# update: change the version here and in vercel_cli/package.json, run
# `npm install --package-lock-only` there, and run the tests.
CLI_VERSION = "58.10.0"
CLI_MANIFEST = Path(__file__).resolve().parent / "vercel_cli"
SCHEMA_URL = "https://openapi.vercel.sh/vercel.json"
# Where the deploy job installs the CLI (under $RUNNER_TEMP; its bin folder
# joins PATH, where `migpipe deploy` finds `vercel`).
CLI_DIR = "vercel-cli"


class VercelHost(HostTable):
    """A Vercel project: vercel.json with Git deployments off; built in CI, deployed prebuilt."""

    name: Literal["vercel"] = Field(description="Hosting platform.")
    build_command: OptionalCommand = Field(
        default=None,
        description=(
            "vercel.json buildCommand. Must never migrate. Omitted: Vercel runs package.json's vercel-build "
            "script, else its build script (or the framework's default); the build guard follows whichever."
        ),
    )
    install_command: OptionalCommand = Field(
        default=None,
        description=(
            "vercel.json installCommand. Must never migrate. Omitted: the package manager's install, "
            "whose install hooks the build guard follows."
        ),
    )
    token_secret: SecretName = Field(
        default="VERCEL_TOKEN",
        description="Environment secret holding a Vercel access token (Account Settings > Tokens).",
    )
    org_id_secret: SecretName = Field(
        default="VERCEL_ORG_ID",
        description="Environment secret holding the project's orgId (team_… or the user's id, in .vercel/project.json).",
    )
    project_id_secret: SecretName = Field(
        default="VERCEL_PROJECT_ID",
        description="Environment secret holding the project's projectId (prj_…, in .vercel/project.json).",
    )
    extra: dict[str, Any] = Field(
        default_factory=dict,
        description=(
            "vercel.json's other keys, as the team wrote them (framework, outputDirectory, functions, crons, "
            "headers, rewrites, redirects, regions, ignoreCommand, …); written back unchanged. Not $schema, "
            "buildCommand, installCommand or git.deploymentEnabled, which migpipe sets."
        ),
    )

    @model_validator(mode="after")
    def _carried(self) -> VercelHost:
        problems = vercel_problems(self.extra)
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def carried_commands(self) -> list[tuple[str, str]]:
        # The build and install commands too: a migration in either is refused
        # when pipeline.toml is read, before anything is written.
        own = [
            (f"host.{key}", command)
            for key, command in (("install_command", self.install_command), ("build_command", self.build_command))
            if command
        ]
        return own + vercel_commands(self.extra)

    def template_extras(self, working_directory: str) -> dict[str, Any]:
        return {"json": json.dumps(vercel_json(self), indent=2, ensure_ascii=False)}


def vercel_json(host: VercelHost) -> dict[str, Any]:
    """vercel.json as a document: migpipe's keys first, then the team's, as carried."""
    document: dict[str, Any] = {"$schema": SCHEMA_URL}
    if host.install_command:
        document["installCommand"] = host.install_command
    if host.build_command:
        document["buildCommand"] = host.build_command
    extra = dict(host.extra)
    git = extra.pop("git", {})
    for key, value in extra.items():
        document[key] = value
    # Vercel's Git integration deploys no branch: only the deploy job deploys,
    # after migrate-prod. (A map of branch -> bool turns off only those named.)
    document["git"] = {**git, "deploymentEnabled": False}
    return document


TABLE: type[VercelHost] = VercelHost
# Vercel reads vercel.json at the root of the project it builds, which is the
# working directory (the deploy job runs the CLI there).
CONFIG_PATH_IS_FIXED = True
# The CLI reads a token and the project's ids from the secrets named in [host].
HAS_DEPLOY_HOOK = False


def default_config_path(working_directory: str) -> str:
    return posixpath.normpath(posixpath.join(working_directory, "vercel.json"))


def credential_secrets(host: VercelHost, deploy: Deploy) -> list[tuple[str, str]]:
    return [
        ("host.token_secret", host.token_secret),
        ("host.org_id_secret", host.org_id_secret),
        ("host.project_id_secret", host.project_id_secret),
    ]


RUNBOOK_NOTES = (
    "`vercel.json` is generated from `[host]`: `build_command` and `install_command` are its `buildCommand` and "
    "`installCommand`, and every other key lives in `[host.extra]`, written back as it is. Git deployments are off "
    "(`git.deploymentEnabled: false`), so a push deploys nothing; only the deploy job does. JSON has no comments, so "
    "the file has no migpipe header: `.migpipe/manifest.json` lists it as migpipe's (under `headerless`), and "
    "`migpipe verify` compares it byte for byte like every other generated file. Vercel reads one configuration "
    "file per project, so keep no `vercel.ts` or `vercel.toml` beside it (`migpipe generate` refuses while one exists).",
    "Link the project once: run `vercel link` in the app's directory (`project.working_directory`), copy `orgId` "
    "and `projectId` from `.vercel/project.json` into the deploy environment's secrets (above), and keep `.vercel/` "
    "out of git.",
    "The deploy job runs `vercel pull --yes --environment=production` (the project's settings and production "
    "environment variables), `vercel build --prod` on the runner from the checkout of the migrated commit, and "
    "`vercel deploy --prebuilt --prod --no-wait`: Vercel serves exactly what was built from that commit, and the "
    "deployment carries `migpipeCommit=<SHA>` in its meta, which `migpipe deploy` checks while it polls the "
    "deployment until `READY` (itself, not the CLI, so a failed deployment still has its id and state in the summary). "
    "`vercel build` runs your install and build commands without the token.",
    "What the build runs is what `check-build` follows: `installCommand` and `buildCommand` when set, else the "
    "package manager's install (with package.json's install hooks) and package.json's `vercel-build` script, or "
    "`build` when there is no `vercel-build`. In the project's Build and Deployment settings, leave the Build and "
    "Install Command overrides off: they would replace what was checked, so `migpipe deploy` stops before building "
    "when `vercel pull` brings one that vercel.json does not replace.",
    f"The deploy job installs Vercel CLI {CLI_VERSION} with `npm ci --ignore-scripts` from the lockfile migpipe "
    "ships (`migpipe host-cli` writes it), so every package is pinned with its integrity hash; a newer CLI comes "
    "with a newer migpipe.",
    "Create the token (Account Settings > Tokens) for the team that owns the project only, with an expiry; only the "
    "deploy job's environment holds it.",
)


def build(host: VercelHost, shared: SharedTables) -> HostProfile:
    entry_points = []
    if host.install_command:
        entry_points.append(EntryPoint("installCommand", "install", host.install_command, "install_command"))
    if host.build_command:
        entry_points.append(EntryPoint("buildCommand", "build", host.build_command, "build_command"))
    steps = [
        DeployStep(
            name="Set up Node.js",
            uses="actions/setup-node",
            # No dependency cache: the deploy job holds the Vercel token (zizmor cache-poisoning).
            with_=(("node-version", shared.project.node_version), ("package-manager-cache", "false")),
        ),
    ]
    manager = shared.project.package_manager
    if manager != "npm":
        # vercel build installs the project with it.
        steps.append(DeployStep(name=f"Enable {manager} through corepack", run="corepack enable"))
    # migpipe's locked release, installed with npm ci and without install
    # scripts; it gets no secret (only `migpipe deploy` does, through env).
    steps.append(
        DeployStep(
            name=f"Install the Vercel CLI {CLI_VERSION} from migpipe's lockfile",
            run=(
                f"migpipe host-cli --config {shlex.quote(shared.ci.pipeline_file)} \"$RUNNER_TEMP/{CLI_DIR}\"\n"
                f"npm ci --prefix \"$RUNNER_TEMP/{CLI_DIR}\" --ignore-scripts --no-audit --no-fund\n"
                f"echo \"$RUNNER_TEMP/{CLI_DIR}/node_modules/.bin\" >> \"$GITHUB_PATH\""
            ),
        )
    )
    carried = [key for key in VERCEL_COMMAND_KEYS if key in host.extra]
    return HostProfile(
        name="vercel",
        label="Vercel",
        config_template="hosts/vercel.json.j2",
        config_comment="",
        cli_manifest=str(CLI_MANIFEST),
        runbook_notes=RUNBOOK_NOTES,
        # Vercel reads one configuration file per project: vercel.json, vercel.ts or vercel.toml.
        competing_configs=("vercel.ts", "vercel.toml"),
        entry_points=tuple(entry_points),
        deploy_steps=tuple(steps),
        deploy_secret_names=(host.token_secret, host.org_id_secret, host.project_id_secret),
        deploy_method="vercel build of the migrated commit in CI, deployed prebuilt, READY awaited",
        deploy_secrets=(
            (host.token_secret, "paste a token from Vercel's Account Settings > Tokens, scoped to the project's team"),
            (host.org_id_secret, "paste orgId from .vercel/project.json (run `vercel link` once in the app's directory)"),
            (host.project_id_secret, "paste projectId from the same .vercel/project.json"),
        ),
        auto_deploy_note=(
            "vercel.json sets git.deploymentEnabled to false, so pushes deploy nothing; in the project's "
            "Settings > Build and Deployment, leave the Build and Install Command overrides off (vercel.json's "
            "commands are the ones checked) and the Root Directory empty (the deploy job runs the CLI in the "
            "app's directory), and add no Deploy Hook"
            + (f"; {', '.join(carried)} still runs on Vercel for Git pushes and is checked too" if carried else "")
            + "."
        ),
    )
