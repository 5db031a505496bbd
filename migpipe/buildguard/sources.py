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
import os
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

from migpipe.buildguard import programs, yamlfast
from migpipe.buildguard.docker import (
    Image,
    Stage,
    best_context,
    exec_or_shell,
    instructions,
)
from migpipe.errors import BuildGuardError

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
        ("heroku.yml", r"(^|[_.-])heroku\.ya?ml$"),
        ("vercel.json", r"(^|[_.-])vercel\.json$"),
        ("litefs.yml", r"(^|[_.-])litefs\.ya?ml$"),
        ("dockerfile", r"(^|[_.-])[Dd]ockerfile([._-][\w.-]*)?$|\.[Dd]ockerfile$"),
        ("compose", r"^(docker-)?compose([._-][\w.-]*)?\.ya?ml$"),
        ("nixpacks", r"^nixpacks\.toml$"),
        ("terraform", r"\.tf$"),
    )
)


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
    phase: str = ""  # BUILD, RELEASE or START
    # Inside a container: the image, its stage and the directory the command runs in.
    image: Image | None = None
    stage: Stage | None = None
    image_cwd: str | None = None


@dataclass
class Entries:
    commands: list[EntryCommand] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)  # package.json scripts run by the host
    files: list[tuple[int, str, Path]] = field(default_factory=list)  # (line, what, file) also run
    # package.json files a host runs implicitly (Vercel, Heroku's buildpack): (file, scripts, phase).
    packages: list[tuple[Path, list[str], str]] = field(default_factory=list)
    # Containers started from an image built in the repository, with its own CMD/ENTRYPOINT: (line, what, Dockerfile).
    images: list[tuple[int, str, Path]] = field(default_factory=list)


def script_phase(name: str) -> str:
    return "START" if name in ("start", "prestart", "poststart") else "BUILD"


def phase_of(what: str) -> str:
    """The phase of an entry point from the key that holds it."""
    key = what.rsplit(".", 1)[-1]
    if key in ("release_command", "preDeployCommand", "pre_deploy_command", "postdeploy", "pr-predeploy", "predeploy", "release"):
        return "RELEASE"
    if key in ("buildCommand", "installCommand", "build_command", "RUN", "cmds") or what.startswith(("build.", "phases.")):
        return "BUILD"
    return "START"


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


def load_toml_file(path: Path, display: str) -> dict[str, Any]:
    return _load_toml(read_text(path, display), display)


def _load_yaml(text: str, display: str) -> Any:
    try:
        return yamlfast.load(text)
    except yamlfast.YAMLError as exc:
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
    section: str = "scripts"  # deno.json's are "tasks"

    @classmethod
    def parse(cls, path: Path, text: str, display: str) -> Package:
        data = load_json(text, display)
        scripts = data.get("scripts") if isinstance(data, dict) else None
        if not isinstance(scripts, dict):
            scripts = {}
        return cls(path, text, {k: v for k, v in scripts.items() if isinstance(v, str)})

    @classmethod
    def parse_deno(cls, path: Path, text: str, display: str) -> Package:
        """deno.json / deno.jsonc: its tasks (a command, or a table with one)."""
        plain = programs.strip_comments(text, "js") if path.suffix == ".jsonc" else text
        data = load_json(re.sub(r",(\s*[}\]])", r"\1", plain), display)
        tasks = data.get("tasks") if isinstance(data, dict) else None
        found: dict[str, str] = {}
        for name, value in tasks.items() if isinstance(tasks, dict) else ():
            command = value.get("command") if isinstance(value, dict) else value
            if isinstance(command, str):
                found[name] = command
        return cls(path, text, found, "tasks")

    def line_of(self, name: str) -> int:
        start = self.text.find(f'"{self.section}"')
        return _json_key_line(self.text, name, max(start, 0))


def _package_entries(path: Path, text: str, display: str) -> Entries:
    package = Package.parse(path, text, display)
    return Entries(scripts=[name for name in LIFECYCLE_SCRIPTS if name in package.scripts])


def _implicit_package(directory: Path, scripts: list[str], phase: str) -> list[tuple[Path, list[str], str]]:
    package = directory / "package.json"
    return [(package, scripts, phase)] if package.is_file() else []


def _is_heroku_app_json(data: Any) -> bool:
    return isinstance(data, dict) and any(
        key in data for key in ("scripts", "addons", "buildpacks", "formation", "environments", "stack")
    )


