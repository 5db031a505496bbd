"""drizzle-kit's runtime part.

drizzle-kit records applied migrations in ``drizzle.__drizzle_migrations``
(its own schema, whatever the URL says) with the ``when`` of their journal
entry as ``created_at``, and applies every journal entry newer than the
newest ``created_at``. Each is ``<tag>.sql`` in the migrations directory,
linted as it is. All pending migrations run in one transaction, history
included: no failed rows. It connects with node-postgres (URL ``options``).

Schema drift, for the review. ``drizzle-kit check`` does not compare the
schema with the migrations: it checks that the snapshots under meta/ agree
with each other (drizzle-kit 0.31.11 says "Everything's fine" and exits 0
after a column was added to the schema without a migration). The only thing
that compares them is ``drizzle-kit generate``, which diffs the schema with
the newest snapshot (no database) and writes a migration when they differ.
So ``schema_drift`` runs it under a name of its own, looks at what it wrote,
and removes it again: a new migration, or any answer but "No schema changes,
nothing to migrate", is drift. drizzle-kit exits 0 even when it failed (e.g.
"Interactive prompts require a TTY terminal" when a rename is ambiguous), so
its exit status alone says nothing.
"""
from __future__ import annotations

import json
import posixpath
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migpipe.runtime.processes import Command, Completed, run
from migpipe.runtime.tools.base import (
    BaseTool,
    History,
    MigrationFile,
    OrderConflict,
    PendingSql,
    RunContext,
    SchemaDrift,
    TimeoutsVia,
    ToolError,
    display_path,
    node_exec,
    read_text,
)
from migpipe.runtime.urls import DatabaseUrl

if TYPE_CHECKING:
    from migpipe.pipeline import Pipeline

DEFAULT_CONFIG = "drizzle.config.ts"
# The name the drift check gives the migration it asks drizzle-kit for (and removes).
DRIFT_NAME = "migpipe_drift_check"
NO_CHANGES = "No schema changes, nothing to migrate"


def _files(directory: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in directory.rglob("*") if path.is_file()} if directory.is_dir() else {}


def _restore(directory: Path, before: dict[Path, bytes]) -> None:
    """Put ``directory`` back as it was: what drizzle-kit wrote goes, what it rewrote comes back."""
    for path in sorted(_files(directory), reverse=True):
        if path not in before:
            path.unlink()
    for path, data in before.items():
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
    if directory.is_dir():
        for folder in sorted((d for d in directory.rglob("*") if d.is_dir()), reverse=True):
            if not any(folder.iterdir()) and not any(p.is_relative_to(folder) for p in before):
                folder.rmdir()


class Drizzle(BaseTool):
    name = "drizzle"
    label = "drizzle-kit"
    history_table = "__drizzle_migrations"
    timeouts_via: TimeoutsVia = "url-options"

    def history_schema(self, url: DatabaseUrl) -> str | None:
        return "drizzle"

    def history_sql(self, table: str) -> tuple[str | None, str | None]:
        # Only the newest: drizzle-kit compares the journal with it alone.
        return f"SELECT created_at::text FROM {table} ORDER BY created_at DESC LIMIT 1", None

    def pending(self, context: RunContext, history: History) -> list[str]:
        journal = context.migrations_dir() / "meta" / "_journal.json"
        last = int(history.applied[0]) if history.applied else None
        try:
            entries = json.loads(read_text(journal))["entries"]
            return [str(entry["tag"]) for entry in entries if last is None or int(entry["when"]) > last]
        except (ValueError, KeyError, TypeError) as error:
            raise ToolError(f"cannot read {display_path(context, journal)}: {error!r}") from error

    def pending_sql(self, context: RunContext, name: str) -> PendingSql:
        path = context.migrations_dir() / f"{name}.sql"
        return PendingSql(name, display_path(context, path), read_text(path))

    def apply_command(self, context: RunContext, tool_url: str) -> Command:
        config = context.tool.config_path
        options = () if config == DEFAULT_CONFIG else ("--config", config)
        argv = (*node_exec(context.pipeline.project.package_manager), "drizzle-kit", "migrate", *options)
        return Command(argv, {context.url_env: tool_url})

    def required_programs(self, pipeline: Pipeline) -> tuple[str, ...]:
        return (node_exec(pipeline.project.package_manager)[0],)

    def schema_drift(self, pipeline: Pipeline, workdir: Path) -> SchemaDrift | None:
        tool: Any = pipeline.tool
        config, out = str(tool.config_path), workdir / str(tool.migrations_dir)
        argv = (*node_exec(pipeline.project.package_manager), "drizzle-kit", "generate", "--config", config, "--name", DRIFT_NAME)
        before = _files(out)
        try:
            result = run(Command(argv, {}), workdir, ())
            written = {path: data for path, data in _files(out).items() if path not in before}
        finally:
            _restore(out, before)
        sql = [data.decode("utf-8", errors="replace") for path, data in sorted(written.items()) if path.suffix == ".sql"]
        fix_generate = f"run `drizzle-kit generate --config {config}` and commit the migration it writes (or undo the schema change)"
        if sql:
            body = "\n".join(line for line in sql[0].splitlines() if line.strip() and "statement-breakpoint" not in line)
            return SchemaDrift(
                config,
                "the schema and the migrations disagree: `drizzle-kit generate` writes a new migration for this "
                f"change's schema ({', '.join(str(p.relative_to(workdir)) for p in sorted(written))}, removed again): "
                + (body[:2000] or "(empty)"),
                fix_generate,
            )
        if result.returncode == 0 and NO_CHANGES in result.output:
            return None
        # Its error is the line before a stack trace ("Error: ..."), not the trace's last lines.
        said = next((line.strip() for line in result.output.splitlines() if "error" in line.lower()), None)
        return SchemaDrift(
            config,
            f"`drizzle-kit generate` could not say that the schema matches the migrations (exit {result.returncode}): "
            + (said or result.last_lines()),
            fix_generate + "; when it asks whether a column or table was renamed, answer it there",
        )

    def failure_hint(self, result: Completed) -> str | None:
        # drizzle-kit 0.31.10 and later exit 1 on a failed migration without
        # printing the database's error (their spinner swallows it:
        # drizzle-orm issues #6121, #5816).
        if "error" in result.output.lower():
            return None
        return (f"drizzle-kit migrate failed (exit {result.returncode}). drizzle-kit 0.31.10 and later do not print "
                "the database error;\nthe PostgreSQL server log has it (e.g. a lock timeout: another session held a "
                "table lock).")


