"""A pull request that loosens the policy must not use the loosening itself.

The review lints with pipeline.toml as the change leaves it, which is the
policy production will apply after the merge. A change that takes a kind out
of ``[guards] block`` (into ``warn``, or out of both) and, in the same pull
request, adds a migration of that kind would pass its own review: the gate
would be switched off by what it gates. So the review also reads the base
branch's ``[guards]`` and lints with the stricter of the two; a finding that
blocks only under the base's policy is reported with the fix: land the policy
change in a pull request of its own first (reviewed as such), or exempt the
statement with a written reason.

Only ``[guards] block`` / ``warn`` are compared, read from the base's TOML as
written (defaults where absent): an older or invalid base pipeline.toml is
not this change's problem, and then nothing is compared.
"""
from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from migpipe.config.loader.reading import parse_toml
from migpipe.errors import ConfigError
from migpipe.policy import DEFAULT_BLOCK, DEFAULT_WARN, KINDS, actions
from migpipe.review import Problem, ReviewReport


@dataclass(frozen=True)
class Policy:
    block: tuple[str, ...]
    warn: tuple[str, ...]


def base_policy(repository: Path, base: str, config_path: str) -> Policy | None:
    """The base revision's ``[guards]`` block/warn lists, or None when there is
    no pipeline.toml there or its lists cannot be read."""
    shown = subprocess.run(
        ["git", "-C", str(repository), "show", f"{base}:./{config_path}"],
        capture_output=True, text=True, check=False,
    )
    if shown.returncode != 0:
        return None
    try:
        data = parse_toml(shown.stdout, f"{base}:{config_path}")
    except ConfigError:
        return None
    guards = data.get("guards", {})
    if not isinstance(guards, dict):
        return None
    block = guards.get("block", list(DEFAULT_BLOCK))
    warn = guards.get("warn", list(DEFAULT_WARN))
    for kinds in (block, warn):
        if not isinstance(kinds, list) or not all(isinstance(kind, str) and kind in KINDS for kind in kinds):
            return None
    return Policy(tuple(block), tuple(warn))


def loosened(base: Policy, block: Sequence[str], warn: Sequence[str]) -> tuple[str, ...]:
    """Kinds the base blocks and the changed policy does not."""
    before = actions(list(base.block), list(base.warn))
    after = actions(list(block), list(warn))
    return tuple(kind for kind, action in before.items() if action == "block" and after.get(kind) != "block")


def stricter(block: Sequence[str], warn: Sequence[str], kinds: Sequence[str]) -> Policy:
    """The changed policy with `kinds` blocked again."""
    return Policy(
        tuple(dict.fromkeys([*block, *kinds])),
        tuple(kind for kind in warn if kind not in kinds),
    )


def loosening_used(report: ReviewReport, kinds: Sequence[str], config_path: str) -> Problem | None:
    """The problem to report when the change adds what only the base's policy
    blocks (findings of `kinds` the review blocked, not exempted)."""
    used = sorted({f"{f.kind} at {f.display}:{f.line}" for f in report.findings if f.blocks and f.kind in kinds})
    if not used:
        return None
    return Problem(
        config_path,
        1,
        "policy-loosened",
        f"this change takes {', '.join(kinds)} out of guards.block and adds what the base branch's policy "
        f"blocks ({'; '.join(used)})",
        "land the policy change in a pull request of its own first, or exempt the statement with a written "
        "reason (-- migpipe-ignore KIND -- REASON)",
    )
