"""Fly.io: ``flyctl deploy`` of the checked-out commit, its image labelled with the SHA.

flyctl builds the image from the checkout (``--remote-only``), labels it
``--image-label <SHA>``, and waits until each machine passes its health
checks (``--wait-timeout``); its exit status says whether it did. Then the
release that deploy created must say ``complete`` and run the image labelled
with this SHA. flyctl reads the token from ``FLY_API_TOKEN`` in its
environment: it is on no command line.

What flyctl prints, checked against its source (superfly/flyctl at
ad0172f, 2026-08-21, and superfly/fly-go v0.9.6, the version its go.mod pins):

* ``flyctl releases --json`` (internal/command/apps/releases.go) encodes
  fly-go's ``[]Release`` with Go's encoding/json, newest version first.
  ``Release`` (fly-go types.go) has no JSON tags, so the keys are the Go
  field names: ``Version`` (int), ``Status``, ``ImageRef``, ``ID``,
  ``Description``, ``CreatedAt``, ... (not ``version``/``status``).
* A machines deploy sets its release's ``Status`` to ``running``, then
  ``complete`` on success, ``failed`` or ``interrupted`` otherwise
  (internal/command/deploy/machines_deploymachinesapp.go).
* ``--image-label L`` tags the image ``<registry>/<app>:L``
  (internal/build/imgsrc/docker.go, NewDeploymentTag); without it the label
  is ``deployment-<ULID>``. So ``ImageRef`` ends with ``:<SHA>``.
* Health checks are waited for unless ``--detach`` (deploy.go:
  ``SkipHealthChecks: flag.GetDetach(ctx)``); ``--wait-timeout`` bounds the
  wait for each machine "to transition states and become healthy".
* With ``FLY_EMIT_RELEASE_JSON`` set, a successful deploy prints one JSON
  line ``{"id": ..., "version": N, "image_ref": ...}`` naming the release it
  created (added in flyctl in May 2026, #4930). migpipe sets it and, when the
  line is there, checks that release, not merely the newest one (another
  deploy may land in between); an older flyctl ignores the variable and the
  newest release is checked.

A release that cannot be read, is not ``complete``, or runs another image
fails the deploy: the job never reports live what it could not confirm.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migpipe.errors import ApiError, DeployFailed
from migpipe.pipeline import Pipeline
from migpipe.profiles.hosts.fly import FlyHost
from migpipe.runtime.deploy import DeployOutcome, Environment, Wait, check_sha

HOST = "Fly.io"
_APP_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
# The release status a successful machines deploy ends with.
COMPLETE = "complete"


@dataclass(frozen=True)
class FlyTarget:
    app: str
    api_token: str
    config_path: str  # fly.toml, relative to the repository root
    working_directory: str  # the build context
    repository: Path
    flyctl: str = "flyctl"


def head_commit(repository: Path) -> str:
    completed = subprocess.run(
        ["git", "-C", str(repository), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise ApiError(f"{repository} is not a git checkout: {completed.stderr.strip()}")
    return completed.stdout.strip()


def deploy_command(target: FlyTarget, sha: str, wait_seconds: int) -> list[str]:
    return [
        target.flyctl,
        "deploy",
        target.working_directory,
        "--app",
        target.app,
        "--config",
        target.config_path,
        "--remote-only",
        "--image-label",
        sha,
        "--wait-timeout",
        f"{wait_seconds}s",
    ]


def _env(target: FlyTarget) -> Mapping[str, str]:
    return {**os.environ, "FLY_API_TOKEN": target.api_token, "FLY_EMIT_RELEASE_JSON": "1"}


def emitted_release(output: str) -> int | None:
    """The release version flyctl's ``FLY_EMIT_RELEASE_JSON`` line names, if it printed one."""
    for line in reversed(output.splitlines()):
        line = line.strip()
        if not (line.startswith("{") and '"version"' in line):
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            continue
        version = value.get("version") if isinstance(value, dict) else None
        if isinstance(version, int) and not isinstance(version, bool):
            return version
    return None


