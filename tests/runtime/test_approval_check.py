"""migpipe approval-check against a local stand-in of GitHub's REST API (a
stand-in: api.github.com cannot be reached here). The stand-in answers like
the documented "Get an environment" and "List workflow runs for a workflow"."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.runtime.standin import Request, StandIn, api_standin

TOKEN = "ghs_standinTOKEN42"
REPO = "acme/api"
REVIEWERS_RULE = {
    "id": 1,
    "type": "required_reviewers",
    "prevent_self_review": True,
    "reviewers": [{"type": "User", "reviewer": {"login": "alice"}}, {"type": "Team", "reviewer": {"slug": "dba"}}],
}
WAITING = {
    "total_count": 2,
    "workflow_runs": [
        {"id": 900, "run_number": 41, "status": "waiting", "head_sha": "a" * 40, "html_url": "https://github.com/acme/api/actions/runs/900", "created_at": "2026-12-01T10:00:00Z"},
        {"id": 901, "run_number": 42, "status": "waiting", "head_sha": "b" * 40, "html_url": "https://github.com/acme/api/actions/runs/901", "created_at": "2026-12-01T11:00:00Z"},
    ],
}


def github_api(environments: dict[str, Any], waiting: Any = None) -> Any:
    def route(request: Request) -> tuple[int, Any]:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return 401, {"message": "Bad credentials"}
        for name, body in environments.items():
            if request.path == f"/repos/{REPO}/environments/{name}":
                return 200, {"name": name, "can_admins_bypass": False, **body}
        if request.path.startswith(f"/repos/{REPO}/actions/workflows/ci-cd.yml/runs?"):
            return 200, waiting or {"total_count": 0, "workflow_runs": []}
        return 404, {"message": "Not Found"}

    return route


def _run(tmp_path: Path, api: StandIn, approval: str = "", env: dict[str, str] | None = None, *flags: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "pipeline.toml"
    config.write_text(
        'version = 1\n[project]\nname = "acme"\n[tool]\nname = "prisma"\nversion = 6\n'
        f'[host]\nname = "render"\nservice_name = "acme"\n[approval]\n{approval}',
        encoding="utf-8",
    )
    full = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "MIGPIPE_"))}
    full.update(
        {
            "GITHUB_TOKEN": TOKEN,
            "GITHUB_REPOSITORY": REPO,
            "GITHUB_API_URL": api.url,
            "GITHUB_RUN_ID": "901",
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
            **(env or {}),
        }
    )
    return subprocess.run(
        [sys.executable, "-m", "migpipe", "approval-check", "-c", str(config), *flags],
        env=full, capture_output=True, text=True, check=False, timeout=60,
    )


def test_an_environment_with_required_reviewers_passes(tmp_path: Path) -> None:
    with api_standin(github_api({"production": {"protection_rules": [REVIEWERS_RULE]}})) as api:
        result = _run(tmp_path, api)
    assert result.returncode == 0, result.stderr
    assert "requires approval by User alice, Team dba" in result.stdout
    assert [r.path for r in api.calls("GET", "/repos/acme/api/environments/")] == ["/repos/acme/api/environments/production"]
    assert TOKEN not in result.stdout + result.stderr


@pytest.mark.parametrize(
    "rules",
    [
        [],
        [{"id": 2, "type": "wait_timer", "wait_timer": 30}, {"id": 3, "type": "branch_policy"}],
        [{**REVIEWERS_RULE, "reviewers": []}],
    ],
    ids=["no-rules", "other-rules-only", "rule-without-reviewers"],
)
def test_no_required_reviewers_fails_closed_naming_the_fallback(tmp_path: Path, rules: list[Any]) -> None:
    with api_standin(github_api({"production": {"protection_rules": rules}})) as api:
        result = _run(tmp_path, api)
    assert result.returncode == 1
    assert "::error title=No approval gate::" in result.stdout
    assert 'approval.gate = "dispatch"' in result.stderr and "no required-reviewers rule" in result.stderr
    assert "NO GATE" in (tmp_path / "summary.md").read_text()


def test_a_missing_environment_fails_closed(tmp_path: Path) -> None:
    with api_standin(github_api({})) as api:
        result = _run(tmp_path, api, 'environment = "prod"\n')
    assert result.returncode == 1 and "'prod' does not exist" in result.stderr


def test_warn_only_reports_without_failing(tmp_path: Path) -> None:
    with api_standin(github_api({"production": {"protection_rules": []}})) as api:
        result = _run(tmp_path, api, "", None, "--warn-only")
    assert result.returncode == 0 and "::warning title=No approval gate::" in result.stdout


def test_older_waiting_runs_are_reported_not_this_one(tmp_path: Path) -> None:
    with api_standin(github_api({"production": {"protection_rules": [REVIEWERS_RULE]}}, WAITING)) as api:
        result = _run(tmp_path, api, "", None, "--warn-only")
    assert result.returncode == 0
    assert "run #41" in result.stdout and "run #42" not in result.stdout  # 901 is this run
    assert "holds the migrate-prod concurrency group" in (tmp_path / "summary.md").read_text()
    (listing,) = api.calls("GET", "/repos/acme/api/actions/workflows/")
    assert "status=waiting" in listing.path


def test_dispatch_gate_needs_a_dispatch_with_a_digest(tmp_path: Path) -> None:
    digest = "sha256:" + "c" * 64
    with api_standin(github_api({})) as api:
        pushed = _run(tmp_path, api, 'gate = "dispatch"\n', {"GITHUB_EVENT_NAME": "push"})
        no_digest = _run(tmp_path, api, 'gate = "dispatch"\n', {"GITHUB_EVENT_NAME": "workflow_dispatch"})
        dispatched = _run(
            tmp_path, api, 'gate = "dispatch"\n',
            {"GITHUB_EVENT_NAME": "workflow_dispatch", "MIGPIPE_APPROVED_DIGEST": digest, "GITHUB_ACTOR": "bob"},
        )
    assert pushed.returncode == 1 and "not workflow_dispatch" in pushed.stderr
    assert no_digest.returncode == 1 and "plan_digest" in no_digest.stderr
    assert dispatched.returncode == 0 and f"dispatched by bob" in dispatched.stdout and digest in dispatched.stdout


def test_without_a_token_it_says_which_permission(tmp_path: Path) -> None:
    with api_standin(github_api({})) as api:
        result = _run(tmp_path, api, "", {"GITHUB_TOKEN": ""})
    assert result.returncode == 2 and "actions: read" in result.stderr
