"""The generated migrate-with-guards.sh for an Alembic project, on a real PostgreSQL.

The real alembic (through SQLAlchemy and psycopg2) applies the revisions;
the SQL the guards lint is what `alembic upgrade FROM:REV --sql` prints for
each pending revision. The URL is spelled the SQLAlchemy way,
postgresql+psycopg2://, as Alembic projects do.
"""
from __future__ import annotations

import pytest

from migpipe.policy import KINDS
from tests.migrate.python_projects import AlembicProject
from tests.support.postgres import TableLock
from tests.support.postgres import PostgresServer

pytestmark = pytest.mark.postgres

INIT = ("0001", "create_account", """
    op.create_table(
        "account",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("email", sa.Text),
        sa.Column("name", sa.Text),
    )
""")
ACCOUNT_COLUMNS = ["id NO", "email YES", "name YES"]
SAFE = ("0002", "create_invoice", """
    op.create_table("invoice", sa.Column("id", sa.BigInteger, primary_key=True), sa.Column("total", sa.BigInteger))
""")


@pytest.fixture
def make_project(tmp_path, postgres_server: PostgresServer, fresh_database: str):
    def build(**options) -> AlembicProject:
        return AlembicProject(tmp_path / "repo", postgres_server, fresh_database, **options)

    return build


def initialised(project: AlembicProject) -> AlembicProject:
    """Applies INIT (creates "account") through the script itself."""
    revision, slug, upgrade = INIT
    project.add_revision(revision, slug, upgrade)
    result = project.run()
    assert result.returncode == 0, result
    assert project.history() == ["0001"]
    return project


def test_a_safe_revision_is_applied_once_and_a_second_run_has_nothing_to_do(make_project):
    project = make_project()
    revision, slug, upgrade = INIT
    project.add_revision(revision, slug, upgrade)

    first = project.run()

    assert first.returncode == 0, first
    assert "1 pending migration(s):\n  0001\n" in first.stdout
    assert "lint passed" in first.stdout
    assert project.columns("account") == ACCOUNT_COLUMNS
    assert project.history() == ["0001"]
    assert "done: alembic_version records all migrations as applied" in first.stdout

    second = project.run()
    assert second.returncode == 0, second
    assert "no pending migrations; nothing to do" in second.stdout
    assert project.history() == ["0001"]


def test_pending_means_every_revision_after_the_head_alembic_version_holds(make_project):
    # alembic_version holds only "0002"; "0001" is applied because it is an ancestor.
    project = initialised(make_project())
    project.add_revision(*SAFE, down_revision="0001")
    project.add_revision("0003", "add_note", 'op.add_column("account", sa.Column("note", sa.Text))', down_revision="0002")

    result = project.run()

    assert result.returncode == 0, result
    assert "2 pending migration(s):\n  0002\n  0003\n" in result.stdout
    assert project.table_exists("invoice")
    assert project.columns("account") == [*ACCOUNT_COLUMNS, "note YES"]
    assert project.history() == ["0003"]


DESTRUCTIVE = {
    "drop-column": ('op.drop_column("account", "name")', "ban-drop-column", "ALTER TABLE account DROP COLUMN name;"),
    "rename-column": (
        'op.alter_column("account", "name", new_column_name="full_name")',
        "renaming-column",
        "ALTER TABLE account RENAME name TO full_name;",
    ),
}


@pytest.mark.parametrize("kind", sorted(DESTRUCTIVE))
def test_a_destructive_revision_blocks_the_whole_batch(make_project, kind):
    project = initialised(make_project())
    upgrade, rule, statement = DESTRUCTIVE[kind]
    project.add_revision(*SAFE, down_revision="0001")
    project.add_revision("0003", "destructive", upgrade, down_revision="0002")

    result = project.run()

    assert result.returncode == 2, result
    # The revision file, the line of the SQL Alembic generates for it (quoted,
    # since that SQL exists only during the run), the rule and the way out.
    lines = result.stdout.splitlines()
    finding = next(i for i, line in enumerate(lines) if line.startswith("BLOCKED "))
    assert lines[finding].startswith("BLOCKED alembic/versions/0003_destructive.py, line ")
    assert f" of its SQL: {kind} ({rule}): " in lines[finding]
    assert lines[finding + 1] == f"    {statement}"
    assert lines[finding + 2] == f"    safe alternative: {KINDS[kind].safe_alternative}"
    assert "nothing was applied" in result.stderr
    # Nothing changed, not even the safe revision queued before it.
    assert project.columns("account") == ACCOUNT_COLUMNS
    assert not project.table_exists("invoice")
    assert project.history() == ["0001"]


