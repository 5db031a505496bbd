"""Which of a repository's workflows is the team's CI, and its main branch.

The team's CI runs tests and builds on pushes and pull requests. Release,
publish, deploy-only, scheduled and housekeeping workflows are not it. Each
workflow gets a score from its triggers, its name and what its jobs do, with
the reasons kept so that init can say why it chose one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from migpipe.adopt.repo import Repo

WORKFLOW_DIR = ".github/workflows"
_CI_RE = re.compile(r"(^|[^a-z])ci([^a-z]|$)", re.IGNORECASE)
_TESTS_NAME_RE = re.compile(r"(^|[^a-z])(tests?|pipeline)([^a-z]|$)", re.IGNORECASE)
_WEAK_NAME_RE = re.compile(r"build|lint|verify|checks?|pr[-_ ]|pull[-_ ]request", re.IGNORECASE)
_NOT_CI_NAME_RE = re.compile(
    r"release|publish|deploy|codeql|\bcla\b|stale|label|preview|claude|semgrep|snyk|codespell|zizmor|"
    r"licen[cs]e|format|changelog|translat|i18n|dependabot|sync|bump|cron|nightly|playwright|storybook|backup|"
    r"maintenance|cleanup|notify|discord|copilot|lock|merge|docs",
    re.IGNORECASE,
)
_TEST_RUN_RE = re.compile(
    r"\b(test|tests|lint|typecheck|type-check|tsc|check|pytest|vitest|jest|mocha|cypress|go test|build|ruff|mypy|eslint|biome|rspec|coverage)\b",
    re.IGNORECASE,
)
_PUBLISH_RE = re.compile(
    r"docker/build-push-action|docker push|npm publish|pnpm publish|changesets/action|action-gh-release|gh release|twine upload|"
    r"aws-actions/amazon-ecs-deploy|ecr|goreleaser",
    re.IGNORECASE,
)


@dataclass
class WorkflowChoice:
    path: str
    document: dict[str, Any]
    score: int
    reasons: list[str] = field(default_factory=list)
    others: list[tuple[str, int]] = field(default_factory=list)


def triggers(document: dict[str, Any]) -> dict[str, Any]:
    """``on:`` as a dict (YAML 1.1 readers turn the key into True)."""
    raw: dict[Any, Any] = document
    value = raw.get("on", raw.get(True))
    if isinstance(value, str):
        return {value: None}
    if isinstance(value, list):
        return {str(item): None for item in value}
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else {}


def _branches(trigger: Any) -> list[str]:
    if not isinstance(trigger, dict):
        return []
    return [b for b in trigger.get("branches") or [] if isinstance(b, str)]


def main_branch(document: dict[str, Any]) -> tuple[str, str] | None:
    """(branch, where) from push.branches, else pull_request.branches; main/master first."""
    on = triggers(document)
    for event in ("push", "pull_request", "merge_group"):
        branches = [b for b in _branches(on.get(event)) if not re.search(r"[*?\[!]", b)]
        for preferred in ("main", "master"):
            if preferred in branches:
                return preferred, f"on.{event}.branches"
        if branches:
            return branches[0], f"on.{event}.branches"
    return None


def _jobs(document: dict[str, Any]) -> dict[str, Any]:
    jobs = document.get("jobs")
    return jobs if isinstance(jobs, dict) else {}


def _local_calls(document: dict[str, Any]) -> list[str]:
    jobs = _jobs(document)
    calls = []
    for job in jobs.values():
        uses = job.get("uses") if isinstance(job, dict) else None
        if isinstance(uses, str) and uses.startswith("./.github/workflows/"):
            calls.append(uses.removeprefix("./").split("@")[0])
    return calls


def _job_text(job: dict[str, Any]) -> str:
    parts = [str(job.get("name") or "")]
    for step in job.get("steps") or []:
        if isinstance(step, dict):
            parts.extend(str(step.get(key) or "") for key in ("name", "run", "uses"))
    if isinstance(job.get("uses"), str):
        parts.append(PurePosixPath(job["uses"].split("@")[0]).stem)
    return "\n".join(parts)


def score(
    path: str, document: dict[str, Any], tool_directory: str, called_by_ci: bool, text: str, package_name: str | None = None
) -> tuple[int, list[str]]:
    on = triggers(document)
    reasons: list[str] = []
    total = 0
    push = on.get("push")
    if "pull_request" in on:
        total += 4
        reasons.append("runs on pull_request (+4)")
    if "push" in on:
        if isinstance(push, dict) and push.get("tags") and not push.get("branches"):
            total -= 4
            reasons.append("runs on pushed tags only (-4)")
        else:
            total += 3
            reasons.append("runs on push (+3)")
    if "merge_group" in on:
        total += 1
        reasons.append("runs in the merge queue (+1)")
    if not {"push", "pull_request"} & set(on):
        # A reusable workflow called by the CI is part of it, not another candidate.
        return 0, ["called by " + ("the CI workflow" if called_by_ci else "no push / pull_request workflow") if "workflow_call" in on else "neither push nor pull_request triggers it"]
    if "schedule" in on:
        total -= 1
        reasons.append("also scheduled (-1)")
    name = f"{PurePosixPath(path).stem} {document.get('name') or ''}"
    negative = _NOT_CI_NAME_RE.search(name)
    if negative:
        total -= 3
        reasons.append(f"named like {negative.group().lower()} (-3)")
    elif _CI_RE.search(name):
        total += 4
        reasons.append("named CI (+4)")
    elif _TESTS_NAME_RE.search(name):
        total += 3
        reasons.append("named like tests (+3)")
    elif _WEAK_NAME_RE.search(name):
        total += 1
        reasons.append("named like a build / lint check (+1)")
    if tool_directory != ".":
        patterns = [p for event in ("push", "pull_request") for p in (on.get(event) or {}).get("paths", []) if isinstance(on.get(event), dict) and isinstance(p, str)]
        if patterns and any(p.lstrip("!").startswith(tool_directory + "/") or p.startswith(tool_directory) for p in patterns):
            total += 1
            reasons.append(f"its paths filter covers {tool_directory}/ (+1)")
        elif patterns:
            total -= 4
            reasons.append(f"its paths filter leaves out {tool_directory}/ (-4)")
        works_in = rf"(working-directory:\s*[\"']?\.?/?{re.escape(tool_directory)}\b|cd\s+\.?/?{re.escape(tool_directory)}\b|--filter[= ]\S*{re.escape(PurePosixPath(tool_directory).name)}"
        if package_name:
            works_in += rf"|(-F|--filter)[= ]\s*[\"']?{re.escape(package_name)}\b"
        if re.search(works_in + ")", text):
            total += 3
            reasons.append(f"works in {tool_directory} (+3)")
    jobs = _jobs(document)
    tests = publishes = steps = 0
    for job in jobs.values():
        if not isinstance(job, dict):
            continue
        body = _job_text(job)
        if _PUBLISH_RE.search(body):
            publishes += 1
        elif _TEST_RUN_RE.search(body):
            tests += 1
            steps += sum(
                1 for step in job.get("steps") or [] if isinstance(step, dict) and _TEST_RUN_RE.search(f"{step.get('name') or ''} {step.get('run') or ''}")
            )
    if tests:
        value = min(6, 2 * tests) + min(4, max(0, steps - tests))
        total += value
        reasons.append(f"{tests} job(s), {steps} step(s) test, lint or build (+{value})")
    if publishes:
        total -= 2 * min(publishes, 3)
        reasons.append(f"{publishes} job(s) publish or push images (-{2 * min(publishes, 3)})")
    if re.search(r"image:\s*['\"]?postgres|services:\s*\n\s+postgres|postgres(ql)?://|docker[- ]compose\b.*\bup\b", text):
        total += 3
        reasons.append("tests against a database (+3)")
    return max(total, 1), reasons


def choose_workflow(repo: Repo, tool_directory: str = ".", package_name: str | None = None) -> tuple[WorkflowChoice | None, list[str]]:
    """The team's CI workflow (None when there is none) and one line per workflow left as it is."""
    paths = [p for p in repo.files if p.startswith(WORKFLOW_DIR + "/") and p.count("/") == 2 and p.endswith((".yml", ".yaml"))]
    documents: dict[str, dict[str, Any]] = {}
    skipped: list[str] = []
    for path in paths:
        document = repo.yaml(path)
        if isinstance(document, dict) and isinstance(document.get("jobs"), dict):
            documents[path] = document
        else:
            skipped.append(f"{path}: not a workflow init can read (not YAML with jobs); left as it is")
    called: set[str] = set()
    for document in documents.values():
        if {"push", "pull_request"} & set(triggers(document)):
            called.update(_local_calls(document))
    scored: list[tuple[int, str, list[str]]] = []
    for path, document in documents.items():
        value, reasons = score(path, document, tool_directory, path in called, repo.text(path) or "", package_name)
        if value > 0:
            scored.append((value, path, reasons))
        else:
            skipped.append(f"{path}: not the team's CI ({'; '.join(reasons)}); left as it is")
    if not scored:
        return None, skipped
    scored.sort(key=lambda item: (-item[0], item[1]))
    best_score, best, reasons = scored[0]
    document = documents[best]
    # A thin caller of one reusable workflow: that workflow is the CI.
    calls = _local_calls(document)
    jobs = document["jobs"]
    if len(jobs) == 1 and len(calls) == 1 and calls[0] in documents:
        reasons = [*reasons, f"its only job calls {calls[0]}, which is taken instead"]
        best = calls[0]
        document = documents[best]
    choice = WorkflowChoice(best, document, best_score, reasons, [(p, s) for s, p, _ in scored[1:]])
    for value, path, _ in scored[1:]:
        if path != best:
            skipped.append(f"{path}: left as it is (scored {value}; the team's CI is {best})")
    return choice, skipped
