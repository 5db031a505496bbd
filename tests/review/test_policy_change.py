"""A pull request cannot loosen the policy and use the loosening at once:
the review lints with the stricter of the base's [guards] and the changed one
(migpipe.review.policy_change), on real git repositories."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from migpipe.policy import DEFAULT_BLOCK, DEFAULT_WARN
from migpipe.review.policy_change import Policy, base_policy, loosened, stricter
from tests.review.prisma_review import CONFIG, feature_branch_repo, run_review
from tests.runtime.gitrepo import commit_files, git, init_repo

# drop-column moved from block (the default) to warn.
LOOSENED = CONFIG + "[guards]\nblock = {}\nwarn = {}\n".format(
    json.dumps([kind for kind in DEFAULT_BLOCK if kind != "drop-column"]), json.dumps([*DEFAULT_WARN, "drop-column"])
)
DROP = "prisma/migrations/20260301000000_drop_email/migration.sql"
DROP_SQL = 'ALTER TABLE "User" DROP COLUMN "email";\n'


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return feature_branch_repo(tmp_path / "app")


def _review(repo: Path) -> subprocess.CompletedProcess[str]:
    return run_review(repo)


def test_loosening_the_policy_and_adding_what_it_blocked_fails_review(repo: Path) -> None:
    commit_files(repo, {"pipeline.toml": LOOSENED, DROP: DROP_SQL})

    result = _review(repo)

    assert result.returncode == 1, result.stdout + result.stderr
    assert f"::error file={DROP},line=1,title=drop-column (ban-drop-column)::" in result.stdout
    loosening = [line for line in result.stdout.splitlines() if line.startswith("::error file=pipeline.toml,line=1,title=policy-loosened::")]
    assert len(loosening) == 1, result.stdout
    assert "takes drop-column out of guards.block" in loosening[0] and f"drop-column at {DROP}:1" in loosening[0]
    assert "pull request of its own" in loosening[0]


def test_the_same_change_without_the_loosening_is_blocked_as_always(repo: Path) -> None:
    commit_files(repo, {DROP: DROP_SQL})
    result = _review(repo)
    assert result.returncode == 1
    assert "policy-loosened" not in result.stdout


def test_a_pull_request_that_only_loosens_the_policy_passes(repo: Path) -> None:
    commit_files(repo, {"pipeline.toml": LOOSENED})
    result = _review(repo)
    assert result.returncode == 0, result.stdout + result.stderr


def test_once_the_loosening_is_merged_the_migration_passes_with_a_warning(repo: Path) -> None:
    commit_files(repo, {"pipeline.toml": LOOSENED})
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--ff-only", "feature")
    git(repo, "checkout", "-q", "-b", "drop")
    commit_files(repo, {DROP: DROP_SQL})

    result = _review(repo)

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"::warning file={DROP},line=1,title=drop-column" in result.stdout


def test_a_written_exemption_still_lets_the_statement_through(repo: Path) -> None:
    sql = "-- migpipe-ignore drop-column -- the column was unused for a release\n" + DROP_SQL
    commit_files(repo, {"pipeline.toml": LOOSENED, DROP: sql})
    result = _review(repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "policy-loosened" not in result.stdout


def test_an_adopting_pull_request_has_no_base_policy_to_compare(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "app")
    commit_files(repo, {"README.md": "app\n"}, "before migpipe")
    git(repo, "checkout", "-q", "-b", "adopt")
    commit_files(repo, {"pipeline.toml": LOOSENED, DROP: DROP_SQL})
    assert base_policy(repo, "main", "pipeline.toml") is None
    result = _review(repo)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_comparison_reads_defaults_and_ignores_what_it_cannot_read(repo: Path) -> None:
    before = base_policy(repo, "main", "pipeline.toml")
    assert before is not None and "drop-column" in before.block
    assert loosened(before, [k for k in before.block if k != "truncate"], [*before.warn, "truncate"]) == ("truncate",)
    assert loosened(before, [*before.block, "drop-index"], [k for k in before.warn if k != "drop-index"]) == ()
    assert stricter(["drop-table"], ["truncate", "drop-index"], ["truncate"]) == Policy(("drop-table", "truncate"), ("drop-index",))
    commit_files(repo, {"pipeline.toml": CONFIG + '[guards]\nblock = ["no-such-kind"]\n'})
    assert base_policy(repo, "HEAD", "pipeline.toml") is None
    commit_files(repo, {"pipeline.toml": "version = [\n"})
    assert base_policy(repo, "HEAD", "pipeline.toml") is None
