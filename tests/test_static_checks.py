"""Static checks are part of the tests: ruff and mypy --strict on migpipe/, zero findings.

Both are configured in pyproject.toml ([tool.ruff], [tool.mypy], with
pydantic's mypy plugin) and installed by the [test] extra; a finding fails
this test, so it fails ./test.sh and .ci/run.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, check=False)


def test_ruff_finds_nothing_in_migpipe() -> None:
    result = _run("ruff", "check", "--no-cache", "migpipe")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_finds_nothing_in_migpipe() -> None:
    result = _run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr
    # It checked the whole package (configured in pyproject.toml: files = ["migpipe"]).
    modules = len(list((ROOT / "migpipe").rglob("*.py")))
    assert f"Success: no issues found in {modules} source files" in result.stdout
