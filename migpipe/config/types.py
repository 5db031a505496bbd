"""Constrained strings shared by every table of pipeline.toml, and the table base.

Strings that end up inside generated YAML or shell are constrained here,
once, where they are declared, so templates can trust them:

* identifiers (job ids, secret names, environments) match GitHub's own rules;
* commands are single-line, printable, and never contain ``${{`` (GitHub
  would evaluate it as an expression inside ``run:``);
* paths are relative, POSIX, and never climb out of the repository.

Every table (``Section``) rejects unknown keys: a misspelled key is an
error, never a silently ignored setting.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict


def printable_line(value: str, what: str) -> str:
    if value == "":
        raise ValueError(f"{what} must not be empty")
    for char in value:
        if char in "\n\r":
            raise ValueError(f"{what} must be a single line (found a line break)")
        category = unicodedata.category(char)
        if category in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            raise ValueError(
                f"{what} must not contain control or invisible characters (found U+{ord(char):04X})"
            )
    if value != value.strip():
        raise ValueError(f"{what} must not start or end with white space")
    return value


def matching(pattern: str | re.Pattern[str], message: str) -> AfterValidator:
    """A check that the whole value matches ``pattern``; ``message`` says what it must be."""
    regex = re.compile(pattern)

    def check(value: str) -> str:
        if not regex.fullmatch(value):
            raise ValueError(message)
        return value

    return AfterValidator(check)


def check_command(value: str) -> str:
    printable_line(value, "a command")
    if "${{" in value:
        raise ValueError(
            "a command must not contain '${{' (GitHub Actions would evaluate it as an "
            "expression inside run:); pass values through env instead"
        )
    return value


def check_text(value: str) -> str:
    return printable_line(value, "this value")


# What would make a name, a version or a requirement run something: GitHub
# evaluates ${{ }} in names and run: blocks, a shell runs $( ) and `...`.
_EXPANSIONS = (
    ("${{", "GitHub Actions would evaluate it as an expression"),
    ("$(", "a shell would run it as a command"),
    ("`", "a shell would run it as a command"),
)


def check_plain_text(value: str) -> str:
    """A single printable line that nothing evaluates: no ${{, $( or backtick."""
    printable_line(value, "this value")
    for token, why in _EXPANSIONS:
        if token in value:
            raise ValueError(f"must not contain {token!r} ({why}); expected plain text")
    return value


def _check_timeout(value: str) -> str:
    match = _DURATION_RE.fullmatch(value)
    if match is None:
        raise ValueError("must be a PostgreSQL duration such as '5s', '500ms', '15min' or '1h'")
    if int(match.group(1)) == 0:
        raise ValueError("must be more than 0 (PostgreSQL reads 0 as no timeout at all); expected e.g. '5s'")
    return value


IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,99}")
SECRET_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")
_ENV_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")
_DURATION_RE = re.compile(r"(0|[1-9][0-9]{0,6})(ms|s|min|h)")
_IMAGE_RE = re.compile(r"[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?(@sha256:[0-9a-f]{64})?")
_PYTHON_VERSION_RE = re.compile(r"3\.[0-9]{1,2}")
_BRANCH_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._/-]{0,199}")
NODE_VERSION_RE = re.compile(r"[0-9]+(\.[0-9x]+){0,2}|lts/\*|lts/[a-z]+")


def _check_secret(value: str) -> str:
    if not SECRET_RE.fullmatch(value) or value.upper().startswith("GITHUB_"):
        raise ValueError(
            "must be a GitHub secret name: letters, digits and '_', not starting with a "
            "digit or GITHUB_"
        )
    return value


def _check_image(value: str) -> str:
    if not _IMAGE_RE.fullmatch(value):
        raise ValueError("must be a container image reference such as 'postgres:16@sha256:…'")
    if "@sha256:" not in value:
        # A tag can be moved to another image; a digest cannot.
        raise ValueError(
            "must be pinned by digest, e.g. 'postgres:16-alpine@sha256:<64 hex>' "
            "(`docker buildx imagetools inspect postgres:16-alpine` prints it)"
        )
    return value


def _check_branch(value: str) -> str:
    if not _BRANCH_RE.fullmatch(value) or ".." in value or value.endswith((".", "/", ".lock")):
        raise ValueError("must be a git branch name: letters, digits and '._/-'")
    return value


def check_relpath(value: str) -> str:
    printable_line(value, "a path")
    if "\\" in value:
        raise ValueError("must use '/' as separator")
    if value.startswith("/") or re.match(r"[A-Za-z]:", value):
        raise ValueError("must be relative to the repository root, not absolute")
    parts = value.split("/")
    if ".." in parts:
        raise ValueError("must not contain '..' (outputs stay inside the repository)")
    if any(part == "" for part in parts[:-1]) or parts[-1] == "":
        raise ValueError("must not contain empty segments or end with '/'")
    if any(not re.fullmatch(r"[A-Za-z0-9_.@+-]+", part) for part in parts):
        raise ValueError("path segments may contain only letters, digits and '_.@+-'")
    return value


def _check_workdir(value: str) -> str:
    return value if value == "." else check_relpath(value)


Command = Annotated[str, AfterValidator(check_command)]
Text = Annotated[str, AfterValidator(check_text)]
Ident = Annotated[
    str,
    matching(IDENT_RE, "must start with a letter or '_' and contain only letters, digits, '-' and '_'"),
]
SecretName = Annotated[str, AfterValidator(_check_secret)]
EnvironmentName = Annotated[
    str,
    matching(_ENV_RE, "must contain only letters, digits, '.', '-' and '_'"),
]
Duration = Annotated[
    str,
    matching(_DURATION_RE, "must be a PostgreSQL duration such as '5s', '500ms', '15min' or '1h'"),
]
# A lock_timeout / statement_timeout: never 0, which PostgreSQL reads as "no timeout".
Timeout = Annotated[str, AfterValidator(_check_timeout)]
# Names that reach YAML (job, step, workflow and service names) and the runbook.
PlainText = Annotated[str, AfterValidator(check_plain_text)]
# A runs-on label.
RunnerLabel = Annotated[
    str,
    matching(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}", "must be a runner label such as 'ubuntu-latest' or 'self-hosted'"),
]
# A version pip pins with ==, e.g. squawk-cli==VERSION: digits, dots, a trailing '*'.
PinnedVersion = Annotated[
    str,
    matching(r"[0-9]{1,4}(\.[0-9]{1,6}){0,3}(\.\*)?", "must be a version such as '2.*', '2.60' or '2.60.1'"),
]
# A pip requirement (migpipe==0.2.0, migpipe>=0.2,<1, a wheel path or URL).
Requirement = Annotated[
    str,
    AfterValidator(check_plain_text),
    matching(
        r"[A-Za-z0-9./][A-Za-z0-9._\-=<>!~*,\[\]@:/+% ]{0,299}",
        "must be a pip requirement such as 'migpipe==0.2.0' (letters, digits and ._-=<>!~*,[]@:/+% only)",
    ),
]
ImageRef = Annotated[str, AfterValidator(_check_image)]
RelPath = Annotated[str, AfterValidator(check_relpath)]
WorkDir = Annotated[str, AfterValidator(_check_workdir)]
NodeVersion = Annotated[
    str,
    matching(NODE_VERSION_RE, "must be a Node.js version such as '20', '22.11' or 'lts/*'"),
]
BranchName = Annotated[str, AfterValidator(_check_branch)]


PythonVersion = Annotated[
    str,
    matching(_PYTHON_VERSION_RE, "must be a Python version such as '3.12'"),
]


def _empty_means_none(value: object) -> object:
    # TOML has no null: an empty string is how a user leaves an optional command out.
    return None if value == "" else value


OptionalCommand = Annotated[Command | None, BeforeValidator(_empty_means_none)]
# For other optional values a user leaves out with "" (TOML has no null).
empty_means_none = _empty_means_none


class Section(BaseModel):
    # Validators are built once, for Pipeline, when a file is first loaded, not once per table at import.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

