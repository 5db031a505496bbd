"""A throwaway app repository for running the generated migrate-with-guards.sh.

``MigrateProject`` writes a pipeline.toml (pipeline.example.toml plus the
test's overrides), a Prisma 6 or 7 project with a migrations tree, runs
``migpipe generate`` into it and runs the generated script with bash, with
the stand-in ``npx``/``prisma`` (see tests/migrate/standin/) and the real
squawk, psql and pg_dump on PATH.

Every run is checked for secrets: no line of its output may contain the
database password (raw or percent-encoded) or the full URL.
"""
from __future__ import annotations

import copy
import os
import subprocess
import sys
import time
import tomllib
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migpipe.cli import main as migpipe_main
from tests.conftest import EXAMPLE_CONFIG
from tests.support.postgres import PostgresServer

STANDIN_DIR = Path(__file__).resolve().parent / "standin"
STANDIN_PRISMA = STANDIN_DIR / "prisma"
STANDIN_BIN = STANDIN_DIR / "bin"  # holds the stand-in npx
VENV_BIN = Path(sys.executable).parent  # squawk and shellcheck come from the test venv


# --------------------------------------------------------------------------
# pipeline.toml


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


def _toml_table(prefix: str, table: dict[str, Any]) -> list[str]:
    lines = [f"[{prefix}]"] if prefix else []
    nested = []
    for key, value in table.items():
        if isinstance(value, dict):
            nested.append((key, value))
        elif isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            nested.append((key, value))
        else:
            lines.append(f"{key} = {_toml_value(value)}")
    for key, value in nested:
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            lines += ["", *_toml_table(name, value)]
        else:
            for item in value:
                lines += ["", f"[[{name}]]", *_toml_table("", item)]
    return lines


