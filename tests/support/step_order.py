"""Which step of a workflow job uses a tool before a step has installed it.

A GitHub-hosted runner starts every job with its image's tools only; setup
actions and install commands add the rest, in step order. This module walks
each job's steps (and, inside a `run:`, its commands) in order, keeping what
is available so far, and reports every command used before it is:

* what a command needs is read from the text: the `run:` blocks, and for a
  step that runs a generated script (``bash "${GITHUB_WORKSPACE}/scripts/…"``),
  the script's own text (every command it runs and every command it checks
  with ``command -v``);
* what a step provides: a setup action (the table ACTION_PROVIDES: what an
  action puts on PATH cannot be read from the workflow), ``corepack enable``,
  ``pip install REQ`` (the commands REQ's distribution installs, read from its
  metadata), ``go install …/NAME@V``, and the project's own install (``npm ci``,
  ``pip install -r requirements.txt`` …) which provides the project's packages
  (node_modules binaries run through npx/pnpm/yarn, Python modules).

A command that some step of the workflow installs (migpipe, squawk, python,
node, go, …) must follow such a step in its own job. Any other command not on
the runner image (alembic, gunicorn …) must follow the project's install.
"""
from __future__ import annotations

import importlib.metadata
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from tests.support.shell_words import (
    DYNAMIC,
    Script,
    arguments,
    command_name,
    commands_of,
)

# Commands of a GitHub-hosted ubuntu runner before any step runs (its image
# has git, curl, jq, python3 and PostgreSQL's client tools, among others).
# Deliberately without python/pip/node/npm: those come from the setup actions.
RUNNER_IMAGE = frozenset(
    {
        "bash", "sh", "env", "git", "curl", "jq", "tar", "gzip", "python3",
        "psql", "pg_dump", "pg_restore",
        "sed", "awk", "grep", "sort", "comm", "cut", "head", "tail", "tr", "wc", "xargs", "find",
        "date", "mktemp", "rm", "mkdir", "cp", "mv", "ln", "chmod", "touch", "tee", "cat",
        "basename", "dirname", "sleep", "uname", "true", "false",
    }
)
SHELL_BUILTINS = frozenset(
    {
        "[", "test", "echo", "printf", "read", "readonly", "local", "export", "unset", "set",
        "shift", "cd", "pwd", "exit", "return", "trap", "mapfile", "readarray", ":", "continue",
        "break", "eval", "source", ".", "wait", "declare", "typeset", "let", "shopt", "umask",
        "type", "hash", "getopts", "ulimit", "command", "builtin", "exec",
    }
)
# What an action puts on PATH.
ACTION_PROVIDES: Mapping[str, frozenset[str]] = {
    "actions/checkout": frozenset(),
    "actions/setup-python": frozenset({"python", "pip", "python3"}),
    "actions/setup-node": frozenset({"node", "npm", "npx", "corepack"}),
    "actions/setup-go": frozenset({"go"}),
    "pnpm/action-setup": frozenset({"pnpm"}),
    "superfly/flyctl-actions/setup-flyctl": frozenset({"flyctl"}),
}
# Pseudo-commands: the project's dependencies, installed by its install command.
PROJECT_NODE = "the project's node_modules (its install command)"
PROJECT_PYTHON = "the project's Python requirements (its install command)"

_PIP_OPTIONS_WITH_VALUE = {
    "-c", "--constraint", "-i", "--index-url", "--extra-index-url", "-f", "--find-links",
    "--target", "-t", "--prefix", "--root", "--platform", "--python-version", "--implementation",
    "--abi", "--trusted-host", "--cache-dir", "--log", "--proxy", "--timeout", "--retries",
    "--progress-bar", "--upgrade-strategy", "--config-settings", "-C", "--src", "--report",
}
_NODE_INSTALL = {
    "npm": {"ci", "install", "i"},
    "pnpm": {"install", "i"},
    "yarn": {"install"},
}


@dataclass(frozen=True)
class Use:
    command: str
    via: str = ""  # the generated script that runs it, when not the step itself


@dataclass(frozen=True)
class Violation:
    job: str
    step: int  # 1-based
    step_name: str
    use: Use

    def __str__(self) -> str:
        via = f" (through {self.use.via})" if self.use.via else ""
        return (
            f"{self.job}, step {self.step} ({self.step_name!r}): uses {self.use.command}{via} "
            "before any step of the job installs it"
        )


def requirement_name(requirement: str) -> str:
    """The distribution a pip requirement names (also for a wheel file or URL)."""
    base = requirement.rsplit("/", 1)[-1]
    if base.endswith(".whl"):
        return base.split("-", 1)[0]
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    return match.group(0) if match else requirement


