"""generate writes all or nothing, atomically, inside the root; verify reports every kind of drift."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from migpipe.compiler import compile_pipeline
from migpipe.pipeline import load_pipeline
from migpipe.errors import OutputError
from migpipe.outputs import apply_writes, plan_writes
from tests.config.conftest import MINIMAL_CONFIG, run_cli  # noqa: F401  (run_cli is a fixture)

OUTPUTS = [
    ".github/workflows/ci-cd.yml",
    "scripts/check-no-migrate-in-build.sh",
    "scripts/migrate-with-guards.sh",
    "render.yaml",
    "docs/migrations-runbook.md",
    ".migpipe/manifest.json",
]
SCRIPTS = OUTPUTS[1:3]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "pipeline.toml").write_text(MINIMAL_CONFIG)
    (tmp_path / "repo").mkdir()
    return tmp_path / "repo"


def generate(run_cli, repo: Path, *extra: str):
    return run_cli(["generate", "-c", "pipeline.toml", "--root", "repo", *extra], repo.parent)


def verify(run_cli, repo: Path):
    return run_cli(["verify", "-c", "pipeline.toml", "--root", "repo"], repo.parent)


def snapshot(root: Path) -> dict[str, tuple[bytes, int, int]]:
    """Every file below ``root`` with its bytes, mode and mtime (symlinks not followed)."""
    found = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        if stat.S_ISREG(info.st_mode):
            found[str(path.relative_to(root))] = (path.read_bytes(), stat.S_IMODE(info.st_mode), info.st_mtime_ns)
        else:
            found[str(path.relative_to(root))] = (b"", stat.S_IFMT(info.st_mode), 0)
    return found


def change_config(repo: Path) -> None:
    config = repo.parent / "pipeline.toml"
    config.write_text(config.read_text().replace('service_name = "acme-api"', 'service_name = "acme-web"'))


def test_generate_twice_changes_nothing(repo: Path, run_cli) -> None:
    first = generate(run_cli, repo)
    assert first.code == 0, first.err
    assert sorted(first.out.split()[1::2]) == sorted(OUTPUTS)
    before = snapshot(repo)
    second = generate(run_cli, repo)
    assert second.code == 0
    assert second.out == "all 6 generated files are up to date\n"
    assert snapshot(repo) == before
    assert verify(run_cli, repo).code == 0


def test_new_scripts_are_executable_and_other_files_are_not(repo: Path, run_cli) -> None:
    assert generate(run_cli, repo).code == 0
    for path in OUTPUTS:
        mode = stat.S_IMODE((repo / path).stat().st_mode)
        assert bool(mode & stat.S_IXUSR) == (path in SCRIPTS), (path, oct(mode))
        assert mode & stat.S_IRUSR


def test_update_keeps_the_existing_mode(repo: Path, run_cli) -> None:
    assert generate(run_cli, repo).code == 0
    os.chmod(repo / SCRIPTS[1], 0o700)
    os.chmod(repo / "render.yaml", 0o600)
    os.chmod(repo / SCRIPTS[0], 0o644)  # lost its x bit: a script must stay runnable
    change_config(repo)
    result = generate(run_cli, repo)
    assert result.code == 0, result.err
    assert stat.S_IMODE((repo / SCRIPTS[1]).stat().st_mode) == 0o700
    assert stat.S_IMODE((repo / "render.yaml").stat().st_mode) == 0o600
    assert stat.S_IMODE((repo / SCRIPTS[0]).stat().st_mode) == 0o755
    assert "acme-web" in (repo / "render.yaml").read_text()
    assert not [p for p in repo.rglob("*") if ".migpipe-" in p.name], "temporary files left behind"


def test_refuses_to_overwrite_a_file_migpipe_did_not_write(repo: Path, run_cli) -> None:
    (repo / "render.yaml").write_text("services: []  # written by hand\n")
    before = snapshot(repo)
    result = generate(run_cli, repo)
    assert result.code == 2
    assert result.error_lines == [
        "refusing to overwrite files migpipe did not generate: render.yaml "
        "(move them away, or run again with --force to replace them)"
    ]
    assert snapshot(repo) == before, "a refused generate must not create the other files either"


def test_force_replaces_and_says_so(repo: Path, run_cli) -> None:
    (repo / "render.yaml").write_text("services: []  # written by hand\n")
    result = generate(run_cli, repo, "--force")
    assert result.code == 0, result.err
    assert "replaced  render.yaml (it had no migpipe header; --force)" in result.out.splitlines()
    assert "migpipe-hash v2:" in (repo / "render.yaml").read_text()
    assert verify(run_cli, repo).code == 0


@pytest.mark.parametrize("link", ["scripts", "render.yaml"])
def test_symlink_leading_outside_is_refused(repo: Path, run_cli, link: str) -> None:
    outside = repo.parent / "outside"
    outside.mkdir()
    (outside / "render.yaml").write_text("precious\n")
    target = outside if link == "scripts" else outside / "render.yaml"
    (repo / link).symlink_to(target)
    before, outside_before = snapshot(repo), snapshot(outside)
    result = generate(run_cli, repo)
    assert result.code == 2
    assert "Traceback" not in result.err
    problems = [line for line in result.error_lines if "outside the repository root" in line]
    assert problems and all(line.split(":")[0] in OUTPUTS for line in problems)
    assert snapshot(repo) == before
    assert snapshot(outside) == outside_before


def test_symlink_inside_the_root_is_followed_and_kept(repo: Path, run_cli) -> None:
    (repo / "deploy").mkdir()
    (repo / "render.yaml").symlink_to("deploy/render.yaml")
    assert generate(run_cli, repo).code == 0
    assert (repo / "render.yaml").is_symlink()
    assert "migpipe-hash v2:" in (repo / "deploy" / "render.yaml").read_text()
    assert verify(run_cli, repo).code == 0


def test_two_outputs_through_one_symlink_are_refused(repo: Path, run_cli) -> None:
    (repo / "docs").mkdir()
    (repo / "docs" / "migrations-runbook.md").symlink_to("../render.yaml")
    result = generate(run_cli, repo)
    assert result.code == 2
    assert result.error_lines == [
        "docs/migrations-runbook.md: is the same file as render.yaml (through a symbolic link; expected a distinct file)"
    ]


def test_one_bad_output_leaves_every_file_untouched(repo: Path, run_cli) -> None:
    assert generate(run_cli, repo).code == 0
    change_config(repo)  # every file would be updated...
    runbook = repo / "docs" / "migrations-runbook.md"
    runbook.unlink()
    (repo / "docs").rmdir()
    (repo / "docs").write_text("a file where a directory must be\n")  # ...but the runbook cannot be
    before = snapshot(repo)
    result = generate(run_cli, repo)
    assert result.code == 2
    assert result.error_lines == [
        "docs/migrations-runbook.md: docs is a file, not a directory (expected a directory holding this file)"
    ]
    assert snapshot(repo) == before


def test_every_output_problem_is_reported_at_once(repo: Path, run_cli) -> None:
    (repo / "render.yaml").mkdir()
    (repo / "docs").write_text("")
    (repo / "scripts").mkdir()
    (repo / "scripts" / "migrate-with-guards.sh").write_text("#!/bin/sh\n")
    result = generate(run_cli, repo)
    assert result.code == 2
    assert result.error_lines == [
        "render.yaml: is a directory (expected a regular file)",
        "docs/migrations-runbook.md: docs is a file, not a directory (expected a directory holding this file)",
        "refusing to overwrite files migpipe did not generate: scripts/migrate-with-guards.sh "
        "(move them away, or run again with --force to replace them)",
    ]
    assert not (repo / ".github").exists()


def _plans(repo: Path, force: bool = False):
    files = compile_pipeline(load_pipeline(repo.parent / "pipeline.toml"))
    return plan_writes(repo, files, force=force)


def test_a_failure_while_staging_writes_nothing(repo: Path) -> None:
    plans = _plans(repo)
    # The disk changes between planning and writing: docs/ cannot be created.
    (repo / "docs").write_text("")
    with pytest.raises(OutputError, match=r"^docs/migrations-runbook.md: cannot be written .*; no file was changed$"):
        apply_writes(repo, plans)
    assert sorted(p.name for p in repo.iterdir()) == [".migpipe", "docs"], "created directories are removed again"
    assert list((repo / ".migpipe").iterdir()) == [], "no journal or temporary file is left"


def test_a_failure_while_renaming_puts_back_the_old_files(repo: Path, run_cli) -> None:
    assert generate(run_cli, repo).code == 0
    change_config(repo)
    plans = _plans(repo)
    assert {plan.action for plan in plans} == {"update"}
    (repo / "render.yaml").unlink()
    (repo / "render.yaml").mkdir()
    (repo / "render.yaml" / "keep").write_text("")  # a non-empty directory cannot be replaced
    before = snapshot(repo)
    with pytest.raises(OutputError, match=r"^render.yaml: cannot be written .*; no file was changed$"):
        apply_writes(repo, plans)
    assert {path: (data, mode) for path, (data, mode, _) in snapshot(repo).items()} == {
        path: (data, mode) for path, (data, mode, _) in before.items()
    }


# --------------------------------------------------------------------------
# verify


def test_verify_reports_each_kind_of_drift(repo: Path, run_cli) -> None:
    assert generate(run_cli, repo).code == 0
    (repo / "render.yaml").unlink()
    (repo / "render.yaml").mkdir()
    (repo / "docs" / "migrations-runbook.md").unlink()
    (repo / SCRIPTS[0]).unlink()
    outside = repo.parent / "elsewhere.sh"
    outside.write_text("#!/bin/sh\n")
    (repo / SCRIPTS[0]).symlink_to(outside)
    result = verify(run_cli, repo)
    assert result.code == 1
    assert "Traceback" not in result.err
    assert result.out.splitlines()[:3] == [
        f"{SCRIPTS[0]}: outside the repository: leads to {outside} through a symbolic link, "
        f"outside the repository root {repo} (expected a path inside the repository)",
        "render.yaml: not a file: is a directory (expected a regular file)",
        "docs/migrations-runbook.md: missing: the file does not exist; run `migpipe generate`",
    ]
    assert result.err == "3 of 6 generated files differ from pipeline.toml\n"


def test_verify_on_an_empty_repository(repo: Path, run_cli) -> None:
    result = verify(run_cli, repo)
    assert result.code == 1
    assert [line.split(": ")[1] for line in result.out.splitlines()] == ["missing"] * 6


def test_verify_does_not_block_on_a_named_pipe(repo: Path, run_cli) -> None:
    assert generate(run_cli, repo).code == 0
    (repo / "render.yaml").unlink()
    os.mkfifo(repo / "render.yaml")
    result = subprocess.run(
        [sys.executable, "-m", "migpipe", "verify", "-c", "pipeline.toml", "--root", "repo"],
        cwd=repo.parent, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 1
    assert result.stdout.splitlines() == ["render.yaml: not a file: is a named pipe (expected a regular file)"]


def test_verify_with_a_missing_root_is_a_usage_error(repo: Path, run_cli) -> None:
    result = run_cli(["verify", "-c", "pipeline.toml", "--root", "nowhere"], repo.parent)
    assert result.code == 2
    assert result.error_lines == ["nowhere: the repository root does not exist (expected a directory; see --root)"]


def test_verify_counts_crlf_line_endings_as_drift(repo: Path, run_cli) -> None:
    assert generate(run_cli, repo).code == 0
    path = repo / "render.yaml"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    result = verify(run_cli, repo)
    assert result.code == 1
    assert result.out.startswith("render.yaml: hand-edited:")
