"""Issue 15's gates, proven with the real `act` on the workflow exactly as generated.

* The `review` job of a pull request: a destructive migration the change adds,
  or an edit / deletion of a migration already on the base branch, fails it,
  with the job summary and `::error file=…,line=…::` annotations.
* Plan, approve, apply exactly the plan: migrate-prod applies nothing when the
  pending set it finds is not the one planned (the dispatch gate's stale
  digest; production changed between migrate-plan and migrate-prod), and
  applies the empty plan of a push that adds no migration.
* The approval gate must exist: an environment without required reviewers,
  or none, stops migrate-prod before anything touches production.

The runner is clean (harness.py: migpipe and squawk arrive only through the
workflow's own install steps); PostgreSQL is real. Stand-ins, named so,
because the real thing cannot run here: the GitHub-hosted actions
(harness.write_action_standins), Prisma's migration engine
(tests/migrate/standin/prisma), GitHub's REST API (github_standin.py) and
Render's deploy hook (conftest.deploy_hook).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from migpipe.policy import KINDS
from tests.e2e.conftest import MakeProject
from tests.e2e.github_standin import GITHUB_TOKEN, ApiRequest, GitHubApiStandin, without_reviewers
from tests.e2e.harness import (
    STANDIN_PRISMA,
    TEST_BIN,
    ActRun,
    ActRunner,
    DeployHook,
    Project,
    applied_migrations,
    commit_change,
    git,
    head_sha,
    pull_request_payload,
    run_here,
    user_columns,
)
from tests.support.postgres import PostgresServer

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

INIT = "20240101000000_init"
INIT_SQL = 'CREATE TABLE "User" (id bigint PRIMARY KEY, email text);\n'
ADD_NAME = "20240102000000_add_name"
ADD_NAME_SQL = 'ALTER TABLE "User" ADD COLUMN "name" text;\n'
ADD_NICK = "20240103000000_add_nickname"
ADD_NICK_SQL = 'ALTER TABLE "User" ADD COLUMN "nickname" text;\n'
DROP_EMAIL = "20240104000000_drop_email"
# The DROP on line 3: the annotation must point at it, not at the file.
DROP_EMAIL_SQL = '-- The app no longer reads the address.\n-- Drop it.\nALTER TABLE "User" DROP COLUMN "email";\n'

REVIEW, PLAN, MIGRATE, DEPLOY = "Migration review", "Plan production migrations", "Migrate production database", "Deploy"
REVIEW_STEP = "Review the migrations this change adds or edits"
GATE_STEP = "Check the approval gate exists"
APPLY_STEP = "Lint, back up and apply pending migrations"


def _run(
    act: ActRunner,
    project: Project,
    server: PostgresServer,
    event: str,
    *,
    github: GitHubApiStandin | None = None,
    hook: DeployHook | None = None,
    payload: Mapping[str, object] | None = None,
    job: str | None = None,
) -> ActRun:
    secrets = {
        "PRODUCTION_DATABASE_URL": server.url(project.prod_db),
        # migrate-plan's read-only credential (the tests' server has one role for both).
        "PRODUCTION_DATABASE_URL_READONLY": server.url(project.prod_db),
        "GITHUB_TOKEN": GITHUB_TOKEN,
    }
    if hook is not None:
        secrets["RENDER_DEPLOY_HOOK_URL"] = hook.url
    env = {"MIGPIPE_GITHUB_API_URL": github.url} if github is not None else {}
    return act(project.root, event, secrets=secrets, env=env, payload=payload, job=job)


def _annotations(run: ActRun, job_name: str) -> list[str]:
    """The `::error …::` / `::warning …::` lines the job printed (act shows them after ❗ / ⚠)."""
    return [match.group(0) for line in run.job_lines(job_name) if (match := re.search(r"::(error|warning) .*", line))]


# --------------------------------------------------------------------------
# Review on pull requests


def test_a_pull_request_adding_a_destructive_migration_fails_review_with_summary_and_annotation(
    make_project: MakeProject, postgres_server: PostgresServer, act: ActRunner
) -> None:
    project = make_project({INIT: INIT_SQL})
    base = head_sha(project.root)
    # The pull request: one safe migration and one that drops a column.
    project.write_migration(ADD_NAME, ADD_NAME_SQL)
    drop = project.write_migration(DROP_EMAIL, DROP_EMAIL_SQL).relative_to(project.root).as_posix()
    commit_change(project.root, "add name, drop email")

    run = _run(act, project, postgres_server, "pull_request", payload=pull_request_payload(base), job="review")

    assert run.returncode != 0
    assert run.job_result(REVIEW) == "failed", run.output[-6000:]
    assert run.step_result(REVIEW, "Install migpipe") == "succeeded"
    assert run.step_result(REVIEW, REVIEW_STEP) == "failed"
    summary = run.job_summary(REVIEW)
    assert "Migration review: blocks the merge" in summary
    assert f"Compared with `{base}`" in summary
    # Exactly the change: both new migrations, linted; the base's migration is not listed.
    assert f"| `{DROP_EMAIL}` | `{drop}` | added | yes |" in summary
    assert f"`{ADD_NAME}`" in summary
    assert INIT not in summary
    finding = next(line for line in summary.splitlines() if line.startswith(f"| `{drop}:3`"))
    assert "`drop-column`" in finding and "| block |" in finding
    assert KINDS["drop-column"].safe_alternative in finding
    # Only the destructive one is a finding.
    assert f"{ADD_NAME}/migration.sql:" not in summary
    errors = [line for line in _annotations(run, REVIEW) if line.startswith("::error ")]
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"::error file={drop},line=3,title=drop-column (ban-drop-column)::")
    assert "Safe alternative: " + KINDS["drop-column"].safe_alternative in errors[0]
    # A review touches no database.
    assert applied_migrations(postgres_server, project.prod_db) == []


def test_a_pull_request_adding_a_safe_migration_passes_review(
    make_project: MakeProject, postgres_server: PostgresServer, act: ActRunner
) -> None:
    """The control of the test above: the same job passes a safe change."""
    project = make_project({INIT: INIT_SQL})
    base = head_sha(project.root)
    project.write_migration(ADD_NAME, ADD_NAME_SQL)
    commit_change(project.root, "add name")

    run = _run(act, project, postgres_server, "pull_request", payload=pull_request_payload(base), job="review")

    assert run.returncode == 0, run.output[-6000:]
    assert run.job_result(REVIEW) == "succeeded"
    summary = run.job_summary(REVIEW)
    assert "Migration review: passes" in summary
    assert f"| `{ADD_NAME}` | `prisma/migrations/{ADD_NAME}/migration.sql` | added | yes |" in summary
    assert _annotations(run, REVIEW) == []


def test_a_pull_request_editing_or_deleting_a_merged_migration_fails_review(
    make_project: MakeProject, postgres_server: PostgresServer, act: ActRunner
) -> None:
    project = make_project({INIT: INIT_SQL, ADD_NAME: ADD_NAME_SQL})
    base = head_sha(project.root)
    # Edit the first merged migration (the edit itself is harmless SQL), delete the second.
    edited = project.migration(INIT)
    edited.write_text(INIT_SQL + 'CREATE INDEX "User_email" ON "User" (email);\n')
    deleted = project.migration(ADD_NAME)
    deleted.unlink()
    deleted.parent.rmdir()
    commit_change(project.root, "rewrite history")
    edited_path = edited.relative_to(project.root).as_posix()
    deleted_path = deleted.relative_to(project.root).as_posix()

    run = _run(act, project, postgres_server, "pull_request", payload=pull_request_payload(base), job="review")

    assert run.returncode != 0
    assert run.job_result(REVIEW) == "failed", run.output[-6000:]
    assert run.step_result(REVIEW, REVIEW_STEP) == "failed"
    summary = run.job_summary(REVIEW)
    assert "Migration review: blocks the merge" in summary
    edited_row = next(line for line in summary.splitlines() if line.startswith(f"| `{edited_path}` | **"))
    assert "**edited-merged-migration**" in edited_row and "immutable" in edited_row
    deleted_row = next(line for line in summary.splitlines() if line.startswith(f"| `{deleted_path}` | **"))
    assert "**deleted-merged-migration**" in deleted_row
    errors = [line for line in _annotations(run, REVIEW) if line.startswith("::error ")]
    assert any(line.startswith(f"::error file={edited_path},line=1,title=edited-merged-migration::") for line in errors), errors
    assert any(line.startswith(f"::error file={deleted_path},line=1,title=deleted-merged-migration::") for line in errors), errors
    assert applied_migrations(postgres_server, project.prod_db) == []


def test_a_pull_request_cannot_loosen_the_policy_and_use_the_loosening(
    make_project: MakeProject, postgres_server: PostgresServer, act: ActRunner
) -> None:
    """drop-column moved from guards.block to warn, the files regenerated, and
    the DROP COLUMN, all in one pull request: the base's policy still applies."""
    project = make_project({INIT: INIT_SQL})
    base = head_sha(project.root)
    pipeline = project.root / "pipeline.toml"
    text = pipeline.read_text()
    assert '"drop-table", "drop-column",' in text and 'warn = [\n' in text
    pipeline.write_text(text.replace('"drop-table", "drop-column",', '"drop-table",').replace("warn = [\n", 'warn = [\n  "drop-column",\n'))
    run_here([str(TEST_BIN / "migpipe"), "generate"], project.root)
    drop = project.write_migration(DROP_EMAIL, DROP_EMAIL_SQL).relative_to(project.root).as_posix()
    commit_change(project.root, "drop-column only warns now; drop email")

    run = _run(act, project, postgres_server, "pull_request", payload=pull_request_payload(base), job="review")

    assert run.returncode != 0
    assert run.job_result(REVIEW) == "failed", run.output[-6000:]
    errors = [line for line in _annotations(run, REVIEW) if line.startswith("::error ")]
    assert any(line.startswith(f"::error file={drop},line=3,title=drop-column (ban-drop-column)::") for line in errors), errors
    loosening = [line for line in errors if line.startswith("::error file=pipeline.toml,line=1,title=policy-loosened::")]
    assert len(loosening) == 1, errors
    assert f"drop-column at {drop}:3" in loosening[0]
    assert "**policy-loosened**" in run.job_summary(REVIEW)


