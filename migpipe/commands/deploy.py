"""migpipe deploy: deploy exactly the migrated commit, and wait until it is live.

Reads pipeline.toml for the host and its settings, the credentials from the
environment variables named there (the workflow passes each secret under its
own name), the commit from ``--sha`` (default ``$GITHUB_SHA``). Exit 0 when the
host says the deploy of that commit is live, 1 when it failed or timed out, 2
on a config or usage problem. The step summary ($GITHUB_STEP_SUMMARY) states
the migrated set (``$MIGPIPE_MIGRATED``, a JSON list passed from migrate-plan),
the deployed SHA, the host's deploy id and its final status. Each host's
deploy is in migpipe.runtime.deploy (hosts.DEPLOYS names them).
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from migpipe.errors import EXIT_FINDINGS, EXIT_OK, DeployFailed
from migpipe.pipeline import load_pipeline
from migpipe.runtime.deploy import Environment, Wait, check_sha, summary_markdown
from migpipe.runtime.deploy.hosts import deploy
from migpipe.runtime.github import append_to_workflow_file


def _migrated() -> list[str] | None:
    raw = os.environ.get("MIGPIPE_MIGRATED")
    if raw is None or raw == "":
        return None
    try:
        names = json.loads(raw)
    except json.JSONDecodeError:
        return [raw]
    return [str(name) for name in names] if isinstance(names, list) else [str(names)]


def _write_summary(text: str) -> None:
    append_to_workflow_file("GITHUB_STEP_SUMMARY", text)


def run(config: str, root: str = ".", sha: str | None = None) -> int:
    pipeline = load_pipeline(config)
    commit = check_sha(sha or os.environ.get("GITHUB_SHA", ""))
    wait = Wait(timeout_seconds=pipeline.deploy.wait_minutes * 60, interval_seconds=pipeline.deploy.poll_seconds)
    migrated = _migrated()
    digest = os.environ.get("MIGPIPE_PLAN_DIGEST") or None
    with tempfile.TemporaryDirectory(prefix="migpipe-deploy-") as scratch:
        try:
            outcome = deploy(pipeline, Path(root), Environment(os.environ), commit, wait, Path(scratch))
        except DeployFailed as exc:
            _write_summary(summary_markdown(exc.outcome, migrated, digest))
            print(f"migpipe deploy: {exc}", file=sys.stderr)
            return EXIT_FINDINGS
    _write_summary(summary_markdown(outcome, migrated, digest))
    if outcome.live:
        print(f"{outcome.host} deploy {outcome.deploy_id} of {commit}: {outcome.status}")
    else:
        print(f"{outcome.host} deploy {outcome.deploy_id or '(no id)'}: {outcome.status}")
        for note in outcome.notes:
            print(f"warning: {note}", file=sys.stderr)
    return EXIT_OK
