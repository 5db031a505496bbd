"""Fly.io deploys with flyctl. flyctl talks to Fly's API, which cannot be reached
here: the stand-in ``flyctl`` of tests/runtime/standin.py records its arguments
and environment and answers like flyctl (exit status; ``releases --json``)."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

from migpipe.errors import DeployFailed
from migpipe.runtime.deploy import Wait, fly
from tests.runtime.gitrepo import commit_files, init_repo
from tests.runtime.standin import flyctl_calls, write_flyctl_standin

TOKEN = "FlyV1 fm2_standinTOKEN"


@pytest.fixture
def flyctl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FLYCTL_STANDIN_LOG", str(tmp_path / "flyctl.log"))
    return write_flyctl_standin(tmp_path / "bin", sys.executable)


def _calls(tmp_path: Path) -> list[dict[str, Any]]:
    return flyctl_calls(tmp_path / "flyctl.log")


def _target(repo: Path, flyctl: Path) -> fly.FlyTarget:
    return fly.FlyTarget("acme-api", TOKEN, "fly.toml", ".", repo, str(flyctl))


def test_deploys_the_checkout_labelled_with_its_sha(tmp_path: Path, flyctl: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = init_repo(tmp_path / "app")
    sha = commit_files(repo, {"fly.toml": 'app = "acme-api"\n', "Dockerfile": "FROM scratch\n"})
    monkeypatch.setenv("FLYCTL_STANDIN_LABEL", sha)
    outcome = fly.deploy(_target(repo, flyctl), sha, Wait(300, 5, log=lambda _: None))
    deploy_call, releases_call = _calls(tmp_path)
    assert releases_call["argv"] == ["releases", "--app", "acme-api", "--json"]
    assert deploy_call["argv"] == [
        "deploy", ".", "--app", "acme-api", "--config", "fly.toml", "--remote-only",
        "--image-label", sha, "--wait-timeout", "300s",
    ]
    assert deploy_call["token"] == TOKEN  # through the environment …
    assert deploy_call["head"] == sha
    assert all(TOKEN not in " ".join(call["argv"]) for call in _calls(tmp_path))  # … never argv
    assert releases_call["argv"][0] == "releases"
    assert outcome.live and outcome.deploy_id == "release v7"


def test_a_failed_flyctl_deploy_fails(tmp_path: Path, flyctl: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = init_repo(tmp_path / "app")
    sha = commit_files(repo, {"fly.toml": "x\n"})
    monkeypatch.setenv("FLYCTL_STANDIN_HEALTH", "critical")
    with pytest.raises(DeployFailed, match="health checks"):
        fly.deploy(_target(repo, flyctl), sha, Wait(300, 5, log=lambda _: None))


def test_a_release_of_another_image_fails(tmp_path: Path, flyctl: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = init_repo(tmp_path / "app")
    sha = commit_files(repo, {"fly.toml": "x\n"})
    monkeypatch.setenv("FLYCTL_STANDIN_LABEL", "deployment-01HOTHER")
    with pytest.raises(DeployFailed, match="not the image labelled"):
        fly.deploy(_target(repo, flyctl), sha, Wait(300, 5, log=lambda _: None))


def test_a_checkout_at_another_commit_is_not_deployed(tmp_path: Path, flyctl: Path) -> None:
    repo = init_repo(tmp_path / "app")
    sha = commit_files(repo, {"fly.toml": "x\n"})
    commit_files(repo, {"fly.toml": "y\n"})
    with pytest.raises(DeployFailed, match="refusing"):
        fly.deploy(_target(repo, flyctl), sha, Wait(300, 5, log=lambda _: None))
    assert not os.path.exists(tmp_path / "flyctl.log")


def _deployed(tmp_path: Path, flyctl: Path, monkeypatch: pytest.MonkeyPatch, **env: str) -> tuple[str, fly.FlyTarget]:
    repo = init_repo(tmp_path / "app")
    sha = commit_files(repo, {"fly.toml": "x\n"})
    monkeypatch.setenv("FLYCTL_STANDIN_LABEL", sha)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return sha, _target(repo, flyctl)


def test_the_release_this_deploy_created_is_checked_not_the_newest(
    tmp_path: Path, flyctl: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another deploy (v8, another image) landed after ours (v7): ours is what is confirmed.
    sha, target = _deployed(tmp_path, flyctl, monkeypatch, FLYCTL_STANDIN_NEWER="deployment-01HOTHER")
    outcome = fly.deploy(target, sha, Wait(300, 5, log=lambda _: None))
    assert (outcome.deploy_id, outcome.status, outcome.live) == ("release v7", "complete", True)


def test_an_older_flyctl_without_the_release_line_checks_the_newest_release(
    tmp_path: Path, flyctl: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sha, target = _deployed(tmp_path, flyctl, monkeypatch, FLYCTL_STANDIN_OLD="1", FLYCTL_STANDIN_NEWER="deployment-01HOTHER")
    with pytest.raises(DeployFailed, match="release v8 runs registry.fly.io/acme-api:deployment-01HOTHER"):
        fly.deploy(target, sha, Wait(300, 5, log=lambda _: None))


@pytest.mark.parametrize("status", ["failed", "interrupted", "running"])
def test_a_release_that_is_not_complete_fails(
    tmp_path: Path, flyctl: Path, monkeypatch: pytest.MonkeyPatch, status: str
) -> None:
    sha, target = _deployed(tmp_path, flyctl, monkeypatch, FLYCTL_STANDIN_STATUS=status)
    with pytest.raises(DeployFailed, match=f"status '{status}'") as raised:
        fly.deploy(target, sha, Wait(300, 5, log=lambda _: None))
    assert not raised.value.outcome.live and raised.value.outcome.deploy_id == "release v7"


def test_releases_that_cannot_be_read_fail_instead_of_passing_unconfirmed(
    tmp_path: Path, flyctl: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sha, target = _deployed(tmp_path, flyctl, monkeypatch, FLYCTL_STANDIN_RELEASES_EXIT="1")
    with pytest.raises(DeployFailed, match="could not be read") as raised:
        fly.deploy(target, sha, Wait(300, 5, log=lambda _: None))
    assert not raised.value.outcome.live


def test_the_release_line_is_read_among_flyctls_output() -> None:
    output = '==> Building image\n{"id":"rel_x","version":12,"image_ref":"registry.fly.io/a:b"}\nVisit your app\n'
    assert fly.emitted_release(output) == 12
    assert fly.emitted_release("==> done\n{not json, \"version\"\n") is None