def test_a_merge_group_whose_new_migration_sorts_before_the_bases_newest_fails_review(
    make_project: MakeProject, postgres_server: PostgresServer, act: ActRunner
) -> None:
    """The merge queue runs the review too. A branch made before another one
    merged a later migration: in the queue its new migration would apply out of
    order (or never, where production has the later one already)."""
    project = make_project({INIT: INIT_SQL})
    git(project.root, ["checkout", "-q", "-b", "feature"])
    project.write_migration(ADD_NAME, ADD_NAME_SQL)  # 20240102…
    commit_change(project.root, "add name")
    git(project.root, ["checkout", "-q", "main"])
    project.write_migration(ADD_NICK, ADD_NICK_SQL)  # 20240103…, merged first
    base = commit_change(project.root, "add nickname")
    # The queue's merge commit of the branch onto the base.
    git(project.root, ["-c", "user.name=t", "-c", "user.email=t@t", "merge", "-q", "--no-ff", "-m", "queue", "feature"])
    payload = {"merge_group": {"base_sha": base, "head_sha": head_sha(project.root),
                               "head_ref": "refs/heads/gh-readonly-queue/main/pr-7-" + base}}

    run = _run(act, project, postgres_server, "merge_group", payload=payload, job="review")

    assert run.returncode != 0
    assert run.job_result(REVIEW) == "failed", run.output[-6000:]
    summary = run.job_summary(REVIEW)
    assert f"Compared with `{base}`" in summary
    added = f"prisma/migrations/{ADD_NAME}/migration.sql"
    row = next(line for line in summary.splitlines() if line.startswith(f"| `{added}` | **"))
    assert "**out-of-order**" in row and ADD_NICK in row
    assert ADD_NICK not in [line.split("`")[1] for line in summary.splitlines() if line.startswith("| `2024")]
    errors = [line for line in _annotations(run, REVIEW) if line.startswith("::error ")]
    assert [line.split("::")[1] for line in errors] == [f"error file={added},line=1,title=out-of-order"]


