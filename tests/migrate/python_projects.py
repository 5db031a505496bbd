"""Throwaway Alembic and Django app repositories for the generated migrate-with-guards.sh.

Unlike the Prisma tests, nothing here is a stand-in: the real alembic and
django (installed with the test extra), psycopg2, squawk, psql and pg_dump
run against the real PostgreSQL server of tests/support.

``AlembicProject`` writes alembic.ini, an env.py that reads DATABASE_URL
(online and offline mode) and revisions under alembic/versions/.
``DjangoProject`` writes manage.py, settings that parse DATABASE_URL and
one app, ``shop``, with migrations under shop/migrations/.

Every run is checked for secrets: no line of its output may contain the
database password (raw or percent-encoded) or the URL.
"""
from __future__ import annotations

import os
import subprocess
import textwrap
import time
import tomllib
import urllib.parse
from pathlib import Path
from typing import Any

from migpipe.cli import main as migpipe_main
from tests.conftest import EXAMPLE_CONFIG
from tests.migrate.project import VENV_BIN, RunResult, _merge, _toml_table
from tests.support.postgres import PostgresServer


def python_pipeline_toml(tool: dict[str, Any], overrides: dict[str, Any]) -> str:
    """pipeline.example.toml made a Python app's (tool, Render host), plus ``overrides``."""
    data = tomllib.loads(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    data["tool"] = tool  # replaced whole: Prisma's keys mean nothing to another tool
    data["host"] = {
        "name": "render",
        "service_name": "shop-api",
        "runtime": "python",
        "build_command": "pip install -r requirements.txt",
        "pre_deploy_command": "",
        "start_command": "gunicorn app:app",
    }
    data["ci"]["build_commands"] = ["python -m compileall -q ."]
    data["ci"]["test_jobs"] = {"tests": {"name": "Tests", "commands": ["python -m pytest"]}}
    data["test_database"]["jobs"] = ["tests"]
    data["deploy"]["extra_steps"] = []
    return "\n".join(_toml_table("", _merge(data, overrides))) + "\n"


class PythonProject:
    """What Alembic and Django repositories share: pipeline.toml, generate, run, look."""

    tool_table: dict[str, Any]
    history_table: str
    history_query: str  # one history row per line, in the order applied

    def __init__(
        self,
        root: Path,
        server: PostgresServer,
        database: str,
        *,
        overrides: dict[str, Any] | None = None,
        url_scheme: str = "postgresql",
    ) -> None:
        self.root = root
        self.server = server
        self.database = database
        self.url = server.url(database).replace("postgresql://", f"{url_scheme}://", 1)
        root.mkdir(parents=True)
        self.pipeline_file = root / "pipeline.toml"
        self.pipeline_file.write_text(python_pipeline_toml(self.tool_table, overrides or {}), encoding="utf-8")
        self.write_project()
        self.generate()

    def write_project(self) -> None:
        raise NotImplementedError

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    @property
    def script(self) -> Path:
        return self.root / "scripts" / "migrate-with-guards.sh"

    def generate(self) -> None:
        status = migpipe_main(["generate", "-c", str(self.pipeline_file), "--root", str(self.root), "--force"])
        assert status == 0, "migpipe generate failed"

    # ---- running the script ----------------------------------------------

    def environment(self, *, url: str | None = None) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
        # The test venv first: its python3 has alembic, django and psycopg2.
        env.update(
            PATH=os.pathsep.join([str(VENV_BIN), env.get("PATH", "/usr/bin:/bin")]),
            DATABASE_URL=self.url if url is None else url,
            PYTHONDONTWRITEBYTECODE="1",
            RUNNER_TEMP=str(self.runner_temp),
        )
        return env

    @property
    def runner_temp(self) -> Path:
        """The runner's temp dir (outside the checkout), where dumps go."""
        path = self.root.parent / "runner-temp"
        path.mkdir(exist_ok=True)
        return path

    def start(self, **environment: Any) -> subprocess.Popen[str]:
        return subprocess.Popen(
            ["bash", str(self.script)], cwd=self.root, env=self.environment(**environment),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )

    def run(self, *, timeout: float = 120, **environment: Any) -> RunResult:
        started = time.monotonic()
        process = self.start(**environment)
        stdout, stderr = process.communicate(timeout=timeout)
        result = RunResult(process.returncode, stdout, stderr, time.monotonic() - started)
        self.assert_no_secrets(result)
        return result

    def assert_no_secrets(self, result: RunResult) -> None:
        password = self.server.password
        secrets = {password, urllib.parse.quote(password, safe=""), self.url, self.url.split("?")[0]}
        for line in result.output.splitlines():
            for secret in secrets:
                assert secret not in line, f"output line leaks a secret: {line!r}"

    # ---- looking at the database -------------------------------------------

    def psql(self, sql: str) -> str:
        return self.server.psql(self.database, sql)

    def table_exists(self, table: str) -> bool:
        return self.psql(f"SELECT to_regclass('public.{table}') IS NOT NULL") == "t"

    def columns(self, table: str) -> list[str]:
        return self.psql(
            "SELECT column_name || ' ' || is_nullable FROM information_schema.columns"
            f" WHERE table_schema = 'public' AND table_name = '{table}' ORDER BY ordinal_position"
        ).splitlines()

    def history(self) -> list[str]:
        """The tool's history table, one row per line ([] when it does not exist)."""
        if not self.table_exists(self.history_table):
            return []
        return self.psql(self.history_query).splitlines()


class AlembicProject(PythonProject):
    """An Alembic repository: alembic.ini, alembic/env.py, alembic/versions/."""

    tool_table = {"name": "alembic"}
    history_query = "SELECT version_num FROM alembic_version ORDER BY 1"
    history_table = "alembic_version"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # SQLAlchemy's spelling of a driver URL: the script must hand libpq
        # (psql, pg_dump) plain postgresql:// and Alembic the URL as it is.
        kwargs.setdefault("url_scheme", "postgresql+psycopg2")
        super().__init__(*args, **kwargs)

    def write_project(self) -> None:
        self.write("alembic.ini", """
            [alembic]
            script_location = %(here)s/alembic
            prepend_sys_path = .

            [loggers]
            keys = root,sqlalchemy,alembic

            [handlers]
            keys = console

            [formatters]
            keys = generic

            [logger_root]
            level = WARNING
            handlers = console

            [logger_sqlalchemy]
            level = WARNING
            handlers =
            qualname = sqlalchemy.engine

            [logger_alembic]
            level = INFO
            handlers =
            qualname = alembic

            [handler_console]
            class = StreamHandler
            args = (sys.stderr,)
            level = NOTSET
            formatter = generic

            [formatter_generic]
            format = %(levelname)-5.5s [%(name)s] %(message)s
        """)
        # The URL is read here, not put into alembic.ini's sqlalchemy.url:
        # configparser would take the %-escapes of its password for
        # interpolation.
        self.write("alembic/env.py", """
            import os
            from logging.config import fileConfig

            from alembic import context
            from sqlalchemy import create_engine, pool

            config = context.config
            if config.config_file_name is not None:
                fileConfig(config.config_file_name)
            url = os.environ["DATABASE_URL"]

            if context.is_offline_mode():
                context.configure(url=url, literal_binds=True, dialect_opts={"paramstyle": "named"})
                with context.begin_transaction():
                    context.run_migrations()
            else:
                engine = create_engine(url, poolclass=pool.NullPool)
                with engine.connect() as connection:
                    context.configure(connection=connection)
                    with context.begin_transaction():
                        context.run_migrations()
        """)
        self.write("alembic/script.py.mako", '"""${message}"""\n')
        (self.root / "alembic" / "versions").mkdir()

    def add_revision(self, revision: str, slug: str, upgrade: str, down_revision: str | None = None) -> Path:
        """alembic/versions/<revision>_<slug>.py whose upgrade() runs ``upgrade`` (Python)."""
        body = textwrap.indent(textwrap.dedent(upgrade).strip("\n"), "    ")
        return self.write(f"alembic/versions/{revision}_{slug}.py", (
            f'"""{slug}"""\n'
            "import sqlalchemy as sa\n"
            "from alembic import op\n\n"
            f"revision = {revision!r}\n"
            f"down_revision = {down_revision!r}\n\n\n"
            "def upgrade():\n"
            f"{body}\n"
        ))


class DjangoProject(PythonProject):
    """A Django repository: manage.py, site_config/settings.py and the app ``shop``."""

    tool_table = {"name": "django", "settings_module": "site_config.settings"}
    history_query = "SELECT app || '.' || name FROM django_migrations ORDER BY id"
    history_table = "django_migrations"

    def write_project(self) -> None:
        self.write("manage.py", """
            import os
            import sys

            if __name__ == "__main__":
                # Deliberately not the settings CI uses: pipeline.toml's
                # settings_module must reach every manage.py command.
                os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_config.no_such_settings")
                from django.core.management import execute_from_command_line

                execute_from_command_line(sys.argv)
        """)
        self.write("site_config/__init__.py", "")
        self.write("site_config/settings.py", """
            import os
            from urllib.parse import unquote, urlsplit

            _url = urlsplit(os.environ["DATABASE_URL"])

            SECRET_KEY = "test-only, not a secret"
            INSTALLED_APPS = ["shop"]
            USE_TZ = True
            DATABASES = {
                "default": {
                    "ENGINE": "django.db.backends.postgresql",
                    "NAME": _url.path.lstrip("/"),
                    "USER": unquote(_url.username or ""),
                    "PASSWORD": unquote(_url.password or ""),
                    "HOST": _url.hostname or "",
                    "PORT": _url.port or "",
                }
            }
        """)
        self.write("shop/__init__.py", "")
        self.write("shop/migrations/__init__.py", "")

    def add_migration(self, name: str, operations: str, depends_on: str | None = None) -> Path:
        """shop/migrations/<name>.py running ``operations`` (a Python list's items)."""
        dependencies = f'[("shop", {depends_on!r})]' if depends_on else "[]"
        items = textwrap.indent(textwrap.dedent(operations).strip("\n"), "        ")
        return self.write(f"shop/migrations/{name}.py", (
            "from django.db import migrations, models\n\n\n"
            "class Migration(migrations.Migration):\n"
            f"    dependencies = {dependencies}\n"
            "    operations = [\n"
            f"{items}\n"
            "    ]\n"
        ))


