"""migpipe plan-report: the summary a reviewer approves, and the outputs later jobs read."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

DIGEST = "d" * 64


def _plan(tmp_path: Path, migrations: list[dict[str, str]], findings: list[dict[str, object]] | None = None, blocked: bool = False) -> Path:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"tool": "prisma", "digest": DIGEST, "migrations": migrations, "findings": findings or [], "blocked": blocked}))
    return path


def _run(tmp_path: Path, plan: Path) -> tuple[subprocess.CompletedProcess[str], str, str]:
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs"
    result = subprocess.run(
        [sys.executable, "-m", "migpipe", "plan-report", str(plan)],
        capture_output=True, text=True, check=False, timeout=60,
        env={**os.environ, "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(outputs)},
    )
    return result, summary.read_text() if summary.exists() else "", outputs.read_text() if outputs.exists() else ""


def test_every_pending_migrations_sql_findings_and_digest_are_published(tmp_path: Path) -> None:
    sql = 'ALTER TABLE "User" ADD COLUMN "name" text;\n-- ``` a fence inside the SQL\n'
    plan = _plan(
        tmp_path,
        [{"name": "20260301_add_name", "display": "prisma/migrations/20260301_add_name/migration.sql", "sql": sql}],
        [{"display": "prisma/migrations/20260301_add_name/migration.sql", "line": 1, "blocks": False,
          "message": "adding a column", "safe_alternative": "fine"}],
    )
    result, summary, outputs = _run(tmp_path, plan)
    assert result.returncode == 0, result.stderr
    assert f"Plan digest: `{DIGEST}`" in summary
    assert "````sql\n" + sql.rstrip("\n") + "\n````" in summary  # a longer fence than the SQL's own
    assert "| prisma/migrations/20260301_add_name/migration.sql:1 | no | adding a column | fine |" in summary
    assert outputs == f'digest={DIGEST}\nmigrations=["20260301_add_name"]\n'


def test_nothing_pending_says_so(tmp_path: Path) -> None:
    result, summary, outputs = _run(tmp_path, _plan(tmp_path, []))
    assert result.returncode == 0 and "Nothing is pending" in summary and "migrations=[]" in outputs


def test_a_plan_without_digest_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text("{}")
    result, _, _ = _run(tmp_path, path)
    assert result.returncode == 2 and "no digest" in result.stderr and "Traceback" not in result.stderr
