"""The generated migrate-with-guards.sh for a Django project, on a real PostgreSQL.

The real Django (through psycopg2) lists, prints and applies the
migrations: `showmigrations --plan` says what is pending, `sqlmigrate` the
SQL the guards lint, `migrate --noinput` applies. pipeline.toml names the
settings module; manage.py's own default points nowhere, so every command
the script runs must pass it on.
"""
from __future__ import annotations

import pytest

from migpipe.policy import KINDS
from tests.migrate.python_projects import DjangoProject
from tests.support.postgres import TableLock
from tests.support.postgres import PostgresServer

pytestmark = pytest.mark.postgres

INIT = ("0001_initial", """
    migrations.CreateModel(
        name="Account",
        fields=[
            ("id", models.BigAutoField(primary_key=True)),
            ("email", models.TextField(null=True)),
            ("name", models.TextField(null=True)),
        ],
    ),
""")
ACCOUNT_COLUMNS = ["id NO", "email YES", "name YES"]
SAFE = ("0002_invoice", """
    migrations.CreateModel(
        name="Invoice",
        fields=[("id", models.BigAutoField(primary_key=True)), ("total", models.BigIntegerField(null=True))],
    ),
""")


@pytest.fixture
def make_project(tmp_path, postgres_server: PostgresServer, fresh_database: str):
    def build(**options) -> DjangoProject:
        return DjangoProject(tmp_path / "repo", postgres_server, fresh_database, **options)

    return build


def initialised(project: DjangoProject) -> DjangoProject:
    """Applies INIT (creates "shop_account") through the script itself."""
    project.add_migration(*INIT)
    result = project.run()
    assert result.returncode == 0, result
    assert project.history() == ["shop.0001_initial"]
    return project


def test_a_safe_migration_is_applied_once_and_a_second_run_has_nothing_to_do(make_project):
    project = make_project()
    project.add_migration(*INIT)

    first = project.run()

    assert first.returncode == 0, first
    assert "1 pending migration(s):\n  shop.0001_initial\n" in first.stdout
    assert "lint passed" in first.stdout
    assert project.columns("shop_account") == ACCOUNT_COLUMNS
    assert project.history() == ["shop.0001_initial"]
    assert "done: django_migrations records all migrations as applied" in first.stdout

    second = project.run()
    assert second.returncode == 0, second
    assert "no pending migrations; nothing to do" in second.stdout
    assert project.history() == ["shop.0001_initial"]


DESTRUCTIVE = {
    "drop-column": (
        'migrations.RemoveField(model_name="account", name="name"),',
        "ban-drop-column",
        'ALTER TABLE "shop_account" DROP COLUMN "name" CASCADE;',
    ),
    "rename-column": (
        'migrations.RenameField(model_name="account", old_name="name", new_name="full_name"),',
        "renaming-column",
        'ALTER TABLE "shop_account" RENAME COLUMN "name" TO "full_name";',
    ),
}


@pytest.mark.parametrize("kind", sorted(DESTRUCTIVE))
def test_a_destructive_migration_blocks_the_whole_batch(make_project, kind):
    project = initialised(make_project())
    operations, rule, statement = DESTRUCTIVE[kind]
    project.add_migration(*SAFE, depends_on="0001_initial")
    project.add_migration("0003_destructive", operations, depends_on="0002_invoice")

    result = project.run()

    assert result.returncode == 2, result
    assert "2 pending migration(s):\n  shop.0002_invoice\n  shop.0003_destructive\n" in result.stdout
    # `sqlmigrate shop 0003_destructive`: BEGIN; / three comment lines / the statement.
    lines = result.stdout.splitlines()
    finding = next(i for i, line in enumerate(lines) if line.startswith("BLOCKED "))
    assert lines[finding].startswith(f"BLOCKED shop.0003_destructive, line 5 of its SQL: {kind} ({rule}): ")
    assert lines[finding + 1] == f"    {statement}"
    assert lines[finding + 2] == f"    safe alternative: {KINDS[kind].safe_alternative}"
    assert "nothing was applied" in result.stderr
    # Nothing changed, not even the safe migration queued before it.
    assert project.columns("shop_account") == ACCOUNT_COLUMNS
    assert not project.table_exists("shop_invoice")
    assert project.history() == ["shop.0001_initial"]


LOCK_TIMEOUT_SECONDS = 2
# No wall-clock bound here (speed is for bench/): the lock is held until the run
# returns, so only lock_timeout can end it (run() fails the test after its own
# timeout), and the output names the lock timeout as the cause.


