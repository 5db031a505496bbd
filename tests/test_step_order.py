"""No step of a generated workflow uses a tool before a step of its job installs it.

A fresh GitHub runner has its image's tools only (git, curl, python3, psql …):
migpipe, squawk, python/pip, node/npm, pnpm, the project's packages arrive
through the job's own steps. tests/support/step_order.py walks each job in
step order; what a step needs is read from its `run:` text and, for a step
that runs a generated script, from the script's text (the build guard runs
migpipe, the migrate script squawk, psql, pg_dump and the tool).

Checked on the example, every golden config, configs drawn by hypothesis
(the strategy of tests/test_validators.py), and the workflows `migpipe init`
+ generate make of the real repositories of ../shared/corpus that init adopts
(their teams' own jobs included). The negative tests below break the
order the ways it broke or could break, and the check must name the step.
"""
from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from ruamel.yaml import YAML

from migpipe.cli import main
from migpipe.compiler import compile_pipeline
from migpipe.pipeline import Pipeline, load_pipeline
from tests.adopt.test_detect_corpus import CASES, REPOS
from tests.conftest import EXAMPLE_CONFIG, golden_configs
from tests.support.shell_words import command_name, commands_of
from tests.support.step_order import (
    PROJECT_NODE,
    Violation,
    check_workflow,
    describe,
    distribution_commands,
    uses_of,
)
from tests.test_validators import pipelines

# The corpus repositories init adopts (the others it refuses, saying why).
ADOPTED = sorted(case for case, expected in CASES.items() if "refusal" not in expected)
GUARD = "scripts/check-no-migrate-in-build.sh"
MIGRATE = "scripts/migrate-with-guards.sh"


def _generated(pipeline: Pipeline) -> tuple[dict[str, Any], dict[str, str]]:
    files = compile_pipeline(pipeline)
    workflow = next(f for f in files if f.kind == "workflow")
    return YAML(typ="safe").load(workflow.content), {f.path: f.content for f in files}


def _example() -> tuple[dict[str, Any], dict[str, str]]:
    return _generated(load_pipeline(EXAMPLE_CONFIG))


def _steps(workflow: dict[str, Any], job: str) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = workflow["jobs"][job]["steps"]
    return steps


def _index(steps: list[dict[str, Any]], name: str) -> int:
    return next(i for i, step in enumerate(steps) if step.get("name") == name)


def _found(violations: list[Violation]) -> set[tuple[str, str, str]]:
    return {(v.job, v.step_name, v.use.command) for v in violations}


@pytest.mark.parametrize("name", sorted(golden_configs()))
def test_golden_workflows_install_every_tool_before_using_it(name: str) -> None:
    workflow, scripts = _generated(load_pipeline(golden_configs()[name]))
    violations = check_workflow(workflow, scripts)
    assert violations == [], describe(violations)


@pytest.mark.parametrize("case", ADOPTED)
def test_adopted_repositories_workflows_install_every_tool_before_using_it(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / case
    shutil.copytree(REPOS / case, repo)
    assert main(["init", "--root", str(repo)]) == 0
    capsys.readouterr()
    workflow, scripts = _generated(load_pipeline(repo / "pipeline.toml"))
    violations = check_workflow(workflow, scripts)
    assert violations == [], describe(violations)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pipeline=pipelines())
def test_drawn_workflows_install_every_tool_before_using_it(pipeline: Pipeline) -> None:
    # The strategy draws a Python tool (alembic, django) with npm/pnpm/yarn
    # commands too; such a workflow never sets up Node (the check reports it:
    # see README "not done"), so those draws are set aside here.
    commands = [*pipeline.ci.build_commands, *(c for job in pipeline.ci.test_jobs.values() for c in job.commands)]
    assume(
        pipeline.tool_profile().runtime == "node"
        or not any(c.split()[0] in ("npm", "pnpm", "yarn", "npx") for c in commands)
    )
    workflow, scripts = _generated(pipeline)
    violations = check_workflow(workflow, scripts)
    assert violations == [], describe(violations)


# --------------------------------------------------------------------------
# What the check reads from the generated scripts


def test_what_the_scripts_need_is_read_from_their_text() -> None:
    _, scripts = _example()
    guard = {use.command for uses, _ in uses_of(f'bash "${{GITHUB_WORKSPACE}}/{GUARD}"', scripts) for use in uses}
    assert "migpipe" in guard
    migrate = {use.command for uses, _ in uses_of(f'bash "${{GITHUB_WORKSPACE}}/{MIGRATE}"', scripts) for use in uses}
    # The wrapper runs migpipe, and lists what migpipe runs besides itself.
    assert {"migpipe", "squawk", "pg_dump", "pg_restore", "npx", PROJECT_NODE} <= migrate
    assert not {"psql", "python3", "printf"} & migrate


def test_pip_install_provides_what_the_distribution_installs() -> None:
    assert distribution_commands("migpipe==0.1.0") == {"migpipe"}
    assert distribution_commands("squawk-cli==2.*") == {"squawk"}  # a binary in bin/, no entry point
    assert "migpipe" in distribution_commands("./wheels/migpipe-0.1.0-py3-none-any.whl")


