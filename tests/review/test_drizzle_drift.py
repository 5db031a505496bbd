"""migpipe review --schema-drift with the real drizzle-kit (from npm, no stand-in).

``drizzle-kit check`` does not compare the schema with the migrations (shown
here: it passes a schema change that has no migration), so the review asks
``drizzle-kit generate`` and removes what it wrote.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.migrate.node_projects import DRIZZLE_VERSIONS, shared_node_modules
from tests.runtime.gitrepo import commit_files, git, init_repo

CONFIG = """version = 1
[project]
name = "acme"
[tool]
name = "drizzle"
[host]
name = "render"
service_name = "acme"
"""
DRIZZLE_CONFIG = """import { defineConfig } from "drizzle-kit";
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/schema.ts",
  out: "./drizzle",
  dbCredentials: { url: process.env.DATABASE_URL ?? "postgres://unused@localhost/unused" },
});
"""
SCHEMA = """import { pgTable, bigserial, text } from "drizzle-orm/pg-core";
export const users = pgTable("users", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  email: text("email"),
});
"""
WITH_NAME = SCHEMA.replace('  email: text("email"),\n', '  email: text("email"),\n  name: text("name"),\n')
RENAMED = SCHEMA.replace('email: text("email")', 'mail: text("mail")')


@pytest.fixture(scope="module")
def node_modules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_node_modules(tmp_path_factory, DRIZZLE_VERSIONS)


def drizzle_kit(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["npx", "--no-install", "drizzle-kit", *args], cwd=repo, capture_output=True, text=True,
                          check=False, stdin=subprocess.DEVNULL, timeout=120)


@pytest.fixture
def repo(tmp_path: Path, node_modules: Path) -> Path:
    repo = init_repo(tmp_path / "app")
    (repo / "node_modules").symlink_to(node_modules, target_is_directory=True)
    commit_files(repo, {".gitignore": "node_modules\n", "pipeline.toml": CONFIG, "drizzle.config.ts": DRIZZLE_CONFIG,
                        "src/schema.ts": SCHEMA}, "app")
    generated = drizzle_kit(repo, "generate", "--name", "init")
    assert (repo / "drizzle/0000_init.sql").exists(), generated.stdout + generated.stderr
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "first migration")
    git(repo, "checkout", "-q", "-b", "feature")
    return repo


def review(repo: Path, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], str]:
    summary = tmp_path / "summary.md"
    result = subprocess.run(
        [sys.executable, "-m", "migpipe", "review", "--base", "main", "--format", "github", "--schema-drift"],
        cwd=repo, capture_output=True, text=True, check=False, timeout=300,
        env={**os.environ, "GITHUB_STEP_SUMMARY": str(summary)},
    )
    return result, summary.read_text() if summary.exists() else ""


def test_a_schema_change_with_its_migration_passes(repo: Path, tmp_path: Path) -> None:
    (repo / "src/schema.ts").write_text(WITH_NAME)
    assert "add_name.sql" in drizzle_kit(repo, "generate", "--name", "add_name").stdout
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "name")
    result, summary = review(repo, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "schema-drift" not in result.stdout and "review passed" in result.stdout
    assert git(repo, "status", "--porcelain") == ""  # the check left nothing behind


def test_a_schema_change_without_a_migration_fails_although_drizzle_kit_check_passes(repo: Path, tmp_path: Path) -> None:
    commit_files(repo, {"src/schema.ts": WITH_NAME}, "schema only")
    # The tool's own check says nothing about it: that is why the review asks generate.
    check = drizzle_kit(repo, "check")
    assert check.returncode == 0 and "Everything's fine" in check.stdout
    result, summary = review(repo, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "::error file=drizzle.config.ts,line=1,title=schema-drift::" in result.stdout
    assert 'ADD COLUMN "name" text' in result.stdout and "drizzle-kit generate" in result.stdout
    assert "**schema-drift**" in summary
    # What generate wrote was removed, and its journal put back as it was.
    assert git(repo, "status", "--porcelain") == ""
    assert sorted(p.name for p in (repo / "drizzle").iterdir()) == ["0000_init.sql", "meta"]


def test_a_change_drizzle_kit_cannot_settle_without_asking_fails(repo: Path, tmp_path: Path) -> None:
    # A renamed column: generate asks "created or renamed?", which needs a terminal; it exits 0 anyway.
    commit_files(repo, {"src/schema.ts": RENAMED}, "rename")
    result, _ = review(repo, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "could not say that the schema matches the migrations" in result.stdout
    assert "TTY" in result.stdout
    assert git(repo, "status", "--porcelain") == ""
