"""Vercel: build this commit in CI, deploy the prebuilt output, wait until READY.

``vercel pull --yes --environment=production`` fetches the project's settings,
``vercel build --prod`` builds the checkout here (so the build guard's view of
what runs is the build that ships), and ``vercel deploy --prebuilt --prod``
uploads exactly that output without waiting (``--no-wait``); its stdout is
the deployment URL. The deployment carries ``--meta migpipeCommit=<SHA>``. ``GET /v13/deployments/{url}`` is
polled until ``readyState`` is READY (ERROR or CANCELED fail). The CLI reads
the token from ``VERCEL_TOKEN``, and the project from ``VERCEL_ORG_ID`` /
``VERCEL_PROJECT_ID``, all in its environment: none is on a command line.
``vercel build``, which runs the team's own commands, is not given the token.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from migpipe.errors import ApiError, DeployFailed
from migpipe.pipeline import Pipeline
from migpipe.profiles.hosts.vercel import VercelHost
from migpipe.runtime.deploy import DeployOutcome, Environment, Wait, check_sha
from migpipe.runtime.deploy.fly import head_commit
from migpipe.runtime.http import ApiClient, check_base_url, quote_segment, text_field

API_URL = "https://api.vercel.com"
HOST = "Vercel"
READY = "READY"
FAILED = frozenset({"ERROR", "CANCELED"})
META_KEY = "migpipeCommit"
_URL_RE = re.compile(r"https://[A-Za-z0-9.-]+\S*")


@dataclass(frozen=True)
class VercelTarget:
    token: str
    org_id: str
    project_id: str
    working_directory: str  # where the app (and its .vercel/) lives
    repository: Path
    vercel: str = "vercel"
    api_url: str = API_URL


def commands(sha: str) -> list[list[str]]:
    return [
        ["pull", "--yes", "--environment=production"],
        ["build", "--prod"],
        # --no-wait: the CLI returns once the deployment exists, and migpipe
        # polls it. Left to wait, the CLI itself exits 1 on ERROR or CANCELED
        # before printing the deployment's URL, so the summary could name
        # neither the deployment nor its final state.
        ["deploy", "--prebuilt", "--prod", "--no-wait", "--meta", f"{META_KEY}={sha}"],
    ]


def _run(target: VercelTarget, arguments: list[str], wait: Wait) -> str:
    command = [target.vercel, *arguments]
    wait.log("running: " + " ".join(command))
    # `vercel build` runs the team's install and build commands: they get the
    # project's ids but not the token, under any name (only pull and deploy
    # talk to Vercel).
    env = {name: value for name, value in os.environ.items() if value != target.token}
    env.update(VERCEL_ORG_ID=target.org_id, VERCEL_PROJECT_ID=target.project_id)
    if arguments[0] != "build":
        env["VERCEL_TOKEN"] = target.token
    completed = subprocess.run(
        command,
        cwd=target.repository / target.working_directory,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise DeployFailed(
            DeployOutcome(HOST, "", "", f"vercel {arguments[0]} exit {completed.returncode}", False),
            f"vercel {arguments[0]} failed (exit {completed.returncode})",
        )
    return completed.stdout


# vercel.json key -> the Project Settings override `vercel pull` writes into
# .vercel/project.json (its "settings"), which `vercel build` runs when
# vercel.json does not set the key.
_OVERRIDES = {"buildCommand": "Build Command", "installCommand": "Install Command"}


def dashboard_overrides(app: Path) -> list[str]:
    """The commands the project's settings would run instead of what the build guard checked.

    When vercel.json sets no buildCommand (installCommand), `vercel build`
    runs the project's Build (Install) Command override if its settings have
    one; check-build followed package.json, not that command. Read from what
    `vercel pull` wrote; nothing to say when it wrote no project.json.
    """
    try:
        project = json.loads((app / ".vercel" / "project.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    try:
        config = json.loads((app / "vercel.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        config = {}
    settings = project.get("settings") if isinstance(project, dict) else None
    if not isinstance(settings, dict) or not isinstance(config, dict):
        return []
    return [
        f"{label} override {settings[key]!r} (vercel.json sets no {key})"
        for key, label in _OVERRIDES.items()
        if isinstance(settings.get(key), str) and settings[key].strip() and key not in config
    ]


def deploy(target: VercelTarget, sha: str, wait: Wait) -> DeployOutcome:
    check_sha(sha)
    head = head_commit(target.repository)
    if head != sha:
        raise DeployFailed(DeployOutcome(HOST, sha, "", "not started", False), f"the checkout is at {head}, not {sha}: refusing to build other files")
    output = ""
    for arguments in commands(sha):
        try:
            output = _run(target, arguments, wait)
        except DeployFailed as exc:
            raise DeployFailed(DeployOutcome(HOST, sha, "", exc.outcome.status, False), str(exc)) from None
        if arguments[0] == "pull":
            overrides = dashboard_overrides(target.repository / target.working_directory)
            if overrides:
                raise DeployFailed(
                    DeployOutcome(HOST, sha, "", "not built", False),
                    "the Vercel project's settings have a "
                    + " and a ".join(overrides)
                    + ": vercel build would run it instead of what check-build checked; turn it off in the "
                    "project's Build and Deployment settings, or set it in [host] (build_command / install_command)",
                )
    urls = _URL_RE.findall(output)
    if not urls:
        raise ApiError("vercel deploy printed no deployment URL on stdout")
    deployment_host = urllib.parse.urlsplit(urls[-1]).hostname or ""
    client = ApiClient(
        base_url=check_base_url(target.api_url, "Vercel API URL"),
        name="Vercel API",
        headers={"Authorization": f"Bearer {target.token}"},
        secrets=(target.token,),
    )
    query = {"teamId": target.org_id} if target.org_id.startswith("team_") else None
    ids: list[str] = []
    commits: list[str] = []

    def fetch() -> str:
        body = client.request("GET", f"/v13/deployments/{quote_segment(deployment_host)}", query=query).body
        found = text_field(body, "id")
        if found:
            ids.append(found)
        commit = text_field(body, "meta", META_KEY)
        if commit:
            commits.append(commit)
        return text_field(body, "readyState") or text_field(body, "status") or "unknown"

    status, timed_out = wait.poll(fetch, lambda s: s == READY or s in FAILED, f"Vercel deployment {deployment_host}")
    deploy_id = ids[-1] if ids else deployment_host
    outcome = DeployOutcome(HOST, sha, deploy_id, status, live=status == READY and not timed_out)
    if commits and commits[-1] != sha:
        raise DeployFailed(DeployOutcome(HOST, sha, deploy_id, status, False), f"Vercel deployment {deploy_id} is of commit {commits[-1]}, not {sha}")
    if timed_out:
        raise DeployFailed(outcome, f"Vercel deployment {deploy_id} of {sha} was not READY after {wait.timeout_seconds:g} s (last state {status!r})")
    if not outcome.live:
        raise DeployFailed(outcome, f"Vercel deployment {deploy_id} of {sha} ended in state {status!r}")
    return outcome


# Where Vercel's API is, and which `vercel` to run (unset: the one on PATH,
# which the deploy job installs from migpipe's lockfile); the tests point
# them at stand-ins.
API_URL_ENV = "MIGPIPE_VERCEL_API_URL"
CLI_ENV = "MIGPIPE_VERCEL_CLI"


def target_from(pipeline: Pipeline, root: Path, environment: Environment) -> VercelTarget:
    host = pipeline.host
    assert isinstance(host, VercelHost)
    return VercelTarget(
        token=environment.secret(host.token_secret, "host.token_secret"),
        org_id=environment.secret(host.org_id_secret, "host.org_id_secret"),
        project_id=environment.secret(host.project_id_secret, "host.project_id_secret"),
        # Where vercel.json is: the CLI runs there.
        working_directory=pipeline.project.working_directory,
        repository=root,
        vercel=environment.get(CLI_ENV) or "vercel",
        api_url=environment.get(API_URL_ENV) or API_URL,
    )


def run(target: VercelTarget, sha: str, wait: Wait, scratch: Path) -> DeployOutcome:
    return deploy(target, sha, wait)
