"""migpipe approval-check: fail closed when migrate-prod's approval gate does not exist.

``approval.gate = "reviewers"`` (default): the environment named by
``approval.environment`` must have a required-reviewers rule with at least one
reviewer. GitHub offers that rule only in public repositories on the Free,
Pro and Team plans (private ones need Enterprise); without it, ``environment:``
gates nothing and migrate-prod would run unapproved, so this check fails and
names the fallback. ``approval.gate = "dispatch"``: migrate-prod runs only
from a ``workflow_dispatch`` (which GitHub allows only to users with write
access) whose ``plan_digest`` input names the plan the dispatcher reviewed.

Either way it reports older runs of the workflow still waiting for approval:
a waiting run holds the migrate-prod concurrency group, and GitHub cancels an
older pending run when a newer one queues. ``--warn-only`` (the plan job)
reports without failing.
"""
from __future__ import annotations

import os
import posixpath
import sys

from migpipe.errors import EXIT_FINDINGS, EXIT_OK
from migpipe.pipeline import load_pipeline
from migpipe.runtime import github
from migpipe.runtime.plan import parse_digest

FALLBACK = (
    'the fallback gate that works on every plan: set approval.gate = "dispatch" in pipeline.toml, '
    "then migrate-prod runs only when someone with write access dispatches the workflow with the "
    "plan digest they reviewed"
)


def _summary(lines: list[str]) -> None:
    github.append_to_workflow_file("GITHUB_STEP_SUMMARY", "\n".join(lines) + "\n")


def _annotation(level: str, title: str, text: str) -> None:
    # One line: GitHub ends an annotation's message at the first newline.
    print(f"::{level} title={title}::{text}")


def _reviewers_gate(client: github.ApiClient, repository: str, environment: str) -> tuple[bool, str]:
    gate = github.environment_gate(client, repository, environment)
    if not gate.exists:
        return False, (
            f"the environment {environment!r} does not exist in {repository} (or this token cannot see it): "
            f"migrate-prod would run unapproved. Create it with required reviewers, or use {FALLBACK}"
        )
    if not gate.has_reviewer_rule or not gate.reviewers:
        return False, (
            f"the environment {environment!r} has no required-reviewers rule"
            + ("" if not gate.has_reviewer_rule else " with a reviewer")
            + ": migrate-prod would run unapproved. GitHub offers required reviewers only in public "
            "repositories on Free, Pro and Team (private repositories need Enterprise). Add reviewers "
            f"under Settings > Environments > {environment}, or use {FALLBACK}"
        )
    text = f"the environment {environment!r} requires approval by {', '.join(gate.reviewers)}"
    if not gate.prevent_self_review:
        text += "; the person who pushed may approve their own run (turn on 'Prevent self-review')"
    if gate.can_admins_bypass:
        text += "; administrators may bypass it (turn off 'Allow administrators to bypass')"
    return True, text


def _dispatch_gate() -> tuple[bool, str]:
    event = os.environ.get("GITHUB_EVENT_NAME", "")
    actor = os.environ.get("GITHUB_TRIGGERING_ACTOR") or os.environ.get("GITHUB_ACTOR", "?")
    digest = os.environ.get("MIGPIPE_APPROVED_DIGEST", "")
    if event != "workflow_dispatch":
        return False, f"approval.gate is \"dispatch\" but this run was started by {event or 'an unknown event'}, not workflow_dispatch"
    if parse_digest(digest) is None:
        return False, "the workflow_dispatch input plan_digest is missing or not a plan digest (copy it from the migrate-plan job's summary)"
    return True, f"dispatched by {actor} (GitHub allows only users with write access) to apply the plan {digest}"


def run(config: str, warn_only: bool = False) -> int:
    pipeline = load_pipeline(config)
    approval = pipeline.approval
    gate_kind = approval.gate
    client, repository = github.client_from_env()
    lines = ["## Approval gate", ""]
    if gate_kind == "dispatch" and warn_only:
        ok, text = True, (
            'approval.gate is "dispatch": to apply this plan, someone with write access reviews it, then runs '
            f"the workflow on {pipeline.ci.main_branch} (Actions > Run workflow) with plan_digest = the plan's digest"
        )
    elif gate_kind == "dispatch":
        ok, text = _dispatch_gate()
    else:
        ok, text = _reviewers_gate(client, repository, approval.environment)
    lines.append(("OK: " if ok else "NO GATE: ") + text)
    level = "notice" if ok else ("warning" if warn_only else "error")
    _annotation(level, "Approval gate" if ok else "No approval gate", text)

    workflow = posixpath.basename(pipeline.outputs.workflow)
    run_id_text = os.environ.get("GITHUB_RUN_ID", "")
    waiting = github.waiting_runs(client, repository, workflow, int(run_id_text) if run_id_text.isdigit() else None)
    if waiting:
        lines += ["", "### Older runs still waiting for approval", ""]
        for older in waiting:
            note = (
                f"run #{older.run_number} (commit {older.head_sha[:12]}, since {older.created_at}) is waiting for "
                f"approval and holds the migrate-prod concurrency group; approve or reject it ({older.url}). "
                "A newer run that queues behind it cancels any other pending run."
            )
            lines.append(f"- {note}")
            _annotation("warning", "Older run waiting for approval", note)
    _summary(lines)
    if ok or warn_only:
        return EXIT_OK
    print(f"migpipe approval-check: {text}", file=sys.stderr)
    return EXIT_FINDINGS


