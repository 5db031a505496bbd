"""The generated migrate-with-guards.sh for node-pg-migrate, run with bash
against a real PostgreSQL, with the real node-pg-migrate and pg (from npm),
squawk, psql and pg_dump.

SQL migrations are linted in place (their up section); JavaScript ones
through the SQL node-pg-migrate prints in a dry run.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from migpipe.policy import KINDS
from tests.migrate.node_projects import NodeToolProject, shared_node_modules
from tests.support.postgres import TableLock
from tests.support.postgres import PostgresServer

pytestmark = pytest.mark.postgres

INIT = "1700000000000_init"
INIT_SQL = (
    "-- Up Migration\n"
    "CREATE TABLE account (\n  id BIGINT PRIMARY KEY,\n  email TEXT,\n  name TEXT\n);\n"
    "\n"
    "-- Down Migration\n"
    "DROP TABLE account;\n"
)
ACCOUNT_COLUMNS = ["id NO", "email YES", "name YES"]
SAFE = "1700000000001_add-invoice"
SAFE_SQL = "-- Up Migration\nCREATE TABLE invoice (id BIGINT PRIMARY KEY, total BIGINT);\n\n-- Down Migration\nDROP TABLE invoice;\n"
LOCK_TIMEOUT_SECONDS = 2
# No wall-clock bound here (speed is for bench/): the lock is held until the run
# returns, so only lock_timeout can end it (run() fails the test after its own
# timeout), and the output names the lock timeout as the cause.


@pytest.fixture(scope="module")
def node_modules(tmp_path_factory) -> Path:
    return shared_node_modules(tmp_path_factory)


@pytest.fixture
def make_project(tmp_path: Path, postgres_server: PostgresServer, fresh_database: str, node_modules: Path):  # noqa: F811
    def build(overrides: dict | None = None) -> NodeToolProject:
        return NodeToolProject(
            tmp_path / "repo", postgres_server, fresh_database, node_modules,
            tool={"name": "node-pg-migrate"}, migrations_dir="migrations",
            history_table="pgmigrations", history_column="name", overrides=overrides,
        )

    return build


def initialised(project: NodeToolProject) -> NodeToolProject:
    project.add_migration(f"{INIT}.sql", INIT_SQL)
    result = project.run()
    assert result.returncode == 0, result
    assert project.history() == [INIT]
    return project


def test_safe_sql_migration_is_applied_once_and_a_second_run_has_nothing_to_do(make_project):
    project = make_project()
    project.add_migration(f"{INIT}.sql", INIT_SQL)

    first = project.run()

    assert first.returncode == 0, first
    assert f"1 pending migration(s):\n  {INIT}\n" in first.stdout
    # The down section (DROP TABLE) is not what runs, so it is not linted.
    assert "lint passed" in first.stdout
    assert project.columns("account") == ACCOUNT_COLUMNS
    assert project.history() == [INIT]

    second = project.run()
    assert second.returncode == 0, second
    assert "no pending migrations; nothing to do" in second.stdout
    assert project.history() == [INIT]


def test_safe_javascript_migration_is_linted_through_its_dry_run_sql_and_applied(make_project):
    project = initialised(make_project())
    project.add_migration(
        f"{SAFE}.js",
        "exports.up = (pgm) => {\n"
        "  pgm.createTable('invoice', { id: { type: 'bigint', primaryKey: true }, total: 'bigint' });\n"
        "};\n",
    )

    result = project.run()

    assert result.returncode == 0, result
    assert "lint passed" in result.stdout
    assert project.table_exists("invoice")
    assert project.history() == [INIT, SAFE]


DESTRUCTIVE = {
    "drop-column": ("ALTER TABLE account DROP COLUMN name;", "ban-drop-column"),
    "rename-column": ("ALTER TABLE account RENAME COLUMN name TO full_name;", "renaming-column"),
}


@pytest.mark.parametrize("kind", sorted(DESTRUCTIVE))
def test_destructive_sql_migration_blocks_the_whole_batch(make_project, kind):
    project = initialised(make_project())
    statement, rule = DESTRUCTIVE[kind]
    project.add_migration(f"{SAFE}.sql", SAFE_SQL)
    name = "1700000000002_destructive"
    project.add_migration(f"{name}.sql", f"-- Up Migration\n-- {kind}\n{statement}\n\n-- Down Migration\nSELECT 1;\n")

    result = project.run()

    assert result.returncode == 2, result
    assert f"BLOCKED migrations/{name}.sql:3: {kind} ({rule})" in result.stdout
    assert f"safe alternative: {KINDS[kind].safe_alternative}" in result.stdout
    assert "nothing was applied" in result.stderr
    assert project.columns("account") == ACCOUNT_COLUMNS
    assert not project.table_exists("invoice")
    assert project.history() == [INIT]


JS_DESTRUCTIVE = {
    "drop-column": ("pgm.dropColumn('account', 'name');", "ban-drop-column", 'DROP "name"'),
    "rename-column": ("pgm.renameColumn('account', 'name', 'full_name');", "renaming-column", 'RENAME "name" TO "full_name"'),
}


@pytest.mark.parametrize("kind", sorted(JS_DESTRUCTIVE))
def test_destructive_javascript_migration_is_blocked_and_its_sql_quoted(make_project, kind):
    project = initialised(make_project())
    call, rule, sql = JS_DESTRUCTIVE[kind]
    name = "1700000000002_destructive"
    project.add_migration(f"{name}.js", f"exports.up = (pgm) => {{\n  {call}\n}};\n")

    result = project.run()

    assert result.returncode == 2, result
    assert f"BLOCKED migrations/{name}.js, line " in result.stdout
    assert f"of its SQL: {kind} ({rule})" in result.stdout
    assert sql in result.stdout  # the offending line is quoted
    assert f"safe alternative: {KINDS[kind].safe_alternative}" in result.stdout
    assert project.columns("account") == ACCOUNT_COLUMNS
    assert project.history() == [INIT]


def test_a_locked_table_fails_the_run_within_lock_timeout(make_project):
    project = initialised(make_project(overrides={
        "guards": {"lock_timeout": f"{LOCK_TIMEOUT_SECONDS}s", "lock_retries": 0}, "backup": {"mode": "none"},
    }))
    project.add_migration("1700000000002_add-note.sql", "-- Up Migration\nALTER TABLE account ADD COLUMN note TEXT;\n")
    lock = TableLock(project, "account")
    try:
        result = project.run()
    finally:
        lock.release()

    assert result.returncode == 5, result
    assert "lock timeout" in result.output
    assert project.columns("account") == ACCOUNT_COLUMNS
    assert project.history() == [INIT]
