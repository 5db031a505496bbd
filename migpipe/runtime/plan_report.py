"""The migrate-plan job's report: what the reviewer approves, and the job outputs.

Reads the JSON plan ``migpipe migrate --plan-only --plan-file F`` wrote (see
``migpipe.runtime.plan``) and renders the job summary (every pending
migration's SQL, the findings, the digest) and the job outputs
``digest`` and ``migrations`` (a JSON list of names) that migrate-prod and
deploy read through ``needs``.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migpipe.errors import FatalError
from migpipe.runtime.github import fit_summary
from migpipe.runtime.plan import parse_digest


@dataclass(frozen=True)
class PlanView:
    digest: str
    migrations: tuple[tuple[str, str, str], ...]  # (name, display, SQL)
    findings: tuple[dict[str, Any], ...]
    blocked: bool


def read_plan(path: Path) -> PlanView:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise FatalError(f"{path}: cannot read the plan: {exc}") from None
    digest = data.get("digest") if isinstance(data, dict) else None
    if not isinstance(digest, str) or parse_digest(digest) is None:
        raise FatalError(f"{path}: the plan has no digest")
    migrations = tuple(
        (str(m.get("name", "")), str(m.get("display", m.get("name", ""))), str(m.get("sql", "")))
        for m in data.get("migrations", [])
        if isinstance(m, dict)
    )
    findings = tuple(f for f in data.get("findings", []) if isinstance(f, dict))
    return PlanView(digest, migrations, findings, bool(data.get("blocked", False)))


def _fence(text: str) -> str:
    longest = max((len(run) for run in re.findall(r"`{3,}", text)), default=2)
    return "`" * (longest + 1)


def summary(plan: PlanView, gate_note: str) -> str:
    out = ["## Migration plan", ""]
    if not plan.migrations:
        out.append("Nothing is pending: production is up to date; migrate-prod will apply nothing.")
    else:
        verdict = "BLOCKED by the policy: migrate-prod will refuse it" if plan.blocked else "passes the policy"
        out += [f"{len(plan.migrations)} pending migration(s), in apply order; the plan {verdict}.", ""]
    out += [f"Plan digest: `{plan.digest}`", "", gate_note, ""]
    if plan.findings:
        out += ["### Findings", "", "| where | blocks | what | safe alternative |", "|---|---|---|---|"]
        for finding in plan.findings:
            where = f"{finding.get('display', '?')}:{finding.get('line', '?')}"
            cells = [where, "yes" if finding.get("blocks") else "no", str(finding.get("message", "")), str(finding.get("safe_alternative", ""))]
            out.append("| " + " | ".join(cell.replace("|", "\\|").replace("\n", " ") for cell in cells) + " |")
        out.append("")
    for name, display, sql in plan.migrations:
        fence = _fence(sql)
        out += [f"### `{name}`", "", f"{display}", "", f"{fence}sql", sql.rstrip("\n"), fence, ""]
    return fit_summary(
        "\n".join(out) + "\n", "Cut at GitHub's 1 MiB summary limit: the job log and the plan artifact hold all of the SQL."
    )


def outputs(plan: PlanView) -> str:
    """Lines for $GITHUB_OUTPUT: single-line values only."""
    names = json.dumps([name for name, _, _ in plan.migrations], separators=(",", ":"))
    return f"digest={plan.digest}\nmigrations={names}\n"
