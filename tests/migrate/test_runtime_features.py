"""migpipe migrate's newer guarantees, through the generated wrapper, on a real PostgreSQL.

Plan/apply (--plan-only, --expect-digest), the restore-point backup mode,
and secrets: a hostile password never on any process's command line while
the run is in progress, never in any output, in any spelling. ``prisma`` is
the STAND-IN of tests/migrate/standin (its engine cannot run here); psql,
pg_dump, pg_restore, squawk and PostgreSQL are real.
"""
from __future__ import annotations

import json
import secrets
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

from tests.migrate.project import MigrateProject

pytestmark = pytest.mark.postgres

INIT = "20240101000000_init"
INIT_SQL = 'CREATE TABLE "account" ("id" BIGINT PRIMARY KEY, "email" TEXT);\n'
SAFE = "20240201000000_add_invoice"
SAFE_SQL = 'CREATE TABLE "invoice" ("id" BIGINT PRIMARY KEY, "total" BIGINT);\n'


def test_plan_only_reads_nothing_but_the_plan_and_expect_digest_applies_only_that_plan(make_project, tmp_path: Path):
    project: MigrateProject = make_project()
    project.add_migration(INIT, INIT_SQL)
    plan_file = tmp_path / "plan.json"

    planned = project.run("--plan-only", "--plan-file", str(plan_file))

    assert planned.returncode == 0, planned
    plan = json.loads(plan_file.read_text())
    assert [m["name"] for m in plan["migrations"]] == [INIT]
    assert plan["migrations"][0]["sql"] == INIT_SQL
    assert f"plan digest: {plan['digest']}" in planned.stdout
    assert INIT_SQL.strip() in planned.stdout  # each pending migration's SQL is shown
    assert not project.table_exists("account")  # read-only
    assert project.history_rows() == []

    wrong = project.run("--expect-digest", "0" * 64)
    assert wrong.returncode == 3, wrong
    assert "the plan changed since it was approved" in wrong.stderr
    assert INIT in wrong.stderr
    assert not project.table_exists("account")

    # A migration added after the plan was approved changes the digest.
    project.add_migration(SAFE, SAFE_SQL)
    grown = project.run("--expect-digest", plan["digest"])
    assert grown.returncode == 3, grown
    assert SAFE in grown.stderr
    assert not project.table_exists("account")

    (project.migrations_dir / SAFE / "migration.sql").unlink()
    (project.migrations_dir / SAFE).rmdir()
    applied = project.run("--expect-digest", plan["digest"])
    assert applied.returncode == 0, applied
    assert project.applied_migrations() == [INIT]

    # Nothing pending any more: an approved plan no longer matches.
    again = project.run("--expect-digest", plan["digest"])
    assert again.returncode == 3, again
    assert "nothing is pending any more" in again.stderr


def test_an_empty_plan_is_a_plan_a_push_without_migrations_applies_it_and_succeeds(make_project, tmp_path: Path):
    """Most pushes to main add no migration: migrate-plan publishes the empty
    plan's digest, and migrate-prod must accept it (it stopped with exit 3)."""
    project: MigrateProject = make_project()
    project.add_migration(INIT, INIT_SQL)
    assert project.run().returncode == 0
    plan_file = tmp_path / "plan.json"
    planned = project.run("--plan-only", "--plan-file", str(plan_file))
    assert planned.returncode == 0, planned
    empty = json.loads(plan_file.read_text())
    assert empty["migrations"] == []

    applied = project.run("--expect-digest", empty["digest"])

    assert applied.returncode == 0, applied
    assert "no pending migrations; nothing to do" in applied.stdout + applied.stderr
    # The empty plan's digest is still a plan: a migration added after it is not approved.
    project.add_migration(SAFE, SAFE_SQL)
    grown = project.run("--expect-digest", empty["digest"])
    assert grown.returncode == 3, grown
    assert SAFE in grown.stderr
    assert not project.table_exists("invoice")


@pytest.mark.parametrize("given", ["", "  ", "not-a-digest", "0" * 63, "SHA256:" + "0" * 64])
def test_an_expected_digest_that_is_not_one_fails_closed(make_project, given: str):
    """An empty --expect-digest (migrate-plan's output lost on the way) used to
    mean "no check": everything pending was applied unplanned."""
    project: MigrateProject = make_project()
    project.add_migration(INIT, INIT_SQL)

    result = project.run("--expect-digest", given)

    assert result.returncode == 3, result
    assert "not a plan digest" in result.stderr and "Nothing was applied" in result.stderr
    assert not project.table_exists("account")
    assert project.history_rows() == []


def test_a_digest_copied_with_its_sha256_prefix_is_the_same_digest(make_project, tmp_path: Path):
    project: MigrateProject = make_project()
    project.add_migration(INIT, INIT_SQL)
    plan_file = tmp_path / "plan.json"
    assert project.run("--plan-only", "--plan-file", str(plan_file)).returncode == 0

    applied = project.run("--expect-digest", "sha256:" + json.loads(plan_file.read_text())["digest"])

    assert applied.returncode == 0, applied
    assert project.applied_migrations() == [INIT]


