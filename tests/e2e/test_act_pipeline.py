"""The generated ci-cd.yml, executed end to end by the real `act`, as a user gets it.

The runner is clean (tests/e2e/harness.py): its PATH holds only the commands of
a GitHub-hosted runner image; migpipe and squawk arrive only through the
workflow's own `python -m pip install` steps, from a local wheel directory
(migpipe's wheel built from this checkout, its dependencies, squawk-cli) that
the runner's pip is pointed at through its environment (PIP_NO_INDEX,
PIP_FIND_LINKS), never by editing the workflow. pipeline.toml is the example
as a user would write it for this app (no migpipe_requirement: the default
pin `migpipe==<version>` is what gets installed). Every `run:` step is real
bash, with a real PostgreSQL started by the tests, the real squawk, the real
`migpipe` (build guard and verify), real npm.

Stand-ins, because the real thing cannot run here:
* GitHub-hosted actions (actions/checkout, setup-node, setup-python, …) are
  local composite actions (harness.write_action_standins): setup-python puts a
  fresh virtualenv (nothing but pip in it) on PATH, setup-node this machine's
  node and npm, checkout does nothing (act copies the repository).
* Prisma's migration engine is a binary downloaded from a host we cannot
  reach: ``tests/migrate/standin/prisma`` is installed as the project's
  `prisma` package (a local npm package) and applies migration.sql files
  the way Prisma records them in _prisma_migrations.
* Render's deploy hook is a small HTTP server on 127.0.0.1 that records
  requests.

Service containers are ignored in host mode, so the test jobs' database URL
points at the tests' own server instead.

To run another workflow or event, use the `act` fixture of tests/e2e/conftest.py.
"""
from __future__ import annotations

import io
import re

import pytest
from ruamel.yaml import YAML

from tests.e2e.conftest import MakeProject
from tests.e2e.github_standin import GITHUB_TOKEN, github_api_url
from tests.e2e.harness import (
    HOOK_KEY,
    HOOK_PATH,
    ActRun,
    ActRunner,
    DeployHook,
    Project,
    applied_migrations,
    head_sha,
    pull_request_payload,
    user_columns,
)
from tests.support.postgres import PostgresServer

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

SAFE_INIT = 'CREATE TABLE "User" (id bigint PRIMARY KEY, email text);\n'
SAFE_INDEXLESS_ADD = 'ALTER TABLE "User" ADD COLUMN "name" text;\n'
DESTRUCTIVE = 'ALTER TABLE "User" DROP COLUMN "email";\n'


def run_act(
    act: ActRunner, project: Project, server: PostgresServer, hook: DeployHook, event: str, job: str | None = None
) -> ActRun:
    payload = None
    if event == "pull_request":
        # The review job compares the change with base.sha (here: the commit itself, so no change).
        payload = pull_request_payload(head_sha(project.root))
    return act(
        project.root,
        event,
        secrets={
            "PRODUCTION_DATABASE_URL": server.url(project.prod_db),
            # migrate-plan's read-only credential (the tests' server has one role for both).
            "PRODUCTION_DATABASE_URL_READONLY": server.url(project.prod_db),
            "RENDER_DEPLOY_HOOK_URL": hook.url,
            "GITHUB_TOKEN": GITHUB_TOKEN,
        },
        # migrate-prod's approval-check asks a stand-in of GitHub's API.
        env={"MIGPIPE_GITHUB_API_URL": github_api_url()},
        payload=payload,
        job=job,
    )


ALL_JOBS = ["Build verification", "Backend tests", "Integration tests", "Migrate production database", "Deploy"]


def test_push_to_main_with_safe_migration_migrates_then_deploys(
    make_project: MakeProject, postgres_server: PostgresServer, deploy_hook: DeployHook, act: ActRunner
) -> None:
    project = make_project({"20240101000000_init": SAFE_INIT, "20240102000000_add_name": SAFE_INDEXLESS_ADD})
    run = run_act(act, project, postgres_server, deploy_hook, "push")

    assert run.returncode == 0, run.output[-6000:]
    for job in ALL_JOBS:
        assert run.job_result(job) == "succeeded", job
    # migpipe and squawk came from the workflow's own install steps, into the
    # fresh Python of the setup-python stand-in, from the local wheels.
    for job, step in [
        ("Build verification", "Install migpipe"),
        ("Migrate production database", "Install migpipe"),
        ("Migrate production database", "Install squawk (SQL linter)"),
    ]:
        assert run.step_result(job, step) == "succeeded", (job, step)
    assert re.search(r"Successfully installed .*migpipe-\d", run.job_log("Build verification"))
    assert re.search(r"Successfully installed .*squawk-cli-2", run.job_log("Migrate production database"))
    assert applied_migrations(postgres_server, project.prod_db) == ["20240101000000_init", "20240102000000_add_name"]
    assert user_columns(postgres_server, project.prod_db) == ["email", "id", "name"]

    assert len(deploy_hook.calls) == 1
    called_at, method, path = deploy_hook.calls[0]
    assert (method, path) == ("POST", f"{HOOK_PATH}?key={HOOK_KEY}")
    finished = float(postgres_server.psql(project.prod_db, "SELECT extract(epoch FROM max(finished_at)) FROM _prisma_migrations"))
    assert called_at > finished, "the deploy hook was called before the migrations were applied"

    # Secrets never reach output: not the database password, not the hook key.
    assert postgres_server.password not in run.output
    assert HOOK_KEY not in run.output


