"""A stand-in for GitHub's REST API (api.github.com cannot be reached here).

migrate-prod's `migpipe approval-check` asks it for the environment ("Get an
environment", ``GET /repos/{owner}/{repo}/environments/{name}``) and for the
runs waiting for approval ("List workflow runs for a workflow",
``GET /repos/{owner}/{repo}/actions/workflows/{file}/runs``). Workflows reach
it through MIGPIPE_GITHUB_API_URL (act sets GITHUB_API_URL itself), with the
token GITHUB_TOKEN passed as the act secret of that name; any other token is
answered 401 "Bad credentials", as GitHub does.

``GitHubApiStandin`` is configured per test (the fixture ``github_api`` of
conftest.py starts a fresh one): ``environments`` maps a name to what "Get an
environment" answers (``with_reviewers()``, ``without_reviewers()``); a name
missing from it is a 404, as for an environment that does not exist.
``on_request`` runs before each answer (e.g. to change production while the
job is between its plan and its apply); ``requests`` records what was asked.
``github_api_url()`` serves the default answers (required reviewers on
"production", no run waiting) to tests that need nothing else.
"""
from __future__ import annotations

import http.server
import json
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field

GITHUB_TOKEN = "ghs_e2eStandinToken"


def with_reviewers(name: str = "production", *logins: str) -> dict[str, object]:
    """An environment with a required-reviewers rule naming `logins` (default: one user, "dba")."""
    reviewers = [{"type": "User", "reviewer": {"login": login}} for login in (logins or ("dba",))]
    rule = {"id": 1, "type": "required_reviewers", "prevent_self_review": True, "reviewers": reviewers}
    return {"name": name, "can_admins_bypass": False, "protection_rules": [rule]}


def without_reviewers(name: str = "production") -> dict[str, object]:
    """An environment as GitHub answers it on a plan without required reviewers:
    it exists, with at most a branch policy, and no required-reviewers rule."""
    return {"name": name, "can_admins_bypass": True, "protection_rules": [{"id": 2, "type": "branch_policy"}]}


@dataclass(frozen=True)
class ApiRequest:
    method: str
    path: str  # without the query
    query: dict[str, list[str]]
    authorized: bool


@dataclass
class GitHubApiStandin:
    environments: dict[str, dict[str, object]] = field(default_factory=lambda: {"production": with_reviewers()})
    waiting_runs: list[dict[str, object]] = field(default_factory=list)
    on_request: Callable[[ApiRequest], None] | None = None
    requests: list[ApiRequest] = field(default_factory=list)
    url: str = ""
    _server: http.server.ThreadingHTTPServer | None = None

    def answer(self, request: ApiRequest) -> tuple[int, dict[str, object]]:
        if not request.authorized:
            return 401, {"message": "Bad credentials"}
        parts = request.path.strip("/").split("/")
        # repos/{owner}/{repo}/environments/{name}
        if len(parts) == 5 and parts[0] == "repos" and parts[3] == "environments":
            body = self.environments.get(urllib.parse.unquote(parts[4]))
            return (200, body) if body is not None else (404, {"message": "Not Found"})
        # repos/{owner}/{repo}/actions/workflows/{file}/runs
        if len(parts) == 7 and parts[0] == "repos" and parts[3:5] == ["actions", "workflows"] and parts[6] == "runs":
            return 200, {"total_count": len(self.waiting_runs), "workflow_runs": self.waiting_runs}
        return 404, {"message": "Not Found"}

    def start(self) -> GitHubApiStandin:
        standin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                split = urllib.parse.urlsplit(self.path)
                request = ApiRequest(
                    "GET", split.path, urllib.parse.parse_qs(split.query),
                    self.headers.get("Authorization") == f"Bearer {GITHUB_TOKEN}",
                )
                standin.requests.append(request)
                if standin.on_request is not None:
                    standin.on_request(request)
                status, body = standin.answer(request)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def environment_requests(self, name: str) -> list[ApiRequest]:
        return [r for r in self.requests if r.path.endswith(f"/environments/{urllib.parse.quote(name, safe='')}")]


_DEFAULT: list[GitHubApiStandin] = []


def github_api_url() -> str:
    """The URL of a stand-in with the default answers; started once per test run."""
    if not _DEFAULT:
        _DEFAULT.append(GitHubApiStandin().start())
    return _DEFAULT[0].url
