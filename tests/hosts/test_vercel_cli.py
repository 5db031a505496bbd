"""The real Vercel CLI, installed the way the deploy job installs it (`migpipe
host-cli` + `npm ci --ignore-scripts` from migpipe's lockfile), builds a
repository with the vercel.json migpipe generates: it accepts the file, runs
its installCommand and buildCommand, and applies the carried keys.

`vercel build` runs offline once `.vercel/project.json` exists (what `vercel
pull` writes; written here by the test). No deploy: that needs Vercel's API.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from migpipe.profiles.hosts.vercel import CLI_VERSION

PIPELINE = """\
version = 1
[project]
name = "acme"
[tool]
name = "prisma"
version = 6
[host]
name = "vercel"
build_command = "npm run build"
install_command = "echo installed > install-ran.txt"
[host.extra]
outputDirectory = "public"
regions = ["iad1"]
crons = [{ path = "/api/cron", schedule = "0 5 * * *" }]
headers = [{ source = "/(.*)", headers = [{ key = "X-Frame-Options", value = "DENY" }] }]
"""


@pytest.mark.slow
def test_the_locked_vercel_cli_builds_with_the_generated_vercel_json(tmp_path: Path, cli) -> None:
    npm = shutil.which("npm")
    assert npm, "npm is needed (Node.js is part of the machine, see README)"
    repo = tmp_path / "repo"
    (repo / "prisma" / "migrations").mkdir(parents=True)
    (repo / "prisma" / "schema.prisma").write_text("// schema\n")
    (repo / "pipeline.toml").write_text(PIPELINE)
    (repo / "package.json").write_text(
        json.dumps({"name": "acme", "version": "1.0.0", "scripts": {"build": "mkdir -p public && echo hi > public/index.html"}})
    )
    assert cli(["generate"], repo).code == 0
    assert cli(["host-cli", str(tmp_path / "vercel-cli")], repo).code == 0
    install = subprocess.run(
        [npm, "ci", "--prefix", str(tmp_path / "vercel-cli"), "--ignore-scripts", "--no-audit", "--no-fund"],
        capture_output=True, text=True, timeout=600,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    vercel = tmp_path / "vercel-cli" / "node_modules" / ".bin" / "vercel"
    version = subprocess.run([str(vercel), "--version"], capture_output=True, text=True, timeout=120)
    assert CLI_VERSION in version.stdout + version.stderr
    # What `vercel pull` writes (here by hand: no Vercel account).
    (repo / ".vercel").mkdir()
    (repo / ".vercel" / "project.json").write_text(
        json.dumps({"projectId": "prj_test", "orgId": "team_test", "settings": {"framework": None, "nodeVersion": "24.x"}})
    )
    env = {**os.environ, "VERCEL_TELEMETRY_DISABLED": "1", "NO_UPDATE_NOTIFIER": "1"}
    build = subprocess.run(
        [str(vercel), "build", "--prod", "--yes"], cwd=repo, env=env, capture_output=True, text=True, timeout=300
    )
    assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-2000:]
    assert (repo / "install-ran.txt").read_text() == "installed\n"  # installCommand ran
    assert (repo / ".vercel" / "output" / "static" / "index.html").read_text() == "hi\n"  # buildCommand, outputDirectory
    output = json.loads((repo / ".vercel" / "output" / "config.json").read_text())
    assert output["crons"] == [{"path": "/api/cron", "schedule": "0 5 * * *"}]
    assert {"X-Frame-Options": "DENY"} in [route.get("headers") for route in output["routes"]]
    # A vercel.json the CLI cannot use fails the build (the check can fail).
    vercel_json = json.loads((repo / "vercel.json").read_text())
    (repo / "vercel.json").write_text(json.dumps({**vercel_json, "crons": [{"path": "/api/cron"}]}))
    broken = subprocess.run(
        [str(vercel), "build", "--prod", "--yes"], cwd=repo, env=env, capture_output=True, text=True, timeout=300
    )
    assert broken.returncode != 0
    assert "Invalid vercel.json" in broken.stdout + broken.stderr
