"""The files a host reads, and the commands each one makes it run on its own.

A file's kind comes from its name (``package.json``, ``Procfile``,
``fly.toml``, ``render.yaml``, ``railway.json``, ``app.json``,
``vercel.json``, ``litefs.yml``, Dockerfiles); anything else is read as a
shell script. A name matches when it ends with the kind's name after a
``_``, ``.`` or ``-`` (``web.Procfile``, ``prod.Dockerfile``), so copies of
host files saved under longer names keep their meaning.
"""
from __future__ import annotations

import json
import re
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from migpipe.errors import FatalError

MAX_FILE_BYTES = 2 * 1024 * 1024  # host configs and scripts are small; refuse anything absurd

# What a host runs from a package.json on its own: install hooks, the build
# and the start (each with its pre/post hooks), and the platform-specific
# build scripts that replace `build` when they exist.
LIFECYCLE_SCRIPTS = (
    "preinstall",
    "install",
    "postinstall",
    "prepare",
    "build",
    "start",
    "vercel-build",
    "heroku-prebuild",
    "heroku-postbuild",
    "heroku-cleanup",
    "render-build",
)

_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        ("package.json", r"(^|[_.-])package\.json$"),
        ("procfile", r"(^|[_.-])Procfile([._-][\w.-]*)?$"),
        ("fly.toml", r"(^|[_.-])fly(\.[\w-]+)?\.toml$"),
        ("render.yaml", r"(^|[_.-])render(\.[\w-]+)?\.ya?ml$"),
        ("railway", r"(^|[_.-])railway\.(json|toml)$"),
        ("app.json", r"(^|[_.-])app\.json$"),
        ("vercel.json", r"(^|[_.-])vercel\.json$"),
        ("litefs.yml", r"(^|[_.-])litefs\.ya?ml$"),
        ("dockerfile", r"(^|[_.-])[Dd]ockerfile([._-][\w.-]*)?$|\.[Dd]ockerfile$"),
    )
)


class BuildGuardError(FatalError):
    """A file the build guard must read is missing, unreadable or malformed."""


def kind_of(name: str) -> str:
    for kind, pattern in _KINDS:
        if pattern.search(name):
            return kind
    return "shell"


def read_text(path: Path, display: str) -> str:
    try:
        if path.is_dir():
            raise BuildGuardError(f"{display}: is a directory, expected a file")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise BuildGuardError(f"{display}: is larger than {MAX_FILE_BYTES} bytes")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise BuildGuardError(f"{display}: no such file") from None
    except OSError as exc:
        raise BuildGuardError(f"{display}: cannot be read ({exc.strerror or exc})") from None
    if b"\x00" in raw:
        raise BuildGuardError(f"{display}: is a binary file, expected text")
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise BuildGuardError(f"{display}:{line}: is not valid UTF-8 text") from None


@dataclass(frozen=True)
class EntryCommand:
    """A command (or, with ``spans_lines``, a whole script) the host runs."""

    line: int
    what: str  # the key that holds it: buildCommand, scripts.postdeploy, CMD, web
    text: str
    cwd: Path
    spans_lines: bool = False  # line numbers inside ``text`` count from ``line``


@dataclass
class Entries:
    commands: list[EntryCommand] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)  # package.json scripts run by the host
    files: list[tuple[int, str, Path]] = field(default_factory=list)  # (line, what, file) also run


def _line_of(text: str, pattern: str, start: int = 0) -> int:
    match = re.compile(pattern, re.MULTILINE).search(text, start)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def _json_key_line(text: str, key: str, start: int = 0) -> int:
    return _line_of(text, r'"' + re.escape(key) + r'"\s*:', start)


