"""A stand-in for GitHub's REST API (api.github.com cannot be reached here).

migrate-prod's `migpipe approval-check` asks it for the environment: it answers
like "Get an environment" with a required-reviewers rule on "production", and
like "List workflow runs" with no run waiting. Workflows reach it through
MIGPIPE_GITHUB_API_URL (act sets GITHUB_API_URL itself), with the token
GITHUB_TOKEN passed as the act secret of that name.
"""
from __future__ import annotations

import http.server
import json
import threading

GITHUB_TOKEN = "ghs_e2eStandinToken"
_STARTED: list[str] = []


def github_api_url() -> str:
    """The stand-in's URL; started once per test run, on 127.0.0.1."""
    if _STARTED:
        return _STARTED[0]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body: dict[str, object]
            if self.headers.get("Authorization") != f"Bearer {GITHUB_TOKEN}":
                body, status = {"message": "Bad credentials"}, 401
            elif self.path.endswith("/environments/production"):
                rule = {"type": "required_reviewers", "prevent_self_review": True,
                        "reviewers": [{"type": "User", "reviewer": {"login": "dba"}}]}
                body, status = {"name": "production", "can_admins_bypass": False, "protection_rules": [rule]}, 200
            elif "/actions/workflows/" in self.path:
                body, status = {"total_count": 0, "workflow_runs": []}, 200
            else:
                body, status = {"message": "Not Found"}, 404
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _STARTED.append(f"http://127.0.0.1:{server.server_address[1]}")
    return _STARTED[0]
