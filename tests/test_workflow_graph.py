"""The generated workflow parses, and its job graph is the one the policy needs."""
from __future__ import annotations

import sys

import pytest
from ruamel.yaml import YAML

from migpipe.compiler import compile_pipeline
from migpipe.pipeline import Pipeline, load_pipeline
from tests.conftest import golden_configs

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CONFIGS = golden_configs()


def _workflow(name: str):
    pipeline = load_pipeline(CONFIGS[name])
    files = {f.kind: f for f in compile_pipeline(pipeline)}
    return pipeline, YAML(typ="safe").load(files["workflow"].content)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_job_graph(name: str) -> None:
    pipeline, workflow = _workflow(name)
    jobs = workflow["jobs"]
    test_jobs = list(pipeline.ci.test_jobs)
    assert list(jobs)[-4:] == ["review", "migrate-plan", "migrate-prod", "deploy"]
    assert list(jobs)[: 1 + len(test_jobs)] == ["build-verification", *test_jobs]
    on_main = f"github.event_name == 'push' && github.ref == 'refs/heads/{pipeline.ci.main_branch}'"

    # The migration review runs before merge only, on its own.
    review = jobs["review"]
    assert review["if"] == "github.event_name == 'pull_request' || github.event_name == 'merge_group'"
    assert "needs" not in review and "environment" not in review
    assert "merge_group" in workflow["on"] or True in workflow and "merge_group" in workflow[True]

    for job_id in ["build-verification", *test_jobs]:
        assert "needs" not in jobs[job_id]
        assert "if" not in jobs[job_id]
        assert "environment" not in jobs[job_id]

    # The plan: read-only, before the approval, in its own environment.
    plan = jobs["migrate-plan"]
    assert plan["needs"] == ["build-verification", *test_jobs]
    assert plan["if"] == on_main
    assert plan["environment"] == pipeline.approval.plan_environment != pipeline.approval.environment
    assert plan["outputs"]["digest"] == "${{ steps.publish.outputs.digest }}"
    plan_env = {k: v for step in plan["steps"] for k, v in step.get("env", {}).items()}
    assert plan_env[pipeline.test_database.url_env] == "${{ secrets." + pipeline.approval.plan_database_url_secret + " }}"
    assert "${{ secrets." + pipeline.approval.database_url_secret + " }}" not in str(plan)

    migrate = jobs["migrate-prod"]
    assert migrate["needs"] == ["build-verification", *test_jobs, "migrate-plan"]
    assert migrate["if"] == on_main
    assert migrate["environment"] == pipeline.approval.environment
    assert migrate["concurrency"] == {"group": "migrate-prod", "cancel-in-progress": False}
    assert migrate["timeout-minutes"] == pipeline.ci.migrate_timeout_minutes
    apply_step = migrate["steps"][-1]
    # Exactly the plan: the digest comes through env, never interpolated into run:.
    assert apply_step["run"].endswith(pipeline.outputs.migrate_script + '" --expect-digest "$PLAN_DIGEST"')
    assert apply_step["env"]["PLAN_DIGEST"] == "${{ needs.migrate-plan.outputs.digest }}"
    # The plan's names, so that a mismatch can say what changed.
    assert apply_step["env"]["MIGPIPE_PLANNED_MIGRATIONS"] == "${{ needs.migrate-plan.outputs.migrations }}"
    assert apply_step["env"][pipeline.test_database.url_env] == (
        "${{ secrets." + pipeline.approval.database_url_secret + " }}"
    )

    deploy = jobs["deploy"]
    assert deploy["needs"] == ["migrate-plan", "migrate-prod"]
    assert deploy["if"] == on_main
    assert deploy["concurrency"]["cancel-in-progress"] is False


def test_dispatch_gate_plans_on_push_and_migrates_only_on_dispatch() -> None:
    """approval.gate = "dispatch": the push to main publishes the plan (its SQL
    and digest), so the reviewer can dispatch with that digest; only the
    dispatch migrates and deploys, applying the digest it was given."""
    data = tomllib.loads(CONFIGS["example"].read_text())
    data["approval"]["gate"] = "dispatch"
    pipeline = Pipeline.model_validate(data)
    workflow = YAML(typ="safe").load({f.kind: f for f in compile_pipeline(pipeline)}["workflow"].content)
    jobs = workflow["jobs"]
    triggers = workflow["on"] if "on" in workflow else workflow[True]
    assert triggers["workflow_dispatch"]["inputs"]["plan_digest"]["required"] is True
    assert "push" in triggers
    assert jobs["migrate-plan"]["if"] == (
        "(github.event_name == 'push' || github.event_name == 'workflow_dispatch') && github.ref == 'refs/heads/main'"
    )
    on_dispatch = "github.event_name == 'workflow_dispatch' && github.ref == 'refs/heads/main'"
    assert jobs["migrate-prod"]["if"] == jobs["deploy"]["if"] == on_dispatch
    migrate_env = {k: v for step in jobs["migrate-prod"]["steps"] for k, v in step.get("env", {}).items()}
    assert migrate_env["PLAN_DIGEST"] == migrate_env["MIGPIPE_APPROVED_DIGEST"] == "${{ inputs.plan_digest }}"
    # This run's plan is not the one dispatched: its names say nothing of what changed since.
    assert "MIGPIPE_PLANNED_MIGRATIONS" not in migrate_env


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_build_verification_runs_guard_after_install_and_verify(name: str) -> None:
    pipeline, workflow = _workflow(name)
    steps = workflow["jobs"]["build-verification"]["steps"]
    names = [s["name"] for s in steps]
    guard = next(i for i, s in enumerate(steps) if pipeline.outputs.build_guard in s.get("run", ""))
    assert guard > names.index("Install dependencies")
    assert any("migpipe verify --config" in s.get("run", "") for s in steps)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_test_jobs_build_database_with_real_migrations(name: str) -> None:
    pipeline, workflow = _workflow(name)
    for job_id in pipeline.ci.test_jobs:
        job = workflow["jobs"][job_id]
        runs = "\n".join(s.get("run", "") for s in job["steps"])
        assert "db push" not in runs
        if job_id in pipeline.test_database.jobs:
            assert job["services"]["postgres"]["image"] == pipeline.test_database.image
            assert "--health-cmd" in job["services"]["postgres"]["options"]
            # The tool's own commands, in order, in one step of their own.
            [build_db] = [s for s in job["steps"] if s.get("name") == "Build the test database with real migrations"]
            assert build_db["run"].rstrip("\n").split("\n") == list(pipeline.tool_profile().test_database_commands)
            if pipeline.tool.name == "prisma":
                assert "migrate deploy" in runs and "migrate reset --force" in runs
                if pipeline.tool.version >= 7:
                    assert "--skip-seed" not in runs and "--schema" not in runs
                else:
                    assert "--skip-seed" in runs
        else:
            assert "services" not in job


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_migrate_prod_gets_a_shadow_database_only_for_a_drift_check(name: str) -> None:
    pipeline, workflow = _workflow(name)
    migrate = workflow["jobs"]["migrate-prod"]
    apply_env = migrate["steps"][-1]["env"]
    if getattr(pipeline.tool, "drift_check", False):
        assert migrate["services"]["shadow"]["image"] == pipeline.test_database.image
        assert apply_env["SHADOW_DATABASE_URL"].endswith("/shadow")
    else:
        assert "services" not in migrate
        assert "SHADOW_DATABASE_URL" not in apply_env


def test_some_golden_config_runs_the_drift_check() -> None:
    assert any(getattr(load_pipeline(path).tool, "drift_check", False) for path in CONFIGS.values())
