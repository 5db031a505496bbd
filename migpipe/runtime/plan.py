"""The plan: exactly what ``migpipe migrate`` would apply, and its digest.

``migpipe migrate --plan-only`` computes it read-only (pending set, the SQL
of each, the lint) and writes it as JSON; ``--expect-digest D`` applies only
when the pending set still has digest D. The digest is sha256 over each
pending migration's name and SQL text, in order, so any change of what
would run (a migration added, edited, applied meanwhile) changes it.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from migpipe.lint import SqlSource
from migpipe.runtime.lint_gate import LintOutcome
from migpipe.runtime.tools.base import PendingSql


@dataclass(frozen=True)
class PlannedMigration:
    name: str
    source: SqlSource


@dataclass(frozen=True)
class Plan:
    tool: str
    migrations: tuple[PlannedMigration, ...]
    lint: LintOutcome | None
    digest: str

    @property
    def blocked(self) -> bool:
        return self.lint is not None and self.lint.blocked

    def to_json(self) -> str:
        findings = [] if self.lint is None else [
            {"display": f.source.display, "line": f.line, "column": f.finding.column, "kind": f.finding.kind,
             "rule": f.finding.rule, "action": f.finding.action, "exemption": f.finding.exemption,
             "blocks": f.blocks, "message": f.finding.message, "safe_alternative": f.finding.safe_alternative}
            for f in self.lint.findings
        ]
        return json.dumps({
            "tool": self.tool,
            "digest": self.digest,
            "migrations": [{"name": m.name, "display": m.source.display, "sql": m.source.text} for m in self.migrations],
            "findings": findings,
            "blocked": self.blocked,
        }, indent=2, sort_keys=True) + "\n"

    def write(self, path: Path) -> None:
        temporary = path.with_name(f".{path.name}.tmp")
        temporary.write_text(self.to_json(), encoding="utf-8")
        temporary.replace(path)


# How a digest may be written: as the plan publishes it (64 lowercase hex
# digits), or with the "sha256:" prefix people add when copying one.
DIGEST_RE = re.compile(r"(?:sha256:)?([0-9a-f]{64})")


def parse_digest(text: str) -> str | None:
    """The digest in ``text`` as ``digest()`` spells it, or None when it is not one."""
    match = DIGEST_RE.fullmatch(text.strip())
    return match.group(1) if match else None


def planned_names(text: str | None) -> list[str] | None:
    """The names of the approved plan's migrations, from migrate-plan's
    ``migrations`` output (a JSON list); None when absent or not such a list."""
    if not text:
        return None
    try:
        names = json.loads(text)
    except json.JSONDecodeError:
        return None
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        return None
    return names


def what_changed(planned: Sequence[str] | None, pending: Sequence[str]) -> str:
    """How the pending set differs from the approved plan's, in words ("" when
    the plan's names are unknown: the digest alone cannot say)."""
    if planned is None:
        return ""
    gone = [name for name in planned if name not in pending]
    new = [name for name in pending if name not in planned]
    parts = []
    if gone:
        parts.append(f"no longer pending: {', '.join(gone)} (applied meanwhile by another run?)")
    if new:
        parts.append(f"pending but not in the plan: {', '.join(new)}")
    if not parts:
        if list(planned) == list(pending):
            parts.append("the same migrations, but the SQL of at least one changed since the plan")
        else:
            parts.append("the same migrations in another order")
    return "; what changed: " + "; ".join(parts)


def digest(migrations: Sequence[tuple[str, str]]) -> str:
    """sha256 over (name, SQL) pairs in order, each part length-prefixed."""
    hasher = hashlib.sha256()
    for name, sql in migrations:
        for part in (name, sql):
            data = part.encode("utf-8")
            hasher.update(len(data).to_bytes(8, "big"))
            hasher.update(data)
    return hasher.hexdigest()


def build_plan(tool: str, sources: Sequence[PendingSql], lint: LintOutcome | None) -> Plan:
    migrations = tuple(PlannedMigration(s.name, SqlSource(s.display, s.text)) for s in sources)
    return Plan(tool, migrations, lint, digest([(s.name, s.text) for s in sources]))
