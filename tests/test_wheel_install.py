"""The wheel ships templates/ and schemas/: install it into a fresh venv, run it elsewhere."""
from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE_CONFIG, REPO_ROOT


@pytest.mark.slow
def test_wheel_installs_and_runs_from_another_directory(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(REPO_ROOT)],
        check=True,
    )
    wheel = next(dist.glob("migpipe-*.whl"))
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], check=True)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "pipeline.toml").write_text(EXAMPLE_CONFIG.read_text())
    migpipe = env_dir / "bin" / "migpipe"
    generate = subprocess.run([str(migpipe), "generate"], cwd=elsewhere, capture_output=True, text=True)
    assert generate.returncode == 0, generate.stderr
    assert (elsewhere / ".github" / "workflows" / "ci-cd.yml").is_file()
    verify = subprocess.run([str(migpipe), "verify"], cwd=elsewhere, capture_output=True, text=True)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    schema = subprocess.run([str(migpipe), "schema"], cwd=elsewhere, capture_output=True, text=True)
    assert schema.stdout == (REPO_ROOT / "schemas" / "pipeline.schema.json").read_text()
    # The installed package must not be reading this checkout's folders.
    located = subprocess.run(
        [str(python), "-c", "from migpipe.resources import templates_dir; print(templates_dir())"],
        cwd=elsewhere, capture_output=True, text=True, check=True,
    )
    assert str(env_dir) in located.stdout
    # The Vercel CLI's lockfile ships too: the deploy job's `migpipe host-cli` copies it.
    vercel = elsewhere / "vercel"
    vercel.mkdir()
    (vercel / "pipeline.toml").write_text(
        'version = 1\n[project]\nname = "acme"\n[tool]\nname = "prisma"\nversion = 6\n[host]\nname = "vercel"\n'
    )
    written = subprocess.run([str(migpipe), "host-cli", "cli"], cwd=vercel, capture_output=True, text=True)
    assert written.returncode == 0, written.stderr
    assert '"vercel": "' in (vercel / "cli" / "package-lock.json").read_text()
