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


def test_verify_of_unchanged_files_renders_nothing(tmp_path) -> None:
    """The fast path: current headers and bodies mean no template is compiled."""
    import shutil
    import subprocess
    import sys

    shutil.copy(EXAMPLE_CONFIG, tmp_path / "pipeline.toml")
    subprocess.run([sys.executable, "-m", "migpipe", "generate"], cwd=tmp_path, check=True, capture_output=True)
    probe = (
        "import sys; from migpipe.cli import main; code = main(['verify']); "
        "print(code, 'jinja2' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert result.stdout.splitlines()[-1] == "0 False"
    # An edit below the header is caught all the same (full comparison).
    render = tmp_path / "render.yaml"
    render.write_text(render.read_text().replace("npm run start", "npx prisma migrate deploy && npm run start"))
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True)
    assert "render.yaml: hand-edited" in result.stdout
    assert result.stdout.splitlines()[-1] == "1 True"


def test_generator_fingerprint_follows_the_templates(tmp_path, monkeypatch) -> None:
    import shutil

    from migpipe import markers, resources

    copy = tmp_path / "templates"
    shutil.copytree(resources.templates_dir(), copy)
    monkeypatch.setattr(resources, "templates_dir", lambda: copy)
    markers.generator_fingerprint.cache_clear()
    before = markers.generator_fingerprint()
    runbook = copy / "docs" / "migrations-runbook.md.j2"
    runbook.write_text(runbook.read_text() + "\nOne more line.\n")
    markers.generator_fingerprint.cache_clear()
    after = markers.generator_fingerprint()
    monkeypatch.undo()
    markers.generator_fingerprint.cache_clear()
    assert before != after


def test_body_hash_line_detects_an_edit_that_keeps_the_header() -> None:
    from migpipe.markers import is_unchanged_output

    from migpipe.compiler import pipeline_digest

    pipeline = load_pipeline(EXAMPLE_CONFIG)
    digest = pipeline_digest(pipeline)
    for file in compile_pipeline(pipeline):
        assert is_unchanged_output(file.content, digest)
        assert not is_unchanged_output(file.content + "# appended\n", digest)
        assert not is_unchanged_output(file.content, "0" * 20)
