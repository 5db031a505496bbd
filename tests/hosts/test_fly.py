"""Fly.io: fly.toml is build-only, and the deploy job runs `flyctl deploy` the safe way."""
from __future__ import annotations

import re
import sys
from pathlib import Path

from migpipe.pins import ACTIONS
from migpipe.pipeline import load_pipeline
from migpipe.profiles.hosts.fly import FlyHost
from migpipe.runtime.deploy import Environment
from migpipe.runtime.deploy import fly as fly_runtime
from tests.hosts.conftest import FLY, compiled, deploy_job, write_config

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SETUP_FLYCTL = "superfly/flyctl-actions/setup-flyctl"


def _fly_toml(tmp_path: Path, extra: str = "", workdir: str = ".", tail: str = ""):
    files = compiled(write_config(tmp_path, FLY, extra, workdir, tail))
    return files, tomllib.loads(files["host_config"].content)


def test_fly_toml_parses_and_holds_the_app_build_and_service(tmp_path: Path) -> None:
    files, fly = _fly_toml(
        tmp_path, 'primary_region = "ams"\nstart_command = "node dist/server.js"\ninternal_port = 3000'
    )
    assert files["host_config"].path == "fly.toml"
    assert fly == {
        "app": "acme-api",
        "primary_region": "ams",
        "build": {"dockerfile": "Dockerfile"},
        "processes": {"app": "node dist/server.js"},
        "http_service": {"internal_port": 3000, "force_https": True, "processes": ["app"]},
    }


def test_fly_toml_is_build_only_and_its_header_says_why(tmp_path: Path) -> None:
    files, fly = _fly_toml(tmp_path)
    assert "deploy" not in fly  # no [deploy], so no release_command
    text = files["host_config"].content
    assert "release_command =" not in text
    header = " ".join(line.removeprefix("# ") for line in text.splitlines() if line.startswith("#"))
    assert "there is no [deploy] release_command on purpose" in header
    assert "outside the approved migrate-prod job" in header


def test_without_a_start_command_the_dockerfile_cmd_starts_the_app(tmp_path: Path) -> None:
    _, fly = _fly_toml(tmp_path)
    assert "processes" not in fly
    assert "processes" not in fly["http_service"]


def test_values_round_trip_through_toml(tmp_path: Path) -> None:
    command = 'sh -c "node \\"dist/server.js\\" --tag=\'a\\\\b\' 🚀"'
    start = command.replace("\\", "\\\\").replace('"', '\\"')
    _, fly = _fly_toml(tmp_path, f'start_command = "{start}"')
    assert fly["processes"]["app"] == command


def _flyctl_deploy(tmp_path: Path) -> list[str]:
    """The start of the flyctl deploy command `migpipe deploy` runs for this pipeline.toml."""
    pipeline = load_pipeline(tmp_path / "pipeline.toml")
    assert isinstance(pipeline.host, FlyHost)
    target = fly_runtime.target_from(pipeline, tmp_path, Environment({"FLY_API_TOKEN": "token"}))
    return fly_runtime.deploy_command(target, "0" * 40, 300)[:7]


def test_fly_toml_follows_the_working_directory(tmp_path: Path) -> None:
    files, fly = _fly_toml(tmp_path, 'dockerfile = "docker/api.Dockerfile"', workdir="apps/api")
    assert files["host_config"].path == "apps/api/fly.toml"
    # flyctl reads [build] dockerfile relative to fly.toml's own directory.
    assert fly["build"]["dockerfile"] == "docker/api.Dockerfile"
    assert _flyctl_deploy(tmp_path) == ["flyctl", "deploy", "apps/api", "--app", "acme-api", "--config", "apps/api/fly.toml"]


def test_a_moved_fly_toml_still_names_the_dockerfile_and_the_build_context(tmp_path: Path) -> None:
    files, fly = _fly_toml(tmp_path, workdir="apps/api", tail='\n[outputs]\nhost_config = "deploy/fly.toml"\n')
    assert files["host_config"].path == "deploy/fly.toml"
    assert fly["build"]["dockerfile"] == "../apps/api/Dockerfile"
    assert _flyctl_deploy(tmp_path) == ["flyctl", "deploy", "apps/api", "--app", "acme-api", "--config", "deploy/fly.toml"]


def test_deploy_job_checks_out_sets_up_pinned_flyctl_and_passes_the_token_through_env(tmp_path: Path) -> None:
    files, _ = _fly_toml(tmp_path, 'api_token_secret = "ACME_FLY_TOKEN"')
    job = deploy_job(files)
    checkout, _python, _migpipe, setup, deploy = job["steps"]
    assert checkout["uses"].startswith("actions/checkout@")
    assert checkout["with"] == {"persist-credentials": False}
    sha, release = ACTIONS[SETUP_FLYCTL]
    assert setup["uses"] == f"{SETUP_FLYCTL}@{sha}"
    assert re.fullmatch(r"[0-9a-f]{40}", sha)
    assert f"{SETUP_FLYCTL}@{sha} # {release}" in files["workflow"].content
    assert "with" not in setup  # the action's default flyctl unless pinned below
    # migpipe deploy hands the token to flyctl as FLY_API_TOKEN (tests/runtime/test_deploy_fly.py).
    assert deploy["env"] == {
        "MIGPIPE_MIGRATED": "${{ needs.migrate-plan.outputs.migrations }}",
        "MIGPIPE_PLAN_DIGEST": "${{ needs.migrate-plan.outputs.digest }}",
        "ACME_FLY_TOKEN": "${{ secrets.ACME_FLY_TOKEN }}",
    }
    assert deploy["run"] == "migpipe deploy --config pipeline.toml"
    # Secrets only through env: nowhere else in the job is a secrets expression.
    for step in job["steps"]:
        for key, value in step.items():
            if key != "env":
                assert "secrets." not in str(value), (step["name"], key)


def test_flyctl_version_pins_the_cli_the_action_installs(tmp_path: Path) -> None:
    files, _ = _fly_toml(tmp_path, 'flyctl_version = "0.3.100"')
    assert deploy_job(files)["steps"][3]["with"] == {"version": "0.3.100"}


def test_runbook_names_the_token_secret_and_where_auto_deploy_is_off(tmp_path: Path) -> None:
    files, _ = _fly_toml(tmp_path)
    runbook = files["runbook"].content
    assert "gh secret set FLY_API_TOKEN --env production-deploy   # paste the output of `fly tokens create deploy --app acme-api`" in runbook
    assert "RENDER_DEPLOY_HOOK_URL" not in runbook and "deploy hook" not in runbook
    assert "flyctl deploy of the migrated commit" in runbook
    assert "fly-deploy.yml" in runbook
