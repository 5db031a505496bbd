"""Golden files: every output for every golden config, byte for byte.

After an intentional template change run ``pytest tests/test_golden.py
--update-golden`` and review the diff of tests/golden/ like any code change.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from migpipe.compiler import compile_pipeline
from migpipe.pipeline import load_pipeline
from tests.conftest import GOLDEN_DIR, golden_configs

CONFIGS = golden_configs()


def _expected_dir(name: str) -> Path:
    return GOLDEN_DIR / name / "expected"


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_outputs_match_golden_files(name: str, update_golden: bool) -> None:
    files = compile_pipeline(load_pipeline(CONFIGS[name]))
    expected_dir = _expected_dir(name)
    if update_golden:
        shutil.rmtree(expected_dir, ignore_errors=True)
        for file in files:
            target = expected_dir / file.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(file.content, encoding="utf-8")
    expected_paths = sorted(
        str(p.relative_to(expected_dir)) for p in expected_dir.rglob("*") if p.is_file()
    )
    assert expected_paths == sorted(file.path for file in files), "golden file set differs"
    for file in files:
        expected = (expected_dir / file.path).read_text(encoding="utf-8")
        assert file.content == expected, f"{name}: {file.path} differs from its golden file"


def test_golden_configs_cover_both_prisma_versions_and_backup_on_and_off() -> None:
    pipelines = [load_pipeline(path) for path in CONFIGS.values()]
    assert {p.tool.version for p in pipelines if p.tool.name == "prisma"} == {6, 7}
    assert {p.backup.mode for p in pipelines} == {"dump", "restore-point", "none"}
    # The deprecated `enabled` still means a mode.
    assert {p.backup.enabled for p in pipelines} >= {True, False}
