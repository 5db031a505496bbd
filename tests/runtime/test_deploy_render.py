"""Render deploys through its API, against a local stand-in of that API (a stand-in:
api.render.com cannot be reached from here). The stand-in answers like Render's
documented API: POST /v1/services/{id}/deploys returns the deploy, GET
…/deploys/{deployId} its status."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from migpipe.errors import ApiError, DeployFailed
from migpipe.runtime.deploy import Wait, render
from tests.runtime.standin import FakeClock, RenderApi, Request, api_standin

SHA = "3f786850e387550fdab836ed7e6dc881de23001b"
OTHER_SHA = "89e6c98d92887913cadf06b2adb97f26cde4849b"
TOKEN = "rnd_secretTOKEN123"
SERVICE = "srv-standin1"


def render_api(statuses: list[str], commit: str = SHA, create_status: int = 201, with_id: bool = True) -> RenderApi:
    """Render's API stand-in: one deploy, dep-standin1, whose status walks through ``statuses``."""
    return RenderApi(SERVICE, TOKEN, statuses, commit=commit, create_status=create_status, with_id=with_id)


def wait(clock: FakeClock, timeout: float = 600, lines: list[str] | None = None) -> Wait:
    out = lines if lines is not None else []
    return Wait(timeout_seconds=timeout, interval_seconds=10, clock=clock, sleep=clock.sleep, log=out.append)


