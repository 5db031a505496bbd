"""Heroku deploys through the Platform API, against a local stand-in of it (a
stand-in: api.heroku.com cannot be reached here). The stand-in answers like the
documented API: /sources gives upload and download URLs, /builds the build and,
once it succeeded, its release; /releases/{id} the release's status."""
from __future__ import annotations

import io
import tarfile
from pathlib import Path
from typing import Any

import pytest

from migpipe.errors import DeployFailed
from migpipe.runtime.deploy import Wait, heroku
from tests.runtime.gitrepo import commit_files, init_repo
from tests.runtime.standin import FakeClock, HerokuApi, StandIn, api_standin

TOKEN = "heroku-KEY-0d9e"
APP = "acme-api"


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, str]:
    repo = init_repo(tmp_path / "app")
    sha = commit_files(repo, {"package.json": '{"name": "acme"}\n', "web/index.js": "console.log(1)\n", "Procfile": "web: node web/index.js\n"})
    return repo, sha


def _deploy(repo: Path, sha: str, builds: list[str], releases: list[str], tmp_path: Path, workdir: str = ".") -> tuple[Any, StandIn, dict[str, bytes]]:
    host = HerokuApi(APP, TOKEN, builds, releases)
    clock = FakeClock()
    with api_standin(host) as api:
        target = heroku.HerokuTarget(APP, TOKEN, repo, workdir, api.url)
        try:
            outcome: Any = heroku.deploy(target, sha, Wait(600, 5, clock, clock.sleep, lambda _: None), tmp_path)
        except DeployFailed as exc:
            outcome = exc
    return outcome, api, host.uploads


def test_builds_this_commits_tarball_with_its_sha_and_waits_for_the_release(repo: tuple[Path, str], tmp_path: Path) -> None:
    path, sha = repo
    commit_files(path, {"web/index.js": "console.log('newer, uncommitted on purpose')\n"}, "newer commit")
    outcome, api, uploads = _deploy(path, sha, ["pending", "succeeded"], ["pending", "succeeded"], tmp_path)
    assert outcome.live and outcome.status == "release succeeded"
    assert "build-1" in outcome.deploy_id and "rel-1" in outcome.deploy_id
    (build_post,) = api.calls("POST", f"/apps/{APP}/builds")
    assert build_post.body == {"source_blob": {"url": f"{api.url}/download/blob-1", "version": sha}}
    with tarfile.open(fileobj=io.BytesIO(uploads["blob-1"]), mode="r:gz") as tar:
        names = sorted(m.name for m in tar.getmembers() if m.isfile())
        assert names == ["Procfile", "package.json", "web/index.js"]
        member = tar.extractfile("web/index.js")
        assert member is not None and member.read() == b"console.log(1)\n"  # the commit's file, not a newer one
    assert len(api.calls("GET", f"/apps/{APP}/releases/rel-1")) == 2


def test_working_directory_is_the_tarball_root(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "mono")
    sha = commit_files(repo, {"apps/api/Procfile": "web: x\n", "apps/web/index.html": "<p>\n"})
    outcome, _, uploads = _deploy(repo, sha, ["succeeded"], ["succeeded"], tmp_path, "apps/api")
    assert outcome.live
    with tarfile.open(fileobj=io.BytesIO(uploads["blob-1"]), mode="r:gz") as tar:
        assert [m.name for m in tar.getmembers() if m.isfile()] == ["Procfile"]


def test_a_failed_build_fails_and_releases_nothing(repo: tuple[Path, str], tmp_path: Path) -> None:
    outcome, api, _ = _deploy(*repo, ["pending", "failed"], ["succeeded"], tmp_path)
    assert isinstance(outcome, DeployFailed) and "status 'failed'" in str(outcome)
    assert not api.calls("GET", f"/apps/{APP}/releases")


def test_a_failed_release_fails(repo: tuple[Path, str], tmp_path: Path) -> None:
    outcome, _, _ = _deploy(*repo, ["succeeded"], ["pending", "failed"], tmp_path)
    assert isinstance(outcome, DeployFailed) and outcome.outcome.status == "release failed"


def test_a_build_still_pending_at_the_timeout_fails(repo: tuple[Path, str], tmp_path: Path) -> None:
    outcome, _, _ = _deploy(*repo, ["pending"], [], tmp_path)
    assert isinstance(outcome, DeployFailed) and "still 'pending' after 600 s" in str(outcome)
