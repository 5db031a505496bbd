"""Heroku: the Procfile is build-only, and the deploy job builds through the Platform API.

`migpipe deploy` itself runs against a stand-in Platform API in
tests/runtime/test_deploy_heroku.py.
"""
from __future__ import annotations

import re
from pathlib import Path

from migpipe.pipeline import load_pipeline
from migpipe.profiles.hosts.heroku import HerokuHost
from migpipe.runtime.deploy import Environment, heroku
from tests.hosts.conftest import HEROKU, compiled, deploy_job, write_config

PROCESS_LINE = re.compile(r"([A-Za-z0-9_-]+):\s*(.+)")  # Heroku's own Procfile format


def _process_types(procfile: str) -> dict[str, str]:
    types = {}
    for line in procfile.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        match = PROCESS_LINE.fullmatch(line)
        assert match, f"not a Procfile line: {line!r}"
        types[match.group(1)] = match.group(2)
    return types


def test_procfile_has_only_a_web_process_and_its_header_says_why(tmp_path: Path) -> None:
    files = compiled(write_config(tmp_path, HEROKU, 'start_command = "node dist/server.js"'))
    procfile = files["host_config"]
    assert procfile.path == "Procfile"
    assert _process_types(procfile.content) == {"web": "node dist/server.js"}
    header = " ".join(line.removeprefix("# ") for line in procfile.content.splitlines() if line.startswith("#"))
    assert "there is no release: process on purpose" in header
    assert "outside the approved migrate-prod job" in header


def test_procfile_goes_to_the_root_of_the_uploaded_source(tmp_path: Path) -> None:
    files = compiled(write_config(tmp_path, HEROKU, workdir="apps/api"))
    assert files["host_config"].path == "apps/api/Procfile"
    pipeline = load_pipeline(tmp_path / "pipeline.toml")
    assert isinstance(pipeline.host, HerokuHost)
    # migpipe deploy uploads that directory of the commit (tests/runtime/test_deploy_heroku.py).
    target = heroku.target_from(pipeline, tmp_path, Environment({"HEROKU_API_KEY": "key"}))
    assert target.working_directory == "apps/api"


def test_deploy_step_takes_the_key_from_env_only(tmp_path: Path) -> None:
    files = compiled(write_config(tmp_path, HEROKU, 'api_key_secret = "ACME_HEROKU_KEY"'))
    job = deploy_job(files)
    checkout, _python, _migpipe, deploy = job["steps"]
    assert checkout["uses"].startswith("actions/checkout@")
    assert "uses" not in deploy
    assert deploy["env"] == {
        "MIGPIPE_MIGRATED": "${{ needs.migrate-plan.outputs.migrations }}",
        "MIGPIPE_PLAN_DIGEST": "${{ needs.migrate-plan.outputs.digest }}",
        "ACME_HEROKU_KEY": "${{ secrets.ACME_HEROKU_KEY }}",
    }
    assert deploy["run"] == "migpipe deploy --config pipeline.toml"


def test_runbook_names_the_key_secret_and_where_auto_deploy_is_off(tmp_path: Path) -> None:
    runbook = compiled(write_config(tmp_path, HEROKU))["runbook"].content
    assert "gh secret set HEROKU_API_KEY --env production-deploy" in runbook
    assert "heroku authorizations:create" in runbook
    assert "Automatic deploys off" in runbook
    assert "deploy hook" not in runbook
