"""The compiled-template cache never serves a template that changed since."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from migpipe import resources
from migpipe.compiler import compile_pipeline
from migpipe.pipeline import load_pipeline
from migpipe.template_cache import cache_root
from tests.conftest import EXAMPLE_CONFIG

RUNBOOK = "docs/migrations-runbook.md"


def _runbook(cache: str) -> str:
    files = compile_pipeline(load_pipeline(EXAMPLE_CONFIG))
    return next(file.content for file in files if file.path == RUNBOOK)


@pytest.fixture
def templates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    copy = tmp_path / "templates"
    shutil.copytree(resources.templates_dir(), copy)
    monkeypatch.setattr(resources, "templates_dir", lambda: copy)
    import migpipe.compiler

    monkeypatch.setattr(migpipe.compiler, "templates_dir", lambda: copy)
    return copy


def test_an_edited_template_is_recompiled_not_read_from_the_cache(tmp_path, monkeypatch, templates) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("MIGPIPE_CACHE_DIR", str(cache))
    first = _runbook(str(cache))
    cached = list(cache.rglob("*.cache"))
    assert cached, "the compiled templates were not cached"
    again = _runbook(str(cache))
    assert again == first
    template = templates / "docs" / "migrations-runbook.md.j2"
    template.write_text(template.read_text() + "\nA line added to the template.\n")
    assert "A line added to the template." in _runbook(str(cache))


def test_a_corrupt_cache_file_is_recompiled(tmp_path, monkeypatch) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("MIGPIPE_CACHE_DIR", str(cache))
    expected = _runbook(str(cache))
    for path in cache.rglob("*.cache"):
        path.write_bytes(path.read_bytes()[:40])
    assert _runbook(str(cache)) == expected


def test_an_unusable_cache_folder_only_turns_the_cache_off(tmp_path, monkeypatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("MIGPIPE_CACHE_DIR", str(blocker / "cache"))
    with_cache_off = _runbook("")
    monkeypatch.setenv("MIGPIPE_CACHE_DIR", "")
    assert cache_root() is None
    assert _runbook("") == with_cache_off


def test_a_cache_folder_others_can_write_to_is_not_used(tmp_path, monkeypatch) -> None:
    from migpipe.template_cache import bytecode_cache

    monkeypatch.setenv("MIGPIPE_CACHE_DIR", str(tmp_path / "cache"))
    assert bytecode_cache({"a": 1}, ["f"]) is not None
    (folder,) = (tmp_path / "cache").iterdir()
    folder.chmod(0o777)
    assert bytecode_cache({"a": 1}, ["f"]) is None
