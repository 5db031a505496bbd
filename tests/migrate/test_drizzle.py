"""The generated migrate-with-guards.sh for drizzle-kit, run with bash against
a real PostgreSQL, with the real drizzle-kit, drizzle-orm and pg (from npm),
squawk, psql and pg_dump.

The project is what drizzle-kit generate leaves behind, written by hand: a
drizzle.config.ts reading the URL from DATABASE_URL, and a drizzle/ folder of
NNNN_name.sql files named by meta/_journal.json. drizzle-kit records applied
migrations in drizzle.__drizzle_migrations, with the journal entry's ``when``
as created_at; it connects with node-postgres, which passes the URL's
``options`` (the timeouts) to the server: the lock test proves it.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from migpipe.policy import KINDS
from tests.migrate.node_projects import DRIZZLE_VERSIONS, NodeToolProject, shared_node_modules
from tests.support.postgres import TableLock
from tests.support.postgres import PostgresServer

pytestmark = pytest.mark.postgres

CONFIG = """\
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  out: "./drizzle",
  dbCredentials: { url: process.env.DATABASE_URL! },
});
"""
INIT = ("0000_init", 1700000000000)
INIT_SQL = (
    "CREATE TABLE \"account\" (\n  \"id\" bigint PRIMARY KEY NOT NULL,\n  \"email\" text,\n  \"name\" text\n);\n"
    "--> statement-breakpoint\n"
    "CREATE INDEX \"account_email_idx\" ON \"account\" (\"email\");\n"
)
ACCOUNT_COLUMNS = ["id NO", "email YES", "name YES"]
SAFE = ("0001_add_invoice", 1700000001000)
SAFE_SQL = "CREATE TABLE \"invoice\" (\"id\" bigint PRIMARY KEY NOT NULL, \"total\" bigint);\n"
LOCK_TIMEOUT_SECONDS = 2
# No wall-clock bound here (speed is for bench/): the lock is held until the run
# returns, so only lock_timeout can end it (run() fails the test after its own
# timeout), and the output names the lock timeout as the cause.


class DrizzleProject(NodeToolProject):
    """A drizzle-kit project: SQL files plus meta/_journal.json, in drizzle-kit's format."""

    entries: list[dict]

    def add(self, migration: tuple[str, int], sql: str) -> Path:
        tag, when = migration
        path = self.add_migration(f"{tag}.sql", sql)
        self.entries.append({"idx": len(self.entries), "version": "7", "when": when, "tag": tag, "breakpoints": True})
        journal = self.migrations_dir / "meta" / "_journal.json"
        journal.parent.mkdir(exist_ok=True)
        journal.write_text(
            json.dumps({"version": "7", "dialect": "postgresql", "entries": self.entries}, indent=2) + "\n",
            encoding="utf-8",
        )
        return path

    def schema_snapshot(self) -> str:
        return self.psql(
            "SELECT string_agg(table_name || '.' || column_name, ',' ORDER BY table_name, column_name)"
            " FROM information_schema.columns WHERE table_schema = 'public'"
        )


@pytest.fixture(scope="module")
def node_modules(tmp_path_factory) -> Path:
    return shared_node_modules(tmp_path_factory, DRIZZLE_VERSIONS)


@pytest.fixture
def make_project(tmp_path: Path, postgres_server: PostgresServer, fresh_database: str, node_modules: Path):  # noqa: F811
    def build(overrides: dict | None = None) -> DrizzleProject:
        root = tmp_path / "repo"
        root.mkdir()
        (root / "drizzle.config.ts").write_text(CONFIG, encoding="utf-8")
        project = DrizzleProject(
            root, postgres_server, fresh_database, node_modules,
            tool={"name": "drizzle"}, migrations_dir="drizzle",
            history_table="__drizzle_migrations", history_column="created_at", history_schema="drizzle",
            overrides=overrides,
        )
        project.entries = []
        return project

    return build


def initialised(project: DrizzleProject) -> DrizzleProject:
    project.add(INIT, INIT_SQL)
    result = project.run()
    assert result.returncode == 0, result
    assert project.history() == [str(INIT[1])]
    return project