def _merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def pipeline_toml(overrides: dict[str, Any]) -> str:
    """pipeline.example.toml with ``overrides`` merged in, as TOML text."""
    example = tomllib.loads(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    return "\n".join(_toml_table("", _merge(example, overrides))) + "\n"


# --------------------------------------------------------------------------


@dataclass(frozen=True)
class RunResult:
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def __str__(self) -> str:
        return f"exit {self.returncode} after {self.seconds:.1f}s\n--- stdout\n{self.stdout}--- stderr\n{self.stderr}"


class MigrateProject:
    """An app repository using Prisma ``prisma_version``, migrating ``database``."""

    def __init__(
        self,
        root: Path,
        server: PostgresServer,
        database: str,
        *,
        prisma_version: int = 6,
        overrides: dict[str, Any] | None = None,
        url_query: str = "schema=public",
    ) -> None:
        self.root = root
        self.server = server
        self.database = database
        self.url = server.url(database, query=url_query)
        self.migrations_dir = root / "prisma" / "migrations"
        self.migrations_dir.mkdir(parents=True)
        settings: dict[str, Any] = {"tool": {"version": prisma_version}}
        self.pipeline_file = root / "pipeline.toml"
        self.pipeline_file.write_text(pipeline_toml(_merge(settings, overrides or {})), encoding="utf-8")
        self._write_prisma_project(prisma_version)
        self.generate()

    def _write_prisma_project(self, prisma_version: int) -> None:
        (self.root / "package.json").write_text('{"name": "app", "private": true}\n', encoding="utf-8")
        bin_dir = self.root / "node_modules" / ".bin"
        bin_dir.mkdir(parents=True)
        (bin_dir / "prisma").symlink_to(STANDIN_PRISMA)
        datasource = 'datasource db {\n  provider = "postgresql"\n'
        if prisma_version >= 7:
            # Prisma 7: the URL lives in prisma.config.ts, not in schema.prisma.
            (self.root / "prisma.config.ts").write_text(
                'import "dotenv/config";\nimport { defineConfig, env } from "prisma/config";\n\n'
                'export default defineConfig({\n  schema: "prisma/schema.prisma",\n'
                '  migrations: { path: "prisma/migrations" },\n'
                '  datasource: { url: env("DATABASE_URL") },\n});\n',
                encoding="utf-8",
            )
        else:
            datasource += '  url      = env("DATABASE_URL")\n'
        (self.root / "prisma" / "schema.prisma").write_text(datasource + "}\n", encoding="utf-8")

    @property
    def script(self) -> Path:
        return self.root / "scripts" / "migrate-with-guards.sh"

    def generate(self) -> None:
        status = migpipe_main(["generate", "-c", str(self.pipeline_file), "--root", str(self.root), "--force"])
        assert status == 0, "migpipe generate failed"

    def add_migration(self, name: str, sql: str) -> Path:
        folder = self.migrations_dir / name
        folder.mkdir()
        (folder / "migration.sql").write_text(sql, encoding="utf-8")
        return folder / "migration.sql"

    # ---- running the script ----------------------------------------------

    def environment(self, *, url: str | None = None, path_prefix: list[Path] = (), **extra: str) -> dict[str, str]:
        """The run's environment; `extra` adds variables (e.g. what the workflow's step sets)."""
        env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
        path = [*map(str, path_prefix), str(STANDIN_BIN), str(VENV_BIN), env.get("PATH", "/usr/bin:/bin")]
        env.update(PATH=os.pathsep.join(path), DATABASE_URL=self.url if url is None else url,
                   RUNNER_TEMP=str(self.runner_temp), **extra)
        return env

    @property
    def runner_temp(self) -> Path:
        """The runner's temp dir (outside the checkout), where dumps go."""
        path = self.root.parent / "runner-temp"
        path.mkdir(exist_ok=True)
        return path

    def start(self, *args: str, **environment: Any) -> subprocess.Popen[str]:
        return subprocess.Popen(
            ["bash", str(self.script), *args], cwd=self.root, env=self.environment(**environment),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )

    def finish(self, process: subprocess.Popen[str], started: float, timeout: float = 120) -> RunResult:
        stdout, stderr = process.communicate(timeout=timeout)
        result = RunResult(process.returncode, stdout, stderr, time.monotonic() - started)
        self.assert_no_secrets(result)
        return result

    def run(self, *args: str, timeout: float = 120, **environment: Any) -> RunResult:
        started = time.monotonic()
        return self.finish(self.start(*args, **environment), started, timeout)

    def assert_no_secrets(self, result: RunResult) -> None:
        password = self.server.password
        secrets = {password, urllib.parse.quote(password, safe=""), self.url, self.url.split("?")[0]}
        for line in result.output.splitlines():
            for secret in secrets:
                assert secret not in line, f"output line leaks a secret: {line!r}"

    # ---- looking at the database -------------------------------------------

    def psql(self, sql: str) -> str:
        return self.server.psql(self.database, sql)

    def applied_migrations(self) -> list[str]:
        """Names recorded as finished in _prisma_migrations (none if it does not exist)."""
        if self.psql("SELECT to_regclass('public._prisma_migrations') IS NOT NULL") != "t":
            return []
        return self.psql(
            "SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL ORDER BY 1"
        ).splitlines()

    def history_rows(self) -> list[str]:
        """Every _prisma_migrations row as 'name|finished' or 'name|failed'."""
        if self.psql("SELECT to_regclass('public._prisma_migrations') IS NOT NULL") != "t":
            return []
        return self.psql(
            "SELECT migration_name || '|' || CASE WHEN finished_at IS NULL THEN 'failed' ELSE 'finished' END"
            " FROM _prisma_migrations ORDER BY started_at, migration_name"
        ).splitlines()

    def columns(self, table: str) -> list[str]:
        return self.psql(
            "SELECT column_name || ' ' || is_nullable FROM information_schema.columns"
            f" WHERE table_schema = 'public' AND table_name = '{table}' ORDER BY ordinal_position"
        ).splitlines()

    def table_exists(self, table: str) -> bool:
        return self.psql(f"SELECT to_regclass('public.{table}') IS NOT NULL") == "t"
