"""Migration review of a pull request: what it adds or changes, checked before merge.

``review`` compares HEAD with a base revision (``git diff --name-status
base...HEAD``, so only the pull request's own changes count), maps each
touched path to a migration through the tool's ``Layout``, and reports:

* every migration added or changed, and its SQL's findings under the same
  policy as production (``migpipe.lint``);
* a migration that already exists on the base being edited or deleted:
  applied history is immutable;
* a new migration that sorts before the newest one on the base: another
  branch merged a later one meanwhile, and the tool would apply them out of
  order (or never);
* for tools whose order is not (only) the file names (Alembic's
  down_revision, Django's dependencies, drizzle-kit's journal), what the
  added files do to the base branch's order once merged: a second Alembic
  head, a second leaf in a Django app, a parent that does not exist, a
  drizzle journal entry older than the base's newest (production would skip
  it). The tool's runtime part reads the order from the files at the base
  and the files the branch adds (read from git, never imported).

It knows nothing of the command line; ``migpipe.review.report`` writes the
job summary and the annotations.
"""
from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from migpipe.errors import FatalError
from migpipe.review.layouts import Layout
from migpipe.runtime.tools.base import MigrationFile

if TYPE_CHECKING:
    from migpipe.lint import Finding


class ReviewError(FatalError):
    """The review cannot run: not a git checkout, an unknown base revision."""


@dataclass(frozen=True)
class Change:
    status: str  # added / modified / deleted
    path: str  # relative to the repository root
    migration: str
    sql: bool  # whether this file is SQL that runs


@dataclass(frozen=True)
class Problem:
    """A history or ordering problem: it blocks the merge."""

    path: str
    line: int
    kind: str  # "edited-merged-migration", "deleted-merged-migration", "out-of-order", "ordering-conflict", "schema-drift"
    message: str
    fix: str


@dataclass(frozen=True)
class ReviewReport:
    base: str
    changes: tuple[Change, ...]
    linted: tuple[str, ...]  # paths whose SQL was linted
    not_linted: tuple[tuple[str, str], ...]  # (path, why)
    findings: tuple[Finding, ...]
    problems: tuple[Problem, ...]

    @property
    def failed(self) -> bool:
        return bool(self.problems) or any(finding.blocks for finding in self.findings)


