"""Fixtures to run generated workflows end to end with the real act on a clean runner.

Use them from any test module under tests/e2e/ (see harness.py for the runner):

    def test_something(act, tmp_path):
        root = ...                       # write pipeline.toml and the app
        subprocess.run([MIGPIPE, "generate"], cwd=root, check=True)
        commit_repository(root)          # tests.e2e.harness
        run = act(root, "push", secrets={"PRODUCTION_DATABASE_URL": url},
                  env={"MY_API_STANDIN": "http://127.0.0.1:PORT"})
        assert run.job_result("Migrate production database") == "succeeded"
        assert run.step_result("Build verification", "Install migpipe") == "succeeded"
        log = run.job_log("Deploy")

* ``wheel_index`` (session): the folder the runner's pip installs from: the
  wheel of this checkout (``python -m build --wheel``), its dependencies and
  squawk-cli, downloaded once per test session from the machine's index.
* ``runner_bin`` / ``action_standins`` (session): the runner's PATH and the
  stand-ins for the GitHub-hosted actions.
* ``act`` (per test): an ActRunner; ``act(root, event, secrets=, env=,
  payload=, workflow=)`` returns an ActRun (``returncode``, ``output``,
  ``job_result(job name)``, ``step_result(job name, step name)``,
  ``job_log(job name)``).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from migpipe.pipeline import load_pipeline
from tests.conftest import EXAMPLE_CONFIG
from tests.e2e.harness import (
    ActRunner,
    build_node_bin,
    build_runner_bin,
    build_wheel_index,
    write_action_standins,
)


@pytest.fixture(scope="session")
def wheel_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    squawk = f"squawk-cli=={load_pipeline(EXAMPLE_CONFIG).guards.squawk_version}"
    return build_wheel_index(tmp_path_factory.mktemp("wheel-index"), [squawk])


@pytest.fixture(scope="session")
def runner_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_runner_bin(tmp_path_factory.mktemp("runner") / "bin")


@pytest.fixture(scope="session")
def action_standins(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("action-standins")
    return write_action_standins(base / "actions", build_node_bin(base / "node-bin"))


@pytest.fixture
def act(tmp_path: Path, wheel_index: Path, runner_bin: Path, action_standins: dict[str, Path]) -> ActRunner:
    return ActRunner(tmp_path / "act-home", runner_bin, wheel_index, action_standins)
