"""Render: create a deploy of one commit through the API, poll it until live.

``POST /v1/services/{serviceId}/deploys`` with ``{"commitId": SHA}`` deploys
that commit (a deploy hook can only deploy the branch head, which may be newer
than the commit whose migrations were applied). ``GET
/v1/services/{serviceId}/deploys/{deployId}`` is polled until ``live``.
Authentication: ``Authorization: Bearer <API key>``.

What the API answers, checked against Render's own documents:

* The create-deploy reference (https://api-docs.render.com/reference/create-deploy)
  documents the response ``202 Queued``; the client Render generates from its
  OpenAPI spec (render-oss/cli at 85c8c2c, 2026-08-21, pkg/client/client_gen.go
  ``ParseCreateDeployResponse``) has ``201`` with the ``Deploy`` object and
  ``202`` with no content ("No content-type"). So a 202 names no deploy id:
  the deploy was queued (another one of the service is in progress).
* Render's CLI then finds the queued deploy by listing
  ``GET /v1/services/{serviceId}/deploys?status=queued&limit=1``
  (pkg/tui/views/deploycreate.go, ``WaitForDeployCreate``). The list endpoint
  takes ``status`` (repeatable), ``createdAfter``/``createdBefore``, ``cursor``
  and ``limit``, and returns ``[{"cursor": ..., "deploy": {...}}]``, newest
  first (types_gen.go ``ListDeploysParams``, ``DeployWithCursor``).
* Deploy statuses (types_gen.go ``DeployStatus``): ``queued``, ``created``,
  ``build_in_progress``, ``update_in_progress``, ``pre_deploy_in_progress``,
  ``live``, ``deactivated``, ``build_failed``, ``update_failed``,
  ``pre_deploy_failed``, ``canceled``.

On a 202 migpipe does what Render's CLI does, more strictly: it lists the
service's recent deploys and takes the newest one *of this commit that has not
finished* (queued, created or in progress), polling the list until one shows
up; an older, finished deploy of the same commit is never taken for this one.
When none shows up before the wait ends, the deploy fails: the job never
reports live a deploy it could not find.

The hook mode (``deploy.mode = "hook"``) is the documented weaker mode: it
POSTs the deploy hook, which deploys whatever the branch head is, and cannot
tell whether the deploy went live.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migpipe.errors import ApiError, DeployFailed
from migpipe.pipeline import Pipeline
from migpipe.profiles.hosts.render import RenderHost
from migpipe.runtime.deploy import DeployOutcome, Environment, Wait, check_sha
from migpipe.runtime.http import (
    ApiClient,
    check_base_url,
    field_of,
    quote_segment,
    text_field,
)

API_URL = "https://api.render.com"
HOST = "Render"
LIVE = "live"
# A deploy in any of these will never become live. "deactivated": a newer
# deploy replaced this one before or after it went live, so this commit is
# not what runs.
FAILED = frozenset({"build_failed", "update_failed", "pre_deploy_failed", "canceled", "deactivated"})
# A deploy in any of these has not finished yet.
UNFINISHED = frozenset({"queued", "created", "build_in_progress", "update_in_progress", "pre_deploy_in_progress"})
HOOK_NOTE = (
    'deploy.mode = "hook": Render deploys the head of its branch, which may be newer than {sha}, '
    'and this job cannot see whether it went live. Set deploy.mode = "api" to deploy exactly this '
    "commit and wait for it."
)
_SERVICE_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,100}")


@dataclass(frozen=True)
class RenderTarget:
    service_id: str
    api_key: str
    api_url: str = API_URL


def _client(target: RenderTarget) -> ApiClient:
    return ApiClient(
        base_url=check_base_url(target.api_url, "Render API URL"),
        name="Render API",
        headers={"Authorization": f"Bearer {target.api_key}"},
        secrets=(target.api_key,),
    )


def _deploy_of(body: Any) -> Any:
    # Some answers wrap the deploy ({"deploy": {...}}, list items {"cursor", "deploy"}).
    inner = field_of(body, "deploy")
    return inner if isinstance(inner, dict) else body


def _unfinished_deploy_of(client: ApiClient, service: str, sha: str) -> str:
    """The newest deploy of ``sha`` that has not finished ("" when none is listed)."""
    listing = client.request("GET", f"/v1/services/{service}/deploys", query={"limit": "20"}).body
    for item in listing if isinstance(listing, list) else []:
        deploy = _deploy_of(item)
        if text_field(deploy, "commit", "id") == sha and text_field(deploy, "status") in UNFINISHED:
            return text_field(deploy, "id") or ""
    return ""


def _find_queued(client: ApiClient, service: str, sha: str, wait: Wait) -> str:
    """The deploy a 202 (queued, no content) created: found by its commit, waited for."""
    found, timed_out = wait.poll(
        lambda: _unfinished_deploy_of(client, service, sha),
        bool,
        f"Render deploy of {sha} queued; looking for it among the service's deploys",
    )
    if timed_out or not found:
        raise DeployFailed(
            DeployOutcome(HOST, sha, "", "queued (not found)", False),
            f"Render queued a deploy of {sha} (HTTP 202, no deploy id), but no unfinished deploy of that commit "
            f"was listed within {wait.timeout_seconds:g} s: whether it went live is unknown",
        )
    return found


def deploy(target: RenderTarget, sha: str, wait: Wait) -> DeployOutcome:
    check_sha(sha)
    if not _SERVICE_ID_RE.fullmatch(target.service_id):
        raise ApiError(f"Render service id {target.service_id!r} is not an id such as 'srv-abc123'")
    client = _client(target)
    service = quote_segment(target.service_id)
    created = client.request("POST", f"/v1/services/{service}/deploys", {"commitId": sha}, ok=(200, 201, 202))
    deploy_id = text_field(_deploy_of(created.body), "id") or _find_queued(client, service, sha, wait)
    wait.log(f"Render deploy {deploy_id} of commit {sha} created")

    seen_commit: list[str] = []

    def fetch() -> str:
        body = _deploy_of(client.request("GET", f"/v1/services/{service}/deploys/{quote_segment(deploy_id)}").body)
        commit = text_field(body, "commit", "id")
        if commit:
            seen_commit.append(commit)
        return text_field(body, "status") or "unknown"

    status, timed_out = wait.poll(fetch, lambda s: s == LIVE or s in FAILED, f"Render deploy {deploy_id}")
    outcome = DeployOutcome(HOST, sha, deploy_id, status, live=status == LIVE and not timed_out)
    if seen_commit and seen_commit[-1] != sha:
        raise DeployFailed(
            DeployOutcome(HOST, sha, deploy_id, status, live=False),
            f"Render deploy {deploy_id} is of commit {seen_commit[-1]}, not {sha}",
        )
    if timed_out:
        raise DeployFailed(
            outcome,
            f"Render deploy {deploy_id} of {sha} was not live after {wait.timeout_seconds:g} s (last status {status!r})",
        )
    if not outcome.live:
        raise DeployFailed(outcome, f"Render deploy {deploy_id} of {sha} ended with status {status!r}: it is not live")
    return outcome


def trigger_hook(hook_url: str, sha: str, wait: Wait) -> DeployOutcome:
    """The weaker mode: POST the deploy hook. Render deploys the branch head, unconfirmed."""
    check_sha(sha)
    parsed_base = check_base_url(hook_url, "Render deploy hook URL")
    client = ApiClient(base_url=parsed_base, name="Render deploy hook", secrets=(hook_url, parsed_base))
    body = client.request("POST", "", ok=(200, 201, 202)).body
    deploy_id = text_field(_deploy_of(body), "id") or ""
    wait.log(f"Render deploy hook called (deploy {deploy_id or 'id not given'})")
    return DeployOutcome(
        HOST,
        sha,
        deploy_id,
        "triggered (not confirmed)",
        live=False,
        notes=(HOOK_NOTE.format(sha=sha),),
    )


# Where Render's API is; the tests point it at a local stand-in.
API_URL_ENV = "MIGPIPE_RENDER_API_URL"


@dataclass(frozen=True)
class HookTarget:
    """The weaker mode (deploy.mode = "hook"): the deploy hook's URL."""

    hook_url: str


def target_from(pipeline: Pipeline, root: Path, environment: Environment) -> RenderTarget | HookTarget:
    host = pipeline.host
    assert isinstance(host, RenderHost)
    if pipeline.deploy.mode == "hook":
        return HookTarget(environment.secret(pipeline.deploy.hook_secret, "deploy.hook_secret"))
    return RenderTarget(
        service_id=environment.secret(host.service_id_secret, "host.service_id_secret"),
        api_key=environment.secret(host.api_key_secret, "host.api_key_secret"),
        api_url=environment.get(API_URL_ENV) or API_URL,
    )


def run(target: RenderTarget | HookTarget, sha: str, wait: Wait, scratch: Path) -> DeployOutcome:
    if isinstance(target, HookTarget):
        return trigger_hook(target.hook_url, sha, wait)
    return deploy(target, sha, wait)
