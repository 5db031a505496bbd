"""Heroku: build this commit's tarball with ``version`` = SHA, then wait for its release.

Platform API (``Accept: application/vnd.heroku+json; version=3``, ``Authorization:
Bearer <key>``): ``POST /apps/{app}/sources`` gives a signed upload URL
(``source_blob.put_url``) and the URL Heroku builds from (``get_url``); the
commit's files (``git archive``, no .git) are PUT there; ``POST
/apps/{app}/builds`` with ``source_blob.url`` and ``version`` = SHA starts the
build; ``GET /apps/{app}/builds/{id}`` is polled until ``succeeded`` (or
``failed``), then the build's release, ``GET /apps/{app}/releases/{id}``,
until ``succeeded`` (or ``failed``). The signed URLs grant access to the
upload and are never printed.
"""
from __future__ import annotations

import re
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from migpipe.errors import ApiError, DeployFailed
from migpipe.pipeline import Pipeline
from migpipe.profiles.hosts.heroku import HerokuHost
from migpipe.runtime.deploy import DeployOutcome, Environment, Wait, check_sha
from migpipe.runtime.http import ApiClient, check_base_url, quote_segment, text_field

API_URL = "https://api.heroku.com"
HOST = "Heroku"
_APP_RE = re.compile(r"[a-z][a-z0-9-]{1,28}[a-z0-9]")


@dataclass(frozen=True)
class HerokuTarget:
    app: str
    api_key: str
    repository: Path  # the git checkout the tarball is made from
    working_directory: str = "."  # the part of the commit Heroku builds
    api_url: str = API_URL


def source_tarball(repository: Path, sha: str, working_directory: str, destination: Path) -> Path:
    """A .tar.gz of the commit's files (of its working directory), as git stores them."""
    tree = sha if working_directory in ("", ".") else f"{sha}:{working_directory}"
    completed = subprocess.run(
        ["git", "-C", str(repository), "archive", "--format=tar.gz", f"--output={destination}", tree],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise ApiError(f"git archive {tree} failed: {completed.stderr.strip()}")
    return destination


def _upload(put_url: str, tarball: Path) -> None:
    check_base_url(put_url, "Heroku source upload URL")
    # An empty Content-Type: the URL is signed for exactly that.
    request = urllib.request.Request(put_url, data=tarball.read_bytes(), method="PUT", headers={"Content-Type": ""})
    try:
        with urllib.request.urlopen(request, timeout=300) as answer:
            status = int(answer.status)
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (urllib.error.URLError, OSError) as exc:
        raise ApiError(f"uploading the source to Heroku failed: {getattr(exc, 'reason', exc)}") from None
    if status not in (200, 201, 204):
        raise ApiError(f"uploading the source to Heroku answered HTTP {status}")


def deploy(target: HerokuTarget, sha: str, wait: Wait, scratch: Path) -> DeployOutcome:
    check_sha(sha)
    if not _APP_RE.fullmatch(target.app):
        raise ApiError(f"Heroku app name {target.app!r} is not a Heroku app name")
    client = ApiClient(
        base_url=check_base_url(target.api_url, "Heroku API URL"),
        name="Heroku API",
        headers={"Authorization": f"Bearer {target.api_key}", "Accept": "application/vnd.heroku+json; version=3"},
        secrets=(target.api_key,),
    )
    app = f"/apps/{quote_segment(target.app)}"
    source = client.request("POST", f"{app}/sources", ok=(200, 201)).body
    put_url, get_url = text_field(source, "source_blob", "put_url"), text_field(source, "source_blob", "get_url")
    if not put_url or not get_url:
        raise ApiError("Heroku API: POST /sources answered without source_blob.put_url and get_url")
    tarball = source_tarball(target.repository, sha, target.working_directory, scratch / "heroku-source.tar.gz")
    _upload(put_url, tarball)
    # Never retried: a retry could start a second build.
    build = client.request("POST", f"{app}/builds", {"source_blob": {"url": get_url, "version": sha}}, ok=(200, 201)).body
    build_id = text_field(build, "id")
    if not build_id:
        raise ApiError("Heroku API: POST /builds answered without a build id")
    version = text_field(build, "source_blob", "version")
    if version is not None and version != sha:
        raise DeployFailed(DeployOutcome(HOST, sha, build_id, "wrong version", False), f"Heroku build {build_id} is of version {version}, not {sha}")
    wait.log(f"Heroku build {build_id} of commit {sha} started")

    release_ids: list[str] = []

    def fetch_build() -> str:
        body = client.request("GET", f"{app}/builds/{quote_segment(build_id)}").body
        release = text_field(body, "release", "id")
        if release:
            release_ids.append(release)
        return text_field(body, "status") or "unknown"

    status, timed_out = wait.poll(fetch_build, lambda s: s != "pending", f"Heroku build {build_id}")
    if timed_out:
        raise DeployFailed(DeployOutcome(HOST, sha, build_id, status, False), f"Heroku build {build_id} of {sha} still {status!r} after {wait.timeout_seconds:g} s")
    if status != "succeeded":
        raise DeployFailed(DeployOutcome(HOST, sha, build_id, f"build {status}", False), f"Heroku build {build_id} of {sha} ended with status {status!r}; nothing was released")
    if not release_ids:
        raise DeployFailed(DeployOutcome(HOST, sha, build_id, "build succeeded, no release", False), f"Heroku build {build_id} succeeded but names no release")
    release_id = release_ids[-1]

    def fetch_release() -> str:
        body = client.request("GET", f"{app}/releases/{quote_segment(release_id)}").body
        return text_field(body, "status") or "unknown"

    status, timed_out = wait.poll(fetch_release, lambda s: s != "pending", f"Heroku release {release_id}")
    outcome = DeployOutcome(HOST, sha, f"build {build_id}, release {release_id}", f"release {status}", live=status == "succeeded" and not timed_out)
    if timed_out:
        raise DeployFailed(outcome, f"Heroku release {release_id} of {sha} still {status!r} after {wait.timeout_seconds:g} s")
    if not outcome.live:
        raise DeployFailed(outcome, f"Heroku release {release_id} of {sha} ended with status {status!r}")
    return outcome


# Where Heroku's Platform API is; the tests point it at a local stand-in.
API_URL_ENV = "MIGPIPE_HEROKU_API_URL"


def target_from(pipeline: Pipeline, root: Path, environment: Environment) -> HerokuTarget:
    host = pipeline.host
    assert isinstance(host, HerokuHost)
    return HerokuTarget(
        app=host.app,
        api_key=environment.secret(host.api_key_secret, "host.api_key_secret"),
        repository=root,
        # Heroku builds the working directory: its Procfile is at the tarball's root.
        working_directory=pipeline.project.working_directory,
        api_url=environment.get(API_URL_ENV) or API_URL,
    )


def run(target: HerokuTarget, sha: str, wait: Wait, scratch: Path) -> DeployOutcome:
    return deploy(target, sha, wait, scratch)