def test_deploys_exactly_the_sha_and_polls_until_live() -> None:
    clock = FakeClock()
    lines: list[str] = []
    with api_standin(render_api(["build_in_progress", "update_in_progress", "live"])) as api:
        outcome = render.deploy(render.RenderTarget(SERVICE, TOKEN, api.url), SHA, wait(clock, lines=lines))
    posts = api.calls("POST")
    assert [p.body for p in posts] == [{"commitId": SHA}]
    assert posts[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert len(api.calls("GET", f"/v1/services/{SERVICE}/deploys/dep-standin1")) == 3
    assert (outcome.deploy_id, outcome.status, outcome.live, outcome.sha) == ("dep-standin1", "live", True, SHA)
    assert clock.sleeps == [10, 10]
    assert not any(TOKEN in line for line in lines)


@pytest.mark.parametrize("failure", ["build_failed", "update_failed", "pre_deploy_failed", "canceled", "deactivated"])
def test_each_failure_status_fails(failure: str) -> None:
    with api_standin(render_api(["build_in_progress", failure])) as api:
        with pytest.raises(DeployFailed) as raised:
            render.deploy(render.RenderTarget(SERVICE, TOKEN, api.url), SHA, wait(FakeClock()))
    assert raised.value.outcome.status == failure
    assert not raised.value.outcome.live
    assert failure in str(raised.value) and "dep-standin1" in str(raised.value)


def test_not_live_before_the_timeout_fails() -> None:
    clock = FakeClock()
    with api_standin(render_api(["build_in_progress"])) as api:
        with pytest.raises(DeployFailed, match="not live after 60 s"):
            render.deploy(render.RenderTarget(SERVICE, TOKEN, api.url), SHA, wait(clock, timeout=60))
    assert clock.now <= 60
    assert len(api.calls("GET")) == 7  # t = 0, 10, …, 60


def test_a_deploy_of_another_commit_fails() -> None:
    with api_standin(render_api(["live"], commit=OTHER_SHA)) as api:
        with pytest.raises(DeployFailed, match=f"of commit {OTHER_SHA}, not {SHA}"):
            render.deploy(render.RenderTarget(SERVICE, TOKEN, api.url), SHA, wait(FakeClock()))


def test_a_queued_deploy_without_id_is_found_by_its_commit() -> None:
    with api_standin(render_api(["live"], create_status=202, with_id=False)) as api:
        outcome = render.deploy(render.RenderTarget(SERVICE, TOKEN, api.url), SHA, wait(FakeClock()))
    assert outcome.deploy_id == "dep-standin1" and outcome.live


def queued_api(listings: list[list[dict[str, Any]]], statuses: list[str]) -> Any:
    """Render answering 202 with no content (the deploy is queued, as the API documents);
    the service's deploy list walks through ``listings`` (newest first)."""
    lists = iter(listings)
    last: dict[str, Any] = {"list": listings[0]}
    polls = iter(statuses)
    state = {"status": statuses[0]}

    def route(request: Request) -> tuple[int, Any]:
        if request.method == "POST":
            return 202, None
        if request.method == "GET" and request.path.startswith(f"/v1/services/{SERVICE}/deploys?"):
            last["list"] = next(lists, last["list"])
            return 200, [{"cursor": f"c{i}", "deploy": d} for i, d in enumerate(last["list"])]
        if request.method == "GET" and request.path.startswith(f"/v1/services/{SERVICE}/deploys/"):
            deploy_id = request.path.rsplit("/", 1)[1]
            state["status"] = next(polls, state["status"])
            return 200, {"id": deploy_id, "status": state["status"], "commit": {"id": SHA}}
        return 404, {"message": "not found"}

    return route


OLD_LIVE = {"id": "dep-old", "commit": {"id": SHA}, "status": "live"}
OLD_FAILED = {"id": "dep-older", "commit": {"id": SHA}, "status": "build_failed"}


def test_a_queued_deploy_is_the_unfinished_one_of_its_commit_not_an_older_finished_one() -> None:
    # The first listing does not show it yet; the second does, above older deploys of the same commit.
    listings = [[OLD_LIVE, OLD_FAILED], [{"id": "dep-new", "commit": {"id": SHA}, "status": "queued"}, OLD_LIVE, OLD_FAILED]]
    clock = FakeClock()
    with api_standin(queued_api(listings, ["build_in_progress", "live"])) as api:
        outcome = render.deploy(render.RenderTarget(SERVICE, TOKEN, api.url), SHA, wait(clock))
    assert (outcome.deploy_id, outcome.live) == ("dep-new", True)
    assert len(api.calls("GET", f"/v1/services/{SERVICE}/deploys?")) == 2
    assert api.calls("GET", f"/v1/services/{SERVICE}/deploys/dep-new")
    assert not api.calls("GET", f"/v1/services/{SERVICE}/deploys/dep-old")


def test_a_queued_deploy_that_never_shows_up_fails_instead_of_passing() -> None:
    other = {"id": "dep-x", "commit": {"id": OTHER_SHA}, "status": "queued"}
    clock = FakeClock()
    with api_standin(queued_api([[other, OLD_LIVE]], ["live"])) as api:
        with pytest.raises(DeployFailed, match="HTTP 202, no deploy id") as raised:
            render.deploy(render.RenderTarget(SERVICE, TOKEN, api.url), SHA, wait(clock, timeout=30))
    assert not raised.value.outcome.live
    assert not api.calls("GET", f"/v1/services/{SERVICE}/deploys/")  # nothing polled as if it were ours
    assert clock.now <= 30


def test_an_api_error_names_the_status_and_never_the_token() -> None:
    with api_standin(render_api(["live"])) as api:
        with pytest.raises(ApiError) as raised:
            render.deploy(render.RenderTarget(SERVICE, "rnd_wrongTOKEN", api.url), SHA, wait(FakeClock()))
    assert "HTTP 401" in str(raised.value)
    assert "rnd_wrongTOKEN" not in str(raised.value) and "***" in str(raised.value)


def test_plain_http_only_to_this_machine() -> None:
    with pytest.raises(ApiError, match="not an https:// URL"):
        render.deploy(render.RenderTarget(SERVICE, TOKEN, "http://api.render.com"), SHA, wait(FakeClock()))


def test_not_a_full_sha_is_refused() -> None:
    with pytest.raises(Exception, match="not a full commit SHA"):
        render.deploy(render.RenderTarget(SERVICE, TOKEN, "https://api.render.com"), "main", wait(FakeClock()))


# --------------------------------------------------------------------------
# The command: pipeline.toml, env, summary


def _pipeline(tmp_path: Path, deploy_table: str = "") -> Path:
    config = tmp_path / "pipeline.toml"
    config.write_text(
        'version = 1\n[project]\nname = "acme"\n[tool]\nname = "prisma"\nversion = 6\n'
        '[host]\nname = "render"\nservice_name = "acme"\n'
        f"[deploy]\npoll_seconds = 1\nwait_minutes = 1\n{deploy_table}",
        encoding="utf-8",
    )
    return config


def _run(config: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("RENDER_", "GITHUB_", "MIGPIPE_"))}
    full.update(env)
    return subprocess.run(
        [sys.executable, "-m", "migpipe", "deploy", "-c", str(config)],
        env=full,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.mark.parametrize(("statuses", "code"), [(["build_in_progress", "live"], 0), (["build_in_progress", "update_failed"], 1)])
def test_command_deploys_and_writes_the_summary(tmp_path: Path, statuses: list[str], code: int) -> None:
    summary = tmp_path / "summary.md"
    with api_standin(render_api(statuses)) as api:
        result = _run(
            _pipeline(tmp_path),
            {
                "RENDER_API_KEY": TOKEN,
                "RENDER_SERVICE_ID": SERVICE,
                "MIGPIPE_RENDER_API_URL": api.url,
                "GITHUB_SHA": SHA,
                "GITHUB_STEP_SUMMARY": str(summary),
                "MIGPIPE_MIGRATED": json.dumps(["20260101_add_user_name"]),
                "MIGPIPE_PLAN_DIGEST": "sha256:abc",
            },
        )
    assert result.returncode == code, result.stderr
    assert [p.body for p in api.calls("POST")] == [{"commitId": SHA}]
    text = summary.read_text()
    assert f"`{SHA}`" in text and "`dep-standin1`" in text and f"`{statuses[-1]}`" in text
    assert "`20260101_add_user_name`" in text and "sha256:abc" in text
    assert TOKEN not in result.stdout + result.stderr + text


def test_command_without_the_api_key_is_a_config_error(tmp_path: Path) -> None:
    result = _run(_pipeline(tmp_path), {"RENDER_SERVICE_ID": SERVICE, "GITHUB_SHA": SHA})
    assert result.returncode == 2
    assert "RENDER_API_KEY is empty" in result.stderr and "Traceback" not in result.stderr


def test_hook_mode_is_explicit_and_says_it_is_weaker(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    with api_standin(lambda request: (200, {"deploy": {"id": "dep-hook"}})) as api:
        hook = f"{api.url}/deploy/srv-x?key=hookKEY99"
        result = _run(
            _pipeline(tmp_path, 'mode = "hook"\n'),
            {"RENDER_DEPLOY_HOOK_URL": hook, "GITHUB_SHA": SHA, "GITHUB_STEP_SUMMARY": str(summary)},
        )
    assert result.returncode == 0, result.stderr
    assert [r.path for r in api.requests] == ["/deploy/srv-x?key=hookKEY99"]
    assert "branch" in result.stderr and "not confirmed" in summary.read_text()
    assert "hookKEY99" not in result.stdout + result.stderr + summary.read_text()
