"""Vercel: build in CI, deploy the prebuilt output, wait until READY. The Vercel
CLI and API cannot be reached here: a stand-in ``vercel`` script (named as such)
records its arguments and environment and prints a deployment URL like the real
CLI; a local stand-in of the API answers GET /v13/deployments/{url}."""
from __future__ import annotations

import hashlib
import json
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

from migpipe.errors import DeployFailed
from migpipe.runtime.deploy import Wait, vercel
from tests.runtime.gitrepo import commit_files, init_repo
from tests.runtime.standin import FakeClock, Request, api_standin

TOKEN = "vercel_standinTOKEN_77"

STANDIN_VERCEL = """\
#!{python}
# Stand-in for the vercel CLI: records argv, cwd and whether the token reached it.
import hashlib, json, os, sys
token_sha = os.environ.get("VERCEL_STANDIN_TOKEN_SHA256")
holders = sorted(k for k, v in os.environ.items() if hashlib.sha256(v.encode()).hexdigest() == token_sha)
with open(os.environ["VERCEL_STANDIN_LOG"], "a") as f:
    f.write(json.dumps({{"argv": sys.argv[1:], "cwd": os.getcwd(), "token": os.environ.get("VERCEL_TOKEN"),
                        "project": os.environ.get("VERCEL_PROJECT_ID"), "holders": holders}}) + "\\n")
if sys.argv[1] == "pull" and os.environ.get("VERCEL_STANDIN_SETTINGS"):
    # Like the real pull: the project's settings in .vercel/project.json.
    os.makedirs(".vercel", exist_ok=True)
    with open(".vercel/project.json", "w") as f:
        json.dump({{"projectId": "prj_456", "orgId": "team_123", "settings": json.loads(os.environ["VERCEL_STANDIN_SETTINGS"])}}, f)
if sys.argv[1] == "deploy":
    print("https://acme-abc123-team.vercel.app")
"""


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    script = tmp_path / "bin" / "vercel"
    script.parent.mkdir()
    script.write_text(STANDIN_VERCEL.format(python=sys.executable))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("VERCEL_STANDIN_LOG", str(tmp_path / "vercel.log"))
    # The stand-in names every variable holding the token (it gets only its hash).
    monkeypatch.setenv("VERCEL_STANDIN_TOKEN_SHA256", hashlib.sha256(TOKEN.encode()).hexdigest())
    # As the deploy job passes it: in a variable named like its secret.
    monkeypatch.setenv("ACME_VERCEL_TOKEN", TOKEN)
    return script


def api(states: list[str], sha_of: dict[str, str]) -> Any:
    it = iter(states)
    last = {"state": states[0]}

    def route(request: Request) -> tuple[int, Any]:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return 403, {"error": {"code": "forbidden"}}
        if request.path.startswith("/v13/deployments/acme-abc123-team.vercel.app"):
            last["state"] = next(it, last["state"])
            return 200, {"id": "dpl_1", "readyState": last["state"], "meta": {"migpipeCommit": sha_of["sha"]}}
        return 404, {"error": {"code": "not_found"}}

    return route


def _deploy(
    tmp_path: Path, cli: Path, states: list[str], other_commit: bool = False, files: dict[str, str | None] | None = None
) -> tuple[Any, list[dict[str, Any]], list[Request]]:
    repo = init_repo(tmp_path / "app")
    sha = commit_files(repo, {"web/package.json": '{"scripts": {"build": "next build"}}\n', **(files or {})})
    sha_of = {"sha": "0" * 40 if other_commit else sha}
    clock = FakeClock()
    with api_standin(api(states, sha_of)) as standin:
        target = vercel.VercelTarget(TOKEN, "team_123", "prj_456", "web", repo, str(cli), standin.url)
        try:
            outcome: Any = vercel.deploy(target, sha, Wait(300, 5, clock, clock.sleep, lambda _: None))
        except DeployFailed as exc:
            outcome = exc
        requests = list(standin.requests)
    calls = [json.loads(line) for line in (tmp_path / "vercel.log").read_text().splitlines()]
    return (outcome, sha), calls, requests  # type: ignore[return-value]


def test_builds_here_deploys_the_prebuilt_output_and_waits_for_ready(tmp_path: Path, cli: Path) -> None:
    (outcome, sha), calls, requests = _deploy(tmp_path, cli, ["BUILDING", "READY"])
    assert [c["argv"] for c in calls] == [
        ["pull", "--yes", "--environment=production"],
        ["build", "--prod"],
        ["deploy", "--prebuilt", "--prod", "--no-wait", "--meta", f"migpipeCommit={sha}"],
    ]
    assert all(c["cwd"].endswith("/app/web") and c["project"] == "prj_456" for c in calls)
    # The token reaches pull and deploy; build, which runs the team's commands, never sees it.
    assert [c["token"] for c in calls] == [TOKEN, None, TOKEN]
    assert [c["holders"] for c in calls] == [["VERCEL_TOKEN"], [], ["VERCEL_TOKEN"]]
    assert all(TOKEN not in " ".join(c["argv"]) for c in calls)
    assert requests[0].path == "/v13/deployments/acme-abc123-team.vercel.app?teamId=team_123"
    assert outcome.live and outcome.deploy_id == "dpl_1" and outcome.status == "READY"


@pytest.mark.parametrize("state", ["ERROR", "CANCELED"])
def test_error_and_canceled_fail(tmp_path: Path, cli: Path, state: str) -> None:
    (outcome, _), _, _ = _deploy(tmp_path, cli, ["BUILDING", state])
    assert isinstance(outcome, DeployFailed) and outcome.outcome.status == state


def test_never_ready_times_out(tmp_path: Path, cli: Path) -> None:
    (outcome, _), _, requests = _deploy(tmp_path, cli, ["QUEUED"])
    assert isinstance(outcome, DeployFailed) and "not READY after 300 s" in str(outcome)
    assert len(requests) == 61


def test_a_deployment_of_another_commit_fails(tmp_path: Path, cli: Path) -> None:
    (outcome, sha), _, _ = _deploy(tmp_path, cli, ["READY"], other_commit=True)
    assert isinstance(outcome, DeployFailed) and f"not {sha}" in str(outcome)


SETTINGS = {"framework": "nextjs", "buildCommand": "prisma migrate deploy && next build", "installCommand": None}


def test_a_build_command_override_in_the_projects_settings_stops_before_the_build(
    tmp_path: Path, cli: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # vercel.json sets no buildCommand: vercel build would run the dashboard's, which check-build never saw.
    monkeypatch.setenv("VERCEL_STANDIN_SETTINGS", json.dumps(SETTINGS))
    (outcome, _), calls, requests = _deploy(tmp_path, cli, ["READY"], files={"web/vercel.json": '{"git": {"deploymentEnabled": false}}\n'})
    assert isinstance(outcome, DeployFailed) and outcome.outcome.status == "not built"
    assert "Build Command override 'prisma migrate deploy && next build' (vercel.json sets no buildCommand)" in str(outcome)
    assert [c["argv"][0] for c in calls] == ["pull"]
    assert requests == []


def test_a_build_command_in_vercel_json_wins_over_the_settings(tmp_path: Path, cli: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERCEL_STANDIN_SETTINGS", json.dumps(SETTINGS))
    vercel_json = '{"buildCommand": "next build", "git": {"deploymentEnabled": false}}\n'
    (outcome, _), calls, _ = _deploy(tmp_path, cli, ["READY"], files={"web/vercel.json": vercel_json})
    assert not isinstance(outcome, DeployFailed) and outcome.live
    assert [c["argv"][0] for c in calls] == ["pull", "build", "deploy"]
