"""Fly.io: ``flyctl deploy`` of the checked-out commit, its image labelled with the SHA.

flyctl builds the image from the checkout (``--remote-only``), labels it
``--image-label <SHA>``, and waits until each machine passes its health
checks (``--wait-timeout``); its exit status says whether it did. Then
``flyctl releases --json`` confirms that the newest release runs the image
labelled with this SHA. flyctl reads the token from ``FLY_API_TOKEN`` in its
environment: it is on no command line.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migpipe.errors import ApiError, DeployFailed
from migpipe.runtime.deploy import DeployOutcome, Wait, check_sha

HOST = "Fly.io"
_APP_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")


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
    return {**os.environ, "FLY_API_TOKEN": target.api_token}


def _newest_release(target: FlyTarget) -> Any:
    completed = subprocess.run(
        [target.flyctl, "releases", "--app", target.app, "--image", "--json"],
        cwd=target.repository,
        env=_env(target),
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        return None
    try:
        releases = json.loads(completed.stdout)
    except json.JSONDecodeError:
        return None
    return releases[0] if isinstance(releases, list) and releases else None


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
    completed = subprocess.run(command, cwd=target.repository, env=_env(target), check=False)
    if completed.returncode != 0:
        raise DeployFailed(
            DeployOutcome(HOST, sha, sha, f"flyctl deploy exit {completed.returncode}", False),
            f"flyctl deploy of {sha} failed (exit {completed.returncode}): the image did not build, or machines did not pass their health checks in time",
        )
    release = _newest_release(target)
    version = release.get("Version") if isinstance(release, dict) else None
    image = str(release.get("ImageRef", "")) if isinstance(release, dict) else ""
    status = str(release.get("Status", "complete")) if isinstance(release, dict) else "healthy (flyctl deploy waited for health checks)"
    deploy_id = f"release v{version}" if version is not None else f"image label {sha}"
    if image and sha not in image:
        raise DeployFailed(DeployOutcome(HOST, sha, deploy_id, status, False), f"Fly's newest release runs {image}, not the image labelled {sha}")
    return DeployOutcome(HOST, sha, deploy_id, status, live=True)
