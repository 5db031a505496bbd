"""The generated ci-cd.yml, executed end to end by the real `act`.

act runs in host mode (``-P ubuntu-latest=-self-hosted``): every `run:` step
is real bash on this machine, with a real PostgreSQL started by the tests, the
real squawk, the real `migpipe` (build guard and verify), real npm.

Stand-ins, because the real thing cannot be installed here:
* GitHub-hosted actions (actions/checkout, setup-node, setup-python) are
  replaced by local composite actions via ``--local-repository``; they only
  echo, and the machine's own node and python are used.
* Prisma's migration engine is a binary downloaded from a host we cannot
  reach: ``tests/migrate/standin/prisma`` is installed as the project's
  `prisma` package (a local npm package) and applies migration.sql files
  the way Prisma records them in _prisma_migrations.
* Render's deploy hook is a small HTTP server on 127.0.0.1 that records
  requests.

Service containers are ignored in host mode, so the test jobs' database URL
points at the tests' own server instead.
"""
from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from migpipe.pins import ACTIONS
from tests.conftest import EXAMPLE_CONFIG, REPO_ROOT
from tests.support.postgres import PostgresServer

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

BIN = Path(sys.executable).parent
STANDIN_PRISMA = REPO_ROOT / "tests" / "migrate" / "standin" / "prisma"
TEST_ROLE, TEST_ROLE_PASSWORD = "ci_tester", "ci_tester_pw"
HOOK_PATH = "/deploy/srv-standin"
HOOK_KEY = "hook-key-5f1d"

SAFE_INIT = 'CREATE TABLE "User" (id bigint PRIMARY KEY, email text);\n'
SAFE_INDEXLESS_ADD = 'ALTER TABLE "User" ADD COLUMN "name" text;\n'
DESTRUCTIVE = 'ALTER TABLE "User" DROP COLUMN "email";\n'


# --------------------------------------------------------------------------
# Deploy hook stand-in


@dataclass
class DeployHook:
    port: int = 0
    calls: list[tuple[float, str, str]] = field(default_factory=list)  # (time, method, path)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{HOOK_PATH}?key={HOOK_KEY}"


@pytest.fixture
def deploy_hook():
    hook = DeployHook()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            hook.calls.append((time.time(), "POST", self.path))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'{"deploy": {"id": "dep-standin"}}')

        def log_message(self, *args):  # keep test output quiet
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hook.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield hook
    server.shutdown()
    server.server_close()


# --------------------------------------------------------------------------
# Action stand-ins and the project under test


