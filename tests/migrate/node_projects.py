"""Throwaway app repositories for tools the tests run for real, from npm.

``install_node_tools`` installs dbmate (its npm package ships the Go binary),
node-pg-migrate and pg, at fixed versions, into a directory once per test
session (DRIZZLE_VERSIONS and KNEX_VERSIONS each into a directory of its
own); every ``NodeToolProject`` links its ``node_modules`` to it, so the
generated script finds the tools with ``npx --no-install`` exactly as in CI.

Each project writes a pipeline.toml (pipeline.example.toml plus the test's
overrides), runs ``migpipe generate`` into itself and runs the generated
migrate-with-guards.sh with bash, with the real squawk, psql and pg_dump on
PATH. Every run is checked: no output line may hold the password or the URL.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
import urllib.parse
from pathlib import Path
from typing import Any

from migpipe.cli import main as migpipe_main
from tests.conftest import EXAMPLE_CONFIG
from tests.migrate.project import RunResult, _merge, _toml_table
from tests.support.postgres import PostgresServer

VENV_BIN = Path(sys.executable).parent  # squawk comes from the test venv

# Exact versions: a new release must not change what the tests prove unnoticed.
NODE_TOOL_VERSIONS = {"dbmate": "2.36.0", "node-pg-migrate": "9.0.0", "pg": "8.23.1"}
# drizzle-kit needs drizzle-orm (its migrator) and a driver (pg) next to it.
DRIZZLE_VERSIONS = {"drizzle-kit": "0.31.11", "drizzle-orm": "0.45.4", "pg": "8.23.1"}
KNEX_VERSIONS = {"knex": "3.3.0", "pg": "8.23.1"}


def install_node_tools(directory: Path, versions: dict[str, str] | None = None) -> Path:
    """Installs ``versions`` (NODE_TOOL_VERSIONS by default) into ``directory``; returns its node_modules."""
    npm = shutil.which("npm")
    assert npm, "npm is not installed (the Node.js migration tool tests need Node.js and npm)"
    directory.mkdir(parents=True, exist_ok=True)
    dependencies = NODE_TOOL_VERSIONS if versions is None else versions
    (directory / "package.json").write_text(
        json.dumps({"name": "migpipe-test-tools", "private": True, "dependencies": dependencies}) + "\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--no-package-lock", "--loglevel=error"],
        cwd=directory, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, f"npm install failed:\n{result.stdout}{result.stderr}"
    return directory / "node_modules"


def pipeline_toml(tool: dict[str, Any], overrides: dict[str, Any]) -> str:
    """pipeline.example.toml with its [tool] table replaced and ``overrides`` merged in."""
    example = tomllib.loads(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    data = {**_merge(example, overrides), "tool": tool}
    return "\n".join(_toml_table("", data)) + "\n"


class NodeToolProject:
    """An app repository whose pipeline.toml selects ``tool``, migrating ``database``."""

    def __init__(
        self,
        root: Path,
        server: PostgresServer,
        database: str,
        node_modules: Path,
        *,
        tool: dict[str, Any],
        migrations_dir: str,
        history_table: str,
        history_column: str,
        overrides: dict[str, Any] | None = None,
        url_query: str = "",
        history_schema: str = "public",
    ) -> None:
        self.root = root
        self.server = server
        self.database = database
        self.url = server.url(database, query=url_query)
        self.history_table = history_table
        self.history_column = history_column
        self.history_schema = history_schema
        self.migrations_dir = root / migrations_dir
        self.migrations_dir.mkdir(parents=True)
        (root / "package.json").write_text('{"name": "app", "private": true}\n', encoding="utf-8")
        (root / "node_modules").symlink_to(node_modules, target_is_directory=True)
        self.pipeline_file = root / "pipeline.toml"
        self.pipeline_file.write_text(pipeline_toml(tool, overrides or {}), encoding="utf-8")
        status = migpipe_main(["generate", "-c", str(self.pipeline_file), "--root", str(root), "--force"])
        assert status == 0, "migpipe generate failed"

    @property
    def script(self) -> Path:
        return self.root / "scripts" / "migrate-with-guards.sh"

    def add_migration(self, file_name: str, text: str) -> Path:
        path = self.migrations_dir / file_name
        path.write_text(text, encoding="utf-8")
        return path

    # ---- running the script ----------------------------------------------

    def environment(self, *, url: str | None = None) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith(("PG", "DATABASE"))}
        env.update(
            PATH=os.pathsep.join([str(VENV_BIN), env.get("PATH", "/usr/bin:/bin")]),
            DATABASE_URL=self.url if url is None else url,
            # npx must never fetch anything: the tools come from node_modules.
            npm_config_offline="true",
            NO_COLOR="1",
            RUNNER_TEMP=str(self.runner_temp),
        )
        return env

    @property
    def runner_temp(self) -> Path:
        """The runner's temp dir (outside the checkout), where dumps go."""
        path = self.root.parent / "runner-temp"
        path.mkdir(exist_ok=True)
        return path

    def run(self, *, timeout: float = 120, **environment: Any) -> RunResult:
        started = time.monotonic()
        process = subprocess.run(
            ["bash", str(self.script)], cwd=self.root, env=self.environment(**environment),
            capture_output=True, text=True, timeout=timeout,
        )
        result = RunResult(process.returncode, process.stdout, process.stderr, time.monotonic() - started)
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

    def history(self) -> list[str]:
        """What the tool's history table records, oldest first (none if it does not exist)."""
        table = f"{self.history_schema}.{self.history_table}"
        if self.psql(f"SELECT to_regclass('{table}') IS NOT NULL") != "t":
            return []
        return self.psql(f"SELECT {self.history_column} FROM {table} ORDER BY {self.history_column}").splitlines()

    def columns(self, table: str) -> list[str]:
        return self.psql(
            "SELECT column_name || ' ' || is_nullable FROM information_schema.columns"
            f" WHERE table_schema = 'public' AND table_name = '{table}' ORDER BY ordinal_position"
        ).splitlines()

    def table_exists(self, table: str) -> bool:
        return self.psql(f"SELECT to_regclass('public.{table}') IS NOT NULL") == "t"


_installed: dict[str, Path] = {}


def shared_node_modules(tmp_path_factory: Any, versions: dict[str, str] | None = None) -> Path:
    """NODE_TOOL_VERSIONS (or ``versions``), installed once per test session (each test module asks)."""
    if versions is None:
        if "node_modules" not in _installed:
            _installed["node_modules"] = install_node_tools(tmp_path_factory.mktemp("node-tools"))
        return _installed["node_modules"]
    key = json.dumps(versions, sort_keys=True)
    if key not in _installed:
        _installed[key] = install_node_tools(tmp_path_factory.mktemp("node-tools"), versions)
    return _installed[key]
