"""Shell commands found in a repository, made fit for pipeline.toml.

pipeline.toml holds single-line commands without ``${{`` (the model rejects
both), so a workflow's ``run:`` block is joined into one line and its
expressions are turned into environment variables where that keeps the
meaning (``${{ secrets.X }}`` -> ``$X`` with X listed as a secret); anything
else is reported, never guessed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from migpipe.buildguard import Scanner, Step
from migpipe.profiles.tools.registry import COMMON_FORBIDDEN

_EXPRESSION_RE = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_SECRET_EXPR_RE = re.compile(r"secrets\.([A-Za-z_][A-Za-z0-9_]*)")
_ENV_EXPR_RE = re.compile(r"env\.([A-Za-z_][A-Za-z0-9_]*)")
# Contexts GitHub also exports as default environment variables.
_GITHUB_DEFAULT_ENV = {
    "github.sha": "GITHUB_SHA",
    "github.ref": "GITHUB_REF",
    "github.ref_name": "GITHUB_REF_NAME",
    "github.repository": "GITHUB_REPOSITORY",
    "github.run_id": "GITHUB_RUN_ID",
    "github.run_number": "GITHUB_RUN_NUMBER",
    "github.workspace": "GITHUB_WORKSPACE",
    "github.actor": "GITHUB_ACTOR",
    "github.event_name": "GITHUB_EVENT_NAME",
}
# A run: block with these is a script, not a list of commands: joining its
# lines with && would change what it does.
_SHELL_BLOCK_RE = re.compile(r"^\s*(if|then|else|elif|fi|for|while|until|do|done|case|esac|function)\b|<<|\{\s*$|^\s*\}")


@dataclass
class Carried:
    """A command as pipeline.toml can hold it, or why it cannot."""

    command: str | None
    secrets: list[str] = field(default_factory=list)
    problem: str | None = None


def _inside_single_quotes(text: str, position: int) -> bool:
    inside = False
    double = False
    index = 0
    while index < position:
        char = text[index]
        if char == "\\" and not inside:
            index += 2
            continue
        if char == '"' and not inside:
            double = not double
        elif char == "'" and not double:
            inside = not inside
        index += 1
    return inside


def replace_expressions(text: str) -> Carried:
    """``${{ secrets.X }}`` -> ``$X`` (and X in secrets); ``${{ github.sha }}`` -> ``$GITHUB_SHA``."""
    secrets: list[str] = []
    out = []
    last = 0
    for match in _EXPRESSION_RE.finditer(text):
        expression = match.group(1)
        secret = _SECRET_EXPR_RE.fullmatch(expression)
        env = _ENV_EXPR_RE.fullmatch(expression)
        if secret:
            name = secret.group(1)
            if name.upper().startswith("GITHUB_"):
                return Carried(None, problem=f"uses ${{{{ {expression} }}}}, a token pipeline.toml cannot pass on")
            if name not in secrets:
                secrets.append(name)
        elif env:
            name = env.group(1)
        elif expression in _GITHUB_DEFAULT_ENV:
            name = _GITHUB_DEFAULT_ENV[expression]
        else:
            return Carried(None, problem=f"uses ${{{{ {expression} }}}}, which has no environment-variable equivalent")
        out.append(text[last : match.start()])
        # Inside '...' a bare $X would stay literal: close, expand, reopen.
        if _inside_single_quotes(text, match.start()):
            out.append(f"'\"${name}\"'")
        elif re.match(r"\w", text[match.end() : match.end() + 1]):
            out.append(f"${{{name}}}")  # $Xabc would name another variable
        else:
            out.append(f"${name}")
        last = match.end()
    out.append(text[last:])
    return Carried("".join(out), secrets)


def join_run_block(run: str) -> Carried:
    """A workflow ``run:`` block as one command (its lines joined with ``&&``)."""
    text = run.replace("\r\n", "\n")
    lines: list[str] = []
    pending = ""
    for raw in text.split("\n"):
        line = raw.strip()
        if pending:
            line = pending + " " + line
            pending = ""
        if line.endswith("\\"):
            pending = line[:-1].rstrip()
            continue
        if not line or line.startswith("#"):
            continue
        lines.append(line)
    if pending:
        lines.append(pending)
    if len(lines) > 1 and any(_SHELL_BLOCK_RE.search(line) for line in lines):
        return Carried(None, problem="is a multi-line shell script (if/for/heredoc), not a list of commands")
    if not lines:
        return Carried(None, problem="has no command")
    carried = replace_expressions(" && ".join(lines))
    if carried.command is not None:
        problem = command_problem(carried.command)
        if problem:
            return Carried(None, problem=problem)
    return carried


def command_problem(command: str) -> str | None:
    """Why the model would reject ``command`` as a pipeline.toml command, or None."""
    from migpipe.config.types import check_command

    try:
        check_command(command)
    except ValueError as exc:
        return str(exc)
    return None


def split_and_list(command: str) -> list[str]:
    """The parts of ``a && b && c`` (quotes respected); one part when it has ``||``, ``|`` or ``;``."""
    parts: list[str] = []
    current = []
    quote = ""
    index = 0
    while index < len(command):
        char = command[index]
        if quote:
            current.append(char)
            if char == quote:
                quote = ""
            elif char == "\\" and quote == '"' and index + 1 < len(command):
                current.append(command[index + 1])
                index += 1
        elif char in "'\"":
            quote = char
            current.append(char)
        elif command.startswith("&&", index):
            parts.append("".join(current).strip())
            current = []
            index += 2
            continue
        elif char in "|;":
            return [command.strip()]
        else:
            current.append(char)
        index += 1
    parts.append("".join(current).strip())
    return [part for part in parts if part]


@dataclass
class MigrationCheck:
    """A host command with the migrations written in it removed."""

    kept: str | None  # None when every part was a migration
    removed: list[str]
    reached: list[str]  # migrations reached through scripts (not removable here)


# Commands that migrate unless told not to: the flags that turn the migration off.
_DISARM: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(rw|redwood)\s+deploy\s+(render|flightcontrol)\s+api\b"), " --no-prisma --no-data-migrate"),
)


def remove_migrations(command: str, root: Path, workdir: Path, where: str) -> MigrationCheck:
    """Drop each ``&&`` part that is itself a migration; report ones reached through scripts.

    A part that migrates only by default (``rw deploy render api``) keeps its
    other work: the flags that turn its migration off are added, and said so.
    """
    kept: list[str] = []
    removed: list[str] = []
    reached: list[str] = []
    for original in split_and_list(command):
        part = original
        for pattern, flags in _DISARM:
            if pattern.search(part) and not part.endswith(flags):
                part = part + flags
                removed.append(f"{original}` → `{part}")
        scanner = Scanner(root, COMMON_FORBIDDEN)
        scanner.check_command(part, Step(where, 1), workdir)
        direct = [finding for finding in scanner.findings if len(finding.chain) == 1]
        if direct:
            removed.append(original)
            continue
        for finding in scanner.findings:
            reached.append(f"{' → '.join(finding.chain[1:])}: {finding.command}")
        kept.append(part)
    return MigrationCheck(" && ".join(kept) if kept else None, removed, reached)


def is_migration(command: str) -> bool:
    """Whether ``command`` itself (not a script it calls) runs a migration."""
    return any(re.search(item.pattern, command) for item in COMMON_FORBIDDEN)
