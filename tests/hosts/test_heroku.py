"""Heroku: the Procfile is build-only, and the deploy job builds through the Platform API.

The deploy script itself runs here, against a stand-in curl that answers as
the Platform API does: a build that succeeds passes, one that fails fails the
step, and the API key is on no command line and in no output.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

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
    assert '"${GITHUB_SHA}:apps/api"' in deploy_job(files)["steps"][-1]["run"]


def test_deploy_step_takes_the_key_from_env_only(tmp_path: Path) -> None:
    files = compiled(write_config(tmp_path, HEROKU, 'api_key_secret = "ACME_HEROKU_KEY"'))
    job = deploy_job(files)
    checkout, deploy = job["steps"]
    assert checkout["uses"].startswith("actions/checkout@")
    assert "uses" not in deploy
    assert deploy["env"] == {"HEROKU_APP": "acme-api", "HEROKU_API_KEY": "${{ secrets.ACME_HEROKU_KEY }}"}
    run = deploy["run"]
    assert "${{" not in run
    assert "set -x" not in run
    # The key is used once: written to curl's stdin config, not echoed or put in argv.
    assert [line.strip() for line in run.splitlines() if "HEROKU_API_KEY" in line] == [
        "printf 'header = \"Authorization: Bearer %s\"\\n' \"$HEROKU_API_KEY\" |"
    ]
    assert "Accept: application/vnd.heroku+json; version=3" in run


def test_runbook_names_the_key_secret_and_where_auto_deploy_is_off(tmp_path: Path) -> None:
    runbook = compiled(write_config(tmp_path, HEROKU))["runbook"].content
    assert "gh secret set HEROKU_API_KEY --env production-deploy" in runbook
    assert "heroku authorizations:create" in runbook
    assert "Automatic deploys off" in runbook
    assert "deploy hook" not in runbook


# --------------------------------------------------------------------------
# The deploy script, run against a stand-in Platform API

FAKE_CURL = r'''#!PYTHON
"""Stand-in curl: answers as the Heroku Platform API, logs each call."""
import json, os, sys
log = os.environ["FAKE_LOG"]
args = sys.argv[1:]
config = sys.stdin.read() if "--config" in args else ""
url = args[-1]
method = args[args.index("--request") + 1] if "--request" in args else "GET"
entry = {"argv": args, "config": config, "method": method, "url": url}
if "--data" in args:
    entry["data"] = json.loads(args[args.index("--data") + 1])
if "--data-binary" in args:
    entry["upload"] = args[args.index("--data-binary") + 1]
with open(log, "a") as f:
    f.write(json.dumps(entry) + "\n")
app = "https://api.heroku.com/apps/acme-api"
if url == app + "/sources" and method == "POST":
    print(json.dumps({"source_blob": {"put_url": "https://s3.example/put?sig=1", "get_url": "https://s3.example/get?sig=2"}}))
elif url.startswith("https://s3.example/put") and method == "PUT":
    pass
elif url == app + "/builds" and method == "POST":
    print(json.dumps({"id": "b-1", "status": "pending", "output_stream_url": "https://stream.example/b-1"}))
elif url == "https://stream.example/b-1":
    print("-----> Building on the Heroku-24 stack")
elif url == app + "/builds/b-1":
    print(json.dumps({"id": "b-1", "status": os.environ["FAKE_FINAL_STATUS"]}))
else:
    print(f"fake curl: unexpected {method} {url}", file=sys.stderr)
    sys.exit(22)
'''

KEY = "hk-secret-0123456789"


def _git_repo(root: Path) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    (root / "apps" / "api").mkdir(parents=True)
    (root / "apps" / "api" / "Procfile").write_text("web: node server.js\n")
    (root / "README.md").write_text("outside the app\n")
    for argv in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "app"]):
        subprocess.run(["git", *argv], cwd=root, env=env, check=True)
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True).stdout.strip()


@pytest.mark.parametrize(("final_status", "exit_code"), [("succeeded", 0), ("failed", 1)])
def test_deploy_script_builds_the_commit_and_fails_on_a_failed_build(
    tmp_path: Path, final_status: str, exit_code: int
) -> None:
    files = compiled(write_config(tmp_path, HEROKU, workdir="apps/api"))
    step = deploy_job(files)["steps"][-1]
    repo, bin_dir, runner_temp = tmp_path / "repo", tmp_path / "bin", tmp_path / "runner-temp"
    for directory in (bin_dir, runner_temp):
        directory.mkdir()
    sha = _git_repo(repo)
    curl = bin_dir / "curl"
    curl.write_text(FAKE_CURL.replace("PYTHON", sys.executable, 1))
    curl.chmod(0o755)
    (bin_dir / "sleep").write_text("#!/bin/sh\n")  # no real waiting between polls
    (bin_dir / "sleep").chmod(0o755)
    log = tmp_path / "calls.jsonl"
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "HEROKU_APP": step["env"]["HEROKU_APP"],
        "HEROKU_API_KEY": KEY,
        "GITHUB_SHA": sha,
        "RUNNER_TEMP": str(runner_temp),
        "FAKE_LOG": str(log),
        "FAKE_FINAL_STATUS": final_status,
    }
    result = subprocess.run(["bash", "-c", step["run"]], cwd=repo, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == exit_code, result.stdout + result.stderr
    assert KEY not in result.stdout + result.stderr
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(c["method"], c["url"]) for c in calls] == [
        ("POST", "https://api.heroku.com/apps/acme-api/sources"),
        ("PUT", "https://s3.example/put?sig=1"),
        ("POST", "https://api.heroku.com/apps/acme-api/builds"),
        ("GET", "https://stream.example/b-1"),
        ("GET", "https://api.heroku.com/apps/acme-api/builds/b-1"),
    ]
    api_calls = [c for c in calls if c["url"].startswith("https://api.heroku.com/")]
    for call in calls:
        assert not any(KEY in arg for arg in call["argv"])
        assert (KEY in call["config"]) == (call in api_calls)
    for call in api_calls:
        assert call["config"] == f'header = "Authorization: Bearer {KEY}"\n'
        assert "Accept: application/vnd.heroku+json; version=3" in call["argv"]
    assert calls[2]["data"] == {"source_blob": {"url": "https://s3.example/get?sig=2", "version": sha}}
    # The tarball holds the working directory at its root: Heroku finds the Procfile.
    with tarfile.open(calls[1]["upload"].removeprefix("@")) as tarball:
        assert sorted(tarball.getnames()) == ["Procfile"]
    assert "-----> Building on the Heroku-24 stack" in result.stdout
    if exit_code:
        assert "::error::Heroku build b-1 ended with status 'failed'" in result.stdout
    else:
        assert result.stdout.rstrip().endswith("Heroku build b-1 succeeded; Heroku releases it.")