def build(pipeline: Pipeline) -> Drizzle:
    return Drizzle()


# ---- ordering: the journal's ``when``, read from the files ---------------------
#
# drizzle-kit migrate applies the journal entries whose ``when`` is newer than
# the newest ``created_at`` it recorded (drizzle-orm 0.45.4 pg-core/dialect.js:
# ``Number(lastDbMigration.created_at) < migration.folderMillis``). A branch's
# migration generated before a later one merged on the base branch keeps its
# older ``when``; once both are merged, production, which applied the base's,
# skips the branch's silently, whatever its file name. The review compares the
# ``when`` of the journal entries a branch adds with the base branch's newest.

JOURNAL = "meta/_journal.json"


def order_inputs(paths: Sequence[str]) -> list[str]:
    """The journal next to the migrations (they sit flat in drizzle-kit's out directory)."""
    return sorted({posixpath.join(posixpath.dirname(path), JOURNAL) for path in paths})


def _journal(files: Sequence[MigrationFile]) -> tuple[MigrationFile, list[tuple[str, int]]] | None:
    for file in files:
        if file.path == JOURNAL or file.path.endswith("/" + JOURNAL):
            try:
                entries = json.loads(file.text)["entries"]
                return file, [(str(entry["tag"]), int(entry["when"])) for entry in entries]
            except (ValueError, KeyError, TypeError):
                return file, []
    return None


def _line_of(text: str, needle: str) -> int:
    return next((number for number, line in enumerate(text.splitlines(), 1) if needle in line), 1)


def _when(millis: int) -> str:
    return datetime.fromtimestamp(millis / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def ordering_conflicts(base: Sequence[MigrationFile], branch: Sequence[MigrationFile]) -> list[OrderConflict]:
    """What the journal entries (and SQL files) a branch adds do to drizzle-kit's apply order."""
    base_journal, head_journal = _journal(base), _journal(branch)
    if head_journal is None:
        return []
    journal, entries = head_journal
    known = dict(base_journal[1]) if base_journal else {}
    conflicts: list[OrderConflict] = []
    if known:
        newest_tag, newest = max(known.items(), key=lambda item: item[1])
        for tag, when in entries:
            if tag in known or when > newest:
                continue
            conflicts.append(OrderConflict(
                journal.path, _line_of(journal.text, f'"{tag}"'),
                f"journal entry {tag} has when {when} ({_when(when)}), not newer than {newest} ({_when(newest)}) of "
                f"{newest_tag}, the newest on the base branch: drizzle-kit migrate applies only entries newer than "
                f"the newest it applied, so production would skip {tag} silently",
                f"generate it again on top of the base branch: remove {tag}.sql, its snapshot and its journal entry, "
                f"merge the base branch, run `drizzle-kit generate` (or raise its when above {newest})",
            ))
    tags = {tag for tag, _ in entries}
    for file in branch:
        name = file.path.rsplit("/", 1)[-1]
        if name.endswith(".sql") and name[:-4] not in tags:
            conflicts.append(OrderConflict(
                file.path, 1,
                f"{name} is not in {journal.path}: drizzle-kit migrate applies only what the journal lists, so it would never run",
                "write migrations with `drizzle-kit generate` (or `generate --custom` for hand-written SQL), which records them in the journal",
            ))
    return conflicts
