"""The generated migrate-with-guards.sh, run with bash against a real PostgreSQL.

Each test writes a pipeline.toml, runs ``migpipe generate`` into a tmp repo
with a prisma/migrations tree, runs the generated script with the real
squawk, psql and pg_dump, and then looks at the database.

``prisma`` (and the ``npx`` that runs it) are STAND-INS from
tests/migrate/standin/: Prisma's migration engine is a binary downloaded from
a host these machines cannot reach. The stand-in does to the database what
`prisma migrate deploy` does (advisory lock, _prisma_migrations, one
transaction per migration, the URL's `options`), which is all the guards
depend on.

Every run is also checked by MigrateProject: no line of output may contain
the password or the URL.
"""
from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from migpipe.policy import KINDS
from tests.migrate.project import MigrateProject
from tests.support.postgres import TableLock, free_tcp_port

pytestmark = pytest.mark.postgres

INIT = "20240101000000_init"
INIT_SQL = 'CREATE TABLE "account" (\n  "id" BIGINT PRIMARY KEY,\n  "email" TEXT,\n  "name" TEXT\n);\n'
ACCOUNT_COLUMNS = ["id NO", "email YES", "name YES"]
SAFE = "20240201000000_add_invoice"
SAFE_SQL = 'CREATE TABLE "invoice" ("id" BIGINT PRIMARY KEY, "total" BIGINT);\n'


def initialised(project: MigrateProject) -> MigrateProject:
    """Applies the INIT migration (creates "account") through the script itself."""
    project.add_migration(INIT, INIT_SQL)
    result = project.run()
    assert result.returncode == 0, result
    assert project.applied_migrations() == [INIT]
    return project


# ---- applying --------------------------------------------------------------


@pytest.mark.parametrize("prisma_version", [6, 7])
def test_safe_migration_is_applied_once_and_a_second_run_has_nothing_to_do(make_project, prisma_version):
    project = make_project(prisma_version=prisma_version)
    project.add_migration(INIT, INIT_SQL)

    first = project.run()
    assert first.returncode == 0, first
    assert f"1 pending migration(s):\n  {INIT}\n" in first.stdout
    assert "lint passed" in first.stdout
    assert project.columns("account") == ACCOUNT_COLUMNS
    assert project.history_rows() == [f"{INIT}|finished"]

    second = project.run()
    assert second.returncode == 0, second
    assert "no pending migrations; nothing to do" in second.stdout
    assert project.history_rows() == [f"{INIT}|finished"]


# ---- the destructive-change policy -----------------------------------------

DESTRUCTIVE = {
    "drop-column": ('ALTER TABLE "account" DROP COLUMN "name";', "ban-drop-column"),
    "rename-column": ('ALTER TABLE "account" RENAME COLUMN "name" TO "full_name";', "renaming-column"),
    "set-not-null": ('ALTER TABLE "account" ALTER COLUMN "email" SET NOT NULL;', "adding-not-nullable-field"),
    "new-required-column": ('ALTER TABLE "account" ADD COLUMN "plan" TEXT NOT NULL;', "adding-required-field"),
}


@pytest.mark.parametrize("kind", sorted(DESTRUCTIVE))
def test_destructive_change_blocks_the_whole_batch(make_project, kind):
    project = initialised(make_project())
    statement, rule = DESTRUCTIVE[kind]
    project.add_migration(SAFE, SAFE_SQL)
    name = "20240301000000_destructive"
    project.add_migration(name, f"-- {kind}\n\n{statement}\n")

    result = project.run()

    assert result.returncode == 2, result
    assert f"BLOCKED prisma/migrations/{name}/migration.sql:3: {kind} ({rule})" in result.stdout
    assert f"safe alternative: {KINDS[kind].safe_alternative}" in result.stdout
    assert "nothing was applied" in result.stderr
    # Nothing changed, not even the safe migration queued before it.
    assert project.columns("account") == ACCOUNT_COLUMNS
    assert not project.table_exists("invoice")
    assert project.history_rows() == [f"{INIT}|finished"]


def test_squawk_ignore_with_a_reason_lets_the_statement_through(make_project):
    project = initialised(make_project())
    project.add_migration(
        "20240301000000_drop_name",
        '-- squawk-ignore ban-drop-column -- "name" is unused since release 41\n'
        'ALTER TABLE "account" DROP COLUMN "name";\n',
    )

    result = project.run()

    assert result.returncode == 0, result
    assert project.columns("account") == ["id NO", "email YES"]
    assert project.applied_migrations() == [INIT, "20240301000000_drop_name"]


