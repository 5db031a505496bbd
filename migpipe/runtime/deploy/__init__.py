"""Deploy exactly one commit to the host, and wait until the host says it is live.

One module per host (render, heroku, fly, vercel), each with a ``deploy``
function that takes its settings, the commit SHA and a ``Wait``, and returns a
``DeployOutcome``: the host's own id for the deploy and its final status. A
deploy that fails, or is not live before the wait ends, raises ``GateFailed``
with that outcome, so the caller can still report it.
"""
from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from migpipe.errors import FatalError, GateFailed

SHA_RE = re.compile(r"[0-9a-f]{40}")


def check_sha(sha: str) -> str:
    if not SHA_RE.fullmatch(sha):
        raise GateFailed(f"{sha!r} is not a full commit SHA (40 lowercase hex digits)")
    return sha


class Environment:
    """The deploy step's environment: the credentials the workflow passes, each
    in a variable named like its secret, and the API URL overrides tests use."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = values

    def secret(self, name: str, key: str) -> str:
        """The value of the secret ``name`` (named by ``key`` in pipeline.toml); FatalError when empty."""
        value = self._values.get(name, "")
        if not value:
            raise FatalError(
                f"environment variable {name} is empty: set the secret {name} (named by {key} in pipeline.toml) "
                "in the deploy job's environment"
            )
        return value

    def get(self, name: str) -> str | None:
        return self._values.get(name) or None


@dataclass(frozen=True)
class DeployOutcome:
    host: str  # "Render"
    sha: str
    deploy_id: str
    status: str  # the host's own word: live, succeeded, READY, …
    live: bool
    notes: tuple[str, ...] = ()


@dataclass
class Wait:
    """How long to wait for a deploy, and how often to look (injectable for tests)."""

    timeout_seconds: float
    interval_seconds: float
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    log: Callable[[str], None] = field(default=lambda line: print(line, file=sys.stderr, flush=True))

    def poll(
        self,
        fetch: Callable[[], str],
        done: Callable[[str], bool],
        what: str,
    ) -> tuple[str, bool]:
        """Call ``fetch`` (returning a status) until ``done(status)``; (last status, timed out)."""
        deadline = self.clock() + self.timeout_seconds
        last = ""
        while True:
            status = fetch()
            if status != last:
                self.log(f"{what}: {status}")
                last = status
            if done(status):
                return status, False
            if self.clock() + self.interval_seconds > deadline:
                return status, True
            self.sleep(self.interval_seconds)


def summary_markdown(outcome: DeployOutcome, migrated: Sequence[str] | None, plan_digest: str | None) -> str:
    """The deploy job's summary: what was migrated, what was deployed, how it ended."""
    verdict = "live" if outcome.live else "NOT live"
    lines = [
        f"## Deploy to {outcome.host}: {verdict}",
        "",
        "| | |",
        "|---|---|",
        f"| deployed commit | `{outcome.sha}` |",
        f"| {outcome.host} deploy id | `{outcome.deploy_id or '(none)'}` |",
        f"| final status | `{outcome.status}` |",
    ]
    if plan_digest:
        lines.append(f"| plan digest | `{plan_digest}` |")
    lines += ["", "### Migrations applied before this deploy", ""]
    if migrated is None:
        lines.append("(not reported: the migrate-plan job's output was not passed to this job)")
    elif not migrated:
        lines.append("none: production's schema was already up to date")
    else:
        lines += [f"- `{name}`" for name in migrated]
    if outcome.notes:
        lines += ["", *[f"> {note}" for note in outcome.notes]]
    return "\n".join(lines) + "\n"
