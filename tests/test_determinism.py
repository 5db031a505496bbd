"""Same pipeline.toml, byte-identical output: across processes, hash seeds, locales, time zones and directories."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import EXAMPLE_CONFIG


def _generate(root: Path, cwd: Path, env_overrides: dict[str, str]) -> dict[str, str]:
    env = {**os.environ, **env_overrides}
    root.mkdir()
    subprocess.run(
        [sys.executable, "-m", "migpipe", "generate", "-c", str(EXAMPLE_CONFIG), "--root", str(root)],
        cwd=cwd,
        env=env,
        check=True,
        capture_output=True,
    )
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_output_is_byte_identical_across_environments(tmp_path: Path) -> None:
    first = _generate(tmp_path / "a", tmp_path, {"PYTHONHASHSEED": "1", "TZ": "UTC", "LC_ALL": "C"})
    second = _generate(
        tmp_path / "b",
        Path("/"),
        {"PYTHONHASHSEED": "4242", "TZ": "Pacific/Kiritimati", "LC_ALL": "C.UTF-8"},
    )
    assert first == second
    assert len(first) == 6  # five outputs and .migpipe/manifest.json