def test_squawk_ignore_without_a_reason_is_blocked(make_project):
    project = initialised(make_project())
    name = "20240301000000_drop_name"
    project.add_migration(name, '-- squawk-ignore ban-drop-column\nALTER TABLE "account" DROP COLUMN "name";\n')

    result = project.run()

    assert result.returncode == 2, result
    assert f"BLOCKED prisma/migrations/{name}/migration.sql:1: exemption-without-reason" in result.stdout
    assert "gives no reason, so it exempts nothing" in result.stdout
    assert project.columns("account") == ACCOUNT_COLUMNS
    assert project.applied_migrations() == [INIT]


def test_sql_squawk_cannot_parse_is_blocked_rather_than_waved_through(make_project):
    # squawk reports only the syntax error for such a file, so the DROP COLUMN
    # in it would otherwise pass unnoticed.
    project = initialised(make_project())
    name = "20240301000000_typo"
    project.add_migration(name, 'ALTER TABLE "account" DROP COLUMN "name";\nSELEC 1;\n')

    result = project.run()

    assert result.returncode == 2, result
    assert f"BLOCKED prisma/migrations/{name}/migration.sql:2: unparseable" in result.stdout
    assert "cannot parse this SQL" in result.stdout
    assert project.columns("account") == ACCOUNT_COLUMNS
    assert project.applied_migrations() == [INIT]


# ---- lock_timeout ----------------------------------------------------------




LOCK_TIMEOUT_SECONDS = 2
# No wall-clock bound here (speed is for bench/): the lock is held until the run
# returns, so only lock_timeout can end it (run() fails the test after its own
# timeout), and the output names the lock timeout as the cause.


@pytest.mark.parametrize("backup", [False, True], ids=["no-backup", "backup"])
def test_a_locked_table_fails_the_run_within_lock_timeout(make_project, backup):
    project = initialised(make_project(overrides={
        "guards": {"lock_timeout": f"{LOCK_TIMEOUT_SECONDS}s", "lock_retries": 0},
        "backup": {"mode": "dump" if backup else "none"},
    }))
    name = "20240301000000_add_note"
    project.add_migration(name, 'ALTER TABLE "account" ADD COLUMN "note" TEXT;\n')
    lock = TableLock(project, "account")
    try:
        result = project.run()
    finally:
        lock.release()

    assert project.columns("account") == ACCOUNT_COLUMNS
    if backup:
        # pg_dump waits for the same lock, with the same limit.
        assert result.returncode == 4, result
        assert "backup failed, nothing was applied" in result.stderr
        assert project.history_rows() == [f"{INIT}|finished"]
    else:
        assert result.returncode == 5, result
        assert "lock timeout" in result.output
        # Prisma recorded the failed attempt (its start, before running it).
        # It changed nothing, so migpipe marked it rolled back: the next run
        # is not blocked by P3009 and applies it once the lock is gone.
        assert project.history_rows() == [f"{INIT}|finished", f"{name}|failed"]
        assert project.psql(f"SELECT rolled_back_at IS NOT NULL FROM _prisma_migrations WHERE migration_name = '{name}'") == "t"
        again = project.run()
        assert again.returncode == 0, again
        assert project.columns("account") == [*ACCOUNT_COLUMNS, "note YES"]
        assert project.applied_migrations() == [INIT, name]


def test_a_lock_timeout_is_retried_with_backoff_until_the_lock_is_gone(make_project):
    project = initialised(make_project(overrides={
        "guards": {"lock_timeout": "1s", "lock_retries": 5, "lock_retry_delay": "1s", "lock_retry_max_delay": "2s"},
        "backup": {"mode": "none"},
    }))
    name = "20240301000000_add_note"
    project.add_migration(name, 'ALTER TABLE "account" ADD COLUMN "note" TEXT;\n')
    lock = TableLock(project, "account")
    started = time.monotonic()
    process = project.start()
    # Hold the lock through the first attempts, then let go.
    time.sleep(4)
    lock.release()
    result = project.finish(process, started)

    assert result.returncode == 0, result
    assert "lock timeout and nothing was applied; retrying in 1s" in result.stdout
    assert "(attempt 2 of 6)" in result.stdout
    # Before applying, the run said who held the lock, and for how long.
    assert "holds AccessExclusiveLock on public.account" in result.stdout
    assert "transaction open" in result.stdout
    assert project.columns("account") == [*ACCOUNT_COLUMNS, "note YES"]
    assert project.applied_migrations() == [INIT, name]
    # Every failed attempt was marked rolled back (it changed nothing); none blocks.
    assert project.psql(
        "SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NULL AND rolled_back_at IS NULL") == "0"