# --------------------------------------------------------------------------
# The check fails when the order breaks


def test_guard_before_migpipe_is_installed_is_caught() -> None:
    """The original defect: the guard ran before the step that installed migpipe."""
    workflow, scripts = _example()
    steps = _steps(workflow, "build-verification")
    install = steps.pop(_index(steps, "Install migpipe"))
    steps.insert(len(steps) - 1, install)  # just before `migpipe verify`, as it once was
    violations = check_workflow(workflow, scripts)
    assert _found(violations) == {
        ("build-verification", "Guard - no migration on the host's build path", "migpipe")
    }, describe(violations)
    assert violations[0].use.via == GUARD
    assert "through scripts/check-no-migrate-in-build.sh" in str(violations[0])


def test_the_original_template_order_is_caught() -> None:
    """The job as the template wrote it before the fix: install and verify in
    one step after the guard and the build."""
    workflow, scripts = _example()
    steps = _steps(workflow, "build-verification")
    install = steps.pop(_index(steps, "Install migpipe"))
    setup_python = steps.pop(_index(steps, "Set up Python"))
    verify = steps[_index(steps, "Check generated files match pipeline.toml")]
    verify["run"] = install["run"] + "\n" + verify["run"] + "\n"
    steps.insert(len(steps) - 1, setup_python)
    violations = check_workflow(workflow, scripts)
    assert _found(violations) == {
        ("build-verification", "Guard - no migration on the host's build path", "migpipe")
    }, describe(violations)


@pytest.mark.parametrize(
    ("job", "removed", "step_name", "command"),
    [
        ("migrate-prod", "Install squawk (SQL linter)", "Lint, back up and apply pending migrations", "squawk"),
        ("migrate-prod", "Set up Python", "Install migpipe", "python"),
        ("migrate-prod", "Install dependencies", "Lint, back up and apply pending migrations", PROJECT_NODE),
        ("build-verification", "Set up Node.js", "Install dependencies", "npm"),
        ("backend-tests", "Install dependencies", "Build the test database with real migrations", PROJECT_NODE),
        ("build-verification", "Install migpipe", "Check generated files match pipeline.toml", "migpipe"),
    ],
)
def test_a_missing_install_step_is_caught(job: str, removed: str, step_name: str, command: str) -> None:
    workflow, scripts = _example()
    steps = _steps(workflow, job)
    steps.pop(_index(steps, removed))
    assert (job, step_name, command) in _found(check_workflow(workflow, scripts))


@pytest.mark.parametrize(
    ("config", "job", "removed", "command"),
    [
        ("prisma6-pnpm-subdir", "build-verification", "Enable pnpm through corepack", "pnpm"),
        ("golang-migrate-render", "migrate-prod", "Install golang-migrate v4.18.3", "migrate"),
        ("alembic-render", "migrate-prod", "Install dependencies", "alembic"),
    ],
)
def test_tools_of_other_stacks_are_checked_too(config: str, job: str, removed: str, command: str) -> None:
    workflow, scripts = _generated(load_pipeline(golden_configs()[config]))
    assert check_workflow(copy.deepcopy(workflow), scripts) == []
    steps = _steps(workflow, job)
    steps.pop(_index(steps, removed))
    assert command in {v.use.command for v in check_workflow(workflow, scripts) if v.job == job}



# --------------------------------------------------------------------------
# The reading of bash text the check relies on


@pytest.mark.parametrize(
    ("text", "commands"),
    [
        ('x=$(foo "a; b" | bar)  # baz; qux', ["foo", "bar"]),
        ("printf 'a; run: python -m pip' >&2", ["printf"]),
        ('if ! command -v migpipe >/dev/null 2>&1; then exit 2; fi', ["command", "exit"]),
        ("A=1 B=2 exec migpipe check-build 2>/dev/null", ["migpipe"]),
        ('echo "$(first_line "${error#psql: }")"', ["first_line", "echo"]),
        ("python3 - <<'PY'\nimport os; print(os)\nPY\nsquawk --version", ["python3", "squawk"]),
        ('while read -r n; do :; done < <(comm -23 <(ls | sort -u) <(printf x))\nreturn 0', ["read", ":", "ls", "sort", "printf", "comm", "return"]),
        ("f() {\n  psql -c 'select 1'\n}\nf", ["psql", "f"]),
        ("cmd `inner arg` > out.txt", ["inner", "cmd"]),
        ("npm ci && npm run build || echo failed", ["npm", "npm", "echo"]),
    ],
)
def test_the_commands_of_bash_text(text: str, commands: list[str]) -> None:
    script = commands_of(text)
    found = [name for name in (command_name(words) for words in script.commands) if name is not None]
    assert found == commands


def test_function_definitions_are_not_commands_the_script_needs() -> None:
    script = commands_of("die() {\n  printf '%s\\n' \"$*\" >&2\n  exit 1\n}\ndie oops\n")
    assert script.functions == {"die"}
