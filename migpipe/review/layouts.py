"""Where a tool keeps its migrations, how they sort, and which part of a file is SQL that runs.

How a tool whose order is a graph (Alembic, Django) orders its migrations is
the tool's runtime part's to say (``ordering_conflicts`` in
migpipe/runtime/tools/alembic.py and django.py): a layout points at it.

The review maps each path a pull request touches to a migration through this
table: one ``Layout`` per tool, keyed by the tool's name in pipeline.toml.
"""
from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass

from migpipe.runtime.tools import alembic, django, drizzle
from migpipe.runtime.tools.base import OrderCheck, OrderInputs

# A migration file as the layout sees it: its path relative to the migrations
# directory. identify() returns (migration name, whether this file is the SQL
# that runs) or None when the file is not part of a migration.
Identify = Callable[[str], "tuple[str, bool] | None"]


@dataclass(frozen=True)
class Layout:
    directory: str  # relative to the repository root, "" for the root
    identify: Identify
    # The SQL that runs, from the file's text: other lines are blanked so line
    # numbers stay the user's. None: the migration is code; its SQL exists
    # only when the tool runs it (linted by migrate-plan against production).
    up_sql: Callable[[str], str] | None
    # Whether names sort in apply order (timestamps or zero-padded numbers).
    # False when the order is a graph (Alembic's down_revision, Django's dependencies).
    ordered_by_name: bool = True
    # When the order is a graph: the tool's runtime part reads it from the
    # files and says which conflicts a branch's added files create.
    graph_order: OrderCheck | None = None
    # The other files graph_order reads, at the base and at the branch's head
    # (drizzle-kit's journal, a Django app's apps.py), from the migration files'
    # paths (all relative to the repository root).
    order_inputs: OrderInputs | None = None


def _whole(text: str) -> str:
    return text


def _section(start: re.Pattern[str], stop: re.Pattern[str]) -> Callable[[str], str]:
    """Keep the lines after ``start`` up to ``stop``, blank every other line."""

    def extract(text: str) -> str:
        kept, inside = [], False
        for line in text.split("\n"):
            if start.match(line):
                inside = True
                kept.append("")
            elif stop.match(line):
                inside = False
                kept.append("")
            else:
                kept.append(line if inside else "")
        return "\n".join(kept)

    return extract


def _prisma(path: str) -> tuple[str, bool] | None:
    parts = path.split("/")
    if len(parts) == 2 and parts[1] == "migration.sql":
        return parts[0], True
    if len(parts) >= 2 and parts[0] != "" and path != "migration_lock.toml":
        return parts[0], False  # any other file of a migration's folder is part of it
    return None


def _flat(pattern: str, sql: str | None = None) -> Identify:
    """One file per migration directly in the directory, named ``pattern``."""
    regex = re.compile(pattern)

    def identify(path: str) -> tuple[str, bool] | None:
        if "/" in path or not regex.fullmatch(path):
            return None
        name = path
        is_sql = sql is None or bool(re.fullmatch(sql, path))
        return name, is_sql

    return identify


def _golang(path: str) -> tuple[str, bool] | None:
    match = re.fullmatch(r"([0-9]+_[^/]*)\.(up|down)\.sql", path)
    if not match:
        return None
    return match.group(1), match.group(2) == "up"


def _django(path: str) -> tuple[str, bool] | None:
    match = re.fullmatch(r"(?:.*/)?([A-Za-z0-9_]+)/migrations/([0-9]{4}_[A-Za-z0-9_]+)\.py", path)
    if not match:
        return None
    return f"{match.group(1)}.{match.group(2)}", False


def _in(working_directory: str, directory: str) -> str:
    joined = posixpath.normpath(posixpath.join(working_directory, directory))
    return "" if joined == "." else joined


DBMATE_UP = _section(re.compile(r"--\s*migrate:up\b"), re.compile(r"--\s*migrate:down\b"))
NODE_PG_UP = _section(re.compile(r"--\s*Up Migration\b", re.IGNORECASE), re.compile(r"--\s*Down Migration\b", re.IGNORECASE))


def layout_for(tool_name: str, working_directory: str, migrations_dir: str) -> Layout:
    directory = _in(working_directory, migrations_dir)
    if tool_name == "prisma":
        return Layout(directory, _prisma, _whole)
    if tool_name == "dbmate":
        return Layout(directory, _flat(r"[0-9]+_[^/]*\.sql"), DBMATE_UP)
    if tool_name == "golang-migrate":
        return Layout(directory, _golang, _whole)
    if tool_name == "drizzle":
        # Applied in the journal's order, newer `when` only: drizzle.ordering_conflicts.
        return Layout(directory, _flat(r"[0-9]{4}_[^/]*\.sql"), _whole, graph_order=drizzle.ordering_conflicts,
                      order_inputs=drizzle.order_inputs)
    if tool_name == "node-pg-migrate":
        # SQL migrations are linted; JavaScript ones only run (migrate-plan lints their --dry-run SQL).
        return Layout(directory, _flat(r"[0-9]+_[^/]*\.(sql|js|cjs|mjs|ts)", r".*\.sql"), NODE_PG_UP)
    if tool_name == "knex":
        return Layout(directory, _flat(r"[0-9]+_[^/]*\.(js|cjs|mjs|ts)", r"$^"), None)
    if tool_name == "alembic":
        return Layout(directory, _flat(r"(?!__)[^/]+\.py", r"$^"), None, ordered_by_name=False,
                      graph_order=alembic.ordering_conflicts)
    if tool_name == "django":
        return Layout(directory, _django, None, ordered_by_name=False, graph_order=django.ordering_conflicts,
                      order_inputs=django.order_inputs)
    raise ValueError(f"no migration layout for tool {tool_name!r}")
