"""Generated files pass the real validators: actionlint (with shellcheck on run:
blocks), check-jsonschema's GitHub-workflow schema, zizmor's auditor persona,
shellcheck on the scripts, and Render's Blueprint schema.

Each runs on the example, the golden configs, and configs drawn by hypothesis
from the option space (package manager, Prisma version, backup, working
directory, test jobs, extra steps).
"""
from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from migpipe.compiler import compile_pipeline
from migpipe.pipeline import Pipeline
from migpipe.pipeline import load_pipeline
from tests.conftest import EXAMPLE_CONFIG, SHARED, golden_configs

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

BIN = Path(sys.executable).parent
TOOLS = {name: shutil.which(name, path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}") for name in (
    "actionlint", "shellcheck", "zizmor", "check-jsonschema")}
RENDER_SCHEMA = json.loads((SHARED / "schemas" / "render.yaml.json").read_text())


def _tool(name: str) -> str:
    path = TOOLS[name]
    assert path, f"{name} is not installed (./test.sh installs it into the test venv)"
    return path


def _write(pipeline: Pipeline, root: Path) -> dict[str, Path]:
    written = {}
    for file in compile_pipeline(pipeline):
        target = root / file.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(file.content)
        written[file.kind] = target
    return written


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "NO_COLOR": "1"}
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)


def assert_all_validators_pass(pipeline: Pipeline, root: Path) -> None:
    files = _write(pipeline, root)
    workflow = str(files["workflow"].relative_to(root))

    # actionlint runs shellcheck on every run: block when shellcheck is on PATH;
    # -shellcheck names it explicitly so a missing shellcheck cannot pass silently.
    result = _run([_tool("actionlint"), "-shellcheck", _tool("shellcheck"), "-no-color", workflow], root)
    assert result.returncode == 0, result.stdout + result.stderr

    result = _run([_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", workflow], root)
    assert result.returncode == 0, result.stdout + result.stderr

    result = _run(
        [_tool("zizmor"), "--offline", "--strict-collection", "--persona", "auditor", "--format", "json", workflow],
        root,
    )
    findings = json.loads(result.stdout or "[]")
    assert findings == [] and result.returncode == 0, json.dumps(findings, indent=1)[:4000] + result.stderr

    scripts = [str(files[k].relative_to(root)) for k in ("build_guard", "migrate_script")]
    result = _run([_tool("shellcheck"), "--severity=style", *scripts], root)
    assert result.returncode == 0, result.stdout + result.stderr

    if pipeline.host.name == "render":
        document = YAML(typ="safe").load(files["host_config"].read_text())
        jsonschema.Draft202012Validator(RENDER_SCHEMA).validate(document)


@pytest.mark.parametrize("name", sorted(golden_configs()))
def test_golden_configs_pass_every_validator(name: str, tmp_path: Path) -> None:
    assert_all_validators_pass(load_pipeline(golden_configs()[name]), tmp_path)


def test_validators_catch_a_broken_workflow(tmp_path: Path) -> None:
    """The check above can fail: an unpinned action and a ${{ }} in run: are caught."""
    pipeline = load_pipeline(EXAMPLE_CONFIG)
    files = _write(pipeline, tmp_path)
    text = files["workflow"].read_text()
    text = text.replace("run: npm ci", "run: echo ${{ github.head_ref }}", 1)
    files["workflow"].write_text(text)
    result = _run([_tool("zizmor"), "--offline", "--persona", "auditor", "--format", "json", str(files["workflow"])], tmp_path)
    assert any(f["ident"] == "template-injection" for f in json.loads(result.stdout))


BASE = tomllib.loads(EXAMPLE_CONFIG.read_text())


@st.composite
def pipelines(draw) -> Pipeline:
    data = copy.deepcopy(BASE)
    manager = draw(st.sampled_from(["npm", "pnpm", "yarn"]))
    data["project"]["package_manager"] = manager
    data["project"]["working_directory"] = draw(st.sampled_from([".", "apps/api", "backend"]))
    data["tool"] = draw(
        st.sampled_from(
            [
                {"name": "prisma", "version": 6},
                {"name": "prisma", "version": 7, "drift_check": True},
                {"name": "alembic"},
                {"name": "django", "settings_module": "app.settings"},
                {"name": "dbmate"},
                {"name": "node-pg-migrate"},
                {"name": "drizzle"},
                {"name": "knex"},
                {"name": "golang-migrate"},
            ]
        )
    )
    data["backup"] = draw(
        st.sampled_from(
            [
                {"mode": "none"},
                {"mode": "restore-point"},
                {"enabled": False},
                {"enabled": True, "format": "custom"},
                {"enabled": True, "format": "plain"},
                {"enabled": True, "format": "directory", "upload_command": 'aws s3 cp --recursive "$BACKUP_FILE" s3://b/', "upload_secrets": ["AWS_SECRET_ACCESS_KEY"]},
            ]
        )
    )
    job_ids = draw(st.lists(st.sampled_from(["unit", "e2e", "api-tests", "lint_check"]), min_size=1, max_size=3, unique=True))
    data["ci"]["test_jobs"] = {job: {"name": f"Job {job}", "commands": [f"{manager} run {job}"]} for job in job_ids}
    data["test_database"]["jobs"] = draw(st.lists(st.sampled_from(job_ids), unique=True))
    data["deploy"]["extra_steps"] = draw(st.sampled_from([[], BASE["deploy"]["extra_steps"]]))
    data["host"] = draw(
        st.sampled_from(
            [
                {**BASE["host"], "pre_deploy_command": f"{manager} run check"},
                {**BASE["host"], "pre_deploy_command": ""},
                {"name": "fly", "app": "drawn-app", "start_command": f"{manager} run start"},
                {"name": "fly", "app": "drawn-app"},
                {"name": "heroku", "app": "drawn-app"},
                {"name": "vercel"},
                {"name": "vercel", "build_command": f"{manager} run build", "extra": {"framework": "nextjs"}},
            ]
        )
    )
    if data["host"]["name"] != "render":
        data["deploy"].pop("hook_secret", None)
        data["outputs"].pop("host_config", None)
    data["guards"]["lock_timeout"] = draw(st.sampled_from(["1s", "500ms", "2min"]))
    data["approval"]["gate"] = draw(st.sampled_from(["reviewers", "dispatch"]))
    return Pipeline.model_validate(data)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pipeline=pipelines())
def test_drawn_configs_pass_every_validator(pipeline: Pipeline, tmp_path_factory) -> None:
    assert_all_validators_pass(pipeline, tmp_path_factory.mktemp("drawn"))