HEROKU_NODE_BUILD = ("heroku-prebuild", "heroku-postbuild", "heroku-cleanup")


def _heroku_package(directory: Path) -> list[tuple[Path, list[str], str]]:
    """Heroku's Node buildpack runs install hooks, then heroku-postbuild (else build)."""
    package = directory / "package.json"
    if not package.is_file():
        return []
    try:
        scripts = Package.parse(package, package.read_text(encoding="utf-8"), str(package)).scripts
    except (BuildGuardError, OSError, UnicodeDecodeError):
        return []
    names = ["preinstall", "install", "postinstall", "prepare", "heroku-prebuild"]
    names += ["heroku-postbuild"] if "heroku-postbuild" in scripts else ["build"]
    names += ["heroku-cleanup"]
    return [(package, names, "BUILD")]


def _procfile_entries(path: Path, text: str, display: str) -> Entries:
    entries = Entries()
    for number, line in enumerate(text.splitlines(), start=1):
        match = re.match(r"\s*([A-Za-z0-9_.-]+)\s*:\s*(.+)$", line)
        if match and not line.lstrip().startswith("#"):
            name = match.group(1)
            phase = "RELEASE" if name == "release" else "START"
            entries.commands.append(EntryCommand(number, name, match.group(2), path.parent, phase=phase))
    if path.name == "Procfile":
        entries.packages += _heroku_package(path.parent)
    return entries


def docker_image(dockerfile: Path, root: Path, context: Path | None = None) -> Image | None:
    if not dockerfile.is_file():
        return None
    key = (dockerfile.resolve(), context.resolve() if context else None)
    if key not in _IMAGES:
        text = read_text(dockerfile, dockerfile.name)
        _IMAGES[key] = Image(dockerfile, text, context or best_context(dockerfile, root.resolve(), text))
    return _IMAGES[key]


_IMAGES: dict[tuple[Path, Path | None], Image] = {}


def _in_image(image: Image | None, line: int, what: str, command: str, cwd: Path, phase: str) -> EntryCommand:
    stage = image.final if image else None
    return EntryCommand(line, what, command, cwd, phase=phase, image=image, stage=stage, image_cwd=stage.workdir if stage else None)


def _fly_entries(path: Path, text: str, display: str) -> Entries:
    data = _load_toml(text, display)
    entries, cwd = Entries(), path.parent
    build = data.get("build") or {}
    image = None
    dockerfile_line = _line_of(text, r"^\s*dockerfile\s*=")
    if not (build.get("builder") or build.get("image") or build.get("buildpacks")):
        name = build.get("dockerfile") or "Dockerfile"
        dockerfile = path.parent / str(name).lstrip("/")
        if dockerfile.is_file():
            image = docker_image(dockerfile, path.parent)
            entries.files.append((dockerfile_line, "build.dockerfile", dockerfile))

    def add(value: Any, key_pattern: str, what: str, start: int = 0) -> None:
        command = _as_command(value)
        if command:
            line = _line_of(text, key_pattern, start)
            entries.commands.append(_in_image(image, line, what, command, cwd, phase_of(what)))

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
    return entries


def _yaml_line(mapping: Any, key: str) -> int:
    return yamlfast.key_line(mapping, key)


def _render_entries(path: Path, text: str, display: str) -> Entries:
    data = _load_yaml(text, display)
    entries = Entries()
    services = data.get("services") if isinstance(data, dict) else None
    for service in services if isinstance(services, list) else []:
        if not isinstance(service, dict):
            continue
        root_dir = service.get("rootDir")
        cwd = path.parent / root_dir if isinstance(root_dir, str) else path.parent
        image = None
        if "docker" in (service.get("runtime"), service.get("env")):
            name = str(service.get("dockerfilePath") or "Dockerfile")
            context_name = service.get("dockerContext")
            for dockerfile in (cwd / name, path.parent / name):
                if dockerfile.is_file():
                    context = path.parent / context_name if isinstance(context_name, str) else None
                    image = docker_image(dockerfile, path.parent, context)
                    entries.files.append((_yaml_line(service, "dockerfilePath"), "dockerfilePath", dockerfile))
                    break
        for key in ("buildCommand", "preDeployCommand", "startCommand", "dockerCommand"):
            command = _as_command(service.get(key))
            if command:
                line = _yaml_line(service, key)
                if image is not None and key != "buildCommand":
                    entries.commands.append(_in_image(image, line, key, command, cwd, phase_of(key)))
                else:
                    entries.commands.append(EntryCommand(line, key, command, cwd, phase=phase_of(key)))
    return entries


