"""The generated migrate-with-guards.sh for Knex, run with bash against a real
PostgreSQL, with the real knex and pg (from npm), squawk, psql and pg_dump.

Knex migrations are JavaScript and Knex cannot print the SQL they run, so the
script cannot lint them: it refuses a pending migration (exit 3, nothing
applied) until it holds a line ``// migpipe-reviewed: REASON``, and applies a
reviewed one with a loud warning that it was not linted. The knexfile passes
the URL to pg as a connection string, so the URL's ``options`` parameter (the
timeouts) reaches the session that applies: the lock test proves it.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.migrate.node_projects import KNEX_VERSIONS, NodeToolProject, shared_node_modules
from tests.support.postgres import TableLock
from tests.support.postgres import PostgresServer

pytestmark = pytest.mark.postgres

KNEXFILE = """\
module.exports = {
  client: "pg",
  connection: process.env.DATABASE_URL,
  migrations: { directory: "./migrations", tableName: "knex_migrations" },
};
"""
INIT = "20240101000000_init.js"
INIT_JS = (
    "// migpipe-reviewed: creates the first table only -- @ana\n"
    "exports.up = (knex) => knex.schema.createTable('account', (table) => {\n"
    "  table.bigInteger('id').primary();\n"
    "  table.text('email');\n"
    "  table.text('name');\n"
    "});\n"
    "exports.down = (knex) => knex.schema.dropTable('account');\n"
)
ACCOUNT_COLUMNS = ["id NO", "email YES", "name YES"]
SAFE = "20240201000000_add_invoice.js"
SAFE_BODY = (
    "exports.up = (knex) => knex.schema.createTable('invoice', (table) => {\n"
    "  table.bigInteger('id').primary();\n"
    "  table.bigInteger('total');\n"
    "});\n"
    "exports.down = (knex) => knex.schema.dropTable('invoice');\n"
)
REVIEWED = "  //   migpipe-reviewed:   adds a new table only -- @ana\n"
LOCK_TIMEOUT_SECONDS = 2
# No wall-clock bound here (speed is for bench/): the lock is held until the run
# returns, so only lock_timeout can end it (run() fails the test after its own
# timeout), and the output names the lock timeout as the cause.


@pytest.fixture(scope="module")
def node_modules(tmp_path_factory) -> Path:
    return shared_node_modules(tmp_path_factory, KNEX_VERSIONS)


@pytest.fixture
def make_project(tmp_path: Path, postgres_server: PostgresServer, fresh_database: str, node_modules: Path):  # noqa: F811
    def build(overrides: dict | None = None) -> NodeToolProject:
        root = tmp_path / "repo"
        root.mkdir()
        (root / "knexfile.js").write_text(KNEXFILE, encoding="utf-8")
        return NodeToolProject(
            root, postgres_server, fresh_database, node_modules,
            tool={"name": "knex"}, migrations_dir="migrations",
            history_table="knex_migrations", history_column="name", overrides=overrides,
        )

    return build


def initialised(project: NodeToolProject) -> NodeToolProject:
    project.add_migration(INIT, INIT_JS)
    result = project.run()
    assert result.returncode == 0, result
    assert project.history() == [INIT]
    return project


def test_an_unreviewed_migration_is_refused_and_nothing_is_applied(make_project):
    project = make_project()
    project.add_migration(INIT, INIT_JS.replace("// migpipe-reviewed: creates the first table only -- @ana\n", ""))

    result = project.run()

    assert result.returncode == 3, result
    assert f"migrations/{INIT} is JavaScript and Knex cannot print the SQL it runs, so it cannot be linted." in result.stderr
    assert 'add a line "// migpipe-reviewed: REASON"' in result.stderr
    assert f"cannot produce the SQL of migration {INIT}" in result.stderr
    assert "applying" not in result.stdout
    assert not project.table_exists("account")
    assert not project.table_exists("knex_migrations")


@pytest.mark.parametrize("marker", [
    "// migpipe-reviewed:\n",  # no reason
    "/* migpipe-reviewed: adds a table */\n",  # not a line comment
    "const note = 'x'; // migpipe-reviewed: adds a table\n",  # not a line of its own
])
def test_a_marker_without_a_reason_or_not_on_a_line_of_its_own_does_not_count(make_project, marker):
    project = initialised(make_project())
    project.add_migration(SAFE, marker + SAFE_BODY)

    result = project.run()

    assert result.returncode == 3, result
    assert "cannot be linted" in result.stderr
    assert not project.table_exists("invoice")
    assert project.history() == [INIT]


def test_one_unreviewed_migration_stops_the_whole_batch(make_project):
    project = initialised(make_project())
    project.add_migration(SAFE, REVIEWED + SAFE_BODY)
    project.add_migration("20240301000000_add_note.js", "exports.up = (knex) => knex.raw('ALTER TABLE account DROP COLUMN name');\n")

    result = project.run()

    assert result.returncode == 3, result
    assert "migrations/20240301000000_add_note.js is JavaScript" in result.stderr
    assert not project.table_exists("invoice")
    assert project.columns("account") == ACCOUNT_COLUMNS
    assert project.history() == [INIT]


def test_a_reviewed_migration_is_applied_with_a_warning_and_a_second_run_has_nothing_to_do(make_project):
    project = initialised(make_project())
    project.add_migration(SAFE, REVIEWED + SAFE_BODY)

    first = project.run()

    assert first.returncode == 0, first
    assert f"1 pending migration(s):\n  {SAFE}\n" in first.stdout
    assert (
        f"migpipe migrate: WARNING: migrations/{SAFE} was NOT linted (Knex cannot print its SQL);"
        " reviewed: adds a new table only -- @ana\n"
    ) in first.stderr
    assert "lint passed" in first.stdout
    assert "done: knex_migrations records all migrations as applied" in first.stdout
    assert project.table_exists("invoice")
    assert project.history() == [INIT, SAFE]

    second = project.run()
    assert second.returncode == 0, second
    assert "no pending migrations; nothing to do" in second.stdout
    assert "WARNING" not in second.output
    assert project.history() == [INIT, SAFE]


def test_a_locked_table_fails_the_run_within_lock_timeout(make_project):
    project = initialised(make_project(overrides={
        "guards": {"lock_timeout": f"{LOCK_TIMEOUT_SECONDS}s", "lock_retries": 0}, "backup": {"mode": "none"},
    }))
    name = "20240301000000_add_note.js"
    project.add_migration(
        name, "// migpipe-reviewed: adds a nullable column -- @ana\n"
        "exports.up = (knex) => knex.schema.alterTable('account', (table) => { table.text('note'); });\n"
        "exports.down = (knex) => knex.schema.alterTable('account', (table) => { table.dropColumn('note'); });\n",
    )
    lock = TableLock(project, "account")
    try:
        result = project.run()
    finally:
        lock.release()

    assert result.returncode == 5, result
    assert "lock timeout" in result.output, result
    assert project.columns("account") == ACCOUNT_COLUMNS
    assert project.history() == [INIT]


def test_the_password_never_reaches_the_output(make_project):
    # Every run checks this (NodeToolProject.run); here also when the
    # database cannot be reached, and when Knex itself fails to connect.
    project = initialised(make_project())
    project.add_migration(SAFE, REVIEWED + SAFE_BODY)

    unreachable = project.run(url=project.server.url(project.database, port=1))

    assert unreachable.returncode == 3, unreachable
    for line in unreachable.output.splitlines():
        assert project.server.password not in line
    assert project.history() == [INIT]