def distribution_commands(requirement: str) -> frozenset[str]:
    """The commands `pip install REQUIREMENT` puts on PATH: its console scripts
    and the files it installs into bin/, read from the distribution's metadata
    (of this test environment's copy). An unknown distribution provides its own
    name, the common case."""
    name = requirement_name(requirement)
    try:
        distribution = importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return frozenset({name})
    commands = {ep.name for ep in distribution.entry_points if ep.group == "console_scripts"}
    for file in distribution.files or ():
        parts = PurePosixPath(str(file)).parts
        if len(parts) >= 2 and parts[-2] in ("bin", "Scripts"):
            commands.add(parts[-1])
    return frozenset(commands)


@dataclass
class _Command:
    words: list[str]
    name: str
    args: list[str]


def _simple_commands(script: Script) -> list[_Command]:
    found = []
    for words in script.commands:
        name = command_name(words)
        if name is not None:
            found.append(_Command(words, name, arguments(words)))
    return found


def _pip_install_args(command: _Command) -> list[str] | None:
    """The arguments after `install` when the command is a pip install."""
    args = command.args
    if command.name in ("python", "python3") and args[:2] == ["-m", "pip"]:
        args = args[2:]
    elif command.name not in ("pip", "pip3"):
        return None
    while args and args[0].startswith("-"):
        args = args[1:]
    return args[1:] if args[:1] == ["install"] else None


def provides(command: _Command) -> set[str]:
    """What a command of a run: step adds to what the job has."""
    pip_args = _pip_install_args(command)
    if pip_args is not None:
        provided: set[str] = set()
        skip_value = False
        for arg in pip_args:
            if skip_value:
                skip_value = False
            elif arg in ("-r", "--requirement", "-e", "--editable"):
                provided.add(PROJECT_PYTHON)
                skip_value = arg in ("-r", "--requirement")
            elif arg in _PIP_OPTIONS_WITH_VALUE:
                skip_value = True
            elif arg.startswith("-"):
                continue
            elif arg in (".", "./") or arg.startswith("-r"):
                provided.add(PROJECT_PYTHON)
            else:
                provided |= distribution_commands(arg)
        return provided
    if command.name == "corepack" and command.args[:1] == ["enable"]:
        return {"pnpm", "yarn"}
    if command.name in _NODE_INSTALL and (
        not command.args or command.args[0] in _NODE_INSTALL[command.name]
    ):
        return {PROJECT_NODE}
    if command.name == "go" and command.args[:1] == ["install"]:
        packages = [a for a in command.args[1:] if not a.startswith("-") and "/" in a]
        names = set()
        for package in packages:
            parts = package.split("@", 1)[0].split("/")
            names.add(parts[-2] if re.fullmatch(r"v[0-9]+", parts[-1]) else parts[-1])
        return names
    return set()


def _node_uses(command: _Command) -> list[str]:
    """npx --no-install X, npm run, pnpm exec … run the project's packages."""
    name, args = command.name, command.args
    if name == "npx":
        return [PROJECT_NODE] if {"--no-install", "--no"} & set(args) else []
    if name in _NODE_INSTALL:
        sub = next((a for a in args if not a.startswith("-")), None)
        if sub is None or sub in _NODE_INSTALL[name] or sub in ("add", "config", "cache", "--version", "store"):
            return []
        return [PROJECT_NODE]
    return []


def _python_uses(command: _Command) -> list[str]:
    args = command.args
    if args[:2] == ["-m", "pip"] or not args or args[0] in ("-", "-c"):
        return []
    if args[0] == "-m" and len(args) > 1:
        module = args[1].split(".", 1)[0]
        return [] if module in sys.stdlib_module_names else [PROJECT_PYTHON]
    script = next((a for a in args if not a.startswith("-")), None)
    return [PROJECT_PYTHON] if script else []


def _script_path(word: str, scripts: Mapping[str, str]) -> str | None:
    """The generated script a word names (``$/scripts/x.sh``, ``./scripts/x.sh``)."""
    candidate = word.removeprefix(DYNAMIC)
    candidate = candidate.lstrip("/")
    candidate = candidate.removeprefix("./")
    for path in scripts:
        if candidate == path or candidate.endswith("/" + path):
            return path
    return None