def test_pull_request_never_migrates_or_deploys(
    make_project: MakeProject, postgres_server: PostgresServer, deploy_hook: DeployHook, act: ActRunner
) -> None:
    project = make_project({"20240101000000_init": SAFE_INIT})
    run = run_act(act, project, postgres_server, deploy_hook, "pull_request")

    assert run.returncode == 0, run.output[-6000:]
    for job in ALL_JOBS[:3]:
        assert run.job_result(job) == "succeeded", job
    assert run.job_lines("Migrate production database") == []
    assert run.job_lines("Deploy") == []
    assert applied_migrations(postgres_server, project.prod_db) == []
    assert deploy_hook.calls == []


def test_destructive_migration_stops_migrate_prod_and_deploy(
    make_project: MakeProject, postgres_server: PostgresServer, deploy_hook: DeployHook, act: ActRunner
) -> None:
    project = make_project({"20240101000000_init": SAFE_INIT, "20240103000000_drop_email": DESTRUCTIVE})
    run = run_act(act, project, postgres_server, deploy_hook, "push")

    assert run.returncode != 0
    assert run.job_result("Build verification") == "succeeded"
    # The plan, before any approval, is blocked: nothing is offered for approval.
    assert run.job_result("Plan production migrations") == "failed"
    plan_log = "\n".join(run.job_lines("Plan production migrations"))
    assert "exit status 2" in plan_log
    assert "ban-drop-column" in plan_log
    assert run.job_result("Migrate production database") is None
    assert run.job_result("Deploy") is None
    assert deploy_hook.calls == []
    # Nothing was applied, not even the safe migration of the same batch.
    assert applied_migrations(postgres_server, project.prod_db) == []
    assert user_columns(postgres_server, project.prod_db) == []


def test_build_script_that_migrates_fails_build_verification_at_the_guard(
    make_project: MakeProject, postgres_server: PostgresServer, deploy_hook: DeployHook, act: ActRunner
) -> None:
    project = make_project(
        {"20240101000000_init": SAFE_INIT},
        build_render="prisma migrate deploy && echo building for render",
    )
    run = run_act(act, project, postgres_server, deploy_hook, "push")

    assert run.returncode != 0
    assert run.job_result("Build verification") == "failed"
    build_log = "\n".join(run.job_lines("Build verification"))
    assert "❌  Failure - Main Guard - no migration on the host's build path" in build_log
    assert "prisma migrate deploy" in build_log
    assert run.job_result("Migrate production database") is None
    assert deploy_hook.calls == []
    assert applied_migrations(postgres_server, project.prod_db) == []


def _install_migpipe_after_the_guard(workflow: str) -> str:
    """The order the template had before the fix: the guard first, migpipe later."""
    data = YAML(typ="safe").load(workflow)
    steps = data["jobs"]["build-verification"]["steps"]
    install = next(s for s in steps if s.get("name") == "Install migpipe")
    steps.remove(install)
    steps.insert(len(steps) - 1, install)  # just before `migpipe verify`
    buffer = io.StringIO()
    YAML().dump(data, buffer)
    return buffer.getvalue()


def test_a_step_that_runs_migpipe_before_installing_it_fails_on_the_clean_runner(
    make_project: MakeProject, postgres_server: PostgresServer, deploy_hook: DeployHook, act: ActRunner
) -> None:
    """The runner has nothing of ours: with the guard moved before the install
    step (the order of the defect), the guard fails as on a fresh GitHub runner."""
    project = make_project({"20240101000000_init": SAFE_INIT}, edit_workflow=_install_migpipe_after_the_guard)
    run = run_act(act, project, postgres_server, deploy_hook, "push", job="build-verification")

    assert run.returncode != 0
    assert run.job_result("Build verification") == "failed"
    assert run.step_result("Build verification", "Guard - no migration on the host's build path") == "failed"
    assert "migpipe is not installed" in run.job_log("Build verification")
    assert run.step_result("Build verification", "Install migpipe") is None
