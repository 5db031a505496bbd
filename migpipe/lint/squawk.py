"""The real squawk, run once over every source, with proof that it read each one.

squawk takes its path arguments as glob patterns: a migration folder named
``2024[1]_x`` matches nothing or something else, and older migrate scripts
silently skipped it. So squawk never sees a user's path: each source's SQL
is written to a private directory as ``000001.sql``, ``000002.sql``, ...
(squawk runs there, with relative names), and ends with a probe statement,
``DROP DATABASE migpipe_lint_probe``, that squawk always reports. A source
without its probe in the report was not linted: the engine raises unless the
source is unparseable (then squawk stopped before the probe, and the source
is blocked anyway).

squawk gets an empty config file, so a ``.squawk.toml`` in the repository
cannot switch rules off; which rules count is the policy's decision
(``migpipe.policy.SQUAWK_RULE_KINDS``); the others (style rules, and
``require-lock-timeout`` / ``require-statement-timeout``, since migpipe sets
both timeouts in the applying session) are ignored.

The process starts before the sources are parsed and is collected after,
so squawk and PostgreSQL's parser run at the same time.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from migpipe.errors import LintError

PROBE_RULE = "ban-drop-database"
PROBE = "\n;\nDROP DATABASE migpipe_lint_probe;\n"
SQUAWK_TIMEOUT_SECONDS = 600  # the corpus takes well under a second
_MAX_ARGS_CHARS = 100_000  # per squawk process; far below any ARG_MAX
# Rules no kind of the policy uses, that squawk reports on nearly every file:
# excluded to keep its report (JSON migpipe reads) small. If the installed
# squawk does not know one of them, it is run again without exclusions.
EXCLUDED_RULES = (
    "prefer-robust-stmts",
    "require-lock-timeout",
    "require-statement-timeout",
    "prefer-timestamp-tz",
    "prefer-bigint-over-int",
    "prefer-text-field",
)


@dataclass(frozen=True)
class SquawkHit:
    rule: str
    message: str
    help: str | None
    line: int  # 0-based, as squawk reports it
    column: int  # 0-based byte column


def neutralize_for_squawk(text: str) -> str:
    """The SQL with squawk's own directives disarmed (``squawk-ignore`` -> ``squawk-IGNORE``),
    every offset unchanged: squawk reports everything, migpipe.lint.exemptions decides."""
    return text.replace("squawk-ignore", "squawk-IGNORE")


def squawk_executable() -> str:
    """squawk from migpipe's own environment first (the pinned one), else from PATH."""
    beside = Path(sys.executable).with_name("squawk")
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("squawk")
    if found is None:
        raise LintError("squawk is not installed (pip install 'squawk-cli>=2'); the SQL cannot be linted")
    return found


class SquawkRun:
    """squawk over every text, started at construction; ``results`` waits for it."""

    def __init__(self, texts: Sequence[str]) -> None:
        self._directory = tempfile.TemporaryDirectory(prefix="migpipe-lint-", dir=_scratch_parent())
        root = Path(self._directory.name)
        self._names = [f"{number:06d}.sql" for number in range(1, len(texts) + 1)]
        self._last_lines = []
        for name, text in zip(self._names, texts):
            sql = neutralize_for_squawk(text)
            descriptor = os.open(root / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write((sql + PROBE).encode("utf-8"))
            self._last_lines.append(sql.count("\n"))
        (root / "squawk.toml").write_text("", encoding="utf-8")
        self._root = root
        self._executable = squawk_executable()
        self._batches = _batches(self._names)
        self._processes = [self._start(number, exclude=True) for number in range(len(self._batches))]

    def _start(self, number: int, exclude: bool) -> tuple[subprocess.Popen[bytes], Path]:
        report = self._root / f"report-{number}.json"
        excluded = ["--exclude", ",".join(EXCLUDED_RULES)] if exclude else []
        with open(report, "wb") as output:
            process = subprocess.Popen(
                [self._executable, "--config", "squawk.toml", "--reporter", "json", *excluded, *self._batches[number]],
                cwd=self._root,
                stdout=output,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
            )
        return process, report

    def results(self) -> list[tuple[list[SquawkHit], bool]]:
        """Per text, squawk's findings in it and whether squawk read it to its end (the probe)."""
        try:
            hits: dict[str, list[SquawkHit]] = {name: [] for name in self._names}
            for number, (process, report) in enumerate(self._processes):
                stderr = _wait(process)
                if process.returncode == 2 and b"--exclude" in stderr:
                    # This squawk lacks one of the excluded rules: run it again, excluding none.
                    process, report = self._processes[number] = self._start(number, exclude=False)
                    stderr = _wait(process)
                if process.returncode not in (0, 1):
                    detail = stderr.decode("utf-8", "replace").strip().splitlines()
                    raise LintError(
                        f"squawk failed (exit {process.returncode}): {detail[0] if detail else 'no message'}"
                    )
                try:
                    findings = json.loads(report.read_text(encoding="utf-8") or "[]")
                except (OSError, ValueError) as exc:
                    raise LintError(f"cannot read squawk's report: {exc}") from None
                for finding in findings:
                    name = finding.get("file", "")
                    if name not in hits:
                        raise LintError(f"squawk reported a file it was not given: {name!r}")
                    hits[name].append(
                        SquawkHit(
                            rule=str(finding.get("rule_name", "")),
                            message=str(finding.get("message", "")),
                            help=finding.get("help"),
                            line=int(finding.get("line", 0)),
                            column=int(finding.get("column", 0)),
                        )
                    )
            results = []
            for name, last_line in zip(self._names, self._last_lines):
                own = [hit for hit in hits[name] if hit.line <= last_line]
                probe_seen = any(hit.rule == PROBE_RULE and hit.line == last_line + 2 for hit in hits[name])
                results.append((own, probe_seen))
            return results
        finally:
            for process, _ in self._processes:
                if process.poll() is None:
                    process.kill()
                    process.wait()
            self._directory.cleanup()


def _wait(process: subprocess.Popen[bytes]) -> bytes:
    """squawk's stderr once it has exited; a squawk that hangs is an error, not a wait forever."""
    try:
        return process.communicate(timeout=SQUAWK_TIMEOUT_SECONDS)[1]
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise LintError(f"squawk did not finish within {SQUAWK_TIMEOUT_SECONDS} s") from None


def _scratch_parent() -> str | None:
    """A memory-backed directory when there is one: a thousand small files are written per run,
    and on an overlay /tmp that alone took longer than squawk (0.55 s against 0.02 s on /dev/shm)."""
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK) else None


def _batches(names: list[str]) -> list[list[str]]:
    batches: list[list[str]] = [[]]
    size = 0
    for name in names:
        if size + len(name) + 1 > _MAX_ARGS_CHARS and batches[-1]:
            batches.append([])
            size = 0
        batches[-1].append(name)
        size += len(name) + 1
    return batches
