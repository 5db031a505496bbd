"""migpipe review on real git repositories: which migrations a branch adds or
changes, edited or deleted history, ordering against the base branch."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from migpipe.review import changed_paths, review
from migpipe.review.layouts import layout_for
from tests.runtime.gitrepo import commit_files, git, init_repo

PRISMA = layout_for("prisma", ".", "prisma/migrations")
INIT = 'CREATE TABLE "User" (id bigint PRIMARY KEY, email text);\n'


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = init_repo(tmp_path / "app")
    commit_files(
        repo,
        {
            "prisma/migrations/20260101000000_init/migration.sql": INIT,
            "prisma/migrations/20260201000000_add_name/migration.sql": 'ALTER TABLE "User" ADD COLUMN "name" text;\n',
            "prisma/migrations/migration_lock.toml": 'provider = "postgresql"\n',
            "src/app.ts": "export {}\n",
        },
        "base",
    )
    git(repo, "checkout", "-q", "-b", "feature")
    return repo


def no_lint(sql, block, warn):  # type: ignore[no-untyped-def]
    """History and ordering only: these tests do not exercise the SQL policy."""
    return ()


def _review(repo: Path, layout=PRISMA):  # type: ignore[no-untyped-def]
    return review(repo, "main", layout, [], [], no_lint)


def test_only_the_branchs_own_changes_count(repo: Path) -> None:
    commit_files(repo, {"src/app.ts": "export const x = 1\n"}, "app change")
    git(repo, "checkout", "-q", "main")
    commit_files(repo, {"prisma/migrations/20260301000000_on_main/migration.sql": "SELECT 1;\n"}, "main moves on")
    git(repo, "checkout", "-q", "feature")
    assert changed_paths(repo, "main") == [("modified", "src/app.ts")]
    report = _review(repo)
    assert report.changes == () and not report.failed


def test_editing_a_merged_migration_fails(repo: Path) -> None:
    commit_files(repo, {"prisma/migrations/20260101000000_init/migration.sql": INIT + "-- tweak\n"})
    report = _review(repo)
    assert report.failed
    (problem,) = report.problems
    assert problem.kind == "edited-merged-migration"
    assert problem.path == "prisma/migrations/20260101000000_init/migration.sql"
    assert "immutable" in problem.fix


def test_deleting_or_renaming_a_merged_migration_fails(repo: Path) -> None:
    git(repo, "mv", "prisma/migrations/20260201000000_add_name", "prisma/migrations/20260201000000_add_full_name")
    git(repo, "commit", "-q", "-m", "rename")
    report = _review(repo)
    kinds = sorted((p.kind, p.path) for p in report.problems)
    assert ("deleted-merged-migration", "prisma/migrations/20260201000000_add_name/migration.sql") in kinds
    # The renamed folder is a new migration, and "add_full_name" sorts before "add_name".
    assert ("out-of-order", "prisma/migrations/20260201000000_add_full_name/migration.sql") in kinds
    assert len(kinds) == 2


def test_a_new_migration_older_than_the_newest_on_base_fails(repo: Path) -> None:
    commit_files(repo, {"prisma/migrations/20260115000000_late/migration.sql": "SELECT 1;\n"})
    report = _review(repo)
    (problem,) = report.problems
    assert problem.kind == "out-of-order" and "20260201000000_add_name" in problem.message


def test_a_new_migration_after_the_newest_passes_history(repo: Path) -> None:
    commit_files(repo, {"prisma/migrations/20260301000000_ok/migration.sql": 'CREATE INDEX CONCURRENTLY i ON "User"(email);\n'})
    assert changed_paths(repo, "main") == [("added", "prisma/migrations/20260301000000_ok/migration.sql")]


def test_golang_migrate_orders_by_number_not_text(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "go")
    commit_files(repo, {"db/migrations/9_a.up.sql": "SELECT 1;\n", "db/migrations/9_a.down.sql": "SELECT 1;\n"})
    git(repo, "checkout", "-q", "-b", "f")
    commit_files(repo, {"db/migrations/10_b.down.sql": "SELECT 1;\n"})  # a down file only: never linted
    report = review(repo, "main", layout_for("golang-migrate", ".", "db/migrations"), [], [], no_lint)
    assert report.problems == ()  # 10 sorts after 9
    assert report.not_linted and report.not_linted[0][0] == "db/migrations/10_b.down.sql"


def test_migrations_in_a_working_directory(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "mono")
    commit_files(repo, {"apps/api/db/migrations/20260101_a.sql": "-- migrate:up\nSELECT 1;\n"})
    git(repo, "checkout", "-q", "-b", "f")
    commit_files(repo, {"apps/api/db/migrations/20260101_a.sql": "-- migrate:up\nSELECT 2;\n", "db/migrations/x.sql": "x"})
    report = review(repo, "main", layout_for("dbmate", "apps/api", "db/migrations"), [], [], no_lint)
    assert [(c.status, c.path) for c in report.changes] == [("modified", "apps/api/db/migrations/20260101_a.sql")]
    assert report.problems[0].kind == "edited-merged-migration"


def test_code_migrations_are_listed_as_not_linted(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "knex")
    commit_files(repo, {"migrations/20260101_a.js": "exports.up = () => {}\n"})
    git(repo, "checkout", "-q", "-b", "f")
    commit_files(repo, {"migrations/20260301_b.js": "exports.up = () => {}\n"})
    report = review(repo, "main", layout_for("knex", ".", "migrations"), [], [], no_lint)
    assert not report.failed and "migrate-plan lints" in report.not_linted[0][1]


def test_an_unknown_base_is_a_clear_error(repo: Path) -> None:
    (repo / "pipeline.toml").write_text(
        'version = 1\n[project]\nname = "a"\n[tool]\nname = "prisma"\nversion = 6\n[host]\nname = "render"\nservice_name = "a"\n'
    )
    result = subprocess.run(
        [sys.executable, "-m", "migpipe", "review", "--base", "no-such-ref", "-c", str(repo / "pipeline.toml"), "--root", str(repo)],
        capture_output=True, text=True, check=False, env={**os.environ, "GITHUB_STEP_SUMMARY": ""},
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "no-such-ref" in result.stderr