def test_a_locked_table_fails_the_run_within_lock_timeout_and_changes_nothing(make_project):
    project = initialised(make_project(overrides={
        "guards": {"lock_timeout": f"{LOCK_TIMEOUT_SECONDS}s", "lock_retries": 0}, "backup": {"mode": "none"},
    }))
    project.add_migration(
        "0002_account_note",
        'migrations.AddField(model_name="account", name="note", field=models.TextField(null=True)),',
        depends_on="0001_initial",
    )
    lock = TableLock(project, "shop_account")
    try:
        result = project.run()
    finally:
        lock.release()

    assert result.returncode == 5, result
    assert "lock timeout" in result.output
    assert project.columns("shop_account") == ACCOUNT_COLUMNS
    assert project.history() == ["shop.0001_initial"]
    # The migration's transaction was rolled back and nothing recorded it as
    # failed: once the lock is gone it simply applies.
    again = project.run()
    assert again.returncode == 0, again
    assert project.columns("shop_account") == [*ACCOUNT_COLUMNS, "note YES"]
    assert project.history() == ["shop.0001_initial", "shop.0002_account_note"]


def test_the_applying_session_has_the_policys_timeouts(make_project):
    project = initialised(make_project(overrides={"guards": {"lock_timeout": "3s", "statement_timeout": "7min"}}))
    project.add_migration("0002_record_settings", """
        migrations.RunSQL(
            "CREATE TABLE seen AS SELECT current_setting('lock_timeout') AS lock_timeout,"
            " current_setting('statement_timeout') AS statement_timeout"
        ),
    """, depends_on="0001_initial")

    result = project.run()

    assert result.returncode == 0, result
    assert project.psql("SELECT lock_timeout, statement_timeout FROM seen") == "3s|7min"


def test_a_project_django_cannot_load_stops_the_run_before_anything_is_applied(make_project):
    project = make_project()
    project.add_migration(*INIT)
    project.add_migration("0002_broken", "migrations.NoSuchOperation(),", depends_on="0001_initial")

    result = project.run()

    assert result.returncode == 3, result
    assert "cannot list the pending migrations" in result.stderr
    assert "AttributeError" in result.stderr  # Django's own error, shown
    assert not project.table_exists("shop_account")
    assert project.history() == []


def test_no_output_line_of_a_full_run_contains_the_password(make_project):
    # Every run is checked line by line (DjangoProject.run); this one goes
    # through every step, backup included, and a blocked run too.
    project = initialised(make_project())
    project.add_migration("0002_drop_name", DESTRUCTIVE["drop-column"][0], depends_on="0001_initial")
    blocked = project.run()
    assert blocked.returncode == 2, blocked
    assert "pw-Sec" not in blocked.output
    assert list((project.runner_temp / "migpipe-backups").glob("before-migrate-*.dump"))  # the backup step ran


class PartsDjangoProject(DjangoProject):
    """Settings that read the connection piece by piece (os.environ["PGHOST"], ...), like railwayapp-templates/django."""

    def write_project(self) -> None:
        super().write_project()
        self.write("site_config/settings.py", """
            import os

            SECRET_KEY = "test-only, not a secret"
            INSTALLED_APPS = ["shop"]
            USE_TZ = True
            DATABASES = {
                "default": {
                    "ENGINE": "django.db.backends.postgresql",
                    "NAME": os.environ["APP_DB_NAME"],
                    "USER": os.environ["APP_DB_USER"],
                    "PASSWORD": os.environ["APP_DB_PASSWORD"],
                    "HOST": os.environ["APP_DB_HOST"],
                    "PORT": os.environ["APP_DB_PORT"],
                }
            }
        """)


def test_settings_reading_the_urls_parts_get_each_from_the_url(tmp_path, postgres_server: PostgresServer, fresh_database: str):
    parts = {"APP_DB_NAME": "database", "APP_DB_USER": "user", "APP_DB_PASSWORD": "password", "APP_DB_HOST": "host", "APP_DB_PORT": "port"}
    project = PartsDjangoProject(
        tmp_path / "repo", postgres_server, fresh_database, overrides={"test_database": {"url_part_envs": parts}}
    )
    project.add_migration(*INIT)

    result = project.run()  # only DATABASE_URL is set, as in migrate-prod

    assert result.returncode == 0, result
    assert project.history() == ["shop.0001_initial"]
    assert project.columns("shop_account") == ACCOUNT_COLUMNS
