"""Running the migration tool and the libpq tools: never a secret on a command
line (the caller passes it in the environment), never one in what is shown.

Every child's output is read line by line, every spelling of the password
replaced by ``***``, and either kept (``run``) or also shown as it comes
(``run_shown``), stdout to stdout and stderr to stderr.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TextIO

from migpipe.runtime.urls import redact


@dataclass(frozen=True)
class Completed:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def last_lines(self, count: int = 5) -> str:
        lines = [line for line in self.stderr.splitlines() if line.strip() and not line.startswith("npm warn")]
        if not lines:
            lines = [line for line in self.stdout.splitlines() if line.strip()]
        return "\n".join(lines[-count:])


@dataclass(frozen=True)
class Command:
    """A program to run: ``argv`` (no secret in it) and what to add to its environment."""

    argv: tuple[str, ...]
    env: Mapping[str, str]

    def display(self) -> str:
        return " ".join(self.argv)


def child_environment(extra: Mapping[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    return env


def missing_program(argv: Sequence[str], cwd: Path) -> str | None:
    """argv[0] when it cannot be found on PATH (or, for a path, in cwd)."""
    program = argv[0]
    if "/" in program:
        return None if (cwd / program).exists() else program
    return None if shutil.which(program) else program


def _pump(source: IO[str], sink: TextIO | None, kept: list[str], secrets: Sequence[str]) -> None:
    for line in source:
        line = redact(line, secrets)
        kept.append(line)
        if sink is not None:
            sink.write(line)
            sink.flush()


def run(
    command: Command,
    cwd: Path,
    secrets: Sequence[str],
    *,
    show: bool = False,
    stdin: str | None = None,
    umask: int = -1,
) -> Completed:
    """Runs ``command`` in ``cwd``; its output with every secret redacted.

    With ``show``, the output is also printed as it comes.
    """
    process = subprocess.Popen(
        list(command.argv),
        cwd=cwd,
        env=child_environment(command.env),
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        umask=umask,
    )
    out: list[str] = []
    err: list[str] = []
    assert process.stdout is not None and process.stderr is not None
    threads = [
        threading.Thread(target=_pump, args=(process.stdout, sys.stdout if show else None, out, secrets)),
        threading.Thread(target=_pump, args=(process.stderr, sys.stderr if show else None, err, secrets)),
    ]
    for thread in threads:
        thread.start()
    if stdin is not None:
        assert process.stdin is not None
        try:
            process.stdin.write(stdin)
            process.stdin.close()
        except BrokenPipeError:
            pass
    for thread in threads:
        thread.join()
    returncode = process.wait()
    return Completed(returncode, "".join(out), "".join(err))