def test_safe_migration_is_applied_once_and_a_second_run_has_nothing_to_do(make_project):
    project = make_project()
    project.add(INIT, INIT_SQL)

    first = project.run()

    assert first.returncode == 0, first
    assert f"1 pending migration(s):\n  {INIT[0]}\n" in first.stdout
    assert "lint passed" in first.stdout
    assert project.columns("account") == ACCOUNT_COLUMNS
    assert project.history() == [str(INIT[1])]
    assert "done: __drizzle_migrations records all migrations as applied" in first.stdout

    second = project.run()
    assert second.returncode == 0, second
    assert "no pending migrations; nothing to do" in second.stdout
    assert project.history() == [str(INIT[1])]

    project.add(SAFE, SAFE_SQL)
    third = project.run()
    assert third.returncode == 0, third
    assert f"1 pending migration(s):\n  {SAFE[0]}\n" in third.stdout
    assert project.table_exists("invoice")
    assert project.history() == [str(INIT[1]), str(SAFE[1])]


DESTRUCTIVE = {
    "drop-column": ('ALTER TABLE "account" DROP COLUMN "name";', "ban-drop-column"),
    "rename-column": ('ALTER TABLE "account" RENAME COLUMN "name" TO "full_name";', "renaming-column"),
}


@pytest.mark.parametrize("kind", sorted(DESTRUCTIVE))
def test_destructive_migration_blocks_the_whole_batch(make_project, kind):
    project = initialised(make_project())
    statement, rule = DESTRUCTIVE[kind]
    project.add(SAFE, SAFE_SQL)
    tag = "0002_destructive"
    project.add((tag, 1700000002000), f'ALTER TABLE "account" ADD COLUMN "note" text;\n--> statement-breakpoint\n{statement}\n')
    before = project.schema_snapshot()

    result = project.run()

    assert result.returncode == 2, result
    assert f"BLOCKED drizzle/{tag}.sql:3: {kind} ({rule})" in result.stdout
    assert f"safe alternative: {KINDS[kind].safe_alternative}" in result.stdout
    assert "nothing was applied" in result.stderr
    assert project.schema_snapshot() == before
    assert project.columns("account") == ACCOUNT_COLUMNS
    assert not project.table_exists("invoice")
    assert project.history() == [str(INIT[1])]


def test_a_locked_table_fails_the_run_within_lock_timeout(make_project):
    project = initialised(make_project(overrides={
        "guards": {"lock_timeout": f"{LOCK_TIMEOUT_SECONDS}s", "lock_retries": 0}, "backup": {"mode": "none"},
    }))
    project.add(("0001_add_note", 1700000001000), 'ALTER TABLE "account" ADD COLUMN "note" text;\n')
    log_offset = project.server.log_file.stat().st_size
    lock = TableLock(project, "account")
    try:
        result = project.run()
    finally:
        lock.release()

    assert result.returncode == 5, result
    # drizzle-kit (0.31.10 and later) does not print the database error; the
    # script says so, and the server log shows it was the lock timeout, in
    # drizzle-kit's session, on the migration's statement.
    assert "drizzle-kit migrate failed (exit 1)" in result.stderr, result
    assert "the PostgreSQL server log has it" in result.stderr
    with project.server.log_file.open(encoding="utf-8", errors="replace") as log:
        log.seek(log_offset)
        server_log = log.read()
    assert "canceling statement due to lock timeout" in server_log, server_log
    assert 'ALTER TABLE "account" ADD COLUMN "note" text;' in server_log, server_log
    assert project.columns("account") == ACCOUNT_COLUMNS
    assert project.history() == [str(INIT[1])]


def test_the_password_never_reaches_the_output(make_project):
    # Every run checks this (NodeToolProject.run); here on a failure to
    # connect too, where a tool would be most tempted to name the URL.
    project = initialised(make_project())
    project.add(SAFE, SAFE_SQL)
    wrong_port = project.server.url(project.database, port=1)

    result = project.run(url=wrong_port)

    assert result.returncode == 3, result
    for line in result.output.splitlines():
        assert project.server.password not in line
    assert project.history() == [str(INIT[1])]
