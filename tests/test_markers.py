from __future__ import annotations

import copy
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from migpipe.compiler import compile_pipeline
from migpipe.config import load_pipeline
from migpipe.config.model import Pipeline
from migpipe.markers import NOTICE, canonical_data, is_unchanged_output, read_hash, source_digest
from migpipe.unchanged import _output_paths, unchanged_outputs
from tests.conftest import EXAMPLE_CONFIG, golden_configs
from tests.test_validators import pipelines

HEAVY = ("pydantic", "jinja2", "typer", "ruamel")


def test_every_output_starts_with_notice_and_source_digest() -> None:
    pipeline = load_pipeline(EXAMPLE_CONFIG)
    digest = source_digest(canonical_data(tomllib.loads(EXAMPLE_CONFIG.read_text())))
    for file in compile_pipeline(pipeline):
        head = file.content.splitlines()[:4]
        assert any(NOTICE in line for line in head), file.path
        assert read_hash(file.content) == digest, file.path
        if file.path.endswith(".sh"):
            assert file.content.startswith("#!/usr/bin/env bash\n")
            assert file.executable


def test_digest_ignores_comments_and_formatting_but_not_values(tmp_path) -> None:
    original = EXAMPLE_CONFIG.read_text()
    reformatted = tmp_path / "reformatted.toml"
    reformatted.write_text("# a new comment\n" + original.replace(" = ", "   =   "))
    changed = tmp_path / "changed.toml"
    changed.write_text(original.replace('lock_timeout = "5s"', 'lock_timeout = "6s"'))
    assert 'lock_timeout = "5s"' in original

    def digest(path):
        return load_pipeline(path).digest

    assert digest(reformatted) == digest(EXAMPLE_CONFIG)
    assert digest(changed) != digest(EXAMPLE_CONFIG)


def test_a_pipeline_not_validated_from_data_has_no_digest() -> None:
    pipeline = load_pipeline(EXAMPLE_CONFIG)
    constructed = Pipeline.model_construct(**dict(pipeline))
    with pytest.raises(ValueError, match="only when validated"):
        constructed.digest


def _verify_probe(cwd: Path) -> subprocess.CompletedProcess[str]:
    """verify in a fresh process; its last line: exit code, then any heavy module it imported."""
    probe = (
        "import sys; from migpipe.cli import main; code = main(['verify']); "
        f"print(code, *sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))"
    )
    return subprocess.run([sys.executable, "-c", probe], cwd=cwd, capture_output=True, text=True)


def test_verify_of_unchanged_files_imports_neither_pydantic_nor_jinja(tmp_path) -> None:
    """The fast path: current headers and bodies mean nothing is validated or rendered."""
    shutil.copy(EXAMPLE_CONFIG, tmp_path / "pipeline.toml")
    subprocess.run([sys.executable, "-m", "migpipe", "generate"], cwd=tmp_path, check=True, capture_output=True)
    result = _verify_probe(tmp_path)
    assert result.stdout.splitlines() == ["ok: all 5 generated files match pipeline.toml", "0"]
    # An edit below the header is caught all the same (full comparison).
    render = tmp_path / "render.yaml"
    render.write_text(render.read_text().replace("npm run start", "npx prisma migrate deploy && npm run start"))
    result = _verify_probe(tmp_path)
    assert "render.yaml: hand-edited" in result.stdout
    assert result.stdout.splitlines()[-1] == "1 jinja2 pydantic"


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda text: text.replace("#!/usr/bin/env bash", "#!/bin/sh", 1), id="shebang"),
        pytest.param(lambda text: text.replace("Do not edit", "Do edit", 1), id="notice"),
        pytest.param(lambda text: text + "npx prisma migrate deploy\n", id="appended"),
    ],
)
def test_an_edit_anywhere_but_the_hash_line_is_drift(tmp_path, edit) -> None:
    shutil.copy(EXAMPLE_CONFIG, tmp_path / "pipeline.toml")
    subprocess.run([sys.executable, "-m", "migpipe", "generate"], cwd=tmp_path, check=True, capture_output=True)
    script = tmp_path / "scripts" / "migrate-with-guards.sh"
    script.write_text(edit(script.read_text()))
    result = _verify_probe(tmp_path)
    assert "scripts/migrate-with-guards.sh: hand-edited" in result.stdout
    assert result.stdout.splitlines()[-1].startswith("1 ")


