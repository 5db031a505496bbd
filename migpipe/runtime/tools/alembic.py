"""Alembic's runtime part.

``alembic_version`` holds only the heads of what was applied; pending is
worked out from the revision graph by Alembic itself (alembic_pending.py,
run by the app's python3), and the SQL of a pending revision is what
``alembic upgrade FROM:REV --sql`` prints (offline mode). Alembic keeps no
record of a failed revision: its transaction is rolled back.

For the review of a pull request, ``ordering_conflicts`` reads the revision
graph from the files themselves (ast, nothing imported) and says what the
revisions a branch adds do to the base branch's graph.
"""
from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from migpipe.runtime.processes import Command, run
from migpipe.runtime.tools import alembic_pending
from migpipe.runtime.tools.base import (
    BaseTool,
    History,
    MigrationFile,
    OrderConflict,
    PendingSql,
    RunContext,
    TimeoutsVia,
    ToolError,
)

if TYPE_CHECKING:
    from migpipe.pipeline import Pipeline


class Alembic(BaseTool):
    name = "alembic"
    label = "Alembic"
    history_table = "alembic_version"
    # SQLAlchemy with psycopg: libpq reads PGOPTIONS.
    timeouts_via: TimeoutsVia = "pgoptions"

    def history_sql(self, table: str) -> tuple[str | None, str | None]:
        return f"SELECT version_num FROM {table} ORDER BY version_num", None

    def _alembic(self, context: RunContext) -> tuple[str, ...]:
        return ("alembic", "-c", context.tool.config_path)

    def pending(self, context: RunContext, history: History) -> list[str]:
        # Fed on stdin (`python3 -`), so the app's directory, not this
        # package's, is first on sys.path, as when the app runs alembic.
        helper = Path(alembic_pending.__file__).read_text(encoding="utf-8")
        result = run(Command(("python3", "-", context.tool.config_path, *history.applied),
                             {context.url_env: context.url.tool_url()}),
                     context.workdir, context.secrets, stdin=helper)
        if result.returncode != 0:
            raise ToolError(result.last_lines())
        rows: dict[str, tuple[str, str]] = {}
        for line in result.stdout.splitlines():
            revision, start, file = line.split("\t")
            rows[revision] = (start, file)
        context.cache["alembic"] = rows
        return list(rows)

    def pending_sql(self, context: RunContext, name: str) -> PendingSql:
        start, file = context.cache["alembic"][name]
        result = context.run(Command((*self._alembic(context), "upgrade", f"{start}:{name}", "--sql"),
                                     {context.url_env: context.url.tool_url()}))
        if result.returncode != 0:
            raise ToolError(result.last_lines())
        return PendingSql(name, file, result.stdout, generated=True)

    def apply_command(self, context: RunContext, tool_url: str) -> Command:
        return Command((*self._alembic(context), "upgrade", "head"), {context.url_env: tool_url})

    def required_programs(self, pipeline: Pipeline) -> tuple[str, ...]:
        return ("alembic", "python3")


def build(pipeline: Pipeline) -> Alembic:
    return Alembic()


# ---- ordering: the revision graph, read from the files -------------------------
#
# Alembic orders revisions by ``down_revision``, not by file name. A branch
# that adds a revision on top of an older one than the base branch's head
# makes a second head once merged, and ``alembic upgrade head`` then stops
# ("Multiple head revisions are present for given argument 'head'"). The
# review reads ``revision`` / ``down_revision`` from each file with ast (the
# project is never imported) and compares the heads before and after.


@dataclass(frozen=True)
class RevisionFile:
    revision: str
    down_revisions: tuple[str, ...]  # () for a root; two or more for a merge revision
    path: str
    line: int  # of the down_revision assignment


def read_revision(file: MigrationFile) -> RevisionFile | str | None:
    """The revision a file declares; None when it declares none (not a revision
    file); a sentence when it cannot be read statically."""
    try:
        tree = ast.parse(file.text, filename=file.path)
    except SyntaxError as error:
        return f"it is not valid Python (line {error.lineno}: {error.msg})"
    found: dict[str, tuple[int, ast.expr]] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name, value = node.targets[0].id, node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            name, value = node.target.id, node.value
        else:
            continue
        if name in ("revision", "down_revision"):
            found[name] = (node.lineno, value)
    if "revision" not in found:
        return None
    try:
        revision = ast.literal_eval(found["revision"][1])
        down = ast.literal_eval(found["down_revision"][1]) if "down_revision" in found else ()
    except ValueError:
        return "its revision or down_revision is not a literal string, tuple or None"
    if not isinstance(revision, str) or not revision:
        return "its revision is not a string"
    if down is None:
        downs: tuple[str, ...] = ()
    elif isinstance(down, str):
        downs = (down,)
    elif isinstance(down, (tuple, list)) and all(isinstance(item, str) for item in down):
        downs = tuple(down)
    else:
        return "its down_revision is not a string, a tuple of strings or None"
    if "down_revision" not in found:
        return "it has no down_revision (None for the first revision)"
    return RevisionFile(revision, downs, file.path, found["down_revision"][0])