def _railway_entries(path: Path, text: str, display: str) -> Entries:
    data = _load_toml(text, display) if path.name.endswith(".toml") else load_json(text, display)
    entries = Entries()
    given: set[str] = set()
    for section, key in (("build", "buildCommand"), ("deploy", "preDeployCommand"), ("deploy", "startCommand")):
        table = data.get(section) if isinstance(data, dict) else None
        value = table.get(key) if isinstance(table, dict) else None
        # preDeployCommand may be a list of commands, each run on its own.
        values = value if isinstance(value, list) and key == "preDeployCommand" else [value]
        for item in values:
            command = _as_command(item)
            if command:
                given.add(key)
                line = _line_of(text, rf"[\"']?{key}[\"']?\s*[:=]")
                entries.commands.append(EntryCommand(line, f"{section}.{key}", command, path.parent, phase=phase_of(key)))
    # Without a build/start command, Railway's builders run package.json's build and start.
    implicit = [name for name, key in (("build", "buildCommand"), ("start", "startCommand")) if key not in given]
    for package, names, _ in _implicit_package(path.parent, implicit, "BUILD"):
        for name in names:
            entries.packages.append((package, [name], script_phase(name)))
    return entries


def _nixpacks_entries(path: Path, text: str, display: str) -> Entries:
    data = _load_toml(text, display)
    entries = Entries()
    phases = data.get("phases") if isinstance(data, dict) else None
    for name, phase in (phases.items() if isinstance(phases, dict) else ()):
        commands = phase.get("cmds") if isinstance(phase, dict) else None
        for command in commands if isinstance(commands, list) else []:
            if isinstance(command, str) and command.strip() and command != "...":
                line = _line_of(text, re.escape(json.dumps(command)) + "|" + re.escape(command))
                entries.commands.append(EntryCommand(line, f"phases.{name}.cmds", command, path.parent, phase="BUILD"))
    start = data.get("start") if isinstance(data, dict) else None
    command = _as_command(start.get("cmd")) if isinstance(start, dict) else None
    if command:
        line = _line_of(text, r"^\s*cmd\s*=", max(text.find("[start]"), 0))
        entries.commands.append(EntryCommand(line, "start.cmd", command, path.parent, phase="START"))
    return entries


def _app_json_entries(path: Path, text: str, display: str) -> Entries:
    entries = Entries()
    try:
        data = load_json(text, display)
    except BuildGuardError:
        if path.name == "app.json":
            raise
        return entries  # tsconfig.app.json (JSON with comments) and the like: not Heroku's
    if not _is_heroku_app_json(data):
        return entries  # an Expo or other app.json, not Heroku's
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
                phase = "RELEASE" if key in ("postdeploy", "pr-predeploy", "predeploy") else "START"
                if prefix.startswith("environments.test"):
                    phase = "CI"
                entries.commands.append(EntryCommand(line, f"{prefix}.{key}", command, path.parent, phase=phase))
    if not (path.parent / "Procfile").is_file():
        entries.packages += _heroku_package(path.parent)
    return entries


def _heroku_yml_entries(path: Path, text: str, display: str) -> Entries:
    """Heroku's container stack: images built from build.docker, the release
    phase's commands and each run process, in the image it names (web's by
    default); a process without a run command starts its image's own CMD."""
    data = _load_yaml(text, display)
    entries, cwd = Entries(), path.parent
    if not isinstance(data, dict):
        return entries
    build = data.get("build")
    docker = build.get("docker") if isinstance(build, dict) else None
    images: dict[str, tuple[int, Path, Image | None]] = {}
    for process, spec in docker.items() if isinstance(docker, dict) else ():
        name = spec.get("dockerfile") if isinstance(spec, dict) else spec
        if isinstance(name, str) and (cwd / name).is_file():
            dockerfile = cwd / name
            images[str(process)] = (_yaml_line(docker, process), dockerfile, docker_image(dockerfile, cwd))
    run_value = data.get("run")
    run: dict[Any, Any] = run_value if isinstance(run_value, dict) else {}

    def add(spec: Any, what: str, line: int, default_image: str) -> None:
        # `command:` is a list of shell commands, or one; `image:` a build.docker process.
        value = spec.get("command") if isinstance(spec, dict) else spec
        if isinstance(spec, dict) and "command" in spec:
            line = yamlfast.value_line(spec, "command")
        image_name = str(spec.get("image") or default_image) if isinstance(spec, dict) else default_image
        image = images[image_name][2] if image_name in images else None
        for command in value if isinstance(value, list) else [value]:
            if isinstance(command, str) and command.strip():
                entries.commands.append(_in_image(image, line, what, command, cwd, phase_of(what)))

    release = data.get("release")
    if release is not None:
        add(release, "release", _yaml_line(data, "release"), "web")
    for process, spec in run.items():
        add(spec, f"run.{process}", _yaml_line(run, process), str(process))
    for process, (line, dockerfile, _image) in images.items():
        if process not in run:
            entries.images.append((line, f"build.docker.{process}", dockerfile))
    return entries


