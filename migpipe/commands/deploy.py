"""migpipe deploy: deploy exactly the migrated commit, and wait until it is live.

Reads pipeline.toml for the host and its settings, the credentials from the
environment variables named there (the workflow passes each secret under its
own name), the commit from ``--sha`` (default ``$GITHUB_SHA``). Exit 0 when the
host says the deploy of that commit is live, 1 when it failed or timed out, 2
on a config or usage problem. The step summary ($GITHUB_STEP_SUMMARY) states
the migrated set (``$MIGPIPE_MIGRATED``, a JSON list passed from migrate-plan),
the deployed SHA, the host's deploy id and its final status.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from migpipe.errors import EXIT_FINDINGS, EXIT_OK, DeployFailed, FatalError
from migpipe.pipeline import Pipeline, load_pipeline
from migpipe.profiles.hosts.fly import FlyHost
from migpipe.profiles.hosts.heroku import HerokuHost
from migpipe.profiles.hosts.render import RenderHost
from migpipe.runtime.deploy import (
    DeployOutcome,
    Wait,
    check_sha,
    fly,
    heroku,
    render,
    summary_markdown,
)

# Where the hosts' APIs are; the tests point these at local stand-ins.
API_URL_ENV = {"render": "MIGPIPE_RENDER_API_URL", "heroku": "MIGPIPE_HEROKU_API_URL", "vercel": "MIGPIPE_VERCEL_API_URL"}


def _secret(name: str, key: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise FatalError(
            f"environment variable {name} is empty: set the secret {name} (named by {key} in pipeline.toml) "
            "in the deploy job's environment"
        )
    return value


def _api_url(host: str, default: str) -> str:
    return os.environ.get(API_URL_ENV[host]) or default


def _migrated() -> list[str] | None:
    raw = os.environ.get("MIGPIPE_MIGRATED")
    if raw is None or raw == "":
        return None
    try:
        names = json.loads(raw)
    except json.JSONDecodeError:
        return [raw]
    return [str(name) for name in names] if isinstance(names, list) else [str(names)]


def fly_target(pipeline: Pipeline, host: FlyHost, root: Path, token: str) -> fly.FlyTarget:
    return fly.FlyTarget(
        app=host.app,
        api_token=token,
        config_path=pipeline.output_paths()["host_config"],
        working_directory=pipeline.project.working_directory,
        repository=root,
    )


def heroku_target(pipeline: Pipeline, host: HerokuHost, root: Path, key: str) -> heroku.HerokuTarget:
    return heroku.HerokuTarget(
        app=host.app,
        api_key=key,
        repository=root,
        # Heroku builds the working directory: its Procfile is at the tarball's root.
        working_directory=pipeline.project.working_directory,
        api_url=_api_url("heroku", heroku.API_URL),
    )


def _deploy(pipeline: Pipeline, root: Path, sha: str, wait: Wait, scratch: Path) -> DeployOutcome:
    host = pipeline.host
    if isinstance(host, RenderHost):
        if pipeline.deploy.mode == "hook":
            return render.trigger_hook(_secret(pipeline.deploy.hook_secret, "deploy.hook_secret"), sha, wait)
        target = render.RenderTarget(
            service_id=_secret(host.service_id_secret, "host.service_id_secret"),
            api_key=_secret(host.api_key_secret, "host.api_key_secret"),
            api_url=_api_url("render", render.API_URL),
        )
        return render.deploy(target, sha, wait)
    if isinstance(host, HerokuHost):
        key = _secret(host.api_key_secret, "host.api_key_secret")
        return heroku.deploy(heroku_target(pipeline, host, root, key), sha, wait, scratch)
    if isinstance(host, FlyHost):
        token = _secret(host.api_token_secret, "host.api_token_secret")
        return fly.deploy(fly_target(pipeline, host, root, token), sha, wait)
    raise FatalError(f"migpipe deploy does not know host {host.name!r}")


def _write_summary(text: str) -> None:
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if path:
        with open(path, "a", encoding="utf-8") as summary:
            summary.write(text)


def run(config: str, root: str = ".", sha: str | None = None) -> int:
    pipeline = load_pipeline(config)
    commit = check_sha(sha or os.environ.get("GITHUB_SHA", ""))
    wait = Wait(timeout_seconds=pipeline.deploy.wait_minutes * 60, interval_seconds=pipeline.deploy.poll_seconds)
    migrated = _migrated()
    digest = os.environ.get("MIGPIPE_PLAN_DIGEST") or None
    with tempfile.TemporaryDirectory(prefix="migpipe-deploy-") as scratch:
        try:
            outcome = _deploy(pipeline, Path(root), commit, wait, Path(scratch))
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