def test_leaving_out_a_default_restamps_headers_only(tmp_path) -> None:
    """The digest is of pipeline.toml's data: the same files, under a new digest."""
    shutil.copy(EXAMPLE_CONFIG, tmp_path / "pipeline.toml")
    subprocess.run([sys.executable, "-m", "migpipe", "generate"], cwd=tmp_path, check=True, capture_output=True)
    before = {p: p.read_text() for p in tmp_path.rglob("*") if p.is_file() and p.name != "pipeline.toml"}
    config = tmp_path / "pipeline.toml"
    spelled_out = 'runbook = "docs/migrations-runbook.md"\n'
    assert spelled_out in config.read_text()
    config.write_text(config.read_text().replace(spelled_out, ""))
    result = _verify_probe(tmp_path)
    assert result.stdout.count(": stale: ") == 5 and result.stdout.splitlines()[-1].startswith("1 ")
    subprocess.run([sys.executable, "-m", "migpipe", "generate"], cwd=tmp_path, check=True, capture_output=True)
    for path, text in before.items():
        old, new = text.splitlines(), path.read_text().splitlines()
        changed = [i for i, (a, b) in enumerate(zip(old, new)) if a != b]
        assert len(old) == len(new) and len(changed) == 1 and "migpipe-hash:" in new[changed[0]], path
    assert _verify_probe(tmp_path).stdout.splitlines()[-1] == "0"


def test_fast_path_declines_a_symlinked_output(tmp_path) -> None:
    shutil.copy(EXAMPLE_CONFIG, tmp_path / "pipeline.toml")
    subprocess.run([sys.executable, "-m", "migpipe", "generate"], cwd=tmp_path, check=True, capture_output=True)
    assert unchanged_outputs(str(tmp_path / "pipeline.toml"), str(tmp_path)) is not None
    (tmp_path / "render.yaml").rename(tmp_path / "real-render.yaml")
    (tmp_path / "render.yaml").symlink_to("real-render.yaml")
    assert unchanged_outputs(str(tmp_path / "pipeline.toml"), str(tmp_path)) is None
    # The full comparison follows a link inside the repository, as generate does.
    assert _verify_probe(tmp_path).stdout.splitlines()[-1].startswith("0 ")


@pytest.mark.parametrize("name", sorted(golden_configs()))
def test_fast_path_finds_the_outputs_where_the_model_puts_them(name) -> None:
    config = golden_configs()[name]
    data = tomllib.loads(config.read_text())
    assert _output_paths(copy.deepcopy(data)) == list(load_pipeline(config).output_paths().values())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pipeline=pipelines())
def test_fast_path_paths_match_the_model_for_drawn_configs(pipeline) -> None:
    data = pipeline.model_dump(mode="json", by_alias=True, exclude_unset=True)
    assert _output_paths(data) == list(pipeline.output_paths().values())


def test_generator_fingerprint_follows_the_templates(tmp_path, monkeypatch) -> None:
    from migpipe import markers, resources

    copy_dir = tmp_path / "templates"
    shutil.copytree(resources.templates_dir(), copy_dir)
    monkeypatch.setattr(resources, "templates_dir", lambda: copy_dir)
    markers.generator_fingerprint.cache_clear()
    before = markers.generator_fingerprint()
    runbook = copy_dir / "docs" / "migrations-runbook.md.j2"
    runbook.write_text(runbook.read_text() + "\nOne more line.\n")
    markers.generator_fingerprint.cache_clear()
    after = markers.generator_fingerprint()
    monkeypatch.undo()
    markers.generator_fingerprint.cache_clear()
    assert before != after


def test_body_hash_line_detects_an_edit_that_keeps_the_header() -> None:
    pipeline = load_pipeline(EXAMPLE_CONFIG)
    for file in compile_pipeline(pipeline):
        assert is_unchanged_output(file.content, pipeline.digest)
        assert not is_unchanged_output(file.content + "# appended\n", pipeline.digest)
        assert not is_unchanged_output(file.content, "0" * 20)
