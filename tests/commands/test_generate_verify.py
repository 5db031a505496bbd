"""`migpipe generate` and `migpipe verify` through the real CLI entry point."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from migpipe.cli import main
from tests.conftest import EXAMPLE_CONFIG

WORKFLOW = ".github/workflows/ci-cd.yml"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository root holding pipeline.toml (a copy of the example)."""
    shutil.copy(EXAMPLE_CONFIG, tmp_path / "pipeline.toml")
    return tmp_path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_generate_writes_every_output_then_reports_up_to_date(repo, capsys) -> None:
    code, out, _ = run(capsys, "generate", "-c", str(repo / "pipeline.toml"), "--root", str(repo))
    assert code == 0
    for path in (WORKFLOW, "scripts/check-no-migrate-in-build.sh", "scripts/migrate-with-guards.sh", "render.yaml", "docs/migrations-runbook.md"):
        assert (repo / path).is_file()
        assert f"created   {path}" in out
    code, out, _ = run(capsys, "generate", "-c", str(repo / "pipeline.toml"), "--root", str(repo))
    assert code == 0
    assert "up to date" in out


def test_verify_passes_on_fresh_output(repo, capsys) -> None:
    run(capsys, "generate", "-c", str(repo / "pipeline.toml"), "--root", str(repo))
    code, out, _ = run(capsys, "verify", "-c", str(repo / "pipeline.toml"), "--root", str(repo))
    assert code == 0
    assert out.startswith("ok:")


def test_verify_reports_missing(repo, capsys) -> None:
    run(capsys, "generate", "-c", str(repo / "pipeline.toml"), "--root", str(repo))
    (repo / "render.yaml").unlink()
    code, out, _ = run(capsys, "verify", "-c", str(repo / "pipeline.toml"), "--root", str(repo))
    assert code == 1
    assert "render.yaml: missing:" in out


def test_verify_reports_hand_edited_with_diff_and_never_writes(repo, capsys) -> None:
    run(capsys, "generate", "-c", str(repo / "pipeline.toml"), "--root", str(repo))
    workflow = repo / WORKFLOW
    edited = workflow.read_text().replace("cancel-in-progress: false", "cancel-in-progress: true", 1)
    workflow.write_text(edited)
    code, out, _ = run(capsys, "verify", "-c", str(repo / "pipeline.toml"), "--root", str(repo))
    assert code == 1
    assert f"{WORKFLOW}: hand-edited:" in out
    assert "-      cancel-in-progress: true" in out
    assert "+      cancel-in-progress: false" in out
    assert workflow.read_text() == edited  # verify never writes


def test_verify_reports_stale_after_pipeline_change(repo, capsys) -> None:
    run(capsys, "generate", "-c", str(repo / "pipeline.toml"), "--root", str(repo))
    config = repo / "pipeline.toml"
    config.write_text(config.read_text().replace('lock_timeout = "5s"', 'lock_timeout = "7s"'))
    code, out, _ = run(capsys, "verify", "-c", str(config), "--root", str(repo))
    assert code == 1
    assert "scripts/migrate-with-guards.sh: stale:" in out
    # Every file carries the model hash, so every file is stale, none "hand-edited".
    assert "hand-edited" not in out
    assert "+#   5. Applies them with lock_timeout=7s" in out


def test_verify_treats_a_file_without_header_as_hand_edited(repo, capsys) -> None:
    run(capsys, "generate", "-c", str(repo / "pipeline.toml"), "--root", str(repo))
    (repo / "render.yaml").write_text("services: []\n")
    code, out, _ = run(capsys, "verify", "-c", str(repo / "pipeline.toml"), "--root", str(repo))
    assert code == 1
    assert "render.yaml: hand-edited: the file has no migpipe header" in out


def test_verify_exits_2_on_config_error_without_traceback(repo, capsys) -> None:
    (repo / "pipeline.toml").write_text("version = 1\n[project]\nname = 3\n")
    code, out, err = run(capsys, "verify", "-c", str(repo / "pipeline.toml"), "--root", str(repo))
    assert code == 2
    assert "Traceback" not in err
    lines = err.splitlines()
    assert all(line.startswith(f"{repo / 'pipeline.toml'}:") for line in lines)
    assert any(line.startswith(f"{repo / 'pipeline.toml'}:3:1: project.name:") for line in lines)


def test_usage_error_exits_2(capsys) -> None:
    code, _, err = run(capsys, "verify", "--no-such-option")
    assert code == 2
    assert "no-such-option" in err


def test_version(capsys) -> None:
    from migpipe import __version__

    code, out, _ = run(capsys, "--version")
    assert code == 0
    assert out.strip() == f"migpipe {__version__}"


def test_schema_command_prints_the_shipped_schema(capsys) -> None:
    from migpipe.schema import schema_text

    code, out, _ = run(capsys, "schema")
    assert code == 0
    assert out == schema_text()


def test_root_alone_reads_the_pipeline_toml_in_that_root(repo, capsys, tmp_path_factory, monkeypatch) -> None:
    # Run from another directory that has no pipeline.toml: --root names the repository, and its policy.
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    monkeypatch.chdir(elsewhere)
    code, out, err = run(capsys, "generate", "--root", str(repo))
    assert code == 0, err
    assert (repo / WORKFLOW).is_file()
    assert not (elsewhere / ".github").exists()
    code, out, err = run(capsys, "verify", "--root", str(repo))
    assert code == 0, err
    # An explicit -c still wins.
    code, _, err = run(capsys, "verify", "-c", str(elsewhere / "pipeline.toml"), "--root", str(repo))
    assert code == 2 and "pipeline.toml" in err