def test_a_changed_plan_says_what_changed_against_the_plans_names(make_project, tmp_path: Path):
    """migrate-prod gets migrate-plan's names (MIGPIPE_PLANNED_MIGRATIONS): the
    exit-3 message says which migrations left or joined the pending set."""
    project: MigrateProject = make_project()
    project.add_migration(INIT, INIT_SQL)
    plan_file = tmp_path / "plan.json"
    assert project.run("--plan-only", "--plan-file", str(plan_file)).returncode == 0
    plan = json.loads(plan_file.read_text())
    planned = json.dumps([m["name"] for m in plan["migrations"]])

    project.add_migration(SAFE, SAFE_SQL)
    grown = project.run("--expect-digest", plan["digest"], MIGPIPE_PLANNED_MIGRATIONS=planned)
    assert grown.returncode == 3, grown
    assert f"what changed: pending but not in the plan: {SAFE}; nothing was applied" in grown.stderr

    (project.migrations_dir / SAFE / "migration.sql").unlink()
    (project.migrations_dir / SAFE).rmdir()
    (project.migrations_dir / INIT / "migration.sql").write_text(INIT_SQL + "-- edited after the plan\n")
    edited = project.run("--expect-digest", plan["digest"], MIGPIPE_PLANNED_MIGRATIONS=planned)
    assert edited.returncode == 3, edited
    assert "what changed: the same migrations, but the SQL of at least one changed since the plan" in edited.stderr
    assert not project.table_exists("account")

    (project.migrations_dir / INIT / "migration.sql").write_text(INIT_SQL)
    assert project.run().returncode == 0  # another run applies it meanwhile
    gone = project.run("--expect-digest", plan["digest"], MIGPIPE_PLANNED_MIGRATIONS=planned)
    assert gone.returncode == 3, gone
    assert f"what changed: no longer pending: {INIT} (applied meanwhile by another run?)" in gone.stderr


def test_a_blocked_plan_says_so_and_exits_2(make_project):
    project: MigrateProject = make_project()
    project.add_migration(INIT, INIT_SQL)
    assert project.run().returncode == 0
    project.add_migration("20240301000000_drop", 'ALTER TABLE "account" DROP COLUMN "email";\n')

    planned = project.run("--plan-only")

    assert planned.returncode == 2, planned
    assert "BLOCKED prisma/migrations/20240301000000_drop/migration.sql:1: drop-column" in planned.stdout


def test_restore_point_mode_records_time_and_wal_position_before_applying(make_project):
    project: MigrateProject = make_project(overrides={"backup": {"mode": "restore-point"}})
    project.add_migration(INIT, INIT_SQL)

    result = project.run()

    assert result.returncode == 0, result
    assert "restore point: server time 20" in result.stdout
    lsn = result.stdout.split("WAL position ")[1].split(",")[0]
    assert "/" in lsn  # a real LSN, e.g. 0/1A2B3C8
    assert "named restore point 'migpipe-" in result.stdout  # the test server's superuser may create one
    assert not list(project.runner_temp.glob("migpipe-backups/*"))  # no dump was taken
    assert project.applied_migrations() == [INIT]


# ---- secrets -------------------------------------------------------------------