def test_a_failure_that_is_not_a_lock_timeout_is_not_retried_nor_resolved(make_project):
    project = initialised(make_project(overrides={"backup": {"mode": "none"}}))
    name = "20240301000000_broken"
    project.add_migration(name, 'ALTER TABLE "no_such_table" ADD COLUMN "note" TEXT;\n')

    result = project.run()

    assert result.returncode == 5, result
    assert "retrying" not in result.output
    assert "marking it rolled back" not in result.output
    again = project.run()
    assert again.returncode == 3, again
    assert f"migration {name} failed earlier and was not resolved" in again.stderr


# ---- connecting --------------------------------------------------------------


def test_an_unreachable_database_fails_fast_with_one_clear_line(make_project, postgres_server):
    project = make_project(overrides={"guards": {"connect_timeout_seconds": 3}})
    project.add_migration(INIT, INIT_SQL)
    closed_port = free_tcp_port()

    result = project.run(url=postgres_server.url(project.database, port=closed_port, query="schema=public"))

    assert result.returncode == 3, result
    assert result.seconds < 3 + 5, result
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("migpipe: error: cannot connect to the database: ")
    assert str(closed_port) in line


def test_a_wrong_password_is_reported_without_showing_any_password(make_project, postgres_server):
    project = make_project()
    project.add_migration(INIT, INIT_SQL)
    wrong_url = project.url.replace("pw-Sec", "not-the-pw-Sec")

    result = project.run(url=wrong_url)

    assert result.returncode == 3, result
    assert "password authentication failed" in result.stderr
    assert "not-the-pw" not in result.output
    assert not project.table_exists("account")


def test_a_url_that_is_not_postgresql_is_rejected_without_echoing_it(make_project):
    project = make_project()
    project.add_migration(INIT, INIT_SQL)

    result = project.run(url="mysql://root:hunter2@db.internal/app")

    assert result.returncode == 3, result
    assert result.stderr == "migpipe: error: DATABASE_URL is not a postgresql:// URL with a host\n"
    assert "hunter2" not in result.output


# ---- backup ------------------------------------------------------------------


def test_a_failing_pg_dump_stops_the_run_before_anything_is_applied(make_project, tmp_path):
    project = make_project()
    project.add_migration(INIT, INIT_SQL)
    failing = tmp_path / "failing-bin"
    failing.mkdir()
    # Answers --version like the server's major (so it is the one chosen), fails the dump.
    major = project.psql("SHOW server_version_num")[:-4]
    (failing / "pg_dump").write_text(
        f"#!/bin/sh\n[ \"$1\" = --version ] && echo 'pg_dump (PostgreSQL) {major}.0' && exit 0\n"
        "echo 'pg_dump: error: disk quota exceeded' >&2\nexit 1\n"
    )
    (failing / "pg_dump").chmod(0o755)

    result = project.run(path_prefix=[failing])

    assert result.returncode == 4, result
    assert "backup failed, nothing was applied: disk quota exceeded" in result.stderr
    assert not project.table_exists("account")
    assert project.applied_migrations() == []


def test_an_unusable_backup_directory_stops_the_run_before_anything_is_applied(make_project):
    project = make_project()
    project.add_migration(INIT, INIT_SQL)
    # A file where the directory should be: mkdir fails even for root.
    (project.runner_temp / "migpipe-backups").write_text("not a directory\n")

    result = project.run()

    assert result.returncode == 4, result
    assert "cannot create the backup directory migpipe-backups, nothing was applied" in result.stderr
    assert not project.table_exists("account")


def test_the_backup_is_a_dump_pg_restore_can_read(make_project):
    project = initialised(make_project())
    project.add_migration(SAFE, SAFE_SQL)

    result = project.run()

    assert result.returncode == 0, result
    dumps = sorted((project.runner_temp / "migpipe-backups").glob("before-migrate-*.dump"))
    assert len(dumps) == 2  # one before each run that applied something
    assert all(dump.stat().st_mode & 0o777 == 0o600 for dump in dumps)  # readable only by the runner user
    assert "the dump is only on this runner" in result.stdout and "lost when the job ends" in result.stdout
    assert not (project.root / "migpipe-backups").exists()  # never inside the checkout
    listing = subprocess.run(["pg_restore", "--list", str(dumps[-1])], capture_output=True, text=True, check=True)
    # Taken before this run: it has "account" (from INIT) but not "invoice".
    assert "TABLE public account" in listing.stdout
    assert "TABLE public invoice" not in listing.stdout
    assert project.table_exists("invoice")