def _vercel_entries(path: Path, text: str, display: str) -> Entries:
    data = load_json(text, display)
    entries = Entries()
    given: set[str] = set()
    for key in ("installCommand", "buildCommand"):
        command = _as_command(data.get(key)) if isinstance(data, dict) else None
        if command:
            given.add(key)
            entries.commands.append(EntryCommand(_json_key_line(text, key), key, command, path.parent, phase="BUILD"))
    # Vercel runs `vercel-build` instead of `build` when package.json has it.
    implicit: list[str] = []
    if "installCommand" not in given:
        implicit += ["preinstall", "install", "postinstall", "prepare"]
    if "buildCommand" not in given:
        package = path.parent / "package.json"
        scripts: dict[str, str] = {}
        if package.is_file():
            scripts = Package.parse(package, read_text(package, str(package)), str(package)).scripts
        implicit += ["vercel-build"] if "vercel-build" in scripts else ["build"]
    entries.packages += _implicit_package(path.parent, implicit, "BUILD")
    return entries


def _litefs_entries(path: Path, text: str, display: str) -> Entries:
    data = _load_yaml(text, display)
    entries = Entries()
    steps = data.get("exec") if isinstance(data, dict) else None
    for step in steps if isinstance(steps, list) else []:
        command = _as_command(step.get("cmd")) if isinstance(step, dict) else None
        if command:
            entries.commands.append(EntryCommand(_yaml_line(step, "cmd"), "exec.cmd", command, path.parent, phase="START"))
    return entries


def _dockerfile_entries(path: Path, text: str, display: str, root: Path | None = None) -> Entries:
    entries = Entries()
    image = docker_image(path, root or path.parent)
    assert image is not None
    stage_index, workdir = -1, "/"
    final_stage: list[EntryCommand] = []
    for item in instructions(text):
        if item.name == "FROM":
            stage_index += 1
            final_stage = []  # only the last stage's CMD / ENTRYPOINT start the container
            stage = image.stages[stage_index] if stage_index < len(image.stages) else None
            parent = image.stage(stage.base) if stage else None
            workdir = parent.workdir if parent else "/"
        elif item.name == "WORKDIR":
            workdir = os.path.normpath(os.path.join(workdir, item.arguments.strip().strip("\"'")))
        elif item.name in ("RUN", "CMD", "ENTRYPOINT") and stage_index >= 0:
            arguments = item.arguments
            if item.name == "RUN":
                arguments = re.sub(r"^(--[a-z]+(=\S*)?\s+)*", "", arguments)
            command, _ = exec_or_shell(arguments)
            if command:
                stage = image.stages[stage_index]
                phase = "BUILD" if item.name == "RUN" else "START"
                entry = EntryCommand(
                    item.line, item.name, command, path.parent, spans_lines="\n" in command, phase=phase,
                    image=image, stage=stage, image_cwd=workdir,
                )
                (entries.commands if item.name == "RUN" else final_stage).append(entry)
    entries.commands.extend(final_stage)
    return entries


_COMPOSE_CACHE: dict[tuple[Path, int, int], Any] = {}


def _compose_data(path: Path) -> Any:
    """A compose file's data, parsed once per version of the file (override files are read by their siblings)."""
    stat = path.stat()
    key = (path.resolve(), stat.st_mtime_ns, stat.st_size)
    if key not in _COMPOSE_CACHE:
        _COMPOSE_CACHE[key] = _load_yaml(read_text(path, path.name), path.name)
    return _COMPOSE_CACHE[key]


