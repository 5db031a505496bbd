"""No value in pipeline.toml can add a key, a step or a shell command.

Property-based: arbitrary strings go into every string field. Each is either
rejected by validation (with a message naming the key) or comes back
unchanged where it belongs when the generated YAML is parsed, while the
shape of every generated file (jobs, steps, keys, script lines) stays the
same as for an ordinary value.
"""
from __future__ import annotations

import copy
import shlex
import subprocess
import sys
from typing import Any, Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from ruamel.yaml import YAML

from migpipe.compiler import compile_pipeline
from migpipe.pipeline import Pipeline
from tests.conftest import EXAMPLE_CONFIG

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

BASE = tomllib.loads(EXAMPLE_CONFIG.read_text())

TRICKY = [
    "a\"b", "a'b", "$(touch /tmp/pwned)", "`id`", "a\nb", "x\r\ny", "# comment", "a #b", "key: value",
    "{{ x }}", "${{ secrets.X }}", "- item", "[a, b]", "{a: b}", "&anchor", "*alias", "!tag", "|", ">",
    "on", "off", "yes", "no", "null", "~", "1e3", "0x1F", "12:30", "\t", " lead", "trail ", "",
    "ünïcödé ☃", "\u2028", "\x85", "\ufeff", "emoji 🚀", "a\\b", "%", "@x", "?x", "x" * 5000,
    "npm run build && curl evil | sh", "'; rm -rf / #",
]
STRINGS = st.one_of(st.sampled_from(TRICKY), st.text(max_size=60))


def _yaml(text: str) -> Any:
    return YAML(typ="safe").load(text)


def _compile(data: dict) -> dict[str, str] | None:
    try:
        pipeline = Pipeline.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            assert error["msg"], "a rejection must say what is wrong"
        return None
    return {f.kind: f.content for f in compile_pipeline(pipeline)}


def _shape(node: Any) -> Any:
    """Structure without scalar values: the keys, list lengths and nesting."""
    if isinstance(node, dict):
        return {k: _shape(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_shape(v) for v in node]
    return type(node).__name__


def _script_commands(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _set(data: dict, path: tuple, value: Any) -> None:
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def _steps(workflow: dict, job: str) -> list[dict]:
    return workflow["jobs"][job]["steps"]


def _step(workflow: dict, job: str, name: str) -> dict:
    return next(s for s in _steps(workflow, job) if s["name"] == name)


# field path -> function(files, baseline files, value) asserting the value came back unchanged
Check = Callable[[dict[str, str], dict[str, str], str], None]


def _config_with(path: tuple, value: str) -> dict:
    data = copy.deepcopy(BASE)
    if path[:2] == ("guards", "forbidden_commands"):
        data["guards"]["forbidden_commands"] = ["placeholder"]
    _set(data, path, value)
    return data


def _baseline(path: tuple) -> dict[str, str]:
    """The outputs with an ordinary value in the field under test."""
    files = _compile(_config_with(path, "ordinary-value"))
    assert files is not None
    return files


def _in_workflow(get: Callable[[dict], Any]) -> Check:
    def check(files: dict[str, str], baseline: dict[str, str], value: str) -> None:
        workflow = _yaml(files["workflow"])
        assert _shape(workflow) == _shape(_yaml(baseline["workflow"]))
        assert get(workflow) == value

    return check


def _in_render(key: str) -> Check:
    def check(files: dict[str, str], baseline: dict[str, str], value: str) -> None:
        render = _yaml(files["host_config"])
        if key == "preDeployCommand" and value == "":
            # TOML has no null: "" is how pipeline.toml leaves the command out.
            assert key not in render["services"][0]
            return
        assert _shape(render) == _shape(_yaml(baseline["host_config"]))
        assert render["services"][0][key] == value

    return check


def _in_script(kind: str) -> Check:
    def check(files: dict[str, str], baseline: dict[str, str], value: str) -> None:
        assert len(_script_commands(files[kind])) == len(_script_commands(baseline[kind]))
        assert value in files[kind] or shlex.quote(value) in files[kind]
        _bash_parses(files[kind])

    return check


def _bash_parses(script: str) -> None:
    result = subprocess.run(["bash", "-n"], input=script, text=True, capture_output=True)
    assert result.returncode == 0, result.stderr


FIELDS: dict[tuple, Check] = {
    ("ci", "workflow_name"): _in_workflow(lambda w: w["name"]),
    ("ci", "runner"): _in_workflow(lambda w: w["jobs"]["deploy"]["runs-on"]),
    ("ci", "install_command"): _in_workflow(
        lambda w: _step(w, "build-verification", "Install dependencies")["run"]
    ),
    ("ci", "build_commands", 0): _in_workflow(
        lambda w: _step(w, "build-verification", "Build (1/1)")["run"]
    ),
    ("ci", "test_jobs", "backend-tests", "name"): _in_workflow(lambda w: w["jobs"]["backend-tests"]["name"]),
    ("ci", "test_jobs", "backend-tests", "commands", 0): _in_workflow(
        lambda w: _step(w, "backend-tests", "Test (1/1)")["run"]
    ),
    ("ci", "migpipe_requirement"): _in_workflow(
        lambda w: shlex.split(_step(w, "build-verification", "Install migpipe")["run"])[-1]
    ),
    ("deploy", "extra_steps", 0, "name"): _in_workflow(lambda w: _steps(w, "deploy")[-1]["name"]),
    ("deploy", "extra_steps", 0, "run"): _in_workflow(lambda w: _steps(w, "deploy")[-1]["run"]),
    ("host", "service_name"): _in_render("name"),
    ("host", "build_command"): _in_render("buildCommand"),
    ("host", "pre_deploy_command"): _in_render("preDeployCommand"),
    ("host", "start_command"): _in_render("startCommand"),
    ("guards", "forbidden_commands", 0): _in_script("build_guard"),
    # backup.upload_command reaches no generated file: `migpipe migrate` reads it
    # from pipeline.toml at run time (tests/migrate/test_runtime_features.py).
}
BASELINES = {path: _baseline(path) for path in FIELDS}


@pytest.mark.parametrize("path", list(FIELDS), ids=lambda p: ".".join(map(str, p)))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=STRINGS)
def test_string_field_is_rejected_or_round_trips(path: tuple, value: str) -> None:
    files = _compile(_config_with(path, value))
    if files is None:
        return
    FIELDS[path](files, BASELINES[path], value)
    # Every output keeps parsing, whatever the value.
    _yaml(files["workflow"])
    _yaml(files["host_config"])


@settings(max_examples=40, deadline=None)
@given(value=STRINGS)
def test_project_name_in_runbook_stays_one_line_of_prose(value: str) -> None:
    data = copy.deepcopy(BASE)
    data["project"]["name"] = value
    files = _compile(data)
    if files is None:
        return
    assert files["runbook"].count("\n") == _baseline(("project", "name"))["runbook"].count("\n")


def test_dollar_brace_brace_is_rejected_with_reason() -> None:
    data = copy.deepcopy(BASE)
    data["ci"]["build_commands"] = ["echo ${{ secrets.PRODUCTION_DATABASE_URL }}"]
    with pytest.raises(ValidationError, match=r"\$\{\{"):
        Pipeline.model_validate(data)