@pytest.mark.parametrize("upload_works", [True, False], ids=["upload-works", "upload-fails"])
def test_the_upload_command_gets_the_dump_and_a_failed_upload_stops_the_run(make_project, upload_works):
    command = 'cp "$BACKUP_FILE" uploaded.dump' if upload_works else 'cp "$BACKUP_FILE" /no/such/dir/'
    project = make_project(overrides={"backup": {"upload_command": command}})
    project.add_migration(INIT, INIT_SQL)

    result = project.run()

    if upload_works:
        assert result.returncode == 0, result
        subprocess.run(["pg_restore", "--list", str(project.root / "uploaded.dump")], capture_output=True, check=True)
        assert project.table_exists("account")
    else:
        assert result.returncode == 4, result
        assert "uploading the backup failed, nothing was applied" in result.stderr
        assert not project.table_exists("account")


# ---- concurrency -------------------------------------------------------------


def test_two_runs_at_once_apply_the_migration_exactly_once(make_project):
    project = make_project()
    # Slow enough that the two runs overlap while it is being applied.
    project.add_migration(INIT, "SELECT pg_sleep(1);\n" + INIT_SQL)

    started = time.monotonic()
    processes = [project.start(), project.start()]
    results = [project.finish(process, started) for process in processes]

    assert [result.returncode for result in results] == [0, 0], "\n".join(map(str, results))
    assert project.history_rows() == [f"{INIT}|finished"]
    assert project.columns("account") == ACCOUNT_COLUMNS


def test_a_run_started_while_another_is_applying_waits_instead_of_seeing_a_failure(make_project):
    # While Prisma applies a migration its row has finished_at NULL, exactly
    # like a failed one. A run that reads the history then must wait for
    # Prisma's lock, not report "failed earlier".
    project = make_project()
    project.add_migration(INIT, "SELECT pg_sleep(3);\n" + INIT_SQL)
    started = time.monotonic()
    first = project.start()
    deadline = time.monotonic() + 20
    while project.history_rows() != [f"{INIT}|failed"]:  # i.e. in progress
        assert time.monotonic() < deadline and first.poll() is None, "the first run never started applying"
        time.sleep(0.05)

    second = project.run()
    first_result = project.finish(first, started)

    assert first_result.returncode == 0, first_result
    assert second.returncode == 0, second
    assert "no pending migrations; nothing to do" in second.stdout
    assert project.history_rows() == [f"{INIT}|finished"]


# ---- URL handling ------------------------------------------------------------


def test_options_already_in_the_url_are_kept_alongside_the_timeouts(make_project):
    project = initialised(make_project(
        url_query="schema=public&connection_limit=1&max_connection_lifetime=60&options=-c%20default_transaction_isolation%3Dserializable",
    ))
    # The migration records the session settings it ran with.
    project.add_migration(
        "20240301000000_settings",
        'CREATE TABLE "seen" AS SELECT current_setting(\'lock_timeout\') AS lock_timeout,\n'
        "  current_setting('statement_timeout') AS statement_timeout,\n"
        "  current_setting('default_transaction_isolation') AS isolation;\n",
    )

    result = project.run()

    assert result.returncode == 0, result
    assert project.psql('SELECT lock_timeout, statement_timeout, isolation FROM "seen"') == "5s|15min|serializable"


def test_no_output_line_of_a_full_run_contains_the_password_or_url(make_project):
    # MigrateProject checks every run; this one goes through every step once
    # (backup included) and checks the process list spelling too.
    project = make_project()
    project.add_migration(INIT, INIT_SQL)
    result = project.run()
    assert result.returncode == 0, result
    password = project.server.password
    assert password not in result.output
    assert "pw-Sec" not in result.output
    script = project.script.read_text(encoding="utf-8")
    assert "exec migpipe migrate" in script and "psql" not in script  # a wrapper, no program


@pytest.fixture(autouse=True)
def _no_stray_backups_outside_the_repo(tmp_path: Path):
    yield
    assert not list(Path.cwd().glob("migpipe-backups")), "the script wrote a backup outside its repository"