def _git(repository: Path, *args: str) -> str:
    completed = subprocess.run(["git", "-C", str(repository), *args], capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise ReviewError(f"git {' '.join(args)} failed: {completed.stderr.strip()}")
    return completed.stdout


_STATUS = {"A": "added", "M": "modified", "D": "deleted", "T": "modified"}


def changed_paths(repository: Path, base: str) -> list[tuple[str, str]]:
    """(status, path) for every file the branch changed since it left ``base``."""
    _git(repository, "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}")
    # Renames are a deletion plus an addition: a renamed migration is both.
    output = _git(repository, "diff", "--name-status", "--no-renames", "-z", f"{base}...HEAD")
    fields = output.split("\0")
    pairs = []
    for index in range(0, len(fields) - 1, 2):
        status, path = fields[index], fields[index + 1]
        pairs.append((_STATUS.get(status[:1], "modified"), path))
    return pairs


def _relative(path: str, directory: str) -> str | None:
    if not directory:
        return path
    prefix = directory.rstrip("/") + "/"
    return path[len(prefix):] if path.startswith(prefix) else None


def _sort_key(name: str) -> tuple[int, str]:
    match = re.match(r"[0-9]+", name)
    return (int(match.group(0)) if match else -1, name)


def migration_paths_at(repository: Path, revision: str, layout: Layout) -> dict[str, str]:
    """path -> migration name, for every migration file that exists at ``revision``."""
    where = [layout.directory] if layout.directory else []
    listing = _git(repository, "ls-tree", "-r", "-z", "--name-only", revision, "--", *where)
    paths = {}
    for path in filter(None, listing.split("\0")):
        relative = _relative(path, layout.directory)
        found = layout.identify(relative) if relative is not None else None
        if found:
            paths[path] = found[0]
    return paths


def migrations_at(repository: Path, revision: str, layout: Layout) -> set[str]:
    """The names of the migrations that exist at ``revision``."""
    return set(migration_paths_at(repository, revision, layout).values())


def files_at(repository: Path, revision: str, paths: Sequence[str]) -> list[MigrationFile]:
    """The text of each path at ``revision``, read in one ``git cat-file --batch``."""
    wanted = [path for path in paths if "\n" not in path]
    if not wanted:
        return []
    request = "".join(f"{revision}:{path}\n" for path in wanted).encode("utf-8")
    completed = subprocess.run(
        ["git", "-C", str(repository), "cat-file", "--batch"], input=request, capture_output=True, check=False
    )
    if completed.returncode != 0:
        raise ReviewError(f"git cat-file failed: {completed.stderr.decode('utf-8', 'replace').strip()}")
    out, position, files = completed.stdout, 0, []
    for path in wanted:
        end = out.index(b"\n", position)
        header = out[position:end].split()
        position = end + 1
        if len(header) != 3 or header[1] != b"blob":
            continue  # missing (or not a file) at this revision
        size = int(header[2])
        text = out[position:position + size].decode("utf-8", errors="replace")
        position += size + 1
        files.append(MigrationFile(path, text))
    return files


# (path, SQL) pairs, block, warn -> findings
Linter = Callable[[Sequence[tuple[str, str]], Collection[str], Collection[str]], "tuple[Finding, ...]"]


def lint_with_policy(sql: Sequence[tuple[str, str]], block: Collection[str], warn: Collection[str]) -> tuple[Finding, ...]:
    """The production policy's engine (migpipe.lint), on each (path, SQL)."""
    # Imported only when there is SQL to lint: the engine loads PostgreSQL's parser.
    from migpipe.lint import SqlSource, lint_sources

    return lint_sources([SqlSource(path, text) for path, text in sql], block, warn).findings


def review(
    repository: Path,
    base: str,
    layout: Layout,
    block: Collection[str],
    warn: Collection[str],
    lint: Linter = lint_with_policy,
) -> ReviewReport:
    changes: list[Change] = []
    for status, path in changed_paths(repository, base):
        relative = _relative(path, layout.directory)
        found = layout.identify(relative) if relative is not None else None
        if found:
            changes.append(Change(status, path, found[0], found[1]))
    merged_paths = migration_paths_at(repository, base, layout)
    merged = set(merged_paths.values())
    newest_merged = max(merged, key=_sort_key) if merged else None

    problems: list[Problem] = []
    for change in changes:
        if change.migration in merged and change.status != "added":
            verb = "edited" if change.status == "modified" else "deleted"
            problems.append(
                Problem(
                    change.path,
                    1,
                    f"{verb}-merged-migration",
                    f"{change.path} belongs to migration {change.migration}, which is already on the base branch "
                    f"(and may be applied in production): it was {verb}",
                    "applied history is immutable: restore the file, and write a new migration that makes the change",
                )
            )
        elif change.migration in merged and change.status == "added":
            problems.append(
                Problem(
                    change.path,
                    1,
                    "edited-merged-migration",
                    f"{change.path} adds a file to migration {change.migration}, which is already on the base branch",
                    "applied history is immutable: put the change in a new migration",
                )
            )
    new = sorted({c.migration for c in changes if c.status == "added" and c.migration not in merged}, key=_sort_key)
    if layout.ordered_by_name and newest_merged is not None:
        for name in new:
            if _sort_key(name) < _sort_key(newest_merged):
                path = next(c.path for c in changes if c.migration == name)
                problems.append(
                    Problem(
                        path,
                        1,
                        "out-of-order",
                        f"new migration {name} sorts before {newest_merged}, the newest on the base branch: "
                        "production may already have applied the later one, and the tool would apply this one "
                        "out of order or never",
                        "rename it (regenerate it) so that it sorts after the newest migration on the base branch",
                    )
                )

    if layout.graph_order is not None:
        added = [c.path for c in changes if c.status == "added" and c.migration not in merged]
        inputs = layout.order_inputs([*merged_paths, *added]) if layout.order_inputs else []
        if added:
            conflicts = layout.graph_order(
                files_at(repository, base, [*sorted(merged_paths), *inputs]), files_at(repository, "HEAD", [*added, *inputs])
            )
            problems += [Problem(c.path, c.line, "ordering-conflict", c.message, c.fix) for c in conflicts]

    to_lint: list[tuple[str, str]] = []
    not_linted: list[tuple[str, str]] = []
    for change in changes:
        if change.status == "deleted" or change.migration in merged:
            continue
        if change.sql and layout.up_sql is not None:
            text = (repository / change.path).read_text(encoding="utf-8")
            to_lint.append((change.path, layout.up_sql(text)))
        elif not change.sql:
            not_linted.append(
                (change.path, "a code migration: its SQL exists only when the tool runs it; migrate-plan lints that SQL before approval")
                if layout.up_sql is None or change.path.endswith((".js", ".cjs", ".mjs", ".ts", ".py"))
                else (change.path, "not the SQL that runs (e.g. a down migration)")
            )
    findings = lint(to_lint, block, warn) if to_lint else ()
    return ReviewReport(
        base=base,
        changes=tuple(changes),
        linted=tuple(path for path, _ in to_lint),
        not_linted=tuple(not_linted),
        findings=findings,
        problems=tuple(problems),
    )
