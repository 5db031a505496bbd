"""Checks of the team's own jobs and triggers (``ci.team_jobs``, ``ci.team_deploy_jobs``, ``ci.triggers``).

They are the team's YAML kept as data, so their text is not constrained
like migpipe's own commands: a team's step may use ``${{ }}`` expressions
as the team wrote them. What is checked is what the policy needs: the shape
GitHub requires, ids that do not clash with migpipe's jobs, ``needs`` that
name real jobs, migpipe's own test-database step where it belongs, and
triggers under which migrate-prod can still run on the main branch.
Each problem is one ``key.path: text`` line (the loader locates it).
"""
from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from typing import Any

GENERATED_JOB_IDS = ("build-verification", "migrate-prod", "deploy", "review", "migrate-plan")
TEST_DATABASE_STEP = "test-database"
_JOB_ID_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,99}")
_STEP_KINDS = ("uses", "run", "migpipe")


def _listed(value: Any) -> list[Any]:
    return [value] if isinstance(value, str) else list(value) if isinstance(value, list) else []


def team_job_problems(
    team_jobs: Mapping[str, Any],
    deploy_jobs: Sequence[str],
    other_jobs: Sequence[str],
) -> list[str]:
    problems: list[str] = []
    known = {*team_jobs, *other_jobs, *GENERATED_JOB_IDS}
    for job_id, job in team_jobs.items():
        where = f"team_jobs.{job_id}"
        if not _JOB_ID_RE.fullmatch(job_id):
            problems.append(f"{where}: not a job id (expected a letter or '_', then letters, digits, '-' and '_')")
        if job_id in GENERATED_JOB_IDS:
            problems.append(f"{where}: {job_id!r} is the id of a job migpipe generates (expected another id, e.g. team-{job_id})")
        if job_id in other_jobs:
            problems.append(f"{where}: {job_id!r} is also a job in ci.test_jobs (expected distinct ids)")
        if not isinstance(job, Mapping):
            problems.append(f"{where}: must be a table (a job)")
            continue
        if "steps" not in job and "uses" not in job:
            problems.append(f"{where}: a job needs 'steps' (or 'uses' for a reusable workflow)")
        for need in _listed(job.get("needs")):
            if need not in known:
                problems.append(f"{where}.needs: {need!r} is not a job of this workflow (expected one of: {', '.join(sorted(known))})")
        steps = job.get("steps", [])
        if not isinstance(steps, list):
            problems.append(f"{where}.steps: must be a list of steps")
            continue
        for index, step in enumerate(steps):
            at = f"{where}.steps[{index}]"
            if not isinstance(step, Mapping):
                problems.append(f"{at}: must be a table (a step)")
                continue
            kinds = [kind for kind in _STEP_KINDS if kind in step]
            if len(kinds) != 1:
                problems.append(f"{at}: a step needs exactly one of 'uses', 'run' or 'migpipe' (it has {', '.join(kinds) or 'none'})")
            if "migpipe" in step:
                if step["migpipe"] != TEST_DATABASE_STEP:
                    problems.append(f"{at}.migpipe: {step['migpipe']!r} is not a migpipe step (expected {TEST_DATABASE_STEP!r})")
                elif job_id in deploy_jobs:
                    problems.append(f"{at}.migpipe: a deploy job builds no test database (expected it in a test job)")
    for index, job_id in enumerate(deploy_jobs):
        if job_id not in team_jobs:
            problems.append(f"team_deploy_jobs[{index}]: {job_id!r} is not a job in ci.team_jobs")
    return problems


def trigger_problems(triggers: Mapping[str, Any], main_branch: str) -> list[str]:
    """migrate-prod runs on pushes to the main branch: a push trigger must not leave that branch out."""
    if not triggers:
        return []
    push = triggers.get("push")
    # No push trigger at all: generate adds one for the main branch (migpipe.team_jobs.policy_triggers).
    if not isinstance(push, Mapping):
        return []
    branches = _listed(push.get("branches"))
    ignored = _listed(push.get("branches-ignore"))
    if branches and not any(isinstance(b, str) and fnmatch.fnmatchcase(main_branch, b) for b in branches):
        return [f"triggers.push.branches: leaves out the main branch {main_branch!r} (ci.main_branch), so migrate-prod never runs"]
    if any(isinstance(b, str) and fnmatch.fnmatchcase(main_branch, b) for b in ignored):
        return [f"triggers.push.branches-ignore: ignores the main branch {main_branch!r}, so migrate-prod never runs"]
    return []


def migration_step_problems(team_jobs: Mapping[str, Any], is_migration: Any) -> list[str]:
    """A team step that runs a migration: migrations run only in migrate-prod (and the test-database step)."""
    problems = []
    for job_id, job in team_jobs.items():
        steps = job.get("steps") if isinstance(job, Mapping) else None
        for index, step in enumerate(steps if isinstance(steps, list) else []):
            run = step.get("run") if isinstance(step, Mapping) else None
            if not isinstance(run, str):
                continue
            for line in run.split("\n"):
                label = is_migration(line.strip())
                if label:
                    problems.append(
                        f"ci.team_jobs.{job_id}.steps[{index}].run: runs a migration ({label}: {line.strip()}); migrations run "
                        "only in migrate-prod (in a test job, use { migpipe = \"test-database\" } instead)"
                    )
                    break
    return problems
