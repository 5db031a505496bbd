"""A local stand-in for a host's HTTP API (Render, Heroku, Vercel, GitHub).

The real APIs cannot be reached from here; this server, on 127.0.0.1 only,
records every request (method, path, headers, JSON body) and answers with
what the test's ``route`` function returns, shaped like the documented API.
"""
from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    raw: bytes


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
