"""A Prisma app on a real git repository, on a feature branch off main, and
`migpipe review` run on it as the review job runs it (shared by the review tests)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.runtime.gitrepo import commit_files, git, init_repo

CONFIG = """version = 1
[project]
name = "acme"
[tool]
name = "prisma"
version = 6
[host]
name = "render"
service_name = "acme"
"""
INIT = 'CREATE TABLE "User" (id bigint PRIMARY KEY, email text);\n'


def feature_branch_repo(folder: Path) -> Path:
    """main holds pipeline.toml and one migration; the checkout is on branch `feature`."""
    repo = init_repo(folder)
    commit_files(repo, {"pipeline.toml": CONFIG, "prisma/migrations/20260101000000_init/migration.sql": INIT}, "base")
    git(repo, "checkout", "-q", "-b", "feature")
    return repo


def run_review(repo: Path, summary: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`migpipe review --base main --format github`; the job summary goes to ``summary`` when given."""
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_STEP_SUMMARY"}
    if summary is not None:
        env["GITHUB_STEP_SUMMARY"] = str(summary)
    return subprocess.run(
        [sys.executable, "-m", "migpipe", "review", "--base", "main", "--format", "github"],
        cwd=repo, capture_output=True, text=True, check=False, timeout=120, env=env,
    )