def _compose_entries(path: Path, text: str, display: str, root: Path | None = None) -> Entries:
    data = _load_yaml(text, display)
    entries = Entries()
    services = data.get("services") if isinstance(data, dict) else None
    if not isinstance(services, dict):
        return entries
    built: dict[str, Image] = {}
    images: dict[str, Image | None] = {}
    # Override files (docker-compose.build.yml beside docker-compose.yml) give a service its build.
    overrides: dict[str, Any] = {}
    for other in sorted(path.parent.iterdir()):
        if other != path and kind_of(other.name) == "compose" and other.is_file():
            try:
                other_data = _compose_data(other)
            except BuildGuardError:
                continue
            other_services = other_data.get("services") if isinstance(other_data, dict) else None
            for other_name, other_service in (other_services.items() if isinstance(other_services, dict) else ()):
                if isinstance(other_service, dict) and other_service.get("build") is not None:
                    overrides.setdefault(str(other_name), other_service.get("build"))
    for name, service in services.items():
        if not isinstance(service, dict):
            continue
        build = service.get("build", overrides.get(str(name)) if "image" in service else None)
        image = None
        if build is not None:
            context_name = build if isinstance(build, str) else build.get("context", ".") if isinstance(build, dict) else "."
            dockerfile_name = build.get("dockerfile", "Dockerfile") if isinstance(build, dict) else "Dockerfile"
            context = (path.parent / str(context_name)).resolve()
            image = docker_image(context / str(dockerfile_name), root or path.parent, context)
            if image is not None and isinstance(service.get("image"), str):
                built[str(service["image"])] = image
        images[str(name)] = image
    for name, service in services.items():
        if not isinstance(service, dict):
            continue
        image = images.get(str(name))
        if image is None and isinstance(service.get("image"), str):
            image = built.get(str(service["image"]))
        stage = image.final if image else None
        workdir = service.get("working_dir")
        # "" : somewhere in a container we cannot place (an image built elsewhere).
        image_cwd = str(workdir) if isinstance(workdir, str) else (stage.workdir if stage else "")
        entrypoint, command = _as_command(service.get("entrypoint")), _as_command(service.get("command"))
        if entrypoint is None and command is None:
            if image is not None:
                key = "build" if "build" in service else "image"
                entries.images.append((_yaml_line(service, key), f"services.{name}.{key}", image.dockerfile))
            continue
        # Docker runs the entrypoint with the command as its arguments.
        key = "command" if command is not None else "entrypoint"
        text = " ".join(part for part in (entrypoint, command) if part)
        entries.commands.append(
            EntryCommand(
                _yaml_line(service, key), f"services.{name}.{key}", text, path.parent, phase="START",
                image=image, stage=stage, image_cwd=image_cwd,
            )
        )
    return entries


_TERRAFORM_COMMAND = re.compile(
    r"^\s*(pre_deploy_command|start_command|build_command|docker_command)\s*=\s*\"((?:[^\"\\]|\\.)*)\"", re.MULTILINE
)


def _terraform_entries(path: Path, text: str, display: str) -> Entries:
    """Render services defined with the Terraform provider (render_web_service, …)."""
    entries = Entries()
    if "render_" not in text:
        return entries
    for match in _TERRAFORM_COMMAND.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        command = match.group(2).replace('\\"', '"')
        if "${" in command and command.strip().startswith("${"):
            continue  # a variable: the value is given where the module is used
        entries.commands.append(EntryCommand(line, match.group(1), command, path.parent, phase=phase_of(match.group(1))))
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
    "heroku.yml": _heroku_yml_entries,
    "vercel.json": _vercel_entries,
    "litefs.yml": _litefs_entries,
    "dockerfile": _dockerfile_entries,
    "compose": _compose_entries,
    "nixpacks": _nixpacks_entries,
    "terraform": _terraform_entries,
    "shell": _shell_entries,
}


def entries_of(path: Path, text: str, display: str, root: Path | None = None) -> Entries:
    """What the host runs because of this file."""
    kind = kind_of(path.name)
    if kind in ("dockerfile", "compose"):
        return _dockerfile_entries(path, text, display, root) if kind == "dockerfile" else _compose_entries(path, text, display, root)
    return _READERS[kind](path, text, display)
