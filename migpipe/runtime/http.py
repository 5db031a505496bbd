"""A small JSON-over-HTTPS client for hosts' and GitHub's APIs.

Why not a library: three hosts and GitHub need a handful of GET/POST calls,
and urllib keeps migpipe's dependencies what they are. The token is read from
the environment by the caller and placed only in a request header; every
message this module produces is passed through ``redact`` so that an API that
echoes a header back cannot print it.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from migpipe.errors import ApiError

# Plain HTTP only to this machine: the tests' stand-ins of the hosts' APIs.
_LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
_BODY_EXCERPT = 300


def check_base_url(url: str, what: str) -> str:
    """``url`` without a trailing '/', if it is HTTPS (or HTTP to this machine)."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme == "https" and parsed.hostname:
        return url.rstrip("/")
    if parsed.scheme == "http" and parsed.hostname in _LOCAL_HOSTS:
        return url.rstrip("/")
    raise ApiError(f"{what}: {url!r} is not an https:// URL (plain http is allowed only to 127.0.0.1)")


def quote_segment(value: str) -> str:
    """One path segment, with nothing in it able to change the path."""
    return urllib.parse.quote(value, safe="")


@dataclass(frozen=True)
class Response:
    status: int
    body: Any  # parsed JSON, or None when the body was empty


@dataclass
class ApiClient:
    """Requests to one API; ``secrets`` are removed from every message it makes."""

    base_url: str
    name: str  # "Render API", shown in messages
    headers: Mapping[str, str] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()
    timeout_seconds: float = 60.0

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            if secret:
                text = text.replace(secret, "***")
        return text

    def request(
        self,
        method: str,
        path: str,
        body: object | None = None,
        *,
        ok: tuple[int, ...] = (200, 201, 202),
        query: Mapping[str, str] | None = None,
    ) -> Response:
        url = self.base_url + path
        if query:
            url += "?" + urllib.parse.urlencode(dict(query))
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Accept", "application/json")
        for name, value in self.headers.items():
            request.add_header(name, value)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        shown = f"{method} {self.base_url}{path}"
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as answer:
                status = int(answer.status)
                raw = answer.read()
        except urllib.error.HTTPError as exc:
            status = exc.code
            raw = exc.read() or b""
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ApiError(self.redact(f"{self.name}: {shown} failed: {reason}")) from None
        text = raw.decode("utf-8", errors="replace")
        if status not in ok:
            excerpt = " ".join(text.split())[:_BODY_EXCERPT]
            raise ApiError(self.redact(f"{self.name}: {shown} answered HTTP {status}: {excerpt}"))
        if not text.strip():
            return Response(status, None)
        try:
            return Response(status, json.loads(text))
        except json.JSONDecodeError:
            raise ApiError(self.redact(f"{self.name}: {shown} answered HTTP {status} with a body that is not JSON")) from None


def field_of(value: Any, *path: str) -> Any:
    """``value[path[0]][path[1]]…``, or None when any step is missing."""
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def text_field(value: Any, *path: str) -> str | None:
    found = field_of(value, *path)
    return found if isinstance(found, str) and found else None
