"""Each tool's pending computation and SQL, without a database."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from migpipe.pipeline import load_pipeline
from migpipe.runtime.locks import tables_touched
from migpipe.runtime.migrate import backoff_delays, is_lock_timeout
from migpipe.runtime.plan import build_plan, digest
from migpipe.runtime.processes import Completed
from migpipe.runtime.tools import REGISTRY, tool_runtime
from migpipe.runtime.tools.base import History, PendingSql, RunContext, keep_section
from migpipe.runtime.tools.dbmate import first_schema
from migpipe.runtime.urls import parse_url
from tests.migrate.project import pipeline_toml

URL = parse_url("postgresql://u:p@h/db")


def context(tmp_path: Path, tool: dict[str, object]) -> RunContext:
    config = tmp_path / "pipeline.toml"
    text = pipeline_toml({})
    config.write_text(re.sub(r"\[tool\]\n(?:[^\[\n].*\n|\n)*", "", text) + _tool_table(tool), encoding="utf-8")
    pipeline = load_pipeline(config)
    return RunContext(pipeline, tmp_path, URL, "DATABASE_URL", "5s", "15min", (), tmp_path)


def _tool_table(tool: dict[str, object]) -> str:
    return "\n[tool]\n" + "".join(f"{key} = {json.dumps(value)}\n" for key, value in tool.items())


def test_every_selectable_tool_has_a_runtime_part():
    from migpipe.profiles.tools.registry import TOOLS

    assert set(TOOLS) == set(REGISTRY)


def test_dbmate_history_is_in_the_first_schema_of_search_path_only():
    assert first_schema("app, public") == "app"
    assert first_schema('"My Schema",public') == "My Schema"
    assert first_schema(None) is None


def test_dbmate_pending_are_the_unrecorded_versions_and_only_the_up_section_is_linted(tmp_path: Path):
    ctx = context(tmp_path, {"name": "dbmate"})
    directory = tmp_path / "db" / "migrations"
    directory.mkdir(parents=True)
    (directory / "20240101_init.sql").write_text("-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n")
    (directory / "20240201_more.sql").write_text("-- migrate:up\nCREATE TABLE b (id int);\n-- migrate:down\nDROP TABLE b;\n")
    (directory / "notes.txt").write_text("not a migration")
    tool = tool_runtime(ctx.pipeline)
    assert tool.history_schema(parse_url("postgresql://u@h/db?search_path=app,public")) == "app"
    assert tool.pending(ctx, History(applied=("20240101",))) == ["20240201_more.sql"]
    sql = tool.pending_sql(ctx, "20240201_more.sql")
    assert sql.text == "-- migrate:up\nCREATE TABLE b (id int);\n\n\n"
    assert sql.display == "db/migrations/20240201_more.sql"


def test_a_migration_folder_name_with_glob_characters_is_still_linted(tmp_path: Path):
    ctx = context(tmp_path, {"name": "prisma", "version": 6})
    folder = tmp_path / "prisma" / "migrations" / "2024_[abc]*?_drop"
    folder.mkdir(parents=True)
    (folder / "migration.sql").write_text("DROP TABLE account;\n")
    tool = tool_runtime(ctx.pipeline)
    [name] = tool.pending(ctx, History())
    source = tool.pending_sql(ctx, name)
    assert source.text == "DROP TABLE account;\n"
    assert source.display == "prisma/migrations/2024_[abc]*?_drop/migration.sql"


def test_golang_migrate_pending_is_above_the_clean_version_in_numeric_order(tmp_path: Path):
    ctx = context(tmp_path, {"name": "golang-migrate"})
    directory = tmp_path / "db" / "migrations"
    directory.mkdir(parents=True)
    for name in ("1_a.up.sql", "2_b.up.sql", "10_c.up.sql", "2_b.down.sql"):
        (directory / name).write_text("SELECT 1;\n")
    tool = tool_runtime(ctx.pipeline)
    assert tool.pending(ctx, History(applied=("1",))) == ["2_b.up.sql", "10_c.up.sql"]
    command = tool.apply_command(ctx, "postgresql://u:s%2Fecret@h/db?lock_timeout=5s")
    assert all("ecret" not in part for part in command.argv)  # the password only in the environment
    assert command.env["PGPASSWORD"] == "s/ecret"


def test_knex_needs_a_reviewed_line(tmp_path: Path):
    ctx = context(tmp_path, {"name": "knex"})
    directory = tmp_path / "migrations"
    directory.mkdir()
    (directory / "001_a.js").write_text("exports.up = k => k.schema.createTable('a', () => {});\n")
    (directory / "002_b.js").write_text("// migpipe-reviewed: adds a table only\nexports.up = () => {};\n")
    tool = tool_runtime(ctx.pipeline)
    assert tool.pending(ctx, History(applied=("001_a.js",))) == ["002_b.js"]
    assert tool.pending_sql(ctx, "002_b.js").reviewed_reason == "adds a table only"
    from migpipe.runtime.tools.base import ToolError

    with pytest.raises(ToolError, match="cannot be linted"):
        tool.pending_sql(ctx, "001_a.js")


def test_node_pg_migrate_sql_up_section():
    up = re.compile(r"^[ \t]*--[ \t-]*up[ \t]+migration", re.IGNORECASE)
    down = re.compile(r"^[ \t]*--[ \t-]*down[ \t]+migration", re.IGNORECASE)
    text = "-- comment\n-- Up Migration\nCREATE TABLE a();\n-- Down Migration\nDROP TABLE a;"
    assert keep_section(text, up, down, whole_without_start=True) == "\n-- Up Migration\nCREATE TABLE a();\n\n"
    assert keep_section("DROP TABLE a;", up, down, whole_without_start=True) == "DROP TABLE a;"


def test_backoff_doubles_up_to_the_cap():
    assert backoff_delays(5, 10, 60) == [10, 20, 40, 60, 60]
    assert backoff_delays(0, 10, 60) == []


def test_lock_timeouts_are_recognised_in_the_tools_output():
    assert is_lock_timeout(Completed(1, "", "ERROR:  canceling statement due to lock timeout\n"))
    assert is_lock_timeout(Completed(1, "", "psycopg.errors.LockNotAvailable: ... 55P03"))
    assert not is_lock_timeout(Completed(1, "", 'ERROR:  relation "x" does not exist\n'))


def test_tables_touched_by_the_pending_sql():
    sql = (
        'ALTER TABLE "Account" ADD COLUMN x int;\n'
        "CREATE INDEX CONCURRENTLY idx ON public.orders (id);\n"
        "ALTER TABLE ONLY invoice ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES customers(id);\n"
        "-- DROP TABLE commented_out;\n"
        "TRUNCATE audit_log;\nUPDATE users SET a = 1;\n"
    )
    assert tables_touched([sql]) == ["Account", "audit_log", "customers", "invoice", "orders", "users"]


def test_the_plan_digest_changes_with_any_name_or_sql_and_with_order():
    one = digest([("a", "SELECT 1;"), ("b", "SELECT 2;")])
    assert one == digest([("a", "SELECT 1;"), ("b", "SELECT 2;")])
    assert one != digest([("b", "SELECT 2;"), ("a", "SELECT 1;")])
    assert one != digest([("a", "SELECT 1; "), ("b", "SELECT 2;")])
    assert one != digest([("aS", "ELECT 1;"), ("b", "SELECT 2;")])
    plan = build_plan("prisma", [PendingSql("a", "a.sql", "SELECT 1;"), PendingSql("b", "b.sql", "SELECT 2;")], None)
    assert plan.digest == one
    assert json.loads(plan.to_json())["migrations"][1] == {"name": "b", "display": "b.sql", "sql": "SELECT 2;"}