def _releases(target: FlyTarget) -> list[Any] | str:
    """``flyctl releases --json`` (newest first), or why it could not be read."""
    completed = subprocess.run(
        [target.flyctl, "releases", "--app", target.app, "--json"],
        cwd=target.repository,
        env=_env(target),
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        return f"flyctl releases exit {completed.returncode}: {completed.stderr.strip()[-300:]}"
    try:
        releases = json.loads(completed.stdout)
    except json.JSONDecodeError:
        return "flyctl releases --json printed no JSON"
    if not isinstance(releases, list):
        return "flyctl releases --json printed no list"
    return [release for release in releases if isinstance(release, dict)]


def _run_deploy(target: FlyTarget, command: list[str]) -> tuple[int, str]:
    """Run flyctl deploy, its output shown as it comes; (exit status, stdout)."""
    with subprocess.Popen(
        command, cwd=target.repository, env=_env(target), stdout=subprocess.PIPE, text=True
    ) as process:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            lines.append(line)
    return process.returncode, "".join(lines)


def deploy(target: FlyTarget, sha: str, wait: Wait) -> DeployOutcome:
    check_sha(sha)
    if not _APP_RE.fullmatch(target.app):
        raise ApiError(f"Fly app name {target.app!r} is not a Fly app name")
    head = head_commit(target.repository)
    if head != sha:
        # flyctl deploys the files on disk: they must be exactly this commit.
        raise DeployFailed(DeployOutcome(HOST, sha, "", "not started", False), f"the checkout is at {head}, not {sha}: refusing to deploy other files")
    command = deploy_command(target, sha, max(1, int(wait.timeout_seconds)))
    wait.log("running: " + " ".join(command))
    returncode, output = _run_deploy(target, command)
    if returncode != 0:
        raise DeployFailed(
            DeployOutcome(HOST, sha, sha, f"flyctl deploy exit {returncode}", False),
            f"flyctl deploy of {sha} failed (exit {returncode}): the image did not build, or machines did not pass their health checks in time",
        )
    version = emitted_release(output)
    releases = _releases(target)
    if isinstance(releases, str):
        raise DeployFailed(
            DeployOutcome(HOST, sha, f"image label {sha}", "not confirmed", False),
            f"flyctl deploy of {sha} exited 0, but its release could not be read to confirm it ({releases})",
        )
    if version is not None:
        release = next((r for r in releases if r.get("Version") == version), None)
        if release is None:
            raise DeployFailed(
                DeployOutcome(HOST, sha, f"release v{version}", "not confirmed", False),
                f"flyctl deploy of {sha} created release v{version}, which flyctl releases does not list",
            )
    elif releases:
        release = releases[0]
    else:
        raise DeployFailed(
            DeployOutcome(HOST, sha, f"image label {sha}", "not confirmed", False),
            f"flyctl deploy of {sha} exited 0, but the app lists no release",
        )
    deploy_id = f"release v{release.get('Version')}"
    status = str(release.get("Status") or "")
    image = str(release.get("ImageRef") or "")
    if not image.endswith(":" + sha):
        raise DeployFailed(
            DeployOutcome(HOST, sha, deploy_id, status, False),
            f"Fly's {deploy_id} runs {image or 'an image it does not name'}, not the image labelled {sha}",
        )
    if status != COMPLETE:
        raise DeployFailed(
            DeployOutcome(HOST, sha, deploy_id, status, False),
            f"Fly's {deploy_id} of {sha} has status {status!r}, not {COMPLETE!r}: it is not confirmed live",
        )
    return DeployOutcome(HOST, sha, deploy_id, status, live=True)


def target_from(pipeline: Pipeline, root: Path, environment: Environment) -> FlyTarget:
    host = pipeline.host
    assert isinstance(host, FlyHost)
    return FlyTarget(
        app=host.app,
        api_token=environment.secret(host.api_token_secret, "host.api_token_secret"),
        config_path=pipeline.output_paths()["host_config"],
        working_directory=pipeline.project.working_directory,
        repository=root,
    )


def run(target: FlyTarget, sha: str, wait: Wait, scratch: Path) -> DeployOutcome:
    return deploy(target, sha, wait)
