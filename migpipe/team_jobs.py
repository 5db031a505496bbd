"""The team's own CI jobs and triggers (pipeline.toml ``ci.team_jobs``, ``ci.triggers``) as workflow YAML.

They are written back as the team wrote them, with only the documented
changes (README, "Adopting a repository"):

* ``{ migpipe = "test-database" }`` steps become migpipe's step that builds
  the test database with the tool's real migrations, setting each of
  ``test_database.other_url_envs`` the job does not set (Prisma's directUrl)
  to the job's own ``url_env``;
* every job named in ``ci.team_deploy_jobs`` needs ``migrate-prod``;
* the team's triggers get what the policy needs and lacked (``policy_triggers``).

The template inserts the text this module returns; no logic lives there.
"""
from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from migpipe.yaml_write import dump_yaml

if TYPE_CHECKING:
    from migpipe.pipeline import Pipeline
    from migpipe.profiles.tools.base import ToolProfile

TEST_DATABASE_STEP = "test-database"
TEST_DATABASE_STEP_NAME = "Build the test database with real migrations"
def _expand_step(
    step: Mapping[str, Any], commands: Sequence[str], working_directory: str | None, url_env: str, other_url_envs: Sequence[str]
) -> dict[str, Any]:
    expanded: dict[str, Any] = {}
    for key in ("name", "id", "if"):
        if key in step:
            expanded[key] = step[key]
    expanded.setdefault("name", TEST_DATABASE_STEP_NAME)
    env = dict(step["env"]) if isinstance(step.get("env"), Mapping) else None
    if other_url_envs:
        # The tool reads these too (Prisma's directUrl): the team's value when
        # the job sets one, else the test database's URL the job already has.
        env = env or {}
        for name in other_url_envs:
            env.setdefault(name, f"${{{{ env.{name} || env.{url_env} }}}}")
    if env is not None:
        expanded["env"] = env
    for key in ("continue-on-error", "timeout-minutes"):
        if key in step:
            expanded[key] = step[key]
    directory = step.get("working-directory", working_directory)
    if directory is not None:
        expanded["working-directory"] = directory
    expanded["run"] = "\n".join(commands) + ("\n" if len(commands) > 1 else "")
    return expanded


def team_jobs(pipeline: Pipeline, tool: ToolProfile) -> dict[str, dict[str, Any]]:
    """Every team job as the generated workflow holds it."""
    working_directory = pipeline.project.working_directory
    deploy_jobs = set(pipeline.ci.team_deploy_jobs)
    jobs: dict[str, dict[str, Any]] = {}
    for job_id, job in pipeline.ci.team_jobs.items():
        out = {str(k): v for k, v in job.items()}
        defaults = job.get("defaults")
        has_defaults = isinstance(defaults, Mapping) and "working-directory" in (defaults.get("run") or {})
        steps = job.get("steps")
        if isinstance(steps, list):
            out["steps"] = [
                _expand_step(
                    step,
                    tool.test_database_commands,
                    working_directory if working_directory != "." or has_defaults else None,
                    pipeline.test_database.url_env,
                    list(pipeline.test_database.other_url_envs),
                )
                if isinstance(step, Mapping) and step.get("migpipe") == TEST_DATABASE_STEP
                else step
                for step in steps
            ]
        if job_id in deploy_jobs:
            needs = job.get("needs")
            listed = [needs] if isinstance(needs, str) else list(needs or [])
            if "migrate-prod" not in listed:
                out["needs"] = [*listed, "migrate-prod"]
        jobs[job_id] = out
    return jobs


def team_jobs_yaml(pipeline: Pipeline, tool: ToolProfile) -> str:
    """The team jobs as the text under ``jobs:`` (indented 2), "" when there are none."""
    jobs = team_jobs(pipeline, tool)
    return dump_yaml(jobs, 2) if jobs else ""


PLAN_DIGEST_INPUT: dict[str, Any] = {
    "description": "The plan digest from the migrate-plan job's summary",
    "required": True,
    "type": "string",
}


def policy_triggers(pipeline: Pipeline) -> tuple[dict[str, Any], list[str]]:
    """The team's triggers with what the policy needs added, and one line per addition.

    Nothing the team had is dropped or changed: the review job runs on
    ``pull_request`` and ``merge_group``; a ``push`` to the main branch runs
    migrate-plan (and, with the reviewers gate, migrate-prod); with the
    dispatch gate migrate-prod runs from a ``workflow_dispatch`` whose
    ``plan_digest`` input names the approved plan.
    ({} when pipeline.toml keeps migpipe's own triggers.)
    """
    team = pipeline.ci.triggers
    if not team:
        return {}, []
    triggers: dict[str, Any] = copy.deepcopy(dict(team))
    added: list[str] = []
    main = pipeline.ci.main_branch
    if "push" not in triggers:
        triggers["push"] = {"branches": [main]}
        added.append(
            f"push to {main!r}: a push to the main branch runs migrate-plan"
            + (" (and migrate-prod and deploy)" if pipeline.approval.gate == "reviewers" else "")
            + "; the team's CI had no push trigger"
        )
    if "pull_request" not in triggers:
        triggers["pull_request"] = {}
        added.append("pull_request: the review job checks the migrations each change adds or edits before it merges")
    if "merge_group" not in triggers:
        triggers["merge_group"] = {}
        added.append("merge_group: a merge queue runs the review too, so the queue never waits for a check that does not run there")
    if pipeline.approval.gate == "dispatch":
        dispatch = triggers.get("workflow_dispatch")
        dispatch = dict(dispatch) if isinstance(dispatch, Mapping) else {}
        inputs = dict(dispatch.get("inputs") or {}) if isinstance(dispatch.get("inputs") or {}, Mapping) else {}
        if "plan_digest" not in inputs:
            inputs["plan_digest"] = dict(PLAN_DIGEST_INPUT)
            added.append(
                "workflow_dispatch with the input plan_digest: approval.gate = \"dispatch\" applies only the plan whose digest "
                "the dispatcher gives" + (" (the team's other inputs kept)" if "workflow_dispatch" in triggers else "")
            )
        dispatch["inputs"] = inputs
        triggers["workflow_dispatch"] = dispatch
    return triggers, added


def triggers_yaml(pipeline: Pipeline) -> str:
    """The team's ``on:`` value with what the policy needs (indented 2), "" when pipeline.toml keeps migpipe's."""
    triggers, _ = policy_triggers(pipeline)
    return dump_yaml(triggers, 2) if triggers else ""


def jobs_migrate_prod_needs(pipeline: Pipeline) -> list[str]:
    """Team jobs migrate-prod waits for: the ones that are not deploys and always run.

    A job with an ``if:`` (or needing one) may be skipped on a push to the
    main branch, and a skipped need would skip migrate-prod with it.
    """
    jobs = pipeline.ci.team_jobs
    deploy = set(pipeline.ci.team_deploy_jobs)

    def always_runs(job_id: str, seen: frozenset[str] = frozenset()) -> bool:
        job = jobs.get(job_id)
        if job is None or job_id in seen:
            return job is None
        if "if" in job:
            return False
        needs = job.get("needs")
        listed = [needs] if isinstance(needs, str) else list(needs or [])
        return all(always_runs(str(n), seen | {job_id}) for n in listed)

    return [job_id for job_id in jobs if job_id not in deploy and always_runs(job_id)]
