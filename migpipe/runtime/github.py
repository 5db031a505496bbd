"""What migpipe asks GitHub: does the approval gate exist, and is an older run waiting?

Both calls need only ``actions: read`` on the workflow's GITHUB_TOKEN:
``GET /repos/{owner}/{repo}/environments/{name}`` ("Get an environment") and
``GET /repos/{owner}/{repo}/actions/workflows/{workflow}/runs?status=waiting``
are documented as needing the "Actions" repository permission (read) for
fine-grained and GitHub App installation tokens, which is what GITHUB_TOKEN
is. Nothing here writes.
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from migpipe.errors import FatalError
from migpipe.runtime.http import ApiClient, check_base_url, field_of, quote_segment

__all__ = [
    "SUMMARY_LIMIT",
    "ApiClient",
    "EnvironmentGate",
    "WaitingRun",
    "append_to_workflow_file",
    "client_from_env",
    "environment_gate",
    "fit_summary",
    "waiting_runs",
]

API_URL = "https://api.github.com"
# GitHub keeps at most 1 MiB of job summary per step; the rest leaves room for the note that says it was cut.
SUMMARY_LIMIT = 1024 * 1024 - 4096
_REPOSITORY_RE = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class EnvironmentGate:
    name: str
    exists: bool
    reviewers: tuple[str, ...]  # who may approve (users and teams), empty without the rule
    has_reviewer_rule: bool
    prevent_self_review: bool
    can_admins_bypass: bool


@dataclass(frozen=True)
class WaitingRun:
    run_id: int
    run_number: int
    head_sha: str
    url: str
    created_at: str


def client_from_env(env: Mapping[str, str] | None = None) -> tuple[ApiClient, str]:
    """A client for this repository's API, and ``owner/repo``, from the runner's environment."""
    values = os.environ if env is None else env
    token = values.get("GITHUB_TOKEN", "")
    repository = values.get("GITHUB_REPOSITORY", "")
    if not token:
        raise FatalError(
            "GITHUB_TOKEN is empty: pass `GITHUB_TOKEN: ${{ github.token }}` in the step's env, "
            "with `actions: read` in the job's permissions"
        )
    if not _REPOSITORY_RE.fullmatch(repository):
        raise FatalError(f"GITHUB_REPOSITORY is {repository!r}, not owner/repo")
    client = ApiClient(
        # MIGPIPE_GITHUB_API_URL first: the tests' stand-in (act sets GITHUB_API_URL itself).
        base_url=check_base_url(
            values.get("MIGPIPE_GITHUB_API_URL") or values.get("GITHUB_API_URL") or API_URL, "GITHUB_API_URL"
        ),
        name="GitHub API",
        headers={
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        },
        secrets=(token,),
    )
    return client, repository


def _repo_path(repository: str) -> str:
    owner, name = repository.split("/", 1)
    return f"/repos/{quote_segment(owner)}/{quote_segment(name)}"


def environment_gate(client: ApiClient, repository: str, environment: str) -> EnvironmentGate:
    path = f"{_repo_path(repository)}/environments/{quote_segment(environment)}"
    answer = client.request("GET", path, ok=(200, 404))
    if answer.status == 404:
        return EnvironmentGate(environment, False, (), False, False, False)
    body = answer.body
    rules = field_of(body, "protection_rules")
    reviewers: list[str] = []
    has_rule = False
    prevent_self_review = False
    for rule in rules if isinstance(rules, list) else []:
        if field_of(rule, "type") != "required_reviewers":
            continue
        has_rule = True
        prevent_self_review = prevent_self_review or field_of(rule, "prevent_self_review") is True
        for entry in field_of(rule, "reviewers") or []:
            kind = field_of(entry, "type") or "?"
            who = field_of(entry, "reviewer", "login") or field_of(entry, "reviewer", "slug") or field_of(entry, "reviewer", "name")
            reviewers.append(f"{kind} {who}")
    return EnvironmentGate(
        environment,
        True,
        tuple(reviewers),
        has_rule,
        prevent_self_review,
        field_of(body, "can_admins_bypass") is not False,
    )


def waiting_runs(client: ApiClient, repository: str, workflow: str, exclude_run_id: int | None) -> list[WaitingRun]:
    """Runs of ``workflow`` (its file name) waiting for an approval, oldest first."""
    path = f"{_repo_path(repository)}/actions/workflows/{quote_segment(workflow)}/runs"
    body = client.request("GET", path, query={"status": "waiting", "per_page": "100"}).body
    runs = field_of(body, "workflow_runs")
    found = []
    for run in runs if isinstance(runs, list) else []:
        run_id = field_of(run, "id")
        if not isinstance(run_id, int) or run_id == exclude_run_id:
            continue
        number = field_of(run, "run_number")
        found.append(
            WaitingRun(
                run_id,
                number if isinstance(number, int) else 0,
                str(field_of(run, "head_sha") or ""),
                str(field_of(run, "html_url") or ""),
                str(field_of(run, "created_at") or ""),
            )
        )
    return sorted(found, key=lambda run: run.created_at)


def fit_summary(body: str, cut_note: str) -> str:
    """``body`` within GitHub's job-summary limit: cut at a line end, ``cut_note`` saying so."""
    encoded = body.encode("utf-8")
    if len(encoded) <= SUMMARY_LIMIT:
        return body
    cut = encoded[:SUMMARY_LIMIT].decode("utf-8", errors="ignore").rsplit("\n", 1)[0]
    return cut + f"\n\n**{cut_note}**\n"


def append_to_workflow_file(variable: str, text: str) -> None:
    """Append to the file a workflow command variable names ($GITHUB_STEP_SUMMARY, $GITHUB_OUTPUT), when it is set."""
    path = os.environ.get(variable)
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text)
