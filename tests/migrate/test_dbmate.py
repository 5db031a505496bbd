"""The generated migrate-with-guards.sh for dbmate, run with bash against a
real PostgreSQL, with the real dbmate (from npm), squawk, psql and pg_dump.

dbmate uses Go's lib/pq, which sends URL parameters it does not know as
session settings: the lock test proves lock_timeout reaches the session that
applies the migration that way.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from migpipe.policy import KINDS
from tests.migrate.node_projects import NodeToolProject, shared_node_modules
from tests.support.postgres import TableLock
from tests.support.postgres import PostgresServer

pytestmark = pytest.mark.postgres

INIT = "20240101000000_init.sql"
INIT_SQL = (
    "-- migrate:up\n"
    "CREATE TABLE account (\n  id BIGINT PRIMARY KEY,\n  email TEXT,\n  name TEXT\n);\n"
    "\n"
    "-- migrate:down\n"
    "DROP TABLE account;\n"
)
ACCOUNT_COLUMNS = ["id NO", "email YES", "name YES"]
SAFE = "20240201000000_add_invoice.sql"
SAFE_SQL = "-- migrate:up\nCREATE TABLE invoice (id BIGINT PRIMARY KEY, total BIGINT);\n\n-- migrate:down\nDROP TABLE invoice;\n"
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
            tool={"name": "dbmate"}, migrations_dir="db/migrations",
            history_table="schema_migrations", history_column="version",
            overrides=overrides,
            # lib/pq wants SSL unless told otherwise; the test server has none.
            url_query="sslmode=disable",
        )

    return build


def initialised(project: NodeToolProject) -> NodeToolProject:
    project.add_migration(INIT, INIT_SQL)
    result = project.run()
    assert result.returncode == 0, result
    assert project.history() == ["20240101000000"]
    return project


def test_safe_migration_is_applied_once_and_a_second_run_has_nothing_to_do(make_project):
    project = make_project()
    project.add_migration(INIT, INIT_SQL)

    first = project.run()

    assert first.returncode == 0, first
    assert f"1 pending migration(s):\n  {INIT}\n" in first.stdout
    # The down section (DROP TABLE) is not what runs, so it is not linted.
    assert "lint passed" in first.stdout
    assert project.columns("account") == ACCOUNT_COLUMNS
    assert project.history() == ["20240101000000"]
    assert "done: schema_migrations records all migrations as applied" in first.stdout

    second = project.run()
    assert second.returncode == 0, second
    assert "no pending migrations; nothing to do" in second.stdout
    assert project.history() == ["20240101000000"]


DESTRUCTIVE = {
    "drop-column": ("ALTER TABLE account DROP COLUMN name;", "ban-drop-column"),
    "rename-column": ("ALTER TABLE account RENAME COLUMN name TO full_name;", "renaming-column"),
}


@pytest.mark.parametrize("kind", sorted(DESTRUCTIVE))
def test_destructive_change_blocks_the_whole_batch_and_names_the_files_line(make_project, kind):
    project = initialised(make_project())
    statement, rule = DESTRUCTIVE[kind]
    project.add_migration(SAFE, SAFE_SQL)
    name = "20240301000000_destructive.sql"
    project.add_migration(name, f"-- migrate:up\n-- {kind}\n{statement}\n\n-- migrate:down\nSELECT 1;\n")

    result = project.run()

    assert result.returncode == 2, result
    # Line 3 of the file itself: the masked copy keeps the file's line numbers.
    assert f"BLOCKED db/migrations/{name}:3: {kind} ({rule})" in result.stdout
    assert f"safe alternative: {KINDS[kind].safe_alternative}" in result.stdout
    assert "nothing was applied" in result.stderr
    assert project.columns("account") == ACCOUNT_COLUMNS
    assert not project.table_exists("invoice")
    assert project.history() == ["20240101000000"]


def test_a_destructive_down_section_is_not_what_runs_and_does_not_block(make_project):
    project = initialised(make_project())
    project.add_migration(SAFE, SAFE_SQL.replace("DROP TABLE invoice;", "ALTER TABLE account DROP COLUMN name;"))

    result = project.run()

    assert result.returncode == 0, result
    assert project.table_exists("invoice")
    assert project.history() == ["20240101000000", "20240201000000"]


def test_timeouts_reach_the_applying_session_as_url_parameters(make_project):
    project = initialised(make_project(overrides={"guards": {"lock_timeout": "2s", "statement_timeout": "7min"}}))
    # The migration reports the settings of the session that runs it.
    project.add_migration(
        "20240301000000_show_settings.sql",
        "-- migrate:up\n-- migpipe-ignore dynamic-sql -- the test's probe: it only reports the session's settings\n"
        "DO $$ BEGIN RAISE EXCEPTION 'settings: lock_timeout=% statement_timeout=%',\n"
        "  current_setting('lock_timeout'), current_setting('statement_timeout'); END $$;\n\n-- migrate:down\n",
    )

    result = project.run()

    assert result.returncode == 5, result
    assert "settings: lock_timeout=2s statement_timeout=7min" in result.output


@pytest.mark.parametrize("backup", [False, True], ids=["no-backup", "backup"])
def test_a_locked_table_fails_the_run_within_lock_timeout(make_project, backup):
    project = initialised(make_project(overrides={
        "guards": {"lock_timeout": f"{LOCK_TIMEOUT_SECONDS}s", "lock_retries": 0}, "backup": {"mode": "dump" if backup else "none"},
    }))
    project.add_migration(
        "20240301000000_add_note.sql", "-- migrate:up\nALTER TABLE account ADD COLUMN note TEXT;\n\n-- migrate:down\n"
    )
    lock = TableLock(project, "account")
    try:
        result = project.run()
    finally:
        lock.release()

    assert project.columns("account") == ACCOUNT_COLUMNS
    assert project.history() == ["20240101000000"]
    if backup:
        # pg_dump waits for the same lock, with the same limit.
        assert result.returncode == 4, result
        assert "backup failed, nothing was applied" in result.stderr
    else:
        assert result.returncode == 5, result
        assert "lock timeout" in result.output
        # dbmate keeps no record of a failed migration: the next run tries again.
        again = project.run()
        assert again.returncode == 0, again
        assert project.columns("account") == [*ACCOUNT_COLUMNS, "note YES"]


def test_the_history_schema_is_the_first_schema_of_search_path(postgres_server, fresh_database, node_modules, tmp_path):
    # dbmate keeps schema_migrations in the FIRST schema of the URL's
    # search_path. The old script took the whole "app,public" for a schema
    # name, found no history, and took every applied migration for pending.
    postgres_server.psql(fresh_database, "CREATE SCHEMA app;")
    project = NodeToolProject(
        tmp_path / "repo", postgres_server, fresh_database, node_modules,
        tool={"name": "dbmate"}, migrations_dir="db/migrations",
        history_table="schema_migrations", history_column="version",
        url_query="sslmode=disable&search_path=app,public", history_schema="app",
    )
    project.add_migration(INIT, INIT_SQL)

    first = project.run()
    second = project.run()

    assert first.returncode == 0, first
    assert project.history() == ["20240101000000"]
    assert second.returncode == 0, second
    assert "no pending migrations; nothing to do" in second.stdout