# --------------------------------------------------------------------------
# Plan, approve, apply exactly the plan


def _dispatch_gate(pipeline: str) -> str:
    assert "[approval]\n" in pipeline
    return pipeline.replace("[approval]\n", '[approval]\ngate = "dispatch"\n', 1)


def _plan_digest(run: ActRun) -> str:
    match = re.search(r"Plan digest: `([0-9a-f]{64})`", run.job_summary(PLAN))
    assert match, run.job_log(PLAN)[-4000:]
    return match.group(1)


def _dispatch(digest: str) -> dict[str, object]:
    return {"inputs": {"plan_digest": digest}}


def test_dispatch_gate_applies_only_the_digest_dispatched_and_a_stale_one_changes_nothing(
    make_project: MakeProject, postgres_server: PostgresServer, act: ActRunner, github_api: GitHubApiStandin,
    deploy_hook: DeployHook,
) -> None:
    project = make_project({INIT: INIT_SQL}, edit_pipeline=_dispatch_gate)

    # A push to main plans (for the reviewer to read) but neither migrates nor deploys.
    pushed = _run(act, project, postgres_server, "push", github=github_api, hook=deploy_hook)
    assert pushed.returncode == 0, pushed.output[-6000:]
    assert pushed.job_result(PLAN) == "succeeded"
    assert pushed.job_result(MIGRATE) is None and pushed.job_result(DEPLOY) is None
    reviewed = _plan_digest(pushed)
    assert f"`{INIT}`" in pushed.job_summary(PLAN)

    # Main moves on before anyone dispatches: the reviewed digest is stale.
    project.write_migration(ADD_NAME, ADD_NAME_SQL)
    commit_change(project.root, "add name")
    stale = _run(act, project, postgres_server, "workflow_dispatch", github=github_api, hook=deploy_hook,
                 payload=_dispatch(reviewed))

    assert stale.returncode != 0
    assert stale.job_result(PLAN) == "succeeded"
    assert stale.step_result(MIGRATE, GATE_STEP) == "succeeded"  # a dispatch with a digest is the gate
    assert stale.step_result(MIGRATE, APPLY_STEP) == "failed"
    log = stale.job_log(MIGRATE)
    assert "exit status 3" in log
    assert f"the plan changed since it was approved (expected digest {reviewed}" in log
    assert f"{INIT}, {ADD_NAME}" in log  # what is pending now
    assert stale.job_result(DEPLOY) is None
    assert deploy_hook.calls == []
    assert applied_migrations(postgres_server, project.prod_db) == []
    assert user_columns(postgres_server, project.prod_db) == []

    # Dispatched with the digest of the plan as it stands now: applied, then deployed.
    current = _plan_digest(stale)
    assert current != reviewed
    applied = _run(act, project, postgres_server, "workflow_dispatch", github=github_api, hook=deploy_hook,
                   payload=_dispatch(current))
    assert applied.returncode == 0, applied.output[-6000:]
    assert applied.job_result(MIGRATE) == "succeeded"
    assert applied.job_result(DEPLOY) == "succeeded"
    assert applied_migrations(postgres_server, project.prod_db) == [INIT, ADD_NAME]
    assert user_columns(postgres_server, project.prod_db) == ["email", "id", "name"]
    assert len(deploy_hook.calls) == 1
    # The dispatch gate never asked GitHub whether the environment has reviewers.
    assert github_api.environment_requests("production") == []