def load_json(text: str, display: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BuildGuardError(f"{display}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})") from None


def _load_toml(text: str, display: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BuildGuardError(f"{display}: not valid TOML ({exc})") from None


def _load_yaml(text: str, display: str) -> Any:
    try:
        return YAML(typ="rt").load(text)
    except YAMLError as exc:
        raise BuildGuardError(f"{display}: not valid YAML ({str(exc).splitlines()[0]})") from None


def _as_command(value: Any) -> str | None:
    """A command given as a string, or as an argv list (exec form)."""
    if isinstance(value, str) and value.strip():
        return value
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return shlex.join(value)
    return None


@dataclass(frozen=True)
class Package:
    """A package.json: its scripts, and where each one is written."""

    path: Path
    text: str
    scripts: dict[str, str]

    @classmethod
    def parse(cls, path: Path, text: str, display: str) -> Package:
        data = load_json(text, display)
        scripts = data.get("scripts") if isinstance(data, dict) else None
        if not isinstance(scripts, dict):
            scripts = {}
        return cls(path, text, {k: v for k, v in scripts.items() if isinstance(v, str)})

    def line_of(self, name: str) -> int:
        start = self.text.find('"scripts"')
        return _json_key_line(self.text, name, max(start, 0))


def _package_entries(path: Path, text: str, display: str) -> Entries:
    package = Package.parse(path, text, display)
    return Entries(scripts=[name for name in LIFECYCLE_SCRIPTS if name in package.scripts])


def _procfile_entries(path: Path, text: str, display: str) -> Entries:
    entries = Entries()
    for number, line in enumerate(text.splitlines(), start=1):
        match = re.match(r"\s*([A-Za-z0-9_.-]+)\s*:\s*(.+)$", line)
        if match and not line.lstrip().startswith("#"):
            entries.commands.append(EntryCommand(number, match.group(1), match.group(2), path.parent))
    return entries


def _fly_entries(path: Path, text: str, display: str) -> Entries:
    data = _load_toml(text, display)
    entries, cwd = Entries(), path.parent

    def add(value: Any, key_pattern: str, what: str, start: int = 0) -> None:
        command = _as_command(value)
        if command:
            entries.commands.append(EntryCommand(_line_of(text, key_pattern, start), what, command, cwd))

    deploy = data.get("deploy") or {}
    add(deploy.get("release_command"), r"^\s*release_command\s*=", "deploy.release_command")
    processes = data.get("processes")
    if isinstance(processes, dict):
        start = max(text.find("[processes]"), 0)
        for name, command in processes.items():
            add(command, rf"^\s*[\"']?{re.escape(name)}[\"']?\s*=", f"processes.{name}", start)
    experimental = data.get("experimental") or {}
    cmd, entrypoint = _as_command(experimental.get("cmd")), _as_command(experimental.get("entrypoint"))
    if cmd or entrypoint:
        add(" ".join(part for part in (entrypoint, cmd) if part), r"^\s*(cmd|entrypoint)\s*=", "experimental.cmd")
    # Fly builds the image from a Dockerfile unless told to use a builder or an image.
    build = data.get("build") or {}
    if not (build.get("builder") or build.get("image") or build.get("buildpacks")):
        name = build.get("dockerfile") or "Dockerfile"
        dockerfile = path.parent / name.lstrip("/")
        if dockerfile.is_file():
            entries.files.append((_line_of(text, r"^\s*dockerfile\s*="), "build.dockerfile", dockerfile))
    return entries


def _yaml_line(mapping: Any, key: str) -> int:
    try:
        return int(mapping.lc.key(key)[0]) + 1
    except (AttributeError, KeyError, TypeError):
        return 1


def _render_entries(path: Path, text: str, display: str) -> Entries:
    data = _load_yaml(text, display)
    entries = Entries()
    services = data.get("services") if isinstance(data, dict) else None
    for service in services if isinstance(services, list) else []:
        if not isinstance(service, dict):
            continue
        root_dir = service.get("rootDir")
        cwd = path.parent / root_dir if isinstance(root_dir, str) else path.parent
        for key in ("buildCommand", "preDeployCommand", "startCommand", "dockerCommand"):
            command = _as_command(service.get(key))
            if command:
                entries.commands.append(EntryCommand(_yaml_line(service, key), key, command, cwd))
        if "docker" in (service.get("runtime"), service.get("env")):
            name = str(service.get("dockerfilePath") or "Dockerfile")
            for dockerfile in (cwd / name, path.parent / name):
                if dockerfile.is_file():
                    entries.files.append((_yaml_line(service, "dockerfilePath"), "dockerfilePath", dockerfile))
                    break
    return entries


def _railway_entries(path: Path, text: str, display: str) -> Entries:
    data = _load_toml(text, display) if path.name.endswith(".toml") else load_json(text, display)
    entries = Entries()
    for section, key in (("build", "buildCommand"), ("deploy", "preDeployCommand"), ("deploy", "startCommand")):
        table = data.get(section) if isinstance(data, dict) else None
        value = table.get(key) if isinstance(table, dict) else None
        # preDeployCommand may be a list of commands, each run on its own.
        values = value if isinstance(value, list) and key == "preDeployCommand" else [value]
        for item in values:
            command = _as_command(item)
            if command:
                line = _line_of(text, rf"[\"']?{key}[\"']?\s*[:=]")
                entries.commands.append(EntryCommand(line, f"{section}.{key}", command, path.parent))
    return entries


def _app_json_entries(path: Path, text: str, display: str) -> Entries:
    data = load_json(text, display)
    entries = Entries()
    if not isinstance(data, dict):
        return entries
    scopes: list[tuple[str, Any, int]] = [("scripts", data.get("scripts"), text.find('"scripts"'))]
    environments = data.get("environments")
    if isinstance(environments, dict):
        for name, environment in environments.items():
            if isinstance(environment, dict):
                start = text.find(f'"{name}"', max(text.find('"environments"'), 0))
                scopes.append((f"environments.{name}.scripts", environment.get("scripts"), start))
    for prefix, scripts, start in scopes:
        for key, value in (scripts.items() if isinstance(scripts, dict) else ()):
            command = _as_command(value)
            if command:
                line = _json_key_line(text, key, max(start, 0))
                entries.commands.append(EntryCommand(line, f"{prefix}.{key}", command, path.parent))
    return entries


def _vercel_entries(path: Path, text: str, display: str) -> Entries:
    data = load_json(text, display)
    entries = Entries()
    for key in ("installCommand", "buildCommand"):
        command = _as_command(data.get(key)) if isinstance(data, dict) else None
        if command:
            entries.commands.append(EntryCommand(_json_key_line(text, key), key, command, path.parent))
    return entries


def _litefs_entries(path: Path, text: str, display: str) -> Entries:
    data = _load_yaml(text, display)
    entries = Entries()
    steps = data.get("exec") if isinstance(data, dict) else None
    for step in steps if isinstance(steps, list) else []:
        command = _as_command(step.get("cmd")) if isinstance(step, dict) else None
        if command:
            entries.commands.append(EntryCommand(_yaml_line(step, "cmd"), "exec.cmd", command, path.parent))
    return entries


def _dockerfile_instructions(text: str) -> list[tuple[int, str, str]]:
    """(line, INSTRUCTION, arguments) with continuations joined and comments dropped."""
    lines = text.splitlines()
    instructions, i = [], 0
    while i < len(lines):
        start, line = i + 1, lines[i]
        i += 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = []
        while line.rstrip().endswith("\\") and i < len(lines):
            parts.append(line.rstrip()[:-1])
            line = lines[i]
            i += 1
            # Comment lines inside a continued instruction are removed by Docker.
            while line.lstrip().startswith("#") and i < len(lines):
                line = lines[i]
                i += 1
        parts.append(line)
        instruction, _, arguments = " ".join(parts).strip().partition(" ")
        instructions.append((start, instruction.upper(), arguments.strip()))
    return instructions


def _dockerfile_entries(path: Path, text: str, display: str) -> Entries:
    entries = Entries()
    final_stage: list[EntryCommand] = []
    for line, instruction, arguments in _dockerfile_instructions(text):
        if instruction == "FROM":
            final_stage = []  # only the last stage's CMD / ENTRYPOINT start the container
        elif instruction in ("RUN", "CMD", "ENTRYPOINT"):
            if instruction == "RUN":
                arguments = re.sub(r"^(--[a-z]+(=\S*)?\s+)*", "", arguments)
            command = arguments
            if arguments.startswith("["):
                try:
                    command = _as_command(json.loads(arguments)) or ""
                except json.JSONDecodeError:
                    pass  # not valid exec form: Docker runs it with /bin/sh -c
            if command:
                entry = EntryCommand(line, instruction, command, path.parent)
                (entries.commands if instruction == "RUN" else final_stage).append(entry)
    entries.commands.extend(final_stage)
    return entries


def _shell_entries(path: Path, text: str, display: str) -> Entries:
    return Entries(commands=[EntryCommand(1, "", text, path.parent, spans_lines=True)])


_READERS = {
    "package.json": _package_entries,
    "procfile": _procfile_entries,
    "fly.toml": _fly_entries,
    "render.yaml": _render_entries,
    "railway": _railway_entries,
    "app.json": _app_json_entries,
    "vercel.json": _vercel_entries,
    "litefs.yml": _litefs_entries,
    "dockerfile": _dockerfile_entries,
    "shell": _shell_entries,
}


def entries_of(path: Path, text: str, display: str) -> Entries:
    """What the host runs because of this file."""
    return _READERS[kind_of(path.name)](path, text, display)
