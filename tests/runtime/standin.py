"""A local stand-in for a host's HTTP API (Render, Heroku, Vercel, GitHub).

The real APIs cannot be reached from here; this server, on 127.0.0.1 only,
records every request (method, path, headers, JSON body) and answers with
what the test's ``route`` function returns, shaped like the documented API.
"""
from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    raw: bytes
    at: float = field(default_factory=time.time)  # when it arrived


# route(request) -> (HTTP status, JSON body or None)
Route = Callable[[Request], "tuple[int, Any]"]


@dataclass
class StandIn:
    route: Route
    port: int = 0
    requests: list[Request] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def calls(self, method: str, prefix: str = "") -> list[Request]:
        return [r for r in self.requests if r.method == method and r.path.startswith(prefix)]


@contextmanager
def api_standin(route: Route) -> Iterator[StandIn]:
    standin = StandIn(route)

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw and self.headers.get("Content-Type") == "application/json" else None
            except json.JSONDecodeError:
                body = None
            request = Request(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body, raw)
            standin.requests.append(request)
            status, answer = standin.route(request)
            data = b"" if answer is None else json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = _answer  # noqa: N815

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    standin.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield standin
    finally:
        server.shutdown()
        server.server_close()


class FakeClock:
    """Time that moves only when the code under test sleeps (no real waiting)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


# --------------------------------------------------------------------------
# The hosts' APIs, stand-ins. Each is a route for ``api_standin`` that answers
# like the documented API, is told which final status its deploy reaches
# (passing through the in-progress statuses the real host reports on the
# way), and records what it was asked to deploy.

# Render's deploy statuses on the way to each final one (api-docs.render.com,
# "Retrieve deploy": created, build_in_progress, pre_deploy_in_progress, …).
RENDER_WALKS: dict[str, list[str]] = {
    "live": ["build_in_progress", "pre_deploy_in_progress", "update_in_progress", "live"],
    "build_failed": ["build_in_progress", "build_failed"],
    "pre_deploy_failed": ["build_in_progress", "pre_deploy_in_progress", "pre_deploy_failed"],
    "update_failed": ["build_in_progress", "pre_deploy_in_progress", "update_in_progress", "update_failed"],
    "canceled": ["build_in_progress", "canceled"],
    "deactivated": ["build_in_progress", "update_in_progress", "live", "deactivated"],
}


class RenderApi:
    """Render's REST API (api.render.com), stand-in.

    ``POST /v1/services/{serviceId}/deploys`` with ``{"commitId": SHA}`` answers
    201 and the deploy (``id``, ``status: created``, ``commit.id``, ``trigger:
    api``); each ``GET …/deploys/{deployId}`` moves the deploy one status along
    ``statuses`` (``RenderApi.to(final)`` walks to a final status as Render
    does); ``GET …/deploys?limit=N`` lists them. Every call needs ``Authorization:
    Bearer <api_key>`` (401 otherwise, echoing what was sent, so a test can
    prove it never reaches output). ``commit``: answer with this commit instead
    of the one asked for (a deploy of another commit)."""

    def __init__(
        self,
        service_id: str,
        api_key: str,
        statuses: Sequence[str],
        commit: str | None = None,
        create_status: int = 201,
        with_id: bool = True,
    ) -> None:
        self.service_id, self.api_key = service_id, api_key
        self.statuses, self.commit = list(statuses), commit
        self.create_status, self.with_id = create_status, with_id
        self.deploys: list[dict[str, Any]] = []  # what it was asked to deploy, in order
        self._polls: Iterator[str] = iter(self.statuses)

    @classmethod
    def to(cls, service_id: str, api_key: str, final: str) -> RenderApi:
        return cls(service_id, api_key, RENDER_WALKS[final])

    def __call__(self, request: Request) -> tuple[int, Any]:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return 401, {"message": f"unauthorized: {request.headers.get('authorization')}"}
        service = f"/v1/services/{self.service_id}/deploys"
        if request.method == "POST" and request.path == service:
            if not isinstance(request.body, dict) or not isinstance(request.body.get("commitId"), str):
                return 400, {"message": "invalid JSON body: commitId must be a string"}
            deploy: dict[str, Any] = {
                "id": f"dep-standin{len(self.deploys) + 1}",
                "commit": {"id": self.commit or request.body["commitId"], "message": "app"},
                "status": "created",
                "trigger": "api",
            }
            self.deploys.append(deploy)
            return self.create_status, dict(deploy) if self.with_id else None
        if request.method == "GET" and request.path.startswith(f"{service}?"):
            return 200, [{"cursor": f"c{i}", "deploy": dict(d)} for i, d in enumerate(reversed(self.deploys))]
        if request.method == "GET" and request.path.startswith(f"{service}/"):
            found: dict[str, Any] | None = next((d for d in self.deploys if request.path == f"{service}/{d['id']}"), None)
            if found is None:
                return 404, {"message": "deploy not found"}
            found["status"] = next(self._polls, found["status"])
            return 200, dict(found)
        return 404, {"message": "not found"}


class HerokuApi:
    """Heroku's Platform API (api.heroku.com), stand-in.

    ``POST /apps/{app}/sources`` answers upload and download URLs on this same
    server (``PUT /upload/…`` needs no key: the URL is signed); ``POST
    /apps/{app}/builds`` records the build's ``source_blob`` (``url``,
    ``version``) and answers ``pending``; each ``GET …/builds/{id}`` moves the
    build one status along ``builds`` and names its release once it
    ``succeeded``; each ``GET …/releases/{id}`` moves the release along
    ``releases``. Calls need ``Authorization: Bearer <api_key>`` and ``Accept:
    application/vnd.heroku+json; version=3``."""

    def __init__(self, app: str, api_key: str, builds: Sequence[str], releases: Sequence[str]) -> None:
        self.app, self.api_key = app, api_key
        self.build_statuses, self.release_statuses = list(builds), list(releases)
        self.uploads: dict[str, bytes] = {}
        self.builds: list[dict[str, Any]] = []  # each build's source_blob, as asked for
        self._build, self._release = "pending", "pending"
        self._builds, self._releases = iter(self.build_statuses), iter(self.release_statuses)

    @classmethod
    def to(cls, app: str, api_key: str, build: str, release: str = "succeeded") -> HerokuApi:
        return cls(app, api_key, ["pending", build], ["pending", release])

    def __call__(self, request: Request) -> tuple[int, Any]:
        if request.method == "PUT" and request.path.startswith("/upload/"):
            if "authorization" in request.headers:
                return 400, {"message": "a signed upload URL takes no Authorization header"}
            self.uploads[request.path.removeprefix("/upload/")] = request.raw
            return 200, None
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return 401, {"id": "unauthorized", "message": "Invalid credentials provided."}
        if request.headers.get("accept") != "application/vnd.heroku+json; version=3":
            return 400, {"id": "bad_request", "message": "Accept: application/vnd.heroku+json; version=3 required"}
        app = f"/apps/{self.app}"
        base = f"http://{request.headers.get('host')}"
        if request.method == "POST" and request.path == f"{app}/sources":
            name = f"blob-{len(self.uploads) + 1}"
            return 201, {"source_blob": {"put_url": f"{base}/upload/{name}", "get_url": f"{base}/download/{name}"}}
        if request.method == "POST" and request.path == f"{app}/builds":
            blob = request.body.get("source_blob") if isinstance(request.body, dict) else None
            if not isinstance(blob, dict) or not blob.get("url"):
                return 422, {"id": "invalid_params", "message": "source_blob.url is required"}
            self.builds.append(blob)
            return 201, {"id": "build-1", "status": "pending", "source_blob": blob, "release": None}
        if request.method == "GET" and request.path == f"{app}/builds/build-1":
            self._build = next(self._builds, self._build)
            release = {"id": "rel-1"} if self._build == "succeeded" else None
            return 200, {"id": "build-1", "status": self._build, "source_blob": self.builds[-1], "release": release}
        if request.method == "GET" and request.path == f"{app}/releases/rel-1":
            self._release = next(self._releases, self._release)
            return 200, {"id": "rel-1", "status": self._release, "version": 42, "current": self._release == "succeeded"}
        return 404, {"id": "not_found", "message": "Couldn't find that."}


class VercelApi:
    """Vercel's REST API (api.vercel.com), stand-in: what the real Vercel CLI
    (58.x) asks for ``vercel pull``, ``vercel deploy --prebuilt``, and what
    migpipe polls.

    ``GET /v2/user``, ``/teams/{org}``, ``/v9/projects/{project}`` (its
    settings: no framework, no command overrides), ``/v3/env/pull/{project}/
    {target}`` (its environment variables). ``POST /v13/deployments`` records
    the deployment asked for (``meta``, ``gitMetadata``, ``target``, the
    ``files`` of the prebuilt output with their SHA-1) and, as Vercel does,
    first answers 400 ``missing_files`` for content it does not have, which the
    CLI uploads (``POST /v2/files``, ``x-now-digest``) before asking again;
    then the deployment (``id``, ``url``, ``readyState: QUEUED``). Each ``GET
    /v13/deployments/{id or url}`` moves it one state along ``states``
    (``VercelApi.to(…, final)``: QUEUED, BUILDING, then READY, ERROR or
    CANCELED). Every call needs ``Authorization: Bearer <token>`` (403
    otherwise)."""

    def __init__(self, token: str, org_id: str, project_id: str, states: Sequence[str]) -> None:
        self.token, self.org_id, self.project_id = token, org_id, project_id
        self.states = list(states)
        self.deployments: list[dict[str, Any]] = []  # the bodies of the deployments created
        self.uploads: dict[str, bytes] = {}  # SHA-1 -> content
        self._state = "QUEUED"
        self._states: Iterator[str] = iter(self.states)

    @classmethod
    def to(cls, token: str, org_id: str, project_id: str, final: str) -> VercelApi:
        return cls(token, org_id, project_id, ["QUEUED", "BUILDING", final])

    def deployment(self) -> dict[str, Any]:
        number = len(self.deployments)
        return {
            "id": f"dpl_standin{number}",
            "url": f"acme-standin{number}-team.vercel.app",
            "name": "acme",
            "readyState": self._state,
            "status": self._state,
            "target": "production",
            "meta": self.deployments[-1].get("meta", {}),
            "projectId": self.project_id,
            "ownerId": self.org_id,
            "inspectorUrl": f"https://vercel.com/acme/acme/standin{number}",
            "alias": ["acme.vercel.app"] if self._state == "READY" else [],
            "aliasAssigned": self._state == "READY",
            "createdAt": 1764720000000,
        }

    def __call__(self, request: Request) -> tuple[int, Any]:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return 403, {"error": {"code": "forbidden", "message": "The request is missing an authentication token"}}
        path = request.path.split("?", 1)[0]
        if request.method == "GET" and path == "/v2/user":
            return 200, {"user": {"id": "usr_standin", "username": "ci", "email": "ci@example.com", "defaultTeamId": None}}
        if request.method == "GET" and path == f"/teams/{self.org_id}":
            return 200, {"id": self.org_id, "slug": "acme", "name": "Acme"}
        if request.method == "GET" and path == f"/v9/projects/{self.project_id}":
            settings = dict.fromkeys(
                ("framework", "buildCommand", "installCommand", "outputDirectory", "rootDirectory", "devCommand")
            )
            return 200, {"id": self.project_id, "name": "acme", "accountId": self.org_id, "nodeVersion": "24.x",
                         "directoryListing": False, "env": [], **settings}
        if request.method == "GET" and path.startswith(f"/v3/env/pull/{self.project_id}/"):
            return 200, {"env": {"APP_ENV": "production"}}
        if request.method == "POST" and path == "/v2/files":
            self.uploads[request.headers.get("x-now-digest", "")] = request.raw
            return 200, {}
        if request.method == "POST" and path == "/v13/deployments":
            body = request.body if isinstance(request.body, dict) else json.loads(request.raw or b"{}")
            missing = [f["sha"] for f in body.get("files", []) if f.get("sha") not in self.uploads]
            if missing:
                return 400, {"error": {"code": "missing_files", "message": "Missing files", "missing": missing}}
            self.deployments.append(body)
            return 200, self.deployment()
        if request.method == "GET" and path.startswith("/v13/deployments/") and self.deployments:
            wanted = path.removeprefix("/v13/deployments/")
            current = self.deployment()
            if wanted not in (current["id"], current["url"]):
                return 404, {"error": {"code": "not_found", "message": "The deployment could not be found."}}
            self._state = next(self._states, self._state)
            return 200, self.deployment()
        return 404, {"error": {"code": "not_found", "message": f"stand-in: {request.method} {path}"}}


# flyctl talks to Fly's API, which cannot be reached here. Its stand-in is an
# executable named flyctl that answers as flyctl does (migpipe/runtime/deploy/
# fly.py cites the flyctl source for each answer):
# * ``deploy`` prints the image it built, registry.fly.io/<app>:<--image-label>,
#   waits for the machines' health checks and, under FLY_EMIT_RELEASE_JSON,
#   prints the JSON line naming the release it created (v7). Told the health
#   checks' outcome by FLYCTL_STANDIN_HEALTH: passing (default) or critical,
#   which exits 1 with flyctl's message (FLYCTL_STANDIN_EXIT: any other exit).
# * ``releases --json`` lists fly-go's Release with its Go field names, newest
#   first: v7, running the image deploy built (FLYCTL_STANDIN_LABEL: another
#   label), FLYCTL_STANDIN_STATUS (default complete); FLYCTL_STANDIN_NEWER: a
#   newer v8 with that label; FLYCTL_STANDIN_RELEASES_EXIT: fails.
# * FLYCTL_STANDIN_OLD: an older flyctl, which prints no release line.
# Every call is appended to FLYCTL_STANDIN_LOG as JSON: argv, cwd, the HEAD
# commit of cwd's checkout, and the FLY_API_TOKEN it found in its environment.
FLYCTL_STANDIN = '''\
#!{python}
"""Stand-in for flyctl (tests/runtime/standin.py says how it answers)."""
import json, os, subprocess, sys

args = sys.argv[1:]
env = os.environ.get
log = env("FLYCTL_STANDIN_LOG")
if not log:
    sys.exit("stand-in for flyctl: FLYCTL_STANDIN_LOG is not set")
head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=False).stdout.strip()
with open(log, "a") as f:
    f.write(json.dumps({{"argv": args, "cwd": os.getcwd(), "head": head, "token": env("FLY_API_TOKEN")}}) + "\\n")
built = log + ".image"


def option(name):
    return args[args.index(name) + 1] if name in args[:-1] else None


if args[:1] == ["deploy"]:
    image = "registry.fly.io/{{}}:{{}}".format(option("--app"), option("--image-label") or "deployment-01STANDIN")
    with open(built, "w") as f:
        f.write(image)
    print("==> Building image with Depot (stand-in)")
    print("image: " + image)
    print("> Waiting for 1781973f to become healthy (timeout {{}})".format(option("--wait-timeout") or "5m0s"), flush=True)
    if env("FLYCTL_STANDIN_HEALTH", "passing") != "passing":
        print("Error: timeout reached waiting for health checks to pass for machine 1781973f", file=sys.stderr)
        sys.exit(1)
    code = int(env("FLYCTL_STANDIN_EXIT", "0"))
    if code == 0:
        print("> Machine 1781973f [app] update finished: success")
        if env("FLY_EMIT_RELEASE_JSON") and not env("FLYCTL_STANDIN_OLD"):
            print(json.dumps({{"id": "rel_7", "version": 7, "image_ref": image}}))
    sys.exit(code)
if args[:1] == ["releases"]:
    if env("FLYCTL_STANDIN_RELEASES_EXIT"):
        print("Error: failed retrieving app releases", file=sys.stderr)
        sys.exit(1)
    image = open(built).read() if os.path.exists(built) else ""
    if env("FLYCTL_STANDIN_LABEL"):
        image = image.rsplit(":", 1)[0] + ":" + env("FLYCTL_STANDIN_LABEL")
    releases = [{{"ID": "rel_7", "Version": 7, "Status": env("FLYCTL_STANDIN_STATUS", "complete"), "ImageRef": image,
                  "Description": "Release", "Stable": True}}]
    if env("FLYCTL_STANDIN_NEWER"):
        releases.insert(0, {{"ID": "rel_8", "Version": 8, "Status": "complete",
                             "ImageRef": image.rsplit(":", 1)[0] + ":" + env("FLYCTL_STANDIN_NEWER")}})
    print(json.dumps(releases, indent=4))
    sys.exit(0)
sys.exit("stand-in for flyctl: {{}} is not part of the stand-in".format(" ".join(args)))
'''


def write_flyctl_standin(folder: Path, python: str) -> Path:
    """An executable ``flyctl`` stand-in in ``folder``, run by ``python``."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "flyctl"
    script.write_text(FLYCTL_STANDIN.format(python=python))
    script.chmod(0o755)
    return script


def flyctl_calls(log: Path) -> list[dict[str, Any]]:
    """What the flyctl stand-in recorded, one dict per call."""
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
