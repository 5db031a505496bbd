"""Read a repository's own files into the values of a pipeline.toml.

Each value records where it came from (shown as a comment in the written
file); each fact the repository does not state is listed as not detected, and
the model's default is written instead, marked as such.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migpipe.adopt.commands import command_problem, remove_migrations
from migpipe.adopt.findings import HostFinding, ToolFinding
from migpipe.adopt.repo import Repo, join
from migpipe.adopt.stack import Stack, detect_stack
from migpipe.adopt.team_jobs import CarriedWorkflow, carry_workflow
from migpipe.adopt.workflows import WorkflowFacts, load_yaml, read_workflow
from migpipe.config.host_config import (
    FLY_GOVERNED_IN_TABLES,
    RENDER_COMMAND_KEYS,
    RENDER_GOVERNED_SERVICE_KEYS,
    VERCEL_GOVERNED_KEYS,
)
from migpipe.config.tables import INSTALL_COMMANDS
from migpipe.config.types import SECRET_RE
from migpipe.errors import AdoptError
from migpipe.profiles.hosts.render import REGIONS as RENDER_REGIONS
from migpipe.profiles.hosts.render import RUNTIMES as RENDER_RUNTIMES


@dataclass
class Adoption:
    """What ``migpipe init`` writes and says."""

    root: Path
    stack: Stack | None = None
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # "section.key" -> where it came from
    detected: list[str] = field(default_factory=list)
    not_detected: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # the documented changes made to what is carried
    not_carried: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)  # carried as written, worth a look
    team: CarriedWorkflow | None = None

    def set(self, section: str, key: str, value: Any, source: str) -> None:
        """A value found in the repository."""
        self.values.setdefault(section, {})[key] = value
        self.sources[f"{section}.{key}"] = source
        self.detected.append(f"{section}.{key} = {_show(value)} (from {source})")

    def default(self, section: str, key: str, value: Any, what: str) -> None:
        """A value the repository does not state: the default, marked for review."""
        self.values.setdefault(section, {})[key] = value
        self.sources[f"{section}.{key}"] = "not detected: check it"
        self.not_detected.append(f"{what}; wrote {section}.{key} = {_show(value)}")


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _major(spec: Any) -> int | None:
    """``^6.3.0`` -> 6; ``latest``, ``*`` or a workspace link -> None."""
    match = re.match(r"\s*(?:npm:[^@]+@)?[\^~>=v ]*(\d+)(?:\.|$|\s)", str(spec))
    return int(match.group(1)) if match else None


def _run_script(package_manager: str, script: str) -> str:
    return f"{package_manager} run {script}"


def detect_repo(root: Path, host: str | None = None, tool: str | None = None) -> Adoption:
    """What pipeline.toml should hold for the repository at ``root``.

    Raises AdoptError (exit 2) when migpipe cannot describe it: a tool or host
    it has no profile for, a database other than PostgreSQL, several
    candidates, with what was found and where.
    """
    stack = detect_stack(root, host, tool)
    if stack.refusal:
        raise AdoptError(f"{root}: {stack.refusal}; nothing was written")
    assert stack.tool is not None and stack.host is not None
    adoption = Adoption(root, stack=stack)
    repo = Repo(root)
    directory = stack.directory
    own = repo.package(directory)
    package_data = own.data if own else {}
    root_data = repo.root_package.data if repo.root_package else {}
    package = package_data or root_data
    if root_data.get("name") and package is not root_data:
        # The project is the repository: its root package names it.
        package = {**package, "name": root_data["name"]}
    for note in stack.notes:
        adoption.not_carried.append(note)
    render = _render_service(root, adoption) if stack.host.name == "render" else None
    workflow = _workflow(root, adoption, stack)
    package_manager = _project(root, package, render, stack, adoption)
    _tool(stack.tool, adoption)
    _test_database_url(stack.tool, adoption)
    adoption.set("host", "name", stack.host.name, stack.host.evidence)
    if stack.host.name == "render":
        _host(root, package, package_manager, render, adoption)
    elif stack.host.name == "fly":
        _fly(repo, stack.host, adoption)
    elif stack.host.name == "heroku":
        _heroku(repo, package, package_manager, adoption)
    elif stack.host.name == "vercel":
        _vercel(repo, stack.host, directory, adoption)
    _ci(package, package_manager, workflow, adoption)
    return adoption


# --------------------------------------------------------------------------
# project


def _project(root: Path, package: dict[str, Any], render: dict[str, Any] | None, stack: Stack, adoption: Adoption) -> str:
    name = package.get("name")
    if isinstance(name, str) and name.strip() and not command_problem(name.strip()):
        adoption.set("project", "name", name.strip(), f"{join(stack.directory, 'package.json')} name")
    elif render and isinstance(render.get("name"), str):
        adoption.set("project", "name", render["name"], "render.yaml service name")
    else:
        adoption.default("project", "name", root.resolve().name or "app", "project name: no package.json name")
    if stack.node_version:
        adoption.set("project", "node_version", *stack.node_version)
    elif stack.tool is not None and stack.tool.name in ("alembic", "django", "golang-migrate"):
        pass  # not a Node.js project: the Node.js version is not used
    else:
        adoption.default("project", "node_version", "20", "Node.js version: no setup-node step in the CI, .nvmrc, .node-version, .tool-versions, volta.node or engines.node")
    if stack.package_manager:
        adoption.set("project", "package_manager", *stack.package_manager)
    elif stack.tool is not None and stack.tool.name in ("alembic", "django", "golang-migrate"):
        adoption.values.setdefault("project", {})["package_manager"] = "npm"
        adoption.sources["project.package_manager"] = "not a Node.js project (unused)"
    else:
        adoption.default("project", "package_manager", "npm", "package manager: no packageManager field or lock file")
    adoption.values["project"]["working_directory"] = stack.directory
    adoption.sources["project.working_directory"] = (stack.tool.directory_source if stack.tool else "") or "the repository root"
    python = _python_version(root, stack.directory)
    if python:
        adoption.set("project", "python_version", *python)
    return str(adoption.values["project"]["package_manager"])


def _python_version(root: Path, directory: str) -> tuple[str, str] | None:
    for folder in dict.fromkeys([directory, "."]):
        for name in (".python-version", "runtime.txt"):
            path = root / join(folder, name)
            try:
                text = path.read_text(encoding="utf-8")
            except OSError:
                continue
            match = re.search(r"3\.\d{1,2}", text)
            if match:
                return match.group(), join(folder, name)
    return None


# --------------------------------------------------------------------------
# tool


def _tool(tool: ToolFinding, adoption: Adoption) -> None:
    adoption.values.setdefault("tool", {})["name"] = tool.name
    adoption.sources["tool.name"] = tool.evidence
    adoption.detected.append(f"tool.name = {_show(tool.name)} (from {tool.evidence})")
    if tool.engine:
        adoption.detected.append(f"database = {tool.engine} (from {tool.engine_source})")
    else:
        adoption.not_detected.append(f"database engine: nothing in {tool.directory} names it; migpipe assumes PostgreSQL, check it")
    if tool.name == "prisma":
        version = tool.version
        source = tool.table_sources.get("version", "")
        if version in (6, 7):
            adoption.set("tool", "version", version, source)
        elif version is not None:
            adoption.set("tool", "version", 6 if version < 7 else 7, source)
            adoption.not_carried.append(
                f"Prisma {version} ({source}): migpipe generates for Prisma 6 and 7; wrote tool.version = {6 if version < 7 else 7}, whose migrate flags are the same; check it"
            )
        elif "config_path" in tool.table:
            adoption.set("tool", "version", 7, "prisma.config.ts (Prisma 7 style)")
        else:
            adoption.default("tool", "version", 6, "Prisma version: no prisma or @prisma/client dependency")
    for key, value in tool.table.items():
        if key == "version":
            continue
        adoption.set("tool", key, value, tool.table_sources.get(key, tool.evidence))


# The roles of a variable the tool always reads besides the main URL (so every
# job that runs the tool must set it): Prisma's datasource directUrl.
CARRIED_URL_ROLES = ("directUrl",)


def _test_database_url(tool: ToolFinding, adoption: Adoption) -> None:
    urls = [v for v in tool.url_variables if v.role.startswith("url")]
    parts = {v.name: v for v in tool.url_variables if v.role.startswith("part:")}
    if parts:
        # Django settings reading PGHOST, PGUSER, …: every job that runs the tool sets each part.
        adoption.set(
            "test_database", "url_part_envs", {name: v.role.removeprefix("part:") for name, v in parts.items()},
            f"{next(iter(parts.values())).source} DATABASES",
        )
        adoption.changed.append(
            f"{next(iter(parts.values())).source}: {tool.name} reads its connection piece by piece ({', '.join(parts)}); the test "
            f"jobs set each to their database's, and `migpipe migrate` sets them from the URL in "
            f"{adoption.values.get('test_database', {}).get('url_env', 'DATABASE_URL')} (the production secret) for every {tool.name} command"
        )
    unknown = [v for v in tool.url_variables if v.role == "part"]
    if unknown:
        adoption.not_carried.append(
            f"{tool.name} reads {', '.join(v.name for v in unknown)} ({unknown[0].source}) for its connection, and init cannot tell "
            "which part of the URL each holds; add them to test_database.url_part_envs (host, port, user, password, database)"
        )
    if not urls:
        return
    chosen = next((v for v in urls if v.name == "DATABASE_URL"), urls[0])
    if chosen.name.upper().startswith("GITHUB_"):
        return
    adoption.set("test_database", "url_env", chosen.name, f"{chosen.source} ({chosen.role})")
    carried: dict[str, str] = {}
    for other in tool.url_variables:
        if other.name == chosen.name or other.role.startswith("part") or other.name in carried:
            continue
        if other.role in CARRIED_URL_ROLES and not other.name.upper().startswith("GITHUB_"):
            # The tool needs it set wherever it runs: every job that runs the tool sets it.
            carried[other.name] = f"PRODUCTION_{other.name}"
            adoption.changed.append(
                f"{other.source}: {tool.name} also reads {other.name} ({other.role}); every job that runs {tool.name} sets it "
                f"(test jobs: the test database; migrate-prod: the secret PRODUCTION_{other.name}, which you create in the "
                "production environment beside the URL's)"
            )
        elif other.role == "shadowDatabaseUrl":
            adoption.not_carried.append(
                f"{other.source}: {tool.name} reads {other.name} ({other.role}) only for `migrate dev` and `migrate diff`; no job "
                "sets it (migpipe's drift check, if you turn it on, gives its own throwaway shadow database)"
            )
        elif other.role.startswith("url (first set of)"):
            adoption.not_carried.append(
                f"{other.source}: {tool.name} takes the first of several variables that is set, {other.name} among them; "
                f"the jobs set {chosen.name} only, so {other.name} must not be set where they run (or set it instead)"
            )
        else:
            adoption.not_carried.append(
                f"{other.source}: {tool.name} may also read {other.name} ({other.role}); the jobs set {chosen.name}: if the tool "
                f"needs {other.name} too, add it to test_database.other_url_envs with its production secret"
            )
    if carried:
        adoption.set("test_database", "other_url_envs", carried, ", ".join(
            f"{v.source} {v.role}" for v in tool.url_variables if v.name in carried
        ))


# --------------------------------------------------------------------------
# fly and heroku


def _fly(repo: Repo, host: HostFinding, adoption: Adoption) -> None:
    import tomllib

    try:
        data = tomllib.loads(repo.text(host.path) or "") if host.path else {}
    except tomllib.TOMLDecodeError as exc:
        raise AdoptError(f"{host.path}: not valid TOML ({exc}); nothing was written") from None
    app = data.get("app")
    if isinstance(app, str) and re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}", app):
        adoption.set("host", "app", app, f"{host.path} app")
    else:
        adoption.default("host", "app", re.sub(r"[^a-z0-9-]+", "-", adoption.values["project"]["name"].lower()).strip("-")[:63] or "app", f"{host.path} app: missing")
    region = data.get("primary_region")
    if isinstance(region, str) and re.fullmatch(r"[a-z]{3}", region):
        adoption.set("host", "primary_region", region, f"{host.path} primary_region")
    else:
        adoption.values["host"]["primary_region"] = ""
        adoption.sources["host.primary_region"] = f"{host.path} has none: \"\" leaves it out"
    port = None
    http = data.get("http_service")
    if isinstance(http, dict) and isinstance(http.get("internal_port"), int):
        port, source = http["internal_port"], f"{host.path} http_service.internal_port"
    for service in data.get("services") or []:
        if port is None and isinstance(service, dict) and isinstance(service.get("internal_port"), int):
            port, source = service["internal_port"], f"{host.path} services.internal_port"
    if port is not None:
        adoption.set("host", "internal_port", port, source)
    build: dict[str, Any] = data["build"] if isinstance(data.get("build"), dict) else {}
    if isinstance(build.get("dockerfile"), str):
        adoption.set("host", "dockerfile", build["dockerfile"].removeprefix("./"), f"{host.path} build.dockerfile")
    release = (data.get("deploy") or {}).get("release_command") if isinstance(data.get("deploy"), dict) else None
    if isinstance(release, str):
        adoption.removed.append(f"{host.path} [deploy] release_command = {release!r} (migrations run only in the migrate-prod job)")
    processes = data.get("processes")
    if isinstance(processes, dict) and isinstance(processes.get("app"), str):
        _host_command(adoption, repo.root, "start_command", "processes.app", processes["app"], f"{host.path} processes.app")
    # Everything else of fly.toml is carried as the team wrote it.
    extra: dict[str, Any] = {}
    for name, value in data.items():
        if name in ("app", "primary_region"):
            continue
        if isinstance(value, dict) and name in FLY_GOVERNED_IN_TABLES:
            value = {k: v for k, v in value.items() if k not in FLY_GOVERNED_IN_TABLES[name]}
            if not value:
                continue
        extra[name] = value
    if isinstance(processes, dict):
        for name, command in list(processes.items()):
            if name != "app" and isinstance(command, str):
                check = remove_migrations(" ".join(command.split()), repo.root, repo.root, f"{host.path} processes.{name}")
                for part in check.removed:
                    adoption.removed.append(f"{host.path} processes.{name}: `{part}` (migrations run only in the migrate-prod job)")
                if check.removed:
                    extra["processes"] = {**extra.get("processes", {}), name: check.kept or "true"}
    if extra:
        adoption.set("host", "extra", extra, f"{host.path} {', '.join(extra)}")


def _heroku(repo: Repo, package: dict[str, Any], package_manager: str, adoption: Adoption) -> None:
    name = re.sub(r"[^a-z0-9-]+", "-", str(adoption.values["project"]["name"]).lower()).strip("-")
    name = (name if re.match(r"[a-z]", name) else f"app-{name}")[:30].rstrip("-")
    adoption.default("host", "app", name if len(name) >= 3 else "my-app", "Heroku app name: the repository does not state it")
    text = repo.text("Procfile") or ""
    for number, line in enumerate(text.splitlines(), start=1):
        match = re.match(r"^(\w[\w-]*):\s*(.+)$", line.strip())
        if not match:
            continue
        process, command = match.group(1), " ".join(match.group(2).split())
        if process == "web":
            _host_command(adoption, repo.root, "start_command", "web", command, f"Procfile:{number} web")
        elif process == "release":
            adoption.removed.append(f"Procfile:{number} release: {command} (migrations run only in the migrate-prod job)")
        else:
            check = remove_migrations(command, repo.root, repo.root, f"Procfile {process}")
            for part in check.removed:
                adoption.removed.append(f"Procfile:{number} {process}: `{part}` (migrations run only in the migrate-prod job)")
            if check.kept is not None and not command_problem(check.kept) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", process):
                adoption.values["host"].setdefault("other_processes", {})[process] = check.kept
                adoption.sources["host.other_processes"] = "Procfile"
            elif check.kept is not None:
                adoption.not_carried.append(f"Procfile:{number} {process}: {command!r} cannot be a pipeline.toml command; add it back by hand")
    if "start_command" not in adoption.values["host"]:
        scripts: dict[str, Any] = package["scripts"] if isinstance(package.get("scripts"), dict) else {}
        if "start" in scripts:
            adoption.set("host", "start_command", _run_script(package_manager, "start"), "package.json scripts.start")


# --------------------------------------------------------------------------
# vercel (vercel.json)


def _vercel(repo: Repo, host: HostFinding, directory: str, adoption: Adoption) -> None:
    """vercel.json into [host]: its commands without migrations, every other key verbatim in host.extra."""
    path = join(directory, "vercel.json")
    if host.path.endswith("vercel.json") and host.path != path:
        raise AdoptError(
            f"{host.path}: Vercel reads vercel.json at the root of the project it builds, which migpipe takes to be the "
            f"migration tool's directory {directory}; move the project's Root Directory there, or write pipeline.toml by hand; "
            "nothing was written"
        )
    workdir = repo.root / directory
    document: dict[str, Any] = {}
    if repo.exists(path):
        loaded = _read_json(repo.root / path)
        if loaded is None:
            raise AdoptError(f"{path}: not a JSON object; nothing was written")
        document = loaded
    for key, field_name in (("installCommand", "install_command"), ("buildCommand", "build_command")):
        value = document.get(key)
        if not isinstance(value, str) or not value.strip():
            continue
        check = remove_migrations(value, repo.root, workdir, f"{path} {key}")
        for part in check.removed:
            adoption.removed.append(f"{path} {key}: `{part}` (migrations run only in the migrate-prod job)")
        for chain in check.reached:
            adoption.not_carried.append(
                f"{path} {key} reaches a migration through {chain}: remove it there (init does not edit scripts); "
                "the build guard fails until then"
            )
        kept = check.kept if check.kept is not None else "true"
        problem = command_problem(kept)
        if problem:
            raise AdoptError(f"{path} {key}: {problem}; nothing was written")
        adoption.set("host", field_name, kept, f"{path} {key}" + (" (migration removed)" if check.removed else ""))
    # Without a buildCommand Vercel runs package.json's vercel-build (else build):
    # init does not edit scripts; the build guard judges it, and init reports
    # a migration in it (_still_migrating in commands/init.py).
    extra = {key: value for key, value in document.items() if key not in VERCEL_GOVERNED_KEYS}
    if "$schema" in document:
        adoption.changed.append(f"{path} $schema: written by migpipe ({document['$schema']!r} becomes Vercel's own schema URL)")
    git = extra.get("git")
    if isinstance(git, dict) and "deploymentEnabled" in git:
        adoption.changed.append(
            f"{path} git.deploymentEnabled: {json.dumps(git['deploymentEnabled'])} becomes false (only the deploy job deploys, after migrate-prod)"
        )
        extra["git"] = {k: v for k, v in git.items() if k != "deploymentEnabled"}
        if not extra["git"]:
            del extra["git"]
    else:
        adoption.changed.append(f"{path} git.deploymentEnabled: false added (Vercel's Git pushes deploy nothing; only the deploy job deploys, after migrate-prod)")
    github = extra.get("github")
    if isinstance(github, dict) and github.get("enabled", False) is not False:
        adoption.changed.append(f"{path} github.enabled: becomes false (it would turn Vercel's Git deployments back on)")
        extra["github"] = {**github, "enabled": False}
    if extra:
        adoption.set("host", "extra", extra, f"{path} {', '.join(extra)}")
    secrets = adoption.team.host_deploy_secrets if adoption.team is not None else []
    for field_name, word in (("token_secret", "TOKEN"), ("org_id_secret", "ORG"), ("project_id_secret", "PROJECT")):
        name = next((n for n in secrets if word in n.upper() and not n.upper().startswith("GITHUB_")), None)
        if name:
            adoption.set("host", field_name, name, f"the team's Vercel deploy step ({adoption.team.path if adoption.team else ''})")


# --------------------------------------------------------------------------
# host (render.yaml)


def _render_service(root: Path, adoption: Adoption) -> dict[str, Any] | None:
    path = root / "render.yaml"
    if not path.is_file():
        adoption.not_detected.append("render.yaml: not found; the host commands come from package.json scripts")
        return None
    document = load_yaml(path)
    services = document.get("services") if isinstance(document, dict) else None
    candidates = [s for s in services or [] if isinstance(s, dict) and s.get("type", "web") in ("web", "worker", "pserv")]
    if not candidates:
        adoption.not_detected.append("render.yaml: no web, worker or pserv service in it")
        return None
    # The service that runs the app's migrations is the one to guard.
    def rank(service: dict[str, Any]) -> tuple[bool, bool, bool]:
        text = json.dumps(service, default=str)
        static = service.get("runtime", service.get("env")) == "static"
        return static, "prisma" not in text and "migrat" not in text, "fromDatabase" not in text and "DATABASE_URL" not in text

    candidates.sort(key=rank)
    chosen = candidates[0]
    # Everything else of the Blueprint is carried as the team wrote it.
    others = [service for service in services or [] if service is not chosen]
    carried_others = []
    for service in others:
        service = dict(service) if isinstance(service, dict) else service
        if isinstance(service, dict):
            for key in RENDER_COMMAND_KEYS:
                if isinstance(service.get(key), str):
                    check = remove_migrations(" ".join(service[key].split()), root, root, f"render.yaml {key}")
                    if check.removed:
                        for part in check.removed:
                            adoption.removed.append(f"render.yaml services[{service.get('name')}].{key}: `{part}` (migrations run only in the migrate-prod job)")
                        if check.kept is None:
                            del service[key]
                        else:
                            service[key] = check.kept
        carried_others.append(service)
    if carried_others:
        adoption.set("host", "other_services", carried_others, f"render.yaml services {', '.join(str(s.get('name')) for s in others if isinstance(s, dict))}")
    blueprint = {k: v for k, v in document.items() if k != "services"} if isinstance(document, dict) else {}
    if blueprint:
        adoption.set("host", "blueprint", blueprint, f"render.yaml {', '.join(blueprint)}")
    extra = {k: v for k, v in chosen.items() if k not in RENDER_GOVERNED_SERVICE_KEYS}
    if extra:
        adoption.set("host", "service_extra", extra, f"render.yaml services[{chosen.get('name')}] {', '.join(extra)}")
    return chosen


def _host(root: Path, package: dict[str, Any], package_manager: str, render: dict[str, Any] | None, adoption: Adoption) -> None:
    scripts: dict[str, Any] = package["scripts"] if isinstance(package.get("scripts"), dict) else {}
    project_name = adoption.values["project"]["name"]
    if render is None:
        # Render names are plain words: "@acme/api" -> "acme-api".
        service = re.sub(r"[^A-Za-z0-9_.-]+", "-", project_name.lstrip("@")).strip("-") or "app"
        adoption.default("host", "service_name", service, "Render service name: no render.yaml")
        install = INSTALL_COMMANDS[package_manager]
        build = f"{install} && {_run_script(package_manager, 'build')}" if "build" in scripts else install
        _host_command(adoption, root, "build_command", "buildCommand", build, "package.json scripts" if "build" in scripts else None)
        if "start" in scripts:
            _host_command(adoption, root, "start_command", "startCommand", _run_script(package_manager, "start"), "package.json scripts.start")
        else:
            adoption.default("host", "start_command", _run_script(package_manager, "start"), "start command: no render.yaml and no scripts.start")
        _no_pre_deploy(adoption)
        return
    name = render.get("name")
    if isinstance(name, str) and not command_problem(name):
        adoption.set("host", "service_name", name, "render.yaml service name")
    else:
        adoption.default("host", "service_name", project_name, "render.yaml service name: missing")
    if render.get("type") in ("worker", "pserv"):
        adoption.set("host", "service_type", render["type"], "render.yaml service type")
    runtime = render.get("runtime", render.get("env"))
    if runtime in RENDER_RUNTIMES:
        adoption.set("host", "runtime", runtime, "render.yaml runtime")
    elif runtime is not None:
        adoption.not_carried.append(f"render.yaml runtime {runtime!r}: pipeline.toml supports {', '.join(RENDER_RUNTIMES)}; wrote node")
    if render.get("region") in RENDER_REGIONS:
        adoption.set("host", "region", render["region"], "render.yaml region")
    if isinstance(render.get("plan"), str) and not command_problem(render["plan"]):
        adoption.set("host", "plan", render["plan"], "render.yaml plan")
    if isinstance(render.get("healthCheckPath"), str) and not command_problem(render["healthCheckPath"]):
        adoption.set("host", "health_check_path", render["healthCheckPath"], "render.yaml healthCheckPath")
    for key, field_name in (("buildCommand", "build_command"), ("startCommand", "start_command"), ("preDeployCommand", "pre_deploy_command")):
        value = render.get(key)
        if isinstance(value, str) and value.strip():
            _host_command(adoption, root, field_name, key, " ".join(value.split()), f"render.yaml {key}")
        elif field_name == "pre_deploy_command":
            _no_pre_deploy(adoption)
        else:
            fallback = _run_script(package_manager, "start" if key == "startCommand" else "build")
            adoption.default("host", field_name, fallback, f"render.yaml {key}: missing")
    if render.get("autoDeploy") in (True, "yes", "true") or render.get("autoDeployTrigger") not in (None, "off"):
        adoption.changed.append("render.yaml autoDeploy: on (becomes autoDeployTrigger \"off\": only the deploy job deploys, after migrate-prod)")
    if "env" in render and "runtime" not in render:
        adoption.changed.append(f"render.yaml services[{render.get('name')}].env: {render['env']!r} written as runtime (Render's current name for it)")
    if isinstance(render.get("rootDir"), str):
        adoption.set("host", "root_dir", render["rootDir"].removeprefix("./") or ".", "render.yaml rootDir")
    elif adoption.values["project"]["working_directory"] != ".":
        adoption.set("host", "root_dir", ".", "render.yaml has no rootDir (commands run at the repository root)")
    # The service's envVars are carried whole (values, fromDatabase, generateValue): none is lost.
    adoption.values["host"]["env_vars"] = []
    adoption.sources["host.env_vars"] = "render.yaml envVars are carried whole in host.service_extra"


def _no_pre_deploy(adoption: Adoption) -> None:
    # Said explicitly: an omitted pre_deploy_command means the model's default,
    # which runs a build script the repository may not have; "" leaves it out.
    adoption.values.setdefault("host", {})["pre_deploy_command"] = ""
    adoption.sources["host.pre_deploy_command"] = "no preDeployCommand: \"\" leaves it out of render.yaml"


def _host_command(adoption: Adoption, root: Path, field_name: str, key: str, command: str, source: str | None) -> None:
    check = remove_migrations(command, root, root, f"render.yaml {key}" if source and source.startswith("render.yaml") else key)
    for part in check.removed:
        adoption.removed.append(f"{source or key}: `{part}` (migrations run only in the migrate-prod job)")
    for chain in check.reached:
        adoption.not_carried.append(
            f"{source or key} reaches a migration through {chain}: remove it there (init does not edit scripts); the build guard fails until then"
        )
    if check.kept is None:
        if field_name == "pre_deploy_command":
            _no_pre_deploy(adoption)
            return
        fallback = "true"
        adoption.values.setdefault("host", {})[field_name] = fallback
        adoption.sources[f"host.{field_name}"] = f"{source}: only a migration, removed"
        return
    problem = command_problem(check.kept)
    if problem:
        adoption.not_carried.append(f"{source or key}: {problem}")
        return
    if source is None:
        adoption.default("host", field_name, check.kept, f"Render {key}: no render.yaml and no build script")
    else:
        adoption.set("host", field_name, check.kept, source + (" (migration removed)" if check.removed else ""))


def _env_vars(render: dict[str, Any], adoption: Adoption) -> None:
    names: list[str] = []
    with_values: list[str] = []
    for env in render.get("envVars") or []:
        if not isinstance(env, dict) or not isinstance(env.get("key"), str):
            continue
        key = env["key"]
        if not SECRET_RE.fullmatch(key) or key.upper().startswith("GITHUB_"):
            adoption.not_carried.append(f"render.yaml envVars {key!r}: not a valid variable name for pipeline.toml")
            continue
        names.append(key)
        if env.get("sync") is not False:
            with_values.append(key)
    if names:
        adoption.set("host", "env_vars", names, f"render.yaml envVars ({len(names)} names)")
    if with_values:
        shown = ", ".join(with_values[:5]) + (f" and {len(with_values) - 5} more" if len(with_values) > 5 else "")
        adoption.not_carried.append(
            f"render.yaml envVars values ({shown}): the generated render.yaml lists names only (sync: false); set their values in Render's dashboard"
        )


# --------------------------------------------------------------------------
# ci (.github/workflows)


def _workflow(root: Path, adoption: Adoption, stack: Stack) -> WorkflowFacts | None:
    for line in stack.workflows_left:
        adoption.not_carried.append(line)
    if stack.workflow is None:
        adoption.not_detected.append("GitHub workflow: no push / pull_request CI workflow under .github/workflows; CI commands come from package.json scripts")
        return None
    choice = stack.workflow
    adoption.detected.append(f"CI workflow = {choice.path} ({'; '.join(choice.reasons)})")
    # The facts build-verification needs (runner, install and build commands);
    # the jobs themselves are carried as they are, below.
    facts = read_workflow(root / choice.path, choice.path, choice.document)
    if stack.main_branch:
        facts.main_branch = stack.main_branch[0]
    carried = carry_workflow(choice.path, choice.document, stack.host.name if stack.host else None)
    adoption.team = carried
    adoption.changed.extend(carried.changed)
    adoption.not_carried.extend(carried.not_carried)
    adoption.findings.extend(carried.findings)
    return facts


def _ci(package: dict[str, Any], package_manager: str, workflow: WorkflowFacts | None, adoption: Adoption) -> None:
    scripts: dict[str, Any] = package["scripts"] if isinstance(package.get("scripts"), dict) else {}
    if workflow:
        if workflow.name:
            adoption.set("ci", "workflow_name", workflow.name, f"{workflow.path} name")
        if workflow.runner:
            adoption.set("ci", "runner", workflow.runner, f"{workflow.path} runs-on")
        if workflow.install_command and workflow.install_command != INSTALL_COMMANDS[package_manager]:
            adoption.set("ci", "install_command", workflow.install_command, f"{workflow.path} install step")
        if workflow.path != ".github/workflows/ci-cd.yml":
            adoption.set("outputs", "workflow", workflow.path, "the existing workflow it replaces")
    if workflow and workflow.main_branch and adoption.stack and adoption.stack.main_branch:
        adoption.set("ci", "main_branch", workflow.main_branch, adoption.stack.main_branch[1])
    else:
        adoption.default("ci", "main_branch", "main", "main branch: no workflow with on.push.branches")

    if workflow and workflow.build_commands:
        adoption.set("ci", "build_commands", workflow.build_commands, f"{workflow.path} build steps")
    elif "build" in scripts:
        adoption.set("ci", "build_commands", [_run_script(package_manager, "build")], "package.json scripts.build")
    elif package:
        adoption.values.setdefault("ci", {})["build_commands"] = []
        adoption.sources["ci.build_commands"] = "package.json has no build script"
        adoption.not_detected.append("build command: no build step or scripts.build; wrote ci.build_commands = []")
    else:
        adoption.default("ci", "build_commands", ["npm run build"], "build command: no package.json")

    team = adoption.team
    if workflow and team is not None:
        # The team's jobs run as they are; migpipe adds no test job of its own.
        adoption.values.setdefault("ci", {})["test_jobs"] = {}
        adoption.sources["ci.test_jobs"] = f"none of migpipe's own: the team's jobs of {team.path} run as they are"
        if team.triggers:
            adoption.set("ci", "triggers", team.triggers, f"{team.path} on")
        adoption.set("ci", "team_jobs", team.jobs, f"{team.path} jobs {', '.join(team.jobs)}")
        if team.deploy_jobs:
            adoption.set("ci", "team_deploy_jobs", team.deploy_jobs, f"{team.path}: jobs with a deploy step")
        hook = next((name for name in team.host_deploy_secrets if not name.upper().startswith("GITHUB_")), None)
        if hook and adoption.values.get("host", {}).get("name") == "render":
            adoption.set("deploy", "hook_secret", hook, f"{team.path} Render deploy step")
        database_jobs = []
        source = ""
    elif workflow and workflow.test_jobs:
        jobs = workflow.test_jobs
        adoption.set("ci", "test_jobs", jobs, f"{workflow.path} jobs {', '.join(jobs)}")
        database_jobs = workflow.database_jobs
        source = f"{workflow.path} jobs with a postgres service"
        for key, value in workflow.database.items():
            adoption.set("test_database", key, value, f"{workflow.path} postgres service")
    else:
        jobs = {}
        for script, job_id, name in (("lint", "lint", "Lint"), ("test", "tests", "Tests")):
            if script in scripts:
                jobs[job_id] = {"name": name, "commands": [_run_script(package_manager, script)]}
        database_jobs = [job for job in jobs if job != "lint"]
        if jobs:
            adoption.set("ci", "test_jobs", jobs, "package.json scripts")
        else:
            # A guessed `npm run test` would name a script that does not exist: no test job instead.
            adoption.values.setdefault("ci", {})["test_jobs"] = {}
            adoption.sources["ci.test_jobs"] = "not detected: no workflow test job and no scripts.test or scripts.lint"
            adoption.not_detected.append("test commands: no workflow test job and no scripts.test; wrote ci.test_jobs = {} (add your tests)")
            database_jobs = []
        # Without a workflow to say which jobs use a database, the tests get one.
        source = "the test job (Prisma tests usually need the database)"
    if database_jobs:
        adoption.set("test_database", "jobs", database_jobs, source)
    else:
        adoption.values.setdefault("test_database", {})["jobs"] = []
        adoption.sources["test_database.jobs"] = "no job had a postgres service"
    if workflow and team is None and workflow.hook_secret:
        adoption.set("deploy", "hook_secret", workflow.hook_secret, f"{workflow.path} Render deploy step")
    if workflow and team is None and workflow.extra_steps:
        adoption.set("deploy", "extra_steps", workflow.extra_steps, f"{workflow.path} deploy steps")
