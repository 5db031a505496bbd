"""A Python app (Alembic on Render) through its generated workflow, on the clean runner.

The other side of the template from the Prisma app of test_act_pipeline.py:
the project's runtime is Python, so every job sets up Python (the stand-in's
fresh virtualenv), installs the app's requirements.txt and, where migpipe or
squawk run, installs them into that same Python. Nothing is a stand-in but
the GitHub-hosted actions and Render's deploy hook: the real alembic,
SQLAlchemy, psycopg and pytest are installed by the workflow's own
`pip install -r requirements.txt`, from wheels the test downloads once.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.github_standin import GITHUB_TOKEN, github_api_url
from tests.e2e.harness import (
    TEST_ROLE,
    TEST_ROLE_PASSWORD,
    ActRunner,
    DeployHook,
    commit_repository,
)
from tests.migrate.python_projects import AlembicProject
from tests.support.postgres import PostgresServer

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

REQUIREMENTS = ["alembic", "sqlalchemy", "psycopg[binary]", "pytest"]
JOBS = ["Build verification", "Tests", "Migrate production database", "Deploy"]

CREATE_ACCOUNT = """
    op.create_table(
        "account",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("email", sa.Text),
    )
"""

# The app's own test: the test job's database was built by the real migrations.
APP_TEST = '''
import os

import sqlalchemy as sa


def test_the_database_has_the_account_table():
    engine = sa.create_engine(os.environ["DATABASE_URL"])
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM account")).scalar() == 0
'''


@pytest.fixture(scope="session")
def app_wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Wheels of the app's requirements, from this machine's index (once per session)."""
    folder = tmp_path_factory.mktemp("app-wheels")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:", "--dest", str(folder),
         *REQUIREMENTS],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return folder


def _project(root: Path, server: PostgresServer, test_db: str, revisions: list[tuple[str, str, str | None]]) -> AlembicProject:
    project = AlembicProject(
        root,
        server,
        test_db,
        overrides={
            "test_database": {
                "user": TEST_ROLE, "password": TEST_ROLE_PASSWORD, "port": server.port, "database": test_db,
            },
            # The deploy hook stand-in (the weaker mode); the API mode is proven in tests/runtime.
            "deploy": {"mode": "hook", "hook_secret": "RENDER_DEPLOY_HOOK_URL"},
        },
    )
    for index, (slug, upgrade, down) in enumerate(revisions, start=1):
        project.add_revision(f"{index:04d}", slug, upgrade, down_revision=down)
    project.write("requirements.txt", "\n".join(REQUIREMENTS) + "\n")
    project.write("tests/test_app.py", APP_TEST)
    project.write(".gitignore", "migpipe-backups/\n__pycache__/\n")
    commit_repository(root)
    return project


def test_alembic_app_migrates_then_deploys_on_the_clean_runner(
    tmp_path: Path, postgres_server: PostgresServer, test_role: None, deploy_hook: DeployHook,
    act: ActRunner, app_wheels: Path,
) -> None:
    test_db = postgres_server.create_database("act_alembic_test")
    prod_db = postgres_server.create_database("act_alembic_prod")
    project = _project(tmp_path / "app", postgres_server, test_db, [("create_account", CREATE_ACCOUNT, None)])
    # SQLAlchemy's spelling of the URL, as Alembic projects keep it.
    prod_url = postgres_server.url(prod_db).replace("postgresql://", "postgresql+psycopg://", 1)

    run = act(
        project.root, "push",
        secrets={"PRODUCTION_DATABASE_URL": prod_url, "PRODUCTION_DATABASE_URL_READONLY": prod_url, "RENDER_DEPLOY_HOOK_URL": deploy_hook.url, "GITHUB_TOKEN": GITHUB_TOKEN},
        # The app's wheels beside migpipe's: the runner's pip sees both folders;
        # migrate-prod's approval-check asks the GitHub API stand-in.
        env={"PIP_FIND_LINKS": f"{act.wheel_index} {app_wheels}", "MIGPIPE_GITHUB_API_URL": github_api_url()},
    )

    assert run.returncode == 0, run.output[-8000:]
    for job in JOBS:
        assert run.job_result(job) == "succeeded", job
    # migpipe went into the job's own Python, after the app's requirements.
    build = run.job_log("Build verification")
    assert build.index("Successfully installed") < build.index("Success - Main Install migpipe")
    assert run.step_result("Migrate production database", "Install squawk (SQL linter)") == "succeeded"
    assert "1 passed" in run.job_log("Tests")
    assert postgres_server.psql(prod_db, "SELECT version_num FROM alembic_version") == "0001"
    assert len(deploy_hook.calls) == 1
    assert postgres_server.password not in run.output

