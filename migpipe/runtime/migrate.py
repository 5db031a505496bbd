"""``migpipe migrate``: the production step, in this order.

1. Pending: the local migrations the tool's history table does not record
   as applied. If the tool is applying right now (its advisory lock is
   held), waits for it first, so a migration in progress is not taken for a
   failed one. A migration that failed earlier and is unresolved stops the
   run (exit 3).
2. Lint of exactly that SQL; a blocked kind stops the run (exit 2).
3. The sessions holding or waiting for locks on the tables it touches.
4. Backup (dump, restore point, or none); a failure stops the run (exit 4).
5. Apply, with lock_timeout / statement_timeout set in the applying
   session. A migration that failed on lock_timeout and applied nothing is
   retried with backoff (for Prisma, its failed record is first marked
   rolled back: it changed nothing).
6. Check: the history table records every migration as applied (a run that
   waited behind another which applied them all reports success).

Exit codes: 0 applied or nothing pending, 2 blocked, 3 cannot start,
4 backup failed, 5 apply failed. The database URL is never printed; no
password reaches a command line (see urls.py).
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migpipe.errors import (
    EXIT_MIGRATE_APPLY_FAILED,
    EXIT_MIGRATE_BACKUP_FAILED,
    EXIT_MIGRATE_BLOCKED,
    EXIT_MIGRATE_CANNOT_START,
    MigrateError,
)
from migpipe.runtime import backup, locks
from migpipe.runtime.durations import seconds
from migpipe.runtime.lint_gate import LintOutcome, LintUnavailable, lint_pending
from migpipe.runtime.plan import Plan, build_plan, digest, parse_digest, planned_names, what_changed
from migpipe.runtime.processes import Command, Completed, missing_program
from migpipe.runtime.tools import tool_runtime
from migpipe.runtime.tools.base import (
    History,
    PendingSql,
    RunContext,
    ToolError,
    ToolRuntime,
)
from migpipe.runtime.urls import DatabaseUrl, UrlError, parse_url, redact

if TYPE_CHECKING:
    from migpipe.pipeline import Pipeline

PREFIX = "migpipe migrate"
# migrate-prod passes migrate-plan's `migrations` output here (a JSON list of names).
PLANNED_ENV = "MIGPIPE_PLANNED_MIGRATIONS"


@dataclass(frozen=True)
class MigrateOptions:
    plan_only: bool = False
    plan_file: Path | None = None
    expect_digest: str | None = None
    # Only print the server's major version (the job installs the matching pg_dump).
    server_major: bool = False


def libpq_keywords() -> list[str]:
    """Every connection keyword the installed libpq knows."""
    from psycopg import pq

    return [option.keyword.decode() for option in pq.Conninfo.get_defaults()]


def is_lock_timeout(result: Completed) -> bool:
    text = result.output.lower()
    return "lock timeout" in text or "55p03" in text or "lock_not_available" in text


def backoff_delays(retries: int, first: float, cap: float) -> list[float]:
    """Waits before each retry: ``first``, doubled each time, at most ``cap``."""
    return [min(first * 2**index, cap) for index in range(retries)]


class Migrate:
    """One run of the production step. ``run()`` returns 0 or raises MigrateError."""

    def __init__(self, pipeline: Pipeline, root: Path, options: MigrateOptions) -> None:
        self.pipeline = pipeline
        self.root = root
        self.options = options
        self.workdir = root / pipeline.project.working_directory
        self.tool: ToolRuntime = tool_runtime(pipeline)
        self.guards = pipeline.guards
        self.url_env = pipeline.test_database.url_env
        self.secrets: tuple[str, ...] = ()
        # The other variables the tool reads a URL from (Prisma's directUrl): the
        # tool may migrate through one of them, so each gets the timeouts too.
        self.other_urls: dict[str, DatabaseUrl] = {}

    # ---- output ------------------------------------------------------------------

    def say(self, message: str) -> None:
        print(redact(f"{PREFIX}: {message}", self.secrets), flush=True)

    def warn(self, message: str) -> None:
        print(redact(f"{PREFIX}: {message}", self.secrets), file=sys.stderr, flush=True)

    def fail(self, code: int, message: str) -> MigrateError:
        return MigrateError(redact(message, self.secrets), code)

    # ---- starting --------------------------------------------------------------

    def _url(self) -> DatabaseUrl:
        text = os.environ.get(self.url_env, "")
        if not text.strip():
            raise self.fail(EXIT_MIGRATE_CANNOT_START, f"{self.url_env} is not set (in CI it comes from the secret "
                            f"{self.pipeline.approval.database_url_secret})")
        try:
            url = parse_url(text, self.url_env)
        except UrlError as error:
            raise self.fail(EXIT_MIGRATE_CANNOT_START, str(error)) from None
        # Whatever the spelling, none of these may be printed.
        self.secrets = tuple(sorted({*url.secrets, text.strip(), text}, key=len, reverse=True))
        return url

    def _other_urls(self) -> None:
        """Each of test_database.other_url_envs, read like the main URL (exit 3 when one is missing)."""
        hidden = set(self.secrets)
        for name, secret in self.pipeline.test_database.other_url_envs.items():
            text = os.environ.get(name, "")
            if not text.strip():
                raise self.fail(EXIT_MIGRATE_CANNOT_START, f"{name} is not set ({self.tool.label} reads it too: "
                                f"test_database.other_url_envs; in CI it comes from the secret {secret})")
            try:
                self.other_urls[name] = parse_url(text, name)
            except UrlError as error:
                raise self.fail(EXIT_MIGRATE_CANNOT_START, str(error)) from None
            hidden |= {*self.other_urls[name].secrets, text.strip(), text}
        self.secrets = tuple(sorted(hidden, key=len, reverse=True))

    def _context(self, url: DatabaseUrl, scratch: Path) -> RunContext:
        # A tool that reads the connection piece by piece (Django settings reading
        # PGHOST, ...) gets each piece of the same URL.
        parts = {name: url.part(part) for name, part in self.pipeline.test_database.url_part_envs.items()}
        return RunContext(self.pipeline, self.workdir, url, self.url_env, self.guards.lock_timeout,
                          self.guards.statement_timeout, self.secrets, scratch, tool_env=parts)

    def _check_programs(self, context: RunContext) -> None:
        for program in self.tool.required_programs(self.pipeline):
            if missing_program((program,), self.workdir):
                raise self.fail(EXIT_MIGRATE_CANNOT_START, f"{program} is not installed")
        if not context.migrations_dir().is_dir():
            raise self.fail(EXIT_MIGRATE_CANNOT_START,
                            f"migrations directory {context.tool.migrations_dir} does not exist")

    @contextmanager
    def _connect(self, url: DatabaseUrl) -> Iterator[Any]:
        import psycopg

        try:
            conninfo = psycopg.conninfo.make_conninfo(
                "", **url.connect_kwargs(libpq_keywords(), self.guards.connect_timeout_seconds)
            )
            connection = psycopg.connect(conninfo, autocommit=True)
        except psycopg.Error as error:
            lines = [line.strip() for line in str(error).splitlines() if line.strip()]
            first = lines[0] if lines else type(error).__name__
            first = first.removeprefix("connection failed: ")
            raise self.fail(EXIT_MIGRATE_CANNOT_START, f"cannot connect to the database: {first}") from None
        try:
            yield connection
        finally:
            connection.close()

    # ---- history -----------------------------------------------------------------

    def read_history(self, connection: Any, url: DatabaseUrl, code: int) -> History:
        """The history table, after waiting for the tool's apply lock (if any)."""
        import psycopg
        from psycopg import sql

        schema = self.tool.history_schema(url)
        table = sql.Identifier(schema, self.tool.history_table) if schema else sql.Identifier(self.tool.history_table)
        try:
            with connection.cursor() as cursor:
                if self.tool.apply_lock_key is not None:
                    # The tool holds this lock while it applies: wait for it (at
                    # most statement_timeout), so a migration another run is
                    # applying right now is not taken for one that failed.
                    cursor.execute(sql.SQL("SET lock_timeout = {}").format(sql.Literal(self.guards.statement_timeout)))
                    cursor.execute("SELECT pg_advisory_lock(%s)", (self.tool.apply_lock_key,))
                try:
                    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", (table.as_string(connection),))
                    row = cursor.fetchone()
                    if not row or not row[0]:
                        return History()
                    applied_sql, failed_sql = self.tool.history_sql(table.as_string(connection))
                    applied: tuple[str, ...] = ()
                    failed: tuple[str, ...] = ()
                    if applied_sql:
                        cursor.execute(applied_sql.encode())
                        applied = tuple(str(r[0]) for r in cursor.fetchall())
                    if failed_sql:
                        cursor.execute(failed_sql.encode())
                        failed = tuple(str(r[0]) for r in cursor.fetchall())
                    return History(applied, failed)
                finally:
                    if self.tool.apply_lock_key is not None:
                        cursor.execute("SELECT pg_advisory_unlock(%s)", (self.tool.apply_lock_key,))
                        cursor.execute("RESET lock_timeout")
        except psycopg.Error as error:
            first = (str(error).splitlines() or [type(error).__name__])[0]
            raise self.fail(code, f"cannot read {self.tool.history_table}: {first}") from None

    def find_pending(self, context: RunContext, history: History, code: int) -> list[str]:
        try:
            return self.tool.pending(context, history)
        except ToolError as error:
            raise self.fail(code, f"cannot list the pending migrations:\n{error}") from None

    # ---- the applying session's timeouts ----------------------------------------

    def apply_url_and_env(self, url: DatabaseUrl) -> tuple[str, dict[str, str]]:
        lock, statement = self.guards.lock_timeout, self.guards.statement_timeout
        settings = f"-c lock_timeout={lock} -c statement_timeout={statement}"
        if self.tool.timeouts_via == "url-options":
            existing = " ".join(value for key, value in url.query if key == "options")
            query = [(k, v) for k, v in url.query if k != "options"] + [("options", f"{existing} {settings}".strip())]
            return url.tool_url(query=query), {}
        if self.tool.timeouts_via == "url-params":
            query = [(k, v) for k, v in url.query if k not in ("lock_timeout", "statement_timeout")]
            query += [("lock_timeout", lock), ("statement_timeout", statement)]
            return url.tool_url(query=query), {}
        # libpq-based tools read the session settings from PGOPTIONS.
        return url.tool_url(), {"PGOPTIONS": f"{os.environ.get('PGOPTIONS', '')} {settings}".strip()}

    # ---- the steps ---------------------------------------------------------------

    def pending_sql(self, context: RunContext, pending: list[str]) -> list[PendingSql]:
        sources = []
        for name in pending:
            try:
                source = self.tool.pending_sql(context, name)
            except ToolError as error:
                raise self.fail(EXIT_MIGRATE_CANNOT_START, f"cannot produce the SQL of migration {name}:\n{error}") from None
            if source.reviewed_reason is not None:
                self.warn(f"WARNING: {source.display} was NOT linted ({self.tool.label} cannot print its SQL); "
                          f"reviewed: {source.reviewed_reason}")
            sources.append(source)
        return sources

    def lint(self, sources: list[PendingSql]) -> LintOutcome:
        try:
            outcome = lint_pending(sources, self.guards.block, self.guards.warn)
        except LintUnavailable as error:
            raise self.fail(EXIT_MIGRATE_CANNOT_START, str(error)) from None
        expected = {s.name for s in sources if s.reviewed_reason is None}
        if set(outcome.linted) != expected:  # the set linted is the set asked for
            raise self.fail(EXIT_MIGRATE_CANNOT_START, "the lint did not check every pending migration")
        for finding in outcome.findings:
            print(redact(f"{finding.label} {finding.location()}: {finding.text}", self.secrets))
            quoted = finding.quoted_line()
            if quoted:
                print(redact(f"    {quoted}", self.secrets))
            if finding.finding.exemption is not None:
                print(redact(f"    exempted: {finding.finding.exemption}", self.secrets))
            elif finding.safe_alternative:
                print(f"    safe alternative: {finding.safe_alternative}")
        return outcome

    def drift_check(self, context: RunContext) -> None:
        command = self.tool.drift_check(context)
        if command is None:
            return
        if not os.environ.get("SHADOW_DATABASE_URL"):
            raise self.fail(EXIT_MIGRATE_CANNOT_START,
                            "SHADOW_DATABASE_URL is not set (the drift check needs a throwaway shadow database)")
        result = context.run(command, show=True)
        if result.returncode == 2:
            raise self.fail(EXIT_MIGRATE_BLOCKED,
                            "the migrations do not produce the schema in the repository (drift); nothing was applied")
        if result.returncode != 0:
            raise self.fail(EXIT_MIGRATE_CANNOT_START, f"the drift check could not run (exit {result.returncode})")
        self.say("no drift: the migrations produce the schema in the repository")

    def report_locks(self, connection: Any, sources: list[PendingSql]) -> None:
        tables = locks.tables_touched(source.text for source in sources)
        try:
            holders = locks.lock_holders(connection, tables)
        except Exception as error:  # noqa: BLE001 - a report, never a reason to stop
            self.say(f"could not read pg_locks: {(str(error).splitlines() or [''])[0]}")
            return
        if not holders:
            if tables:
                self.say(f"no other session holds or waits for a lock on {', '.join(tables)}")
            return
        self.say(f"{len(holders)} lock(s) held or awaited by other sessions on the tables the migrations touch:")
        for holder in holders:
            print(f"  {holder.describe()}")

    def take_backup(self, connection: Any, url: DatabaseUrl) -> None:
        settings = self.pipeline.backup
        try:
            if settings.mode == "none":
                self.say("no backup ([backup] mode = \"none\")")
                return
            if settings.mode == "restore-point":
                label = f"migpipe-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}"
                result = backup.record_restore_point(connection, label)
            else:
                result = backup.take_dump(settings, url, libpq_keywords(), connection.info.server_version // 10000,
                                          self.guards.lock_timeout, self.root, self.secrets, self.say)
        except backup.BackupFailed as error:
            message = str(error)
            if "nothing was applied" not in message:
                message += ", nothing was applied"
            raise self.fail(EXIT_MIGRATE_BACKUP_FAILED, message) from None
        for line in result.lines:
            self.say(line)

    def apply(self, context: RunContext, connection: Any, url: DatabaseUrl, pending: list[str]) -> str:
        """Applies, retrying on lock_timeout; returns how it ended ("applied"/"by another run")."""
        tool_url, extra_env = self.apply_url_and_env(url)
        command = self.tool.apply_command(context, tool_url)
        others = {name: self.apply_url_and_env(other)[0] for name, other in self.other_urls.items()}
        command = Command(command.argv, {**others, **command.env, **extra_env})
        delays = backoff_delays(self.guards.lock_retries, seconds(self.guards.lock_retry_delay),
                                seconds(self.guards.lock_retry_max_delay))
        attempt = 0
        history = self.read_history(connection, url, EXIT_MIGRATE_APPLY_FAILED)
        while True:
            attempt += 1
            self.say(f"applying with lock_timeout={self.guards.lock_timeout} "
                     f"statement_timeout={self.guards.statement_timeout}"
                     + (f" (attempt {attempt} of {len(delays) + 1})" if attempt > 1 else ""))
            result = context.run(command, show=True)
            if result.returncode == 0:
                return "applied"
            after = self.read_history(connection, url, EXIT_MIGRATE_APPLY_FAILED)
            still_pending = self.find_pending(context, after, EXIT_MIGRATE_APPLY_FAILED)
            if not still_pending and not after.failed:
                # Another run (that held the tool's lock) applied them meanwhile.
                self.say(f"{self.tool.label} reported an error, but another run applied every migration meanwhile")
                return "by another run"
            newly_applied = set(after.applied) - set(history.applied)
            lock_failure = is_lock_timeout(result)
            hint = self.failure_hint(result)
            if hint:
                self.warn(hint)
            if not lock_failure or newly_applied:
                why = "" if not newly_applied else " (it applied some migrations before failing, so it is not retried)"
                raise self.fail(EXIT_MIGRATE_APPLY_FAILED,
                                "applying migrations failed" + why +
                                "; see the output above and 'A migration failed' in the runbook")
            # A lock timeout, and nothing applied: the failed record (Prisma's)
            # describes a migration that changed nothing.
            self.resolve_failed(context, after, pending, tool_url)
            if attempt > len(delays):
                raise self.fail(EXIT_MIGRATE_APPLY_FAILED,
                                f"applying migrations failed: lock timeout on every attempt ({attempt}); nothing was "
                                "applied. Another session holds a lock the migration needs (see the sessions listed "
                                "above); retry when it is gone, see 'A migration failed' in the runbook")
            delay = delays[attempt - 1]
            self.say(f"lock timeout and nothing was applied; retrying in {delay:g}s")
            time.sleep(delay)
            history = after

    def failure_hint(self, result: Completed) -> str | None:
        hint = getattr(self.tool, "failure_hint", None)
        return hint(result) if callable(hint) else None

    def resolve_failed(self, context: RunContext, after: History, pending: list[str], tool_url: str) -> None:
        for name in after.failed:
            if name not in pending:
                continue
            command = self.tool.resolve_rolled_back(context, name, tool_url)
            if command is None:
                continue
            self.say(f"{name} failed on a lock timeout and changed nothing; marking it rolled back")
            result = context.run(command, show=False)
            if result.returncode != 0:
                raise self.fail(EXIT_MIGRATE_APPLY_FAILED,
                                f"applying failed and {name} could not be marked rolled back:\n{result.last_lines()}")

    # ---- the whole run -------------------------------------------------------------

    def plan(self, context: RunContext, connection: Any, url: DatabaseUrl) -> tuple[list[str], Plan | None]:
        history = self.read_history(connection, url, EXIT_MIGRATE_CANNOT_START)
        if history.failed:
            raise self.fail(EXIT_MIGRATE_CANNOT_START,
                            f"migration {history.failed[0]} failed earlier and was not resolved; "
                            "follow 'A migration failed' in the runbook")
        pending = self.find_pending(context, history, EXIT_MIGRATE_CANNOT_START)
        if not pending:
            return [], None
        self.say(f"{len(pending)} pending migration(s):\n" + "".join(f"  {name}\n" for name in pending).rstrip("\n"))
        self.drift_check(context)
        sources = self.pending_sql(context, pending)
        outcome = self.lint(sources)
        return pending, build_plan(self.tool.name, sources, outcome)

    def _expected_digest(self) -> str | None:
        """The approved plan's digest, or None when no plan was given. A value
        that is not a digest (an empty one: migrate-plan's output did not reach
        this job) fails closed: nothing unplanned is applied."""
        given = self.options.expect_digest
        if given is None:
            return None
        expected = parse_digest(given)
        if expected is None:
            shown = repr(given[:80]) if given.strip() else "empty"
            raise self.fail(EXIT_MIGRATE_CANNOT_START,
                            f"--expect-digest is {shown}, not a plan digest (64 hex digits, as migrate-plan "
                            "publishes it); in CI an empty one means the migrate-plan job's digest output did not "
                            "reach this job. Nothing was applied")
        return expected

    def run(self) -> int:
        expected = None if self.options.server_major or self.options.plan_only else self._expected_digest()
        url = self._url()
        if self.options.server_major:
            with self._connect(url) as connection:
                print(connection.info.server_version // 10000)
            return 0
        if not self.options.plan_only:
            self._other_urls()
        with tempfile.TemporaryDirectory(prefix="migpipe-migrate-") as scratch:
            context = self._context(url, Path(scratch))
            self._check_programs(context)
            with self._connect(url) as connection:
                pending, plan = self.plan(context, connection, url)
                if self.options.plan_only:
                    return self._finish_plan(plan)
                # The approved plan's names (migrate-plan's output), to say what changed.
                planned = planned_names(os.environ.get(PLANNED_ENV))
                if plan is None:
                    # An empty plan has a digest too (a push that adds no
                    # migration plans nothing): only another plan is a change.
                    if expected is not None and expected != digest([]):
                        raise self.fail(EXIT_MIGRATE_CANNOT_START,
                                        "the plan changed: nothing is pending any more (applied meanwhile?)"
                                        f"{what_changed(planned, [])}; nothing was applied")
                    self.say("no pending migrations; nothing to do")
                    return 0
                if expected is not None and expected != plan.digest:
                    raise self.fail(EXIT_MIGRATE_CANNOT_START,
                                    f"the plan changed since it was approved (expected digest "
                                    f"{expected}, pending now {plan.digest}: "
                                    f"{', '.join(pending)}){what_changed(planned, pending)}; nothing was applied")
                if plan.blocked:
                    raise self.fail(EXIT_MIGRATE_BLOCKED,
                                    "destructive changes are blocked by policy; nothing was applied "
                                    "(see 'Destructive changes' in the runbook)")
                self.say("lint passed")
                self.report_locks(connection, self._sources(plan))
                self.take_backup(connection, url)
                how = self.apply(context, connection, url, pending)
                self.check_applied(context, connection, url)
                if how == "applied":
                    self.say(f"done: {self.tool.history_table} records all migrations as applied")
                else:
                    self.say(f"done: {self.tool.history_table} records all migrations as applied (by another run)")
                return 0

    def _sources(self, plan: Plan) -> list[PendingSql]:
        return [PendingSql(m.name, m.source.display, m.source.text) for m in plan.migrations]

    def check_applied(self, context: RunContext, connection: Any, url: DatabaseUrl) -> None:
        history = self.read_history(connection, url, EXIT_MIGRATE_APPLY_FAILED)
        pending = self.find_pending(context, history, EXIT_MIGRATE_APPLY_FAILED)
        if pending or history.failed:
            names = " ".join([*pending, *history.failed])
            raise self.fail(EXIT_MIGRATE_APPLY_FAILED,
                            f"{self.tool.label} finished, but {self.tool.history_table} does not record these as "
                            f"applied: {names} (is migrations_dir in pipeline.toml the tool's migrations directory?)")

    def _finish_plan(self, plan: Plan | None) -> int:
        if plan is None:
            self.say("no pending migrations; the plan is empty")
            plan = build_plan(self.tool.name, [], None)
        else:
            for migration in plan.migrations:
                print(f"---- {migration.name} ({migration.source.display})")
                print(redact(migration.source.text.rstrip("\n"), self.secrets))
        self.say(f"plan digest: {plan.digest}")
        if self.options.plan_file is not None:
            plan.write(self.options.plan_file)
            self.say(f"plan written to {self.options.plan_file}")
        return EXIT_MIGRATE_BLOCKED if plan.blocked else 0


def run_migrate(pipeline: Pipeline, root: Path, options: MigrateOptions) -> int:
    return Migrate(pipeline, root, options).run()

