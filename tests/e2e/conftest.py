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
* ``vercel_cli_npm_cache`` (session): an npm cache holding the Vercel CLI of
  migpipe's lockfile, filled once from this machine's registry; give it to the
  runner as npm_config_cache and the deploy job's offline `npm ci` installs
  the real CLI from it.
* ``deploy_hook`` (per test): the stand-in for Render's deploy hook; its
  ``url`` is the secret the deploy job calls, ``calls`` what it received.
* ``test_role`` (session): the role TEST_ROLE/TEST_ROLE_PASSWORD (harness.py)
  on the tests' PostgreSQL, for pipeline.toml's [test_database].
* ``act`` (per test): an ActRunner; ``act(root, event, secrets=, env=,
  payload=, workflow=, job=)`` returns an ActRun (``returncode``, ``output``,
  ``job_result(job name)``, ``step_result(job name, step name)``,
  ``job_log(job name)``, ``job_summary(job name)``).
* ``make_project`` (per test): ``make_project(migrations, build_render=,
  edit_workflow=, edit_pipeline=, files=)`` writes the Prisma app of
  harness.py (example pipeline.toml, any other ``files``, generated files, one
  commit on main) with a test and a production database of its own; returns
  a harness.Project.
* ``github_api`` (per test): a fresh GitHubApiStandin (github_standin.py),
  configurable before the run; pass ``github_api.url`` as the runner's
  MIGPIPE_GITHUB_API_URL and GITHUB_TOKEN as the secret of that name.
"""
from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from migpipe.pipeline import load_pipeline
from migpipe.profiles.hosts.vercel import CLI_MANIFEST as VERCEL_CLI_MANIFEST
from tests.conftest import EXAMPLE_CONFIG
from tests.e2e.github_standin import GitHubApiStandin
from tests.e2e.harness import (
    TEST_ROLE,
    TEST_ROLE_PASSWORD,
    ActRunner,
    DeployHook,
    Project,
    build_node_bin,
    build_npm_cache,
    build_runner_bin,
    build_wheel_index,
    prisma_pipeline_toml,
    write_action_standins,
    write_prisma_project,
)
from tests.support.postgres import PostgresServer


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


@pytest.fixture(scope="session")
def vercel_cli_npm_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_npm_cache(tmp_path_factory.mktemp("vercel-cli-npm"), VERCEL_CLI_MANIFEST)


@pytest.fixture
def act(tmp_path: Path, wheel_index: Path, runner_bin: Path, action_standins: dict[str, Path]) -> ActRunner:
    return ActRunner(tmp_path / "act-home", runner_bin, wheel_index, action_standins)


@pytest.fixture
def deploy_hook() -> Iterator[DeployHook]:
    hook = DeployHook()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            hook.calls.append((time.time(), "POST", self.path))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'{"deploy": {"id": "dep-standin"}}')

        def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hook.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield hook
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def test_role(postgres_server: PostgresServer) -> None:
    postgres_server.psql(
        "postgres",
        f"DO $$ BEGIN CREATE ROLE {TEST_ROLE} LOGIN SUPERUSER PASSWORD '{TEST_ROLE_PASSWORD}'; "
        "EXCEPTION WHEN duplicate_object THEN NULL; END $$;",
    )


MakeProject = Callable[..., Project]


@pytest.fixture
def make_project(tmp_path: Path, postgres_server: PostgresServer, test_role: None) -> MakeProject:
    def make(
        migrations: Mapping[str, str],
        build_render: str = "echo building for render",
        edit_workflow: Callable[[str], str] | None = None,
        edit_pipeline: Callable[[str], str] | None = None,
        files: Mapping[str, str] | None = None,
    ) -> Project:
        root = tmp_path / "app"
        test_db = postgres_server.create_database("act_test")
        prod_db = postgres_server.create_database("act_prod")
        pipeline = prisma_pipeline_toml(EXAMPLE_CONFIG.read_text(), postgres_server.port, test_db)
        if edit_pipeline is not None:
            pipeline = edit_pipeline(pipeline)
        write_prisma_project(root, pipeline, migrations, build_render, edit_workflow, files)
        return Project(root, test_db, prod_db)

    return make


@pytest.fixture
def github_api() -> Iterator[GitHubApiStandin]:
    standin = GitHubApiStandin().start()
    yield standin
    standin.stop()