@pytest.fixture(scope="module")
def action_standins(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("action-standins")
    standins = {}
    for name in ACTIONS:
        folder = base / name.replace("/", "__")
        folder.mkdir()
        (folder / "action.yml").write_text(
            f"name: stand-in for {name}\n"
            "description: Test stand-in (no network); the machine's own tools are used.\n"
            "inputs:\n"
            + "".join(
                f"  {key}:\n    description: accepted and ignored\n    required: false\n"
                for key in ("node-version", "python-version", "persist-credentials")
            )
            + "runs:\n  using: composite\n  steps:\n"
            f"    - run: echo 'stand-in for {name}'\n      shell: bash\n"
        )
        standins[name] = folder
    return standins


def add_prisma_package(root: Path) -> str:
    """The stand-in prisma CLI as a local npm package named `prisma`, inside the
    project (act runs a copy of the repository elsewhere, so the path must be
    relative); returns the package.json dependency spec."""
    folder = root / "vendor" / "prisma-standin"
    folder.mkdir(parents=True)
    shutil.copy(STANDIN_PRISMA, folder / "prisma")
    (folder / "prisma").chmod(0o755)
    (folder / "package.json").write_text(
        json.dumps({"name": "prisma", "version": "0.0.0-standin", "bin": {"prisma": "prisma"}})
    )
    return "file:vendor/prisma-standin"


@pytest.fixture(scope="module")
def test_role(postgres_server: PostgresServer) -> None:
    postgres_server.psql(
        "postgres",
        f"DO $$ BEGIN CREATE ROLE {TEST_ROLE} LOGIN SUPERUSER PASSWORD '{TEST_ROLE_PASSWORD}'; "
        "EXCEPTION WHEN duplicate_object THEN NULL; END $$;",
    )


@dataclass
class Project:
    root: Path
    test_db: str
    prod_db: str


def _pipeline_toml(server: PostgresServer, test_db: str) -> str:
    text = EXAMPLE_CONFIG.read_text()
    # The team's Vercel step needs the network; this project deploys to Render only.
    text = re.sub(r"\n# The team's own deploy steps.*?secrets = \[\"VERCEL_TOKEN\"\]\n", "\n", text, flags=re.S)
    text = text.replace(
        "[test_database]\n",
        f'[test_database]\nuser = "{TEST_ROLE}"\npassword = "{TEST_ROLE_PASSWORD}"\n'
        f'port = {server.port}\ndatabase = "{test_db}"\n',
    )
    # migpipe is installed in the test venv already: pip finds it without the network.
    return text.replace("[ci]\n", '[ci]\nmigpipe_requirement = "migpipe"\n')


@pytest.fixture
def make_project(tmp_path, postgres_server, test_role):
    def make(migrations: dict[str, str], build_render: str = "echo building for render") -> Project:
        root = tmp_path / "app"
        (root / "prisma").mkdir(parents=True)
        (root / "prisma" / "schema.prisma").write_text(
            'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n'
        )
        for name, sql in migrations.items():
            (root / "prisma" / "migrations" / name).mkdir(parents=True)
            (root / "prisma" / "migrations" / name / "migration.sql").write_text(sql)
        # The app's own test scripts check the database the test job built.
        check_table = 'psql "$DATABASE_URL" --no-psqlrc --pset=pager=off -Atc \'SELECT count(*) FROM "User"\''
        (root / "package.json").write_text(
            json.dumps(
                {
                    "name": "app",
                    "version": "1.0.0",
                    "private": True,
                    "scripts": {
                        "build": "echo building",
                        "build:render": build_render,
                        "start": "node server.js",
                        "test:backend": check_table,
                        "test:integration": check_table,
                    },
                    "devDependencies": {"prisma": add_prisma_package(root)},
                },
                indent=2,
            )
        )
        test_db = postgres_server.create_database("act_test")
        prod_db = postgres_server.create_database("act_prod")
        (root / "pipeline.toml").write_text(_pipeline_toml(postgres_server, test_db))
        _run(["npm", "install", "--offline", "--no-audit", "--no-fund", "--silent"], root)
        _run([str(BIN / "migpipe"), "generate"], root)
        _run(["git", "init", "-q", "-b", "main"], root)
        (root / ".gitignore").write_text("node_modules/\nmigpipe-backups/\n")
        _run(["git", "add", "-A"], root)
        _run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "app"], root)
        return Project(root, test_db, prod_db)

    return make


def _run(argv: list[str], cwd: Path) -> None:
    result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, env=_env())
    assert result.returncode == 0, f"{argv}: {result.stdout}{result.stderr}"


def _env(home: Path | None = None) -> dict[str, str]:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    if home is not None:
        env["HOME"] = str(home)
    return env


@dataclass
class ActRun:
    returncode: int
    output: str

    def job_result(self, job_name: str) -> str | None:
        """'succeeded', 'failed', or None when act never started the job."""
        match = re.search(rf"\[CI/CD/{re.escape(job_name)}\s*\] 🏁  Job (succeeded|failed)", self.output)
        return match.group(1) if match else None

    def job_lines(self, job_name: str) -> list[str]:
        return [line for line in self.output.splitlines() if line.startswith(f"[CI/CD/{job_name}")]


def run_act(project: Project, server: PostgresServer, hook: DeployHook, standins, event: str, tmp_path: Path) -> ActRun:
    argv = [
        str(BIN / "act"), event,
        "-P", "ubuntu-latest=-self-hosted",
        "--concurrent-jobs", "1",  # the test jobs share this machine's one test database
        "-W", ".github/workflows/ci-cd.yml",
        "-s", f"PRODUCTION_DATABASE_URL={server.url(project.prod_db)}",
        "-s", f"RENDER_DEPLOY_HOOK_URL={hook.url}",
    ]
    for name, (sha, _release) in ACTIONS.items():
        argv += ["--local-repository", f"{name}@{sha}={standins[name]}"]
    if event == "pull_request":
        payload = tmp_path / "pull_request.json"
        payload.write_text(json.dumps({"pull_request": {"number": 7, "head": {"ref": "feature"}, "base": {"ref": "main"}}}))
        argv += ["-e", str(payload)]
    home = tmp_path / "act-home"
    home.mkdir(exist_ok=True)
    result = subprocess.run(
        argv, cwd=project.root, env=_env(home), stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=600,
    )
    return ActRun(result.returncode, result.stdout + result.stderr)


