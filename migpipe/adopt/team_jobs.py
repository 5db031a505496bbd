"""The team's CI workflow carried into pipeline.toml as it is, with only the documented changes.

Every job keeps its id, ``needs``, ``if``, ``env``, ``with``, step ids and
conditions, and secrets where the team put them. The documented changes:

* a step of a test job that builds its database some other way (``db push``,
  ``migrate reset``, ``migrate deploy``, ``manage.py migrate``…) becomes
  ``{ migpipe = "test-database" }``: migpipe's step that builds it with the
  real migrations (keeping the step's name, id, ``if``, ``env`` and
  working directory);
* a migration step of a deploy job is removed (migrations run only in
  migrate-prod), and the deploy job gets ``needs: migrate-prod`` when the
  workflow is generated;
* workflow-level ``env``, ``permissions`` and ``defaults`` move into each job
  (the generated workflow gives no job a permission it does not list);
* a job id migpipe reserves (``deploy``…) gets a ``team-`` prefix, and every
  ``needs`` naming it follows.

Anything else it cannot carry is reported; nothing is dropped silently.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migpipe.adopt.ci_select import triggers
from migpipe.adopt.commands import is_migration

RESERVED_JOB_IDS = ("build-verification", "migrate-prod", "deploy", "review", "migrate-plan")
TEST_DATABASE_STEP = "test-database"
_DEPLOY_RUN_RE = re.compile(
    r"\b(vercel(@\S+)?\s+(deploy|--prod)|netlify\s+deploy|wrangler\s+(deploy|publish)|fly(ctl)?\s+deploy|railway\s+up|"
    r"git\s+push\s+\S*heroku|heroku\s+(container:release|releases:)|kubectl\s+(apply|rollout|set\s+image)|"
    r"aws\s+ecs\s+update-service|api\.render\.com/deploy|gcloud\s+(run|app)\s+deploy|serverless\s+deploy|sam\s+deploy|cdk\s+deploy)",
    re.IGNORECASE,
)
_DEPLOY_USES_RE = re.compile(
    r"^(amondnet/vercel-action|superfly/flyctl-actions(?!/setup-flyctl)|akhileshns/heroku-deploy|aws-actions/amazon-ecs-deploy|"
    r"johnbeynon/render-deploy-action|JorgeLNJunior/render-deploy|cloudflare/wrangler-action|azure/webapps-deploy|"
    r"google-github-actions/deploy-)",
    re.IGNORECASE,
)
# A step that deploys to a host migpipe's own deploy job deploys to (after migrate-prod).
HOST_DEPLOY_STEPS: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    "render": (
        re.compile(r"api\.render\.com/deploy|RENDER\w*HOOK|render\s+deploys?\b", re.IGNORECASE),
        re.compile(r"render-deploy", re.IGNORECASE),
    ),
    "fly": (re.compile(r"\bfly(ctl)?\s+deploy\b"), re.compile(r"^superfly/flyctl-actions(?!/setup-flyctl)")),
    "heroku": (re.compile(r"git\s+push\s+\S*heroku|heroku\s+container:release"), re.compile(r"^akhileshns/heroku-deploy")),
    "vercel": (re.compile(r"\bvercel(@\S+)?\s+(deploy|--prod)"), re.compile(r"^amondnet/vercel-action")),
}
_SECRET_RE = re.compile(r"\$\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_DB_PUSH_RE = re.compile(r"\bprisma\s+db\s+push\b|\bdrizzle-kit\s+push\b|\bdb:push\b")
# Contexts an outsider controls (zizmor's template-injection audit).
_INJECTABLE_RE = re.compile(
    r"\$\{\{\s*(github\.event\.(pull_request\.(title|body|head\.ref|head\.label)|issue\.(title|body)|comment\.body|review\.body|"
    r"head_commit\.(message|author)|commits|pages|workflow_run\.head_branch)|github\.head_ref|inputs\.|steps\.[^}]*outputs)[^}]*\}\}"
)


@dataclass
class CarriedWorkflow:
    path: str
    name: str | None = None
    triggers: dict[str, Any] = field(default_factory=dict)
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    deploy_jobs: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    not_carried: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)  # kept as written, worth a look (template injection)
    host_deploy_secrets: list[str] = field(default_factory=list)  # secrets the removed host deploy steps used


def _no_nulls(value: Any, where: str, notes: list[str]) -> Any:
    """TOML has no null: a null (``FOO:`` with nothing) becomes "" (GitHub reads both alike), said once per place."""
    if value is None:
        notes.append(f"{where}: empty value written as \"\" (TOML has no null; GitHub reads both alike)")
        return ""
    if isinstance(value, dict):
        return {str(k): _no_nulls(v, f"{where}.{k}", notes) for k, v in value.items()}
    if isinstance(value, list):
        return [_no_nulls(item, f"{where}[{index}]", notes) for index, item in enumerate(value)]
    return value


def _run_lines(run: str) -> list[str]:
    return run.replace("\r\n", "\n").split("\n")


def is_deploy_job(job: dict[str, Any]) -> bool:
    for step in job.get("steps") or []:
        if not isinstance(step, dict):
            continue
        if isinstance(step.get("uses"), str) and _DEPLOY_USES_RE.search(step["uses"]):
            return True
        if isinstance(step.get("run"), str) and _DEPLOY_RUN_RE.search(step["run"]):
            return True
    return False


def _migration_lines(run: str) -> list[int]:
    """Indexes of the lines of a run block that migrate (or build a database without migrations)."""
    found = []
    for index, line in enumerate(_run_lines(run)):
        text = line.strip()
        if text and not text.startswith("#") and (is_migration(text) or _DB_PUSH_RE.search(text)):
            found.append(index)
    return found


def _test_database_step(step: dict[str, Any]) -> dict[str, Any]:
    """migpipe's step in place of the team's, keeping what says where and when it runs."""
    replacement: dict[str, Any] = {"migpipe": TEST_DATABASE_STEP}
    for key in ("name", "id", "if", "env", "working-directory", "continue-on-error", "timeout-minutes"):
        if key in step:
            replacement[key] = step[key]
    return replacement


def _deploys_to(step: dict[str, Any], host: str | None) -> bool:
    if host is None or host not in HOST_DEPLOY_STEPS:
        return False
    run_re, uses_re = HOST_DEPLOY_STEPS[host]
    text = " ".join(str(step.get(k) or "") for k in ("run", "name")) + " " + " ".join(
        f"{k} {v}" for k, v in (step.get("env") or {}).items()
    )
    return bool(run_re.search(text) or (isinstance(step.get("uses"), str) and uses_re.search(step["uses"])))


def _carry_steps(job_id: str, job: dict[str, Any], deploy: bool, carried: CarriedWorkflow, host: str | None) -> None:
    steps = job.get("steps")
    if not isinstance(steps, list):
        return
    where = f"{carried.path} jobs.{job_id}"
    out: list[Any] = []
    for index, step in enumerate(steps):
        label = f"step {index + 1}" + (f" {step['name']!r}" if isinstance(step, dict) and isinstance(step.get("name"), str) else "")
        if deploy and isinstance(step, dict) and _deploys_to(step, host):
            carried.changed.append(
                f"{where} {label}: removed, a deploy to {host} (migpipe's deploy job deploys {host}, only after migrate-prod)"
            )
            carried.host_deploy_secrets.extend(_SECRET_RE.findall(str(step)))
            continue
        if not isinstance(step, dict) or not isinstance(step.get("run"), str):
            out.append(step)
            continue
        for match in _INJECTABLE_RE.finditer(step["run"]):
            carried.findings.append(
                f"{where} {label}: run: expands {match.group()} (zizmor template-injection: pass it through env: instead); kept as the team wrote it"
            )
        lines = _run_lines(step["run"])
        migrating = _migration_lines(step["run"])
        if not migrating:
            out.append(step)
            continue
        shown = "; ".join(lines[i].strip() for i in migrating)
        rest = [line for i, line in enumerate(lines) if i not in migrating]
        keeps_other_work = any(line.strip() and not line.strip().startswith("#") for line in rest)
        if deploy:
            carried.changed.append(f"{where} {label}: removed `{shown}` (migrations run only in migrate-prod)")
        else:
            carried.changed.append(
                f"{where} {label}: `{shown}` replaced by migpipe's test-database step (the real migrations, never db push)"
            )
            out.append(_test_database_step(step))
        if keeps_other_work:
            kept = dict(step)
            kept["run"] = "\n".join(rest)
            if not deploy:
                kept.pop("id", None)
            out.append(kept)
            carried.changed.append(f"{where} {label}: the rest of its run block is kept as a step of its own")
    job["steps"] = out


def carry_workflow(path: str, document: dict[str, Any], host: str | None = None) -> CarriedWorkflow:
    """The workflow at ``path`` as pipeline.toml data: its triggers and every job, with the documented changes."""
    carried = CarriedWorkflow(path)
    notes: list[str] = []
    name = document.get("name")
    if isinstance(name, str):
        carried.name = name
    on = triggers(document)
    carried.triggers = {event: ({} if config is None else _no_nulls(config, f"on.{event}", notes)) for event, config in on.items()}
    for key in ("concurrency", "run-name"):
        if key in document:
            carried.not_carried.append(f"{path} {key}: the generated workflow has its own (migrate-prod and deploy never run twice at once)")
    shared = {key: document[key] for key in ("env", "permissions", "defaults") if isinstance(document.get(key), dict)}
    for key in shared:
        carried.changed.append(f"{path} {key} (workflow level): moved into each job that did not set its own")
    raw_jobs = document.get("jobs")
    jobs: dict[str, Any] = raw_jobs if isinstance(raw_jobs, dict) else {}
    renamed = {job_id: f"team-{job_id}" for job_id in jobs if job_id in RESERVED_JOB_IDS}
    for old, new in renamed.items():
        carried.changed.append(f"{path} jobs.{old}: renamed {new} ({old} is the id of a job migpipe generates); needs follow it")
    for job_id, raw in jobs.items():
        if not isinstance(raw, dict):
            carried.not_carried.append(f"{path} jobs.{job_id}: not a job (a mapping); left out")
            continue
        job = copy.deepcopy(raw)
        for key, value in shared.items():
            if key == "env":
                job["env"] = {**value, **(job.get("env") or {})}
            elif key not in job:
                job[key] = copy.deepcopy(value)
        needs = job.get("needs")
        if isinstance(needs, str) and needs in renamed:
            job["needs"] = renamed[needs]
        elif isinstance(needs, list):
            job["needs"] = [renamed.get(n, n) if isinstance(n, str) else n for n in needs]
        deploy = is_deploy_job(job)
        new_id = renamed.get(str(job_id), str(job_id))
        if deploy:
            carried.deploy_jobs.append(new_id)
        _carry_steps(str(job_id), job, deploy, carried, host)  # named as in the team's file
        carried.jobs[new_id] = _no_nulls(job, f"{path} jobs.{job_id}", notes)
    carried.not_carried.extend(notes)
    return carried


def read_document(root: Path, path: str) -> dict[str, Any] | None:
    from migpipe.adopt.workflows import load_yaml

    document = load_yaml(root / path)
    return document if isinstance(document, dict) else None