def uses_of(text: str, scripts: Mapping[str, str], via: str = "") -> list[tuple[list[Use], set[str]]]:
    """For each command of a bash text, in order: what it uses and what it provides.

    A command that runs a generated script uses what the script uses."""
    script = commands_of(text)
    result: list[tuple[list[Use], set[str]]] = []
    commands = _simple_commands(script)
    # `for needed in a b c; do command -v "$needed" ...`: a list of needed
    # commands (`for` is a keyword, not a simple command, so read it raw).
    needed_lists: list[list[str]] = []
    for position, words in enumerate(script.commands):
        if words[:1] == ["for"] and words[2:3] == ["in"]:
            following = [w for w in script.commands[position + 1:] if w != ["do"]][:1]
            if following == [["command", "-v", DYNAMIC]]:
                needed_lists.append(words[3:])
    for command in commands:
        used: list[str] = []
        nested_uses: list[Use] = []
        name, args = command.name, command.args
        if name in script.functions or name in SHELL_BUILTINS - {"command", "exec"}:
            pass
        elif name == "command":
            if args == ["-v", DYNAMIC] and needed_lists:
                listed = needed_lists.pop(0)
                used += listed
                # The migrate wrapper lists the package runner migpipe runs the
                # project's own tool with (npx --no-install prisma ...): that
                # needs the project's node_modules too.
                if {"npx", "pnpm", "yarn"} & set(listed):
                    used.append(PROJECT_NODE)
            elif args[:1] == ["-v"]:
                used += [a for a in args[1:] if a != DYNAMIC]
            elif args:
                used.append(args[0])
        else:
            used.append(name)
            target = None
            if name in ("bash", "sh"):
                operands = [a for a in args if not a.startswith("-") and a != "pipefail"]
                if "-c" in args and operands:
                    result += uses_of(operands[0], scripts, via)
                elif operands:
                    target = _script_path(operands[0], scripts)
            elif "/" in name:
                target = _script_path(name, scripts)
                used = [] if target else used
            if target is not None:
                nested = uses_of(scripts[target], scripts, via or target)
                nested_uses += [use for uses, _ in nested for use in uses]
            used += _node_uses(command)
            if name in ("python", "python3"):
                used += _python_uses(command)
        result.append(([Use(u, via) for u in used] + nested_uses, provides(command)))
    return result


@dataclass
class _JobState:
    available: set[str] = field(default_factory=lambda: set(RUNNER_IMAGE | SHELL_BUILTINS))


def _action_name(uses: str) -> str:
    return uses.split("@", 1)[0]


def step_effects(step: Mapping[str, Any], scripts: Mapping[str, str]) -> list[tuple[list[Use], set[str]]]:
    if "uses" in step:
        return [([], set(ACTION_PROVIDES.get(_action_name(str(step["uses"])), frozenset())))]
    return uses_of(str(step.get("run", "")), scripts)


def installable_commands(workflow: Mapping[str, Any], scripts: Mapping[str, str]) -> set[str]:
    """Every command some step of the workflow installs."""
    installed: set[str] = set()
    for job in workflow["jobs"].values():
        for step in job.get("steps", []):
            for _, provided in step_effects(step, scripts):
                installed |= provided
    return installed - {PROJECT_NODE, PROJECT_PYTHON}


def never_preinstalled() -> frozenset[str]:
    """Commands no runner has before a step installs them: those of the setup
    actions and corepack, and ours (migpipe, and squawk which the migrate
    script runs), whether or not the workflow installs them anywhere."""
    from_actions = frozenset().union(*ACTION_PROVIDES.values()) - RUNNER_IMAGE
    return from_actions | {"pnpm", "yarn"} | distribution_commands("migpipe") | distribution_commands("squawk-cli")


def check_workflow(workflow: Mapping[str, Any], scripts: Mapping[str, str]) -> list[Violation]:
    """Every use of a command before its job has it.

    `workflow` is the parsed YAML; `scripts` maps each generated file's path
    (relative to the repository root) to its text."""
    installable = installable_commands(workflow, scripts) | never_preinstalled()
    violations: list[Violation] = []
    for job_id, job in workflow["jobs"].items():
        state = _JobState()
        for number, step in enumerate(job.get("steps", []), start=1):
            name = str(step.get("name", step.get("uses", step.get("run", ""))))
            for uses, provided in step_effects(step, scripts):
                for use in uses:
                    if not _available(use.command, state.available, installable):
                        violations.append(Violation(job_id, number, name, use))
                state.available |= provided
    return _unique(violations)


def _available(command: str, available: set[str], installable: set[str]) -> bool:
    if command in available:
        return True
    if command in installable or command in (PROJECT_NODE, PROJECT_PYTHON):
        return False
    # Neither on the image nor installed by any step: one of the project's own
    # packages' commands (alembic, gunicorn …), there after its install.
    return bool({PROJECT_NODE, PROJECT_PYTHON} & available)


def _unique(violations: Iterable[Violation]) -> list[Violation]:
    seen: set[tuple[str, int, str]] = set()
    unique = []
    for violation in violations:
        key = (violation.job, violation.step, violation.use.command)
        if key not in seen:
            seen.add(key)
            unique.append(violation)
    return unique


def describe(violations: Sequence[Violation]) -> str:
    return "\n".join(str(v) for v in violations)
