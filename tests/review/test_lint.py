"""migpipe review lints the SQL a pull request adds with production's policy
(the real migpipe.lint engine and squawk), on real git repositories."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.review.prisma_review import INIT, feature_branch_repo, run_review
from tests.runtime.gitrepo import commit_files


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return feature_branch_repo(tmp_path / "app")


def _review(repo: Path, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], str]:
    summary = tmp_path / "summary.md"
    result = run_review(repo, summary)
    return result, summary.read_text() if summary.exists() else ""


def test_a_destructive_migration_fails_with_annotation_and_safe_alternative(repo: Path, tmp_path: Path) -> None:
    path = "prisma/migrations/20260301000000_drop_email/migration.sql"
    commit_files(repo, {path: '-- drop it\nALTER TABLE "User" DROP COLUMN "email";\n'})
    result, summary = _review(repo, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    annotations = [line for line in result.stdout.splitlines() if line.startswith("::error file=")]
    assert any(line.startswith(f"::error file={path},line=2,title=drop-column") for line in annotations), annotations
    assert "Safe alternative:" in annotations[0]
    assert "| `20260301000000_drop_email` |" in summary and "drop-column" in summary
    assert "## Migration review: blocks the merge" in summary


def test_a_safe_migration_passes(repo: Path, tmp_path: Path) -> None:
    commit_files(repo, {"prisma/migrations/20260301000000_add_name/migration.sql": 'ALTER TABLE "User" ADD COLUMN "name" text;\n'})
    result, summary = _review(repo, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "## Migration review: passes" in summary and "| yes |" in summary


def test_the_same_policy_as_production_warn_only_kinds_do_not_fail(repo: Path, tmp_path: Path) -> None:
    commit_files(repo, {"prisma/migrations/20260301000000_idx/migration.sql": 'CREATE INDEX "i" ON "User"(email);\n'})
    result, _ = _review(repo, tmp_path)
    assert result.returncode == 0, result.stdout
    assert "::warning file=prisma/migrations/20260301000000_idx/migration.sql" in result.stdout


def test_editing_a_merged_migration_fails_even_when_its_sql_is_safe(repo: Path, tmp_path: Path) -> None:
    commit_files(repo, {"prisma/migrations/20260101000000_init/migration.sql": INIT + "-- a comment\n"})
    result, summary = _review(repo, tmp_path)
    assert result.returncode == 1
    assert "::error file=prisma/migrations/20260101000000_init/migration.sql,line=1,title=edited-merged-migration" in result.stdout
    assert "edited-merged-migration" in summary