def _applied(server: PostgresServer, database: str) -> list[str]:
    exists = server.psql(database, "SELECT to_regclass('public._prisma_migrations') IS NOT NULL")
    if exists != "t":
        return []
    rows = server.psql(database, "SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL ORDER BY 1")
    return rows.splitlines()


def _columns(server: PostgresServer, database: str) -> list[str]:
    return server.psql(
        database,
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'User' ORDER BY column_name",
    ).splitlines()


ALL_JOBS = ["Build verification", "Backend tests", "Integration tests", "Migrate production database", "Deploy"]


def test_push_to_main_with_safe_migration_migrates_then_deploys(
    make_project, postgres_server, deploy_hook, action_standins, tmp_path
) -> None:
    project = make_project({"20240101000000_init": SAFE_INIT, "20240102000000_add_name": SAFE_INDEXLESS_ADD})
    run = run_act(project, postgres_server, deploy_hook, action_standins, "push", tmp_path)

    assert run.returncode == 0, run.output[-6000:]
    for job in ALL_JOBS:
        assert run.job_result(job) == "succeeded", job
    assert _applied(postgres_server, project.prod_db) == ["20240101000000_init", "20240102000000_add_name"]
    assert _columns(postgres_server, project.prod_db) == ["email", "id", "name"]

    assert len(deploy_hook.calls) == 1
    called_at, method, path = deploy_hook.calls[0]
    assert (method, path) == ("POST", f"{HOOK_PATH}?key={HOOK_KEY}")
    finished = float(postgres_server.psql(project.prod_db, "SELECT extract(epoch FROM max(finished_at)) FROM _prisma_migrations"))
    assert called_at > finished, "the deploy hook was called before the migrations were applied"

    # Secrets never reach output: not the database password, not the hook key.
    assert postgres_server.password not in run.output
    assert HOOK_KEY not in run.output


def test_pull_request_never_migrates_or_deploys(
    make_project, postgres_server, deploy_hook, action_standins, tmp_path
) -> None:
    project = make_project({"20240101000000_init": SAFE_INIT})
    run = run_act(project, postgres_server, deploy_hook, action_standins, "pull_request", tmp_path)

    assert run.returncode == 0, run.output[-6000:]
    for job in ALL_JOBS[:3]:
        assert run.job_result(job) == "succeeded", job
    assert run.job_lines("Migrate production database") == []
    assert run.job_lines("Deploy") == []
    assert _applied(postgres_server, project.prod_db) == []
    assert deploy_hook.calls == []


def test_destructive_migration_stops_migrate_prod_and_deploy(
    make_project, postgres_server, deploy_hook, action_standins, tmp_path
) -> None:
    project = make_project({"20240101000000_init": SAFE_INIT, "20240103000000_drop_email": DESTRUCTIVE})
    run = run_act(project, postgres_server, deploy_hook, action_standins, "push", tmp_path)

    assert run.returncode != 0
    assert run.job_result("Build verification") == "succeeded"
    assert run.job_result("Migrate production database") == "failed"
    migrate_log = "\n".join(run.job_lines("Migrate production database"))
    assert "exit status 2" in migrate_log
    assert "ban-drop-column" in migrate_log
    assert run.job_result("Deploy") is None
    assert deploy_hook.calls == []
    # Nothing was applied, not even the safe migration of the same batch.
    assert _applied(postgres_server, project.prod_db) == []
    assert _columns(postgres_server, project.prod_db) == []


def test_build_script_that_migrates_fails_build_verification_at_the_guard(
    make_project, postgres_server, deploy_hook, action_standins, tmp_path
) -> None:
    project = make_project(
        {"20240101000000_init": SAFE_INIT},
        build_render="prisma migrate deploy && echo building for render",
    )
    run = run_act(project, postgres_server, deploy_hook, action_standins, "push", tmp_path)

    assert run.returncode != 0
    assert run.job_result("Build verification") == "failed"
    build_log = "\n".join(run.job_lines("Build verification"))
    assert "❌  Failure - Main Guard - no migration on the host's build path" in build_log
    assert "prisma migrate deploy" in build_log
    assert run.job_result("Migrate production database") is None
    assert deploy_hook.calls == []
    assert _applied(postgres_server, project.prod_db) == []
