from __future__ import annotations

from migpipe.compiler import compile_pipeline
from migpipe.config import load_pipeline
from migpipe.markers import NOTICE, model_hash, read_hash
from tests.conftest import EXAMPLE_CONFIG


def test_every_output_starts_with_notice_and_model_hash() -> None:
    pipeline = load_pipeline(EXAMPLE_CONFIG)
    digest = model_hash(pipeline.model_dump(mode="json", by_alias=True))
    for file in compile_pipeline(pipeline):
        head = file.content.splitlines()[:4]
        assert any(NOTICE in line for line in head), file.path
        assert read_hash(file.content) == digest, file.path
        if file.path.endswith(".sh"):
            assert file.content.startswith("#!/usr/bin/env bash\n")
            assert file.executable


def test_hash_ignores_comments_and_formatting_but_not_values(tmp_path) -> None:
    original = EXAMPLE_CONFIG.read_text()
    reformatted = tmp_path / "reformatted.toml"
    reformatted.write_text("# a new comment\n" + original.replace(' = ', '   =   '))
    changed = tmp_path / "changed.toml"
    changed.write_text(original.replace('lock_timeout = "5s"', 'lock_timeout = "6s"'))

    def digest(path):
        return model_hash(load_pipeline(path).model_dump(mode="json", by_alias=True))

    assert digest(reformatted) == digest(EXAMPLE_CONFIG)
    assert digest(changed) != digest(EXAMPLE_CONFIG)
