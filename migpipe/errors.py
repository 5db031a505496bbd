"""The one error hierarchy of migpipe.

Everything that should stop a command with a clear message (and no
traceback) raises a FatalError subclass; ``migpipe.cli`` catches FatalError
in one place and maps it to its exit code.
"""
from __future__ import annotations

from typing import Any

# Exit codes shared by every command.
EXIT_OK = 0
EXIT_FINDINGS = 1  # verify found drift, check-build found a migration
EXIT_USAGE = 2  # bad config, bad arguments, unusable paths


class FatalError(Exception):
    """An error that ends the command with a message and an exit code."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(FatalError):
    """pipeline.toml is unreadable, not TOML, or not a valid policy.

    ``problems`` holds one located line per problem, so that a user sees
    every mistake at once instead of fixing them one run at a time.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class UsageError(FatalError):
    """The command line itself is wrong (the parser has printed the usage)."""


class FormatError(FatalError):
    """--format names no reporter."""


class OutputError(FatalError):
    """An output path is unsafe or a file cannot be written."""


class OutputProblem(OutputError):
    """One output path that cannot be read or written; ``kind`` says how."""

    def __init__(self, path: str, kind: str, detail: str) -> None:
        super().__init__(f"{path}: {detail}")
        self.path = path
        self.kind = kind
        self.detail = detail


class BuildGuardError(FatalError):
    """A file the build guard must read is missing, unreadable or malformed."""


class InitError(FatalError):
    """init cannot write a pipeline.toml here."""


class ApiError(FatalError):
    """A host's or GitHub's API refused a request, or did not answer."""

    exit_code = EXIT_FINDINGS


class GateFailed(FatalError):
    """A production gate said no: a deploy did not go live, an approval gate is missing."""

    exit_code = EXIT_FINDINGS


class DeployFailed(GateFailed):
    """The deploy did not go live; ``outcome`` (a runtime.deploy.DeployOutcome) says how far it got."""

    def __init__(self, outcome: Any, message: str) -> None:
        super().__init__(message)
        self.outcome = outcome


class AdoptError(FatalError):
    """init cannot describe this repository in pipeline.toml (what was found, where, why)."""


class LintError(FatalError):
    """The SQL could not be linted (squawk missing or failing, a source not linted).

    Never a pass: the caller stops as it would for a blocking finding.
    """


# `migpipe migrate` keeps the exit codes of the migrate script it replaced.
EXIT_MIGRATE_BLOCKED = 2  # the destructive-change policy (or drift) stopped it; nothing applied
EXIT_MIGRATE_CANNOT_START = 3  # missing tool/URL, database unreachable, earlier failure, digest changed
EXIT_MIGRATE_BACKUP_FAILED = 4  # nothing applied
EXIT_MIGRATE_APPLY_FAILED = 5  # the tool failed, or did not record every migration as applied


class MigrateError(FatalError):
    """``migpipe migrate`` stopped; ``exit_code`` says at which step."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class LintUsageError(FatalError):
    """A FILE cannot be read, or an option names something unknown (exit 2)."""