class CommandLineSampler:
    """Reads /proc/*/cmdline of every process, every few milliseconds, while running."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for path in Path("/proc").glob("[0-9]*/cmdline"):
                try:
                    self.seen.add(path.read_bytes().replace(b"\0", b" ").decode("utf-8", "replace"))
                except OSError:
                    pass
            self.samples += 1
            time.sleep(0.002)

    def __enter__(self) -> CommandLineSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _hostile_role(project: MigrateProject, raw: bool) -> tuple[str, str, str, str]:
    """A superuser role with a hostile password: (url, wrong-password url, password, its unique marker)."""
    marker = secrets.token_hex(6)
    # A leading space, every URL-special character, quotes, a command substitution.
    # (No "%XX" in the raw spelling: a raw "%41" cannot be told from an encoded "A".)
    password = f" h/s?t#i@l:e%z '\"$(id)`x`\\{marker}"
    role = f"hostile_{secrets.token_hex(3)}"  # the marker is in the password only
    project.psql(f"CREATE ROLE {role} LOGIN SUPERUSER PASSWORD '{password.replace(chr(39), chr(39) * 2)}';")
    server = project.server
    def url(secret: str) -> str:
        spelled = secret if raw else urllib.parse.quote(secret, safe="")
        return f"postgresql://{role}:{spelled}@{server.host}:{server.port}/{project.database}?schema=public"

    return url(password), url(password.replace(marker, marker[::-1])), password, marker


@pytest.mark.parametrize("raw", [False, True], ids=["percent-encoded", "raw"])
@pytest.mark.parametrize("mode", ["dump", "restore-point"])
def test_a_hostile_password_never_reaches_a_command_line_or_any_output(make_project, raw, mode):
    project: MigrateProject = make_project(overrides={"backup": {"mode": mode}})
    url, wrong_url, password, marker = _hostile_role(project, raw)
    project.add_migration(INIT, INIT_SQL)
    project.add_migration("20240301000000_drop", 'ALTER TABLE "account" DROP COLUMN "email";\n')

    with CommandLineSampler() as sampler:
        blocked = project.run(url=url)  # lint blocks: reads history, lints, stops
        (project.migrations_dir / "20240301000000_drop" / "migration.sql").unlink()
        (project.migrations_dir / "20240301000000_drop").rmdir()
        applied = project.run(url=url)  # history, lint, backup, apply (stand-in prisma + psql), check
        wrong = project.run(url=wrong_url)  # a failed login

    assert blocked.returncode == 2, blocked
    assert applied.returncode == 0, applied
    assert wrong.returncode == 3, wrong
    assert "password authentication failed" in wrong.stderr
    assert project.applied_migrations() == [INIT]
    assert sampler.samples > 20
    spellings = {marker, marker[::-1], password, urllib.parse.quote(password, safe=""), urllib.parse.quote_plus(password)}
    # The sampler saw the run's children (the stand-in prisma, squawk, pg_dump...).
    assert any("migpipe migrate" in line for line in sampler.seen)
    assert any("prisma" in line and "migrate" in line and "deploy" in line for line in sampler.seen)
    leaks = [line for line in sampler.seen for spelling in spellings if spelling in line]
    assert leaks == [], leaks
    for result in (blocked, applied, wrong):
        for spelling in spellings:
            assert spelling not in result.output, (spelling, result)


# ---- backup upload ---------------------------------------------------------------


def test_the_upload_command_runs_as_written_with_the_dump_in_backup_file(make_project, tmp_path: Path):
    # The command reaches no generated file any more: `migpipe migrate` reads it
    # from pipeline.toml and runs it with bash. Quotes, `$` and `;` must arrive
    # exactly as the user wrote them.
    received = tmp_path / "received"
    command = f"""cp "$BACKUP_FILE" {received}; printf '%s' 'a"b $HOME' > {received}.text"""
    project: MigrateProject = make_project(overrides={"backup": {"mode": "dump", "upload_command": command}})
    project.add_migration(INIT, INIT_SQL)

    result = project.run()

    assert result.returncode == 0, result
    assert "backup uploaded" in result.stdout
    assert (Path(f"{received}.text")).read_text() == 'a"b $HOME'
    [dump] = project.runner_temp.glob("migpipe-backups/*")
    assert received.read_bytes() == dump.read_bytes()
    assert project.applied_migrations() == [INIT]


def test_a_failed_upload_applies_nothing_and_exits_4(make_project):
    project: MigrateProject = make_project(overrides={"backup": {"mode": "dump", "upload_command": "exit 7"}})
    project.add_migration(INIT, INIT_SQL)

    result = project.run()

    assert result.returncode == 4, result
    assert "uploading the backup failed, nothing was applied" in result.output
    assert not project.table_exists("account")


# ---- other URL variables the tool reads (Prisma's directUrl) -----------------------


def test_the_direct_url_is_required_and_gets_the_same_timeouts(make_project, monkeypatch):
    # Prisma migrates through directUrl when the datasource has one (the stand-in
    # does the same): migpipe must hand it the lock and statement timeouts too.
    project: MigrateProject = make_project(
        overrides={"test_database": {"other_url_envs": {"DIRECT_URL": "PRODUCTION_DIRECT_URL"}}}
    )
    schema = project.root / "prisma" / "schema.prisma"
    schema.write_text(schema.read_text().replace("}\n", '  directUrl = env("DIRECT_URL")\n}\n'), encoding="utf-8")
    project.add_migration(
        INIT,
        "CREATE TABLE \"probe\" AS SELECT current_setting('application_name') AS app, "
        "current_setting('lock_timeout') AS lock_timeout, current_setting('statement_timeout') AS statement_timeout;\n",
    )

    missing = project.run()
    assert missing.returncode == 3, missing
    assert "DIRECT_URL is not set" in missing.stderr and "PRODUCTION_DIRECT_URL" in missing.stderr
    assert not project.table_exists("probe")

    monkeypatch.setenv("DIRECT_URL", project.server.url(project.database, query="schema=public&application_name=direct"))
    applied = project.run()

    assert applied.returncode == 0, applied
    assert project.psql("SELECT app || ' ' || lock_timeout || ' ' || statement_timeout FROM probe") == "direct 5s 15min"
    assert project.applied_migrations() == [INIT]
