from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from migpipe.compiler import compile_pipeline
from migpipe.pipeline import Pipeline, load_pipeline
from migpipe.markers import HEADER_VERSION, NOTICE, canonical_data, read_header, source_digest
from tests.conftest import EXAMPLE_CONFIG


def test_every_output_starts_with_notice_and_source_digest() -> None:
    pipeline = load_pipeline(EXAMPLE_CONFIG)
    digest = source_digest(canonical_data(tomllib.loads(EXAMPLE_CONFIG.read_text())))
    for file in compile_pipeline(pipeline):
        head = file.content.splitlines()[:4]
        assert any(NOTICE in line for line in head), file.path
        header = read_header(file.content)
        assert header is not None and header.digest == digest and header.version == HEADER_VERSION, file.path
        assert f"migpipe-hash v{HEADER_VERSION}: {digest} (migpipe " in file.content, file.path
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
    """verify in a fresh process; its last line: the exit code."""
    probe = "from migpipe.cli import main; code = main(['verify']); print(code)"
    return subprocess.run([sys.executable, "-c", probe], cwd=cwd, capture_output=True, text=True)


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
    assert result.stdout.splitlines()[-1] == "1"


def test_leaving_out_a_default_restamps_headers_only(tmp_path) -> None:
    """The digest is of pipeline.toml's data: the same files, under a new digest."""
    shutil.copy(EXAMPLE_CONFIG, tmp_path / "pipeline.toml")
    subprocess.run([sys.executable, "-m", "migpipe", "generate"], cwd=tmp_path, check=True, capture_output=True)
    # The manifest records each file's hash, so it changes with every header.
    before = {p: p.read_text() for p in tmp_path.rglob("*") if p.is_file() and p.name not in ("pipeline.toml", "manifest.json")}
    config = tmp_path / "pipeline.toml"
    spelled_out = 'runbook = "docs/migrations-runbook.md"\n'
    assert spelled_out in config.read_text()
    config.write_text(config.read_text().replace(spelled_out, ""))
    result = _verify_probe(tmp_path)
    assert result.stdout.count(": stale: ") == 6 and result.stdout.splitlines()[-1] == "1"
    subprocess.run([sys.executable, "-m", "migpipe", "generate"], cwd=tmp_path, check=True, capture_output=True)
    for path, text in before.items():
        old, new = text.splitlines(), path.read_text().splitlines()
        changed = [i for i, (a, b) in enumerate(zip(old, new)) if a != b]
        assert len(old) == len(new) and len(changed) == 1 and "migpipe-hash v2:" in new[changed[0]], path
    assert _verify_probe(tmp_path).stdout.splitlines()[-1] == "0"


def test_verify_follows_a_symlinked_output_inside_the_repository(tmp_path) -> None:
    shutil.copy(EXAMPLE_CONFIG, tmp_path / "pipeline.toml")
    subprocess.run([sys.executable, "-m", "migpipe", "generate"], cwd=tmp_path, check=True, capture_output=True)
    (tmp_path / "render.yaml").rename(tmp_path / "real-render.yaml")
    (tmp_path / "render.yaml").symlink_to("real-render.yaml")
    # The full comparison follows a link inside the repository, as generate does.
    assert _verify_probe(tmp_path).stdout.splitlines()[-1] == "0"


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


