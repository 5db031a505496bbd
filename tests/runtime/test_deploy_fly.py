"""Fly.io deploys with flyctl. flyctl talks to Fly's API, which cannot be reached
here: a stand-in ``flyctl`` (a script named as such) records its arguments and
environment and answers like flyctl (exit status; ``releases --json``)."""
from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest

from migpipe.errors import DeployFailed
from migpipe.runtime.deploy import Wait, fly
from tests.runtime.gitrepo import commit_files, init_repo

TOKEN = "FlyV1 fm2_standinTOKEN"

STANDIN_FLYCTL = """\
#!{python}
# Stand-in for flyctl: records argv and whether FLY_API_TOKEN reached it.
import json, os, sys
log = os.environ["FLYCTL_STANDIN_LOG"]
with open(log, "a") as f:
    f.write(json.dumps({{"argv": sys.argv[1:], "token": os.environ.get("FLY_API_TOKEN")}}) + "\\n")
if sys.argv[1] == "deploy":
    sys.exit(int(os.environ.get("FLYCTL_STANDIN_EXIT", "0")))
if sys.argv[1] == "releases":
    label = os.environ.get("FLYCTL_STANDIN_LABEL", "")
    print(json.dumps([{{"Version": 7, "Status": "complete", "ImageRef": "registry.fly.io/acme-api:" + label}}]))
"""


@pytest.fixture
def flyctl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    script = tmp_path / "bin" / "flyctl"
    script.parent.mkdir()
    script.write_text(STANDIN_FLYCTL.format(python=sys.executable))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "flyctl.log"
    monkeypatch.setenv("FLYCTL_STANDIN_LOG", str(log))
    return script


def _calls(tmp_path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (tmp_path / "flyctl.log").read_text().splitlines()]


def _target(repo: Path, flyctl: Path) -> fly.FlyTarget:
    return fly.FlyTarget("acme-api", TOKEN, "fly.toml", ".", repo, str(flyctl))


def test_deploys_the_checkout_labelled_with_its_sha(tmp_path: Path, flyctl: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = init_repo(tmp_path / "app")
    sha = commit_files(repo, {"fly.toml": 'app = "acme-api"\n', "Dockerfile": "FROM scratch\n"})
    monkeypatch.setenv("FLYCTL_STANDIN_LABEL", sha)
    outcome = fly.deploy(_target(repo, flyctl), sha, Wait(300, 5, log=lambda _: None))
    deploy_call, releases_call = _calls(tmp_path)
    assert deploy_call["argv"] == [
        "deploy", ".", "--app", "acme-api", "--config", "fly.toml", "--remote-only",
        "--image-label", sha, "--wait-timeout", "300s",
    ]
    assert deploy_call["token"] == TOKEN  # through the environment …
    assert all(TOKEN not in " ".join(call["argv"]) for call in _calls(tmp_path))  # type: ignore[arg-type]  # … never argv
    assert releases_call["argv"][0] == "releases"  # type: ignore[index]
    assert outcome.live and outcome.deploy_id == "release v7"


def test_a_failed_flyctl_deploy_fails(tmp_path: Path, flyctl: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = init_repo(tmp_path / "app")
    sha = commit_files(repo, {"fly.toml": "x\n"})
    monkeypatch.setenv("FLYCTL_STANDIN_EXIT", "1")
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
