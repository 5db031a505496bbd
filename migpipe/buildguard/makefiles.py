"""Makefiles and justfiles: the recipes ``make X`` and ``just X`` run.

``make migrate`` in a Procfile or a Dockerfile's CMD runs the shell lines of
the ``migrate`` rule, after those of its prerequisites; ``just deploy`` does the
same for a justfile recipe. This module reads the files (rules, recipe lines
with their line numbers, simple variables) and the command lines; following
the recipes is the scanner's job. It reads; it evaluates no function
(``$(shell …)`` stays as written).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from migpipe.buildguard.shell import Word
from migpipe.buildguard.words import program_of, texts


@dataclass(frozen=True)
class Recipe:
    name: str
    line: int
    prerequisites: tuple[str, ...]
    commands: tuple[tuple[int, str], ...]  # (line, shell text), in order


@dataclass
class TaskFile:
    recipes: dict[str, Recipe] = field(default_factory=dict)
    default: str | None = None  # what a bare `make` / `just` runs
    variables: dict[str, str] = field(default_factory=dict)


@dataclass
class TaskCall:
    runner: str  # "make" or "just"
    targets: list[str]
    directory: str | None = None  # make -C DIR, just --working-directory DIR
    file: str | None = None  # make -f FILE, just --justfile FILE
    variables: dict[str, str] = field(default_factory=dict)


MAKEFILE_NAMES = ("GNUmakefile", "makefile", "Makefile")
JUSTFILE_NAMES = ("justfile", "Justfile", ".justfile")

_MAKE_VALUE_OPTIONS = frozenset({"-C", "--directory", "-f", "--file", "--makefile", "-I", "--include-dir", "-o", "--old-file", "-W", "--what-if", "--assume-new", "-l", "--load-average"})
_JUST_VALUE_OPTIONS = frozenset({"-f", "--justfile", "-d", "--working-directory", "--set", "--shell", "--shell-arg", "--dotenv-filename", "--dotenv-path", "--color", "--dump-format", "--list-heading", "--list-prefix", "--chooser"})
_ASSIGNMENT = re.compile(r"^(?:export\s+|override\s+)?([A-Za-z_][\w.-]*)\s*(?::{1,3}=|\?=|\+=|=)\s*(.*)$")
_RULE = re.compile(r"^([^\s:#=][^:=#]*?)\s*::?(?!=)\s*([^=]*)$")
_VARIABLE = re.compile(r"\$[({]([A-Za-z_][\w.-]*)[)}]")


def task_call(words: list[Word]) -> TaskCall | None:
    """``make [-C dir] [-f file] [VAR=x] targets…`` or ``just [options] recipe args…``."""
    program, args = program_of(words), texts(words[1:])
    if program in ("make", "gmake"):
        call = TaskCall("make", [])
        i = 0
        while i < len(args):
            arg = args[i]
            option, eq, inline = arg.partition("=")
            if arg.startswith("-"):
                value = inline if eq else (args[i + 1] if option in _MAKE_VALUE_OPTIONS and i + 1 < len(args) else None)
                if option in ("-C", "--directory") and value is not None:
                    call.directory = value
                elif option in ("-f", "--file", "--makefile") and value is not None:
                    call.file = value
                if option in ("-j", "--jobs") and not eq and i + 1 < len(args) and args[i + 1].isdigit():
                    i += 1
                i += 2 if option in _MAKE_VALUE_OPTIONS and not eq else 1
                continue
            if eq and re.fullmatch(r"[A-Za-z_][\w.-]*", option):
                call.variables[option] = inline
            else:
                call.targets.append(arg)
            i += 1
        return call
    if program == "just":
        call = TaskCall("just", [])
        i = 0
        while i < len(args) and args[i].startswith("-"):
            option, eq, inline = args[i].partition("=")
            value = inline if eq else (args[i + 1] if option in _JUST_VALUE_OPTIONS and i + 1 < len(args) else None)
            if option in ("-f", "--justfile"):
                call.file = value
            elif option in ("-d", "--working-directory"):
                call.directory = value
            if option in ("-l", "--list", "--summary", "--dump", "--evaluate", "--show", "-s", "--init", "--edit", "--fmt", "--variables", "--choose", "--completions", "--help", "-h", "--version", "-V"):
                return None  # shows, edits or lists: runs no recipe
            i += 2 if option in _JUST_VALUE_OPTIONS and not eq else 1
        # `just recipe a b`: the recipe's parameters take the words after it.
        call.targets = args[i : i + 1]
        return call
    return None


@dataclass
class _Open:
    """The rule being read: its targets, where it starts, what it needs and runs."""

    names: tuple[str, ...] = ()
    line: int = 0
    prerequisites: tuple[str, ...] = ()
    commands: list[tuple[int, str]] = field(default_factory=list)


def _close_rule(result: TaskFile, rule: _Open) -> None:
    for name in rule.names:
        known = result.recipes.get(name)
        if known is None:
            result.recipes[name] = Recipe(name, rule.line, rule.prerequisites, tuple(rule.commands))
        elif rule.commands:  # a later rule with a recipe gives it; one without only adds prerequisites
            result.recipes[name] = Recipe(name, rule.line, known.prerequisites + rule.prerequisites, tuple(rule.commands))
        else:
            result.recipes[name] = Recipe(name, known.line, known.prerequisites + rule.prerequisites, known.commands)


def parse_makefile(text: str) -> TaskFile:
    result = TaskFile()
    rule = _Open()
    for number, line in _joined(text):
        if line.startswith("\t"):
            body = line[1:].strip()
            if rule.names and body and not body.startswith("#"):
                rule.commands.append((number, body))
            continue
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        assignment = _ASSIGNMENT.match(stripped)
        header = _RULE.match(stripped) if assignment is None or ":" in stripped.split("=", 1)[0] else None
        _close_rule(result, rule)
        rule = _Open()
        if header is not None and "%" not in header.group(1):
            targets = tuple(name for name in header.group(1).split() if not name.startswith("."))
            needs, _, inline = header.group(2).partition(";")
            rule = _Open(targets, number, tuple(name for name in needs.split() if name != "|"))
            if inline.strip():
                rule.commands.append((number, inline.strip()))
            if result.default is None and targets:
                result.default = targets[0]
        elif assignment is not None:
            name, value = assignment.group(1), assignment.group(2).strip()
            if not (stripped.split("=", 1)[0].rstrip().endswith("?") and name in result.variables):
                result.variables[name] = value
    _close_rule(result, rule)
    return result


def parse_justfile(text: str) -> TaskFile:
    result = TaskFile()
    rule = _Open()
    for number, line in _joined(text):
        if line[:1] in (" ", "\t"):
            body = line.strip()
            if rule.names and body and not body.startswith("#"):
                rule.commands.append((number, body))
            continue
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "[")):
            continue
        _close_rule(result, rule)
        rule = _Open()
        assignment = re.match(r"^(?:export\s+)?([A-Za-z_][\w-]*)\s*:=\s*(.*)$", stripped)
        if assignment is not None:
            result.variables[assignment.group(1)] = assignment.group(2).strip().strip("'\"")
            continue
        header = re.match(r"^@?([A-Za-z_][\w-]*)((?:\s+[^:]*?)?)\s*:(?!=)\s*(.*)$", stripped)
        if header is None or stripped.startswith(("set ", "alias ", "import ", "mod ")):
            continue
        needs = re.sub(r"\([^)]*\)", "", header.group(3).partition("#")[0])
        rule = _Open((header.group(1),), number, tuple(re.findall(r"[A-Za-z_][\w-]*", needs)))
        if result.default is None:
            result.default = header.group(1)
    _close_rule(result, rule)
    return result


def expand(text: str, variables: dict[str, str], runner: str) -> str:
    """A recipe line as the shell gets it: make's $(VAR) / just's {{var}} replaced when known, $(MAKE) is make."""
    if runner == "just":
        return re.sub(r"\{\{\s*([A-Za-z_][\w-]*)\s*\}\}", lambda m: variables.get(m.group(1), m.group(0)), text)
    for _ in range(5):  # variables made of variables, a few levels deep
        expanded = _VARIABLE.sub(lambda m: "make" if m.group(1) == "MAKE" else variables.get(m.group(1), m.group(0)), text)
        if expanded == text:
            break
        text = expanded
    return text.replace("$$", "$")


def recipe_command(line: str) -> str:
    """Without make's / just's line prefixes: ``@`` (quiet), ``-`` (errors ignored), ``+``."""
    return line.lstrip("@-+ ")


def _joined(text: str) -> list[tuple[int, str]]:
    """Lines with backslash continuations joined, each with the number of its first line."""
    result: list[tuple[int, str]] = []
    pending: list[str] = []
    first = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not pending:
            first = number
        if line.endswith("\\"):
            pending.append(line[:-1])
            continue
        pending.append(line if not pending else line.lstrip())
        result.append((first, " ".join(part.rstrip() for part in pending) if len(pending) > 1 else pending[0]))
        pending = []
    if pending:
        result.append((first, " ".join(pending)))
    return result