def _package_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of migpipe's sources that generator_fingerprint reads instead of the real ones."""
    from migpipe import markers

    package = tmp_path / "migpipe"
    shutil.copytree(Path(markers.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(markers, "_PACKAGE", str(package))
    markers.generator_fingerprint.cache_clear()
    return package


@pytest.mark.parametrize(
    "module", ["commands/verify.py", "commands/generate.py", "buildguard/scanner.py", "cli.py", "outputs.py", "verify.py"]
)
def test_a_comment_in_a_module_that_shapes_no_output_changes_no_generated_file(tmp_path, monkeypatch, module) -> None:
    from migpipe import markers

    before = [file.content for file in compile_pipeline(load_pipeline(EXAMPLE_CONFIG))]
    package = _package_copy(tmp_path, monkeypatch)
    source = package / module
    assert source.is_file(), module
    source.write_text(source.read_text() + "\n# a comment that shapes no output\n")
    try:
        after = [file.content for file in compile_pipeline(load_pipeline(EXAMPLE_CONFIG))]
    finally:
        monkeypatch.undo()
        markers.generator_fingerprint.cache_clear()
    assert after == before


@pytest.mark.parametrize("module", ["compiler.py", "pins.py", "policy.py", "profiles/hosts/render.py", "config/tables.py", "pipeline.py"])
def test_a_change_in_a_module_that_shapes_the_output_changes_the_digest(tmp_path, monkeypatch, module) -> None:
    from migpipe import markers

    before = load_pipeline(EXAMPLE_CONFIG).digest
    package = _package_copy(tmp_path, monkeypatch)
    source = package / module
    if not source.is_file():  # moved by the plugin layout; the test follows the module list
        pytest.fail(f"{module} is gone: update this test and markers.OUTPUT_SHAPING")
    source.write_text(source.read_text() + "\n# changed\n")
    try:
        after = load_pipeline(EXAMPLE_CONFIG).digest
    finally:
        monkeypatch.undo()
        markers.generator_fingerprint.cache_clear()
    assert after != before


def test_every_module_the_compiler_imports_is_in_the_fingerprint() -> None:
    """A module that can shape the output and is not fingerprinted would let a
    changed migpipe keep an old digest (a stale file reported as hand-edited)."""
    probe = (
        "import sys; from migpipe.compiler import compile_pipeline; from migpipe.pipeline import load_pipeline; "
        f"compile_pipeline(load_pipeline({str(EXAMPLE_CONFIG)!r})); "
        "print('\\n'.join(sorted(m.__file__ for n, m in list(sys.modules.items()) "
        "if (n == 'migpipe' or n.startswith('migpipe.')) and getattr(m, '__file__', None))))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    from migpipe import markers

    package = Path(markers.__file__).parent
    covered = [*markers.OUTPUT_SHAPING, *markers.OUTPUT_NEUTRAL]
    outside = []
    for line in result.stdout.splitlines():
        relative = Path(line).relative_to(package).as_posix()
        if not any(relative == entry or (entry.endswith("/") and relative.startswith(entry)) for entry in covered):
            outside.append(relative)
    assert outside == [], "imported by the compiler but in neither OUTPUT_SHAPING nor OUTPUT_NEUTRAL"


def test_an_older_header_is_reported_stale_not_a_crash(tmp_path) -> None:
    shutil.copy(EXAMPLE_CONFIG, tmp_path / "pipeline.toml")
    subprocess.run([sys.executable, "-m", "migpipe", "generate"], cwd=tmp_path, check=True, capture_output=True)
    runbook = tmp_path / "docs" / "migrations-runbook.md"
    header = read_header(runbook.read_text())
    assert header is not None
    # The header format migpipe 0.x wrote before v2 (with a body hash).
    old = runbook.read_text().replace(
        f"migpipe-hash v{HEADER_VERSION}: {header.digest} (", f"migpipe-hash: {header.digest} body {'a' * 20} ("
    )
    runbook.write_text(old)
    assert read_header(old) == type(header)(1, header.digest)
    result = _verify_probe(tmp_path)
    assert "docs/migrations-runbook.md: stale: made by an older migpipe (header format v1)" in result.stdout
    assert result.stdout.splitlines()[-1] == "1"
    assert "Traceback" not in result.stderr
    # generate takes it for its own file (an update, no --force needed).
    done = subprocess.run([sys.executable, "-m", "migpipe", "generate"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0 and "updated   docs/migrations-runbook.md" in done.stdout