def _apply_elsewhere(server: PostgresServer, database: str, migrations: Mapping[str, str], folder: Path) -> None:
    """Another run (or an earlier one) applies `migrations` to `database`, with the Prisma stand-in."""
    (folder / "prisma").mkdir(parents=True)
    (folder / "prisma" / "schema.prisma").write_text(
        'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n'
    )
    for name, sql in migrations.items():
        (folder / "prisma" / "migrations" / name).mkdir(parents=True)
        (folder / "prisma" / "migrations" / name / "migration.sql").write_text(sql)
    result = subprocess.run(
        [sys.executable, str(STANDIN_PRISMA), "migrate", "deploy", "--schema", "prisma/schema.prisma"],
        cwd=folder, env={**os.environ, **server.client_env(), "DATABASE_URL": server.url(database)},
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _on_nth_environment_request(n: int, action: Callable[[], None]) -> Callable[[ApiRequest], None]:
    seen: list[ApiRequest] = []

    def hook(request: ApiRequest) -> None:
        if "/environments/" in request.path:
            seen.append(request)
            if len(seen) == n:
                action()

    return hook


def test_production_changed_between_plan_and_apply_stops_migrate_prod_with_nothing_applied(
    make_project: MakeProject, postgres_server: PostgresServer, act: ActRunner, github_api: GitHubApiStandin,
    deploy_hook: DeployHook, tmp_path: Path,
) -> None:
    project = make_project({INIT: INIT_SQL, ADD_NAME: ADD_NAME_SQL})
    # The environment gate (default). migrate-plan asks for the environment
    # first (it reports the gate), migrate-prod's approval-check second: just
    # then, as the approval is given, another run applies the first migration.
    github_api.on_request = _on_nth_environment_request(
        2, lambda: _apply_elsewhere(postgres_server, project.prod_db, {INIT: INIT_SQL}, tmp_path / "other-run")
    )

    run = _run(act, project, postgres_server, "push", github=github_api, hook=deploy_hook)

    assert run.returncode != 0
    assert run.job_result(PLAN) == "succeeded"
    planned = _plan_digest(run)
    assert f"`{INIT}`" in run.job_summary(PLAN) and f"`{ADD_NAME}`" in run.job_summary(PLAN)
    assert len(github_api.environment_requests("production")) == 2
    assert run.step_result(MIGRATE, GATE_STEP) == "succeeded"
    assert run.step_result(MIGRATE, APPLY_STEP) == "failed"
    log = run.job_log(MIGRATE)
    assert "exit status 3" in log
    assert f"the plan changed since it was approved (expected digest {planned}, pending now" in log
    # What changed, against the plan's names (migrate-plan's output).
    assert f": {ADD_NAME}); what changed: no longer pending: {INIT} (applied meanwhile by another run?); nothing was applied" in log
    assert run.job_result(DEPLOY) is None
    assert deploy_hook.calls == []
    # Production holds what the other run applied, and nothing of this run.
    assert applied_migrations(postgres_server, project.prod_db) == [INIT]
    assert user_columns(postgres_server, project.prod_db) == ["email", "id"]
    assert postgres_server.password not in run.output and GITHUB_TOKEN not in run.output


def test_a_push_that_adds_no_migration_applies_the_empty_plan_and_deploys(
    make_project: MakeProject, postgres_server: PostgresServer, act: ActRunner, github_api: GitHubApiStandin,
    deploy_hook: DeployHook, tmp_path: Path,
) -> None:
    """Most pushes to main change code only. The empty plan has a digest too;
    migrate-prod stopped on it with exit 3, so such a push never deployed."""
    project = make_project({INIT: INIT_SQL})
    _apply_elsewhere(postgres_server, project.prod_db, {INIT: INIT_SQL}, tmp_path / "earlier-run")
    # An older run still waits for its approval: the plan job says so.
    github_api.waiting_runs = [{
        "id": 9041, "run_number": 41, "head_sha": "0123456789abcdef" * 2 + "01234567",
        "html_url": "https://github.com/acme/api/actions/runs/9041", "created_at": "2026-12-01T09:00:00Z",
    }]

    run = _run(act, project, postgres_server, "push", github=github_api, hook=deploy_hook)

    assert run.returncode == 0, run.output[-6000:]
    plan_summary = run.job_summary(PLAN)
    assert "Nothing is pending" in plan_summary
    assert "### Older runs still waiting for approval" in plan_summary
    assert "run #41 (commit 0123456789ab, since 2026-12-01T09:00:00Z) is waiting" in plan_summary
    assert any(line.startswith("::warning title=Older run waiting for approval::run #41 ")
               for line in _annotations(run, PLAN))
    listed = [r for r in github_api.requests if r.path.endswith("/actions/workflows/ci-cd.yml/runs")]
    assert listed and all(r.query.get("status") == ["waiting"] for r in listed)
    assert run.job_result(MIGRATE) == "succeeded"
    assert "no pending migrations; nothing to do" in run.job_log(MIGRATE)
    assert run.job_result(DEPLOY) == "succeeded"
    assert len(deploy_hook.calls) == 1
    assert applied_migrations(postgres_server, project.prod_db) == [INIT]
    assert postgres_server.password not in run.output and GITHUB_TOKEN not in run.output


# --------------------------------------------------------------------------
# The approval gate must exist


@pytest.mark.parametrize("environment", ["without-reviewers", "missing"])
def test_an_environment_without_required_reviewers_makes_migrate_prod_fail_closed(
    environment: str, make_project: MakeProject, postgres_server: PostgresServer, act: ActRunner,
    github_api: GitHubApiStandin, deploy_hook: DeployHook,
) -> None:
    project = make_project({INIT: INIT_SQL})
    if environment == "without-reviewers":
        github_api.environments["production"] = without_reviewers()
    else:
        del github_api.environments["production"]  # GitHub answers 404

    run = _run(act, project, postgres_server, "push", github=github_api, hook=deploy_hook)

    assert run.returncode != 0
    # The plan is still published (it changes nothing); it warns about the gate.
    assert run.job_result(PLAN) == "succeeded"
    assert any(line.startswith("::warning title=No approval gate::") for line in _annotations(run, PLAN))
    assert run.job_result(MIGRATE) == "failed"
    assert run.step_result(MIGRATE, GATE_STEP) == "failed"
    assert run.step_result(MIGRATE, APPLY_STEP) is None
    log = run.job_log(MIGRATE)
    expected = "has no required-reviewers rule" if environment == "without-reviewers" else "does not exist"
    assert f"migpipe approval-check: the environment 'production' {expected}" in log
    assert 'approval.gate = "dispatch"' in log  # the fallback, named
    summary = run.job_summary(MIGRATE)
    assert "NO GATE: " in summary and 'approval.gate = "dispatch"' in summary
    assert any(line.startswith("::error title=No approval gate::") for line in _annotations(run, MIGRATE))
    assert run.job_result(DEPLOY) is None
    assert deploy_hook.calls == []
    assert applied_migrations(postgres_server, project.prod_db) == []
    assert user_columns(postgres_server, project.prod_db) == []
    # It asked with the job's token, and only read.
    assert github_api.requests and all(r.authorized and r.method == "GET" for r in github_api.requests)