def test_the_line_number_is_the_statements_line_in_the_generated_sql(make_project):
    project = initialised(make_project())
    project.add_revision("0002", "drop_name", 'op.drop_column("account", "name")', down_revision="0001")

    result = project.run()

    assert result.returncode == 2, result
    # `alembic upgrade 0001:0002 --sql`: BEGIN; / blank / -- Running upgrade / blank / the statement.
    assert "BLOCKED alembic/versions/0002_drop_name.py, line 5 of its SQL: drop-column (ban-drop-column)" in result.stdout


LOCK_TIMEOUT_SECONDS = 2
# No wall-clock bound here (speed is for bench/): the lock is held until the run
# returns, so only lock_timeout can end it (run() fails the test after its own
# timeout), and the output names the lock timeout as the cause.


def test_a_locked_table_fails_the_run_within_lock_timeout_and_changes_nothing(make_project):
    project = initialised(make_project(overrides={
        "guards": {"lock_timeout": f"{LOCK_TIMEOUT_SECONDS}s", "lock_retries": 0}, "backup": {"mode": "none"},
    }))
    project.add_revision("0002", "add_note", 'op.add_column("account", sa.Column("note", sa.Text))', down_revision="0001")
    lock = TableLock(project, "account")
    try:
        result = project.run()
    finally:
        lock.release()

    assert result.returncode == 5, result
    assert "lock timeout" in result.output
    assert project.columns("account") == ACCOUNT_COLUMNS
    assert project.history() == ["0001"]
    # Alembic's transaction was rolled back, alembic_version included: once
    # the lock is gone the same revision simply applies.
    again = project.run()
    assert again.returncode == 0, again
    assert project.columns("account") == [*ACCOUNT_COLUMNS, "note YES"]
    assert project.history() == ["0002"]


def test_the_applying_session_has_the_policys_timeouts(make_project):
    project = initialised(make_project(overrides={"guards": {"lock_timeout": "3s", "statement_timeout": "7min"}}))
    project.add_revision("0002", "record_settings", """
        op.execute(
            "CREATE TABLE seen AS SELECT current_setting('lock_timeout') AS lock_timeout,"
            " current_setting('statement_timeout') AS statement_timeout"
        )
    """, down_revision="0001")

    result = project.run()

    assert result.returncode == 0, result
    assert project.psql("SELECT lock_timeout, statement_timeout FROM seen") == "3s|7min"


def test_several_heads_stop_the_run_before_anything_is_applied(make_project):
    project = initialised(make_project())
    project.add_revision("0002", "branch_a", 'op.add_column("account", sa.Column("a", sa.Text))', down_revision="0001")
    project.add_revision("0003", "branch_b", 'op.add_column("account", sa.Column("b", sa.Text))', down_revision="0001")

    result = project.run()

    assert result.returncode == 3, result
    assert "the revisions have 2 heads (0002, 0003); merge them first" in result.stderr
    assert "cannot list the pending migrations" in result.stderr
    assert project.columns("account") == ACCOUNT_COLUMNS
    assert project.history() == ["0001"]


def test_a_revision_alembic_cannot_turn_into_sql_stops_the_run(make_project):
    # A failure while producing the SQL must stop the run, never read as
    # "this revision has no SQL".
    project = initialised(make_project())
    project.add_revision("0002", "broken", 'op.drop_column("account")', down_revision="0001")

    result = project.run()

    assert result.returncode == 3, result
    assert "cannot produce the SQL of migration 0002" in result.stderr
    assert "TypeError" in result.stderr  # Alembic's own error, shown
    assert project.history() == ["0001"]


def test_no_output_line_of_a_full_run_contains_the_password(make_project):
    # Every run is checked line by line (AlembicProject.run); this one goes
    # through every step, backup included, and a blocked run too.
    project = initialised(make_project())
    project.add_revision("0002", "drop_name", 'op.drop_column("account", "name")', down_revision="0001")
    blocked = project.run()
    assert blocked.returncode == 2, blocked
    assert "pw-Sec" not in blocked.output
    assert list((project.runner_temp / "migpipe-backups").glob("before-migrate-*.dump"))  # the backup step ran
