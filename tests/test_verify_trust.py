"""verify decides by comparison: nothing inside a checked file can make it pass.

Each forgery below once passed verify (its fast path trusted the header's
digest and body hash, both written in the file it checked).
"""
from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import pytest

from migpipe.cli import main
from tests.conftest import EXAMPLE_CONFIG

GUARD = "scripts/check-no-migrate-in-build.sh"


@pytest.fixture
def repo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    shutil.copy(EXAMPLE_CONFIG, tmp_path / "pipeline.toml")
    assert main(["generate", "-c", str(tmp_path / "pipeline.toml"), "--root", str(tmp_path)]) == 0
    capsys.readouterr()
    return tmp_path


def verify(repo: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    code = main(["verify", "-c", str(repo / "pipeline.toml"), "--root", str(repo), *extra])
    out, err = capsys.readouterr()
    return code, out + err


def _restamp(text: str) -> str:
    """The forger's tool: recompute a v1 header's body hash over the edited file."""
    lines = text.splitlines(keepends=True)
    for index, line in enumerate(lines[:10]):
        match = re.search(r"body ([0-9a-f]{20})", line)
        if match:
            covered = "".join(lines[:index] + lines[index + 1 :])
            forged = hashlib.sha256(covered.encode()).hexdigest()[:20]
            lines[index] = line.replace(match.group(1), forged)
            return "".join(lines)
    # A header without a body hash: nothing to re-stamp, the edit stands as is.
    return text


def test_a_body_edit_with_a_restamped_hash_line_is_drift(repo: Path, capsys) -> None:
    render = repo / "render.yaml"
    edited = render.read_text().replace("npm run start", "npx prisma migrate deploy && npm run start")
    assert edited != render.read_text()
    render.write_text(_restamp(edited))
    code, out = verify(repo, capsys)
    assert code == 1
    assert "render.yaml: hand-edited" in out
    assert "+    startCommand: npm run start" in out or "npx prisma migrate deploy" in out


def _hash_line_index(lines: list[str]) -> int:
    return next(i for i, line in enumerate(lines) if "migpipe-hash" in line)


def test_a_hash_line_edited_into_a_command_is_drift(repo: Path, capsys) -> None:
    guard = repo / GUARD
    lines = guard.read_text().splitlines(keepends=True)
    index = _hash_line_index(lines)
    # Still "a hash line" to a pattern search, and now a command bash runs.
    lines[index] = "npx prisma migrate deploy; " + lines[index]
    guard.write_text("".join(lines))
    code, out = verify(repo, capsys)
    assert code == 1
    assert f"{GUARD}: hand-edited" in out
    assert "-npx prisma migrate deploy; #" in out


@pytest.mark.parametrize("fmt", ["text", "github", "json"])
def test_every_format_reports_a_restamped_file(repo: Path, capsys, fmt: str) -> None:
    workflow = repo / ".github/workflows/ci-cd.yml"
    workflow.write_text(_restamp(workflow.read_text().replace("cancel-in-progress: false", "cancel-in-progress: true", 1)))
    code, out = verify(repo, capsys, "--format", fmt)
    assert code == 1
    assert ".github/workflows/ci-cd.yml" in out and "hand-edited" in out


def test_verify_leaves_the_callers_pydantic_plugin_setting_as_it_was(repo: Path, capsys, monkeypatch) -> None:
    import os

    monkeypatch.delenv("PYDANTIC_DISABLE_PLUGINS", raising=False)
    assert verify(repo, capsys)[0] == 0
    assert "PYDANTIC_DISABLE_PLUGINS" not in os.environ
    monkeypatch.setenv("PYDANTIC_DISABLE_PLUGINS", "logfire")
    assert verify(repo, capsys)[0] == 0
    assert os.environ["PYDANTIC_DISABLE_PLUGINS"] == "logfire"