def _heads(revisions: Mapping[str, RevisionFile]) -> set[str]:
    parents = {parent for revision in revisions.values() for parent in revision.down_revisions}
    return set(revisions) - parents


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(f"'{name}'" for name in sorted(names))


def ordering_conflicts(base: Sequence[MigrationFile], added: Sequence[MigrationFile]) -> list[OrderConflict]:
    """What the revisions ``added`` does to the base branch's revision graph:
    a second head, a down_revision that names no revision, a reused id."""
    known: dict[str, RevisionFile] = {}
    for file in base:
        read = read_revision(file)
        if isinstance(read, RevisionFile):
            known[read.revision] = read
    conflicts: list[OrderConflict] = []
    new: dict[str, RevisionFile] = {}
    for file in added:
        read = read_revision(file)
        if read is None:
            continue
        if isinstance(read, str):
            conflicts.append(OrderConflict(
                file.path, 1, f"cannot read the revision graph from {file.path}: {read}",
                "declare `revision = \"…\"` and `down_revision = \"…\"` (or None, or a tuple for a merge) "
                "as plain literals at the top level, as `alembic revision` writes them",
            ))
            continue
        if read.revision in known or read.revision in new:
            other = (known.get(read.revision) or new[read.revision]).path
            conflicts.append(OrderConflict(
                read.path, 1, f"revision id '{read.revision}' of {read.path} is already the id of {other}",
                "give the new revision its own id (`alembic revision` generates one) and keep the existing file as it is",
            ))
            continue
        new[read.revision] = read
    merged = {**known, **new}
    for revision in new.values():
        missing = [parent for parent in revision.down_revisions if parent not in merged]
        if missing:
            conflicts.append(OrderConflict(
                revision.path, revision.line,
                f"revision '{revision.revision}' revises {_quoted(missing)}, which is neither on the base branch "
                "nor in this change: Alembic cannot build the revision graph",
                f"set down_revision to a revision that exists; the base branch's head is {_quoted(_heads(known)) or 'none'}",
            ))
    base_heads = _heads(known)
    heads = _heads(merged)
    if len(heads) <= max(1, len(base_heads)):
        return conflicts
    merge = f"`alembic merge -m \"merge heads\" {' '.join(sorted(heads))}`"
    base_head = next(iter(base_heads)) if len(base_heads) == 1 else None
    if base_heads:
        paths = ", ".join(known[h].path for h in sorted(base_heads))
        base_says = f"the base branch's head is {_quoted(base_heads)} ({paths})"
    else:
        base_says = "the base branch has no revision"
    for head in sorted(heads - base_heads):
        if head not in new:
            continue
        others = _quoted(heads - {head})
        # The file to fix: where this change's line of revisions leaves the
        # base branch's history below its head, or starts a second root.
        start, stack, seen = None, [head], set()
        while stack:
            current = new[stack.pop()]
            seen.add(current.revision)
            if not current.down_revisions or any(p in known and p not in base_heads for p in current.down_revisions):
                start = current
            stack.extend(p for p in current.down_revisions if p in new and p not in seen)
        if start is not None:
            revises = _quoted(start.down_revisions) if start.down_revisions else "nothing (a second root)"
            message = (
                f"revision '{start.revision}' revises {revises}, but {base_says}: merged, the history has "
                f"{len(heads)} heads, '{head}' and {others}, and `alembic upgrade head` stops "
                "(\"Multiple head revisions are present\")"
            )
            target = (f"set down_revision = '{base_head}' in {start.path}" if base_head
                      else f"set down_revision in {start.path} to the revision it follows")
            conflicts.append(OrderConflict(start.path, start.line, message, f"rebase it: {target}, or commit a merge revision: {merge}"))
        else:
            revision = new[head]
            message = (
                f"revision '{head}' and {others} are all heads once merged: this change's revisions branch off "
                f"the same history ({base_says}), and `alembic upgrade head` stops (\"Multiple head revisions are present\")"
            )
            conflicts.append(OrderConflict(
                revision.path, revision.line, message,
                f"chain them (set down_revision of one to the other's revision), or commit a merge revision: {merge}",
            ))
    return conflicts
