"""migpipe review for Drizzle with the real drizzle-kit (from npm, no stand-in).

Schema drift: ``drizzle-kit check`` does not compare the schema with the
migrations (shown here: it passes a schema change that has no migration), so
``--schema-drift`` asks ``drizzle-kit generate`` and removes what it wrote.

Ordering: drizzle-kit migrate applies only journal entries newer than the
newest it applied (shown here on a real PostgreSQL: a branch's older entry is
skipped once the base's newer one ran), so the review compares ``when``.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from migpipe.review import review as review_of
from migpipe.review.layouts import layout_for
from tests.migrate.node_projects import DRIZZLE_VERSIONS, shared_node_modules
from tests.runtime.gitrepo import commit_files, git, init_repo
from tests.support.postgres import PostgresServer

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


# ---- ordering: the journal's when --------------------------------------------

WITH_AGE = SCHEMA.replace('  email: text("email"),\n', '  email: text("email"),\n  age: text("age"),\n')
WITH_AGE_AND_NAME = WITH_AGE.replace('  age: text("age"),\n', '  age: text("age"),\n  name: text("name"),\n')


def _generate_and_commit(repo: Path, schema: str, name: str) -> None:
    (repo / "src/schema.ts").write_text(schema)
    out = drizzle_kit(repo, "generate", "--name", name)
    assert f"{name}.sql" in out.stdout, out.stdout + out.stderr
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", name)


def no_lint(sql, block, warn):  # type: ignore[no-untyped-def]
    return ()


def test_a_branch_migration_older_than_the_bases_newest_is_an_ordering_conflict(repo: Path) -> None:
    # feature writes its migration first; main merges a later one meanwhile.
    _generate_and_commit(repo, WITH_NAME, "add_name")
    git(repo, "checkout", "-q", "main")
    _generate_and_commit(repo, WITH_AGE, "add_age")
    git(repo, "checkout", "-q", "feature")
    report = review_of(repo, "main", layout_for("drizzle", ".", "drizzle"), [], [], no_lint)
    (problem,) = report.problems  # 0001_add_name sorts after 0001_add_age by name: only the journal tells
    journal = (repo / "drizzle/meta/_journal.json").read_text()
    assert problem.kind == "ordering-conflict" and problem.path == "drizzle/meta/_journal.json"
    assert '"0001_add_name"' in journal.splitlines()[problem.line - 1]
    assert "0001_add_age, the newest on the base branch" in problem.message
    assert "production would skip 0001_add_name silently" in problem.message
    assert "drizzle-kit generate" in problem.fix


def test_a_branch_migration_newer_than_the_bases_passes(repo: Path) -> None:
    git(repo, "checkout", "-q", "main")
    _generate_and_commit(repo, WITH_AGE, "add_age")
    git(repo, "checkout", "-q", "feature")
    git(repo, "merge", "-q", "--no-edit", "main")
    _generate_and_commit(repo, WITH_AGE_AND_NAME, "add_name")
    report = review_of(repo, "main", layout_for("drizzle", ".", "drizzle"), [], [], no_lint)
    assert report.problems == ()


def test_a_sql_file_outside_the_journal_is_named(repo: Path) -> None:
    commit_files(repo, {"drizzle/0001_by_hand.sql": "ALTER TABLE users ADD COLUMN x text;\n"})
    report = review_of(repo, "main", layout_for("drizzle", ".", "drizzle"), [], [], no_lint)
    (problem,) = report.problems
    assert problem.path == "drizzle/0001_by_hand.sql" and "would never run" in problem.message


def test_drizzle_kit_migrate_skips_an_older_entry_after_a_newer_one_ran(
    repo: Path, postgres_server: PostgresServer, fresh_database: str
) -> None:
    """The premise, on a real PostgreSQL: what production does with the conflict above."""
    _generate_and_commit(repo, WITH_NAME, "add_name")
    git(repo, "checkout", "-q", "main")
    _generate_and_commit(repo, WITH_AGE, "add_age")
    env = {**os.environ, "DATABASE_URL": postgres_server.url(fresh_database)}

    def migrate() -> None:
        out = subprocess.run(["npx", "--no-install", "drizzle-kit", "migrate"], cwd=repo, env=env, capture_output=True,
                             text=True, check=False, stdin=subprocess.DEVNULL, timeout=120)
        assert out.returncode == 0, out.stdout + out.stderr

    migrate()  # production runs main: 0000_init, 0001_add_age
    # The branch merges, its journal entry (older when) after main's, as a merge resolution keeps both.
    git(repo, "checkout", "-q", "feature", "--", "drizzle/0001_add_name.sql")
    journal = json.loads((repo / "drizzle/meta/_journal.json").read_text())
    feature_journal = json.loads(git(repo, "show", "feature:drizzle/meta/_journal.json"))
    journal["entries"].append({**feature_journal["entries"][1], "idx": 2})
    (repo / "drizzle/meta/_journal.json").write_text(json.dumps(journal, indent=2))
    migrate()  # exit 0, "applied"
    columns = postgres_server.psql(fresh_database, "SELECT string_agg(column_name, ',' ORDER BY column_name) FROM information_schema.columns WHERE table_name = 'users'")
    assert columns == "age,email,id"  # no "name": the branch's migration was skipped, silently
