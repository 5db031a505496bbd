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
from migpipe.adopt.workflows import WorkflowFacts, load_yaml, read_workflow, relevance

LOCK_FILES = (("pnpm-lock.yaml", "pnpm"), ("yarn.lock", "yarn"), ("package-lock.json", "npm"))
INSTALL_COMMANDS = {"npm": "npm ci", "pnpm": "pnpm install --frozen-lockfile", "yarn": "yarn install --frozen-lockfile"}
RENDER_RUNTIMES = ("node", "docker", "python", "ruby", "go", "elixir", "rust")
RENDER_REGIONS = ("oregon", "ohio", "virginia", "frankfurt", "singapore")
_NODE_VERSION_RE = re.compile(r"[0-9]+(\.[0-9x]+){0,2}|lts/\*|lts/[a-z]+")
_SECRET_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")
# Directories never searched for schema.prisma.
_SKIP_DIRS = {"node_modules", ".git", ".next", "dist", "build", ".turbo", "coverage"}


@dataclass
class Adoption:
    """What ``migpipe init`` writes and says."""

    root: Path
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # "section.key" -> where it came from
    detected: list[str] = field(default_factory=list)
    not_detected: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    not_carried: list[str] = field(default_factory=list)

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


def detect_repo(root: Path) -> Adoption:
    adoption = Adoption(root)
    package = _read_json(root / "package.json")
    if package is None:
        adoption.not_detected.append("package.json: not found or not JSON (a Node.js project is expected at the root)")
        package = {}
    render = _render_service(root, adoption)
    workflow = _workflow(root, adoption)
    package_manager = _project(root, package, render, workflow, adoption)
    _tool(root, package, adoption)
    _host(root, package, package_manager, render, adoption)
    _ci(package, package_manager, workflow, adoption)
    return adoption


# --------------------------------------------------------------------------
# project


def _project(root: Path, package: dict[str, Any], render: dict[str, Any] | None, workflow: WorkflowFacts | None, adoption: Adoption) -> str:
    name = package.get("name")
    if isinstance(name, str) and name.strip() and not command_problem(name.strip()):
        adoption.set("project", "name", name.strip(), "package.json name")
    elif render and isinstance(render.get("name"), str):
        adoption.set("project", "name", render["name"], "render.yaml service name")
    else:
        adoption.default("project", "name", root.resolve().name or "app", "project name: no package.json name")

    version, source = _node_version(root, package, render, workflow)
    if version:
        adoption.set("project", "node_version", version, source)
    else:
        adoption.default("project", "node_version", "20", "Node.js version: no .nvmrc, engines.node or setup-node step")

    found = [manager for lock, manager in LOCK_FILES if (root / lock).is_file()]
    declared = str(package.get("packageManager") or "").split("@")[0]
    if len(found) == 1:
        lock = next(lock for lock, manager in LOCK_FILES if manager == found[0])
        adoption.set("project", "package_manager", found[0], lock)
    elif declared in ("npm", "pnpm", "yarn"):
        adoption.set("project", "package_manager", declared, "package.json packageManager")
        if len(found) > 1:
            adoption.not_carried.append(f"lock files of {', '.join(found)}: kept {declared} (package.json packageManager); remove the others")
    elif found:
        adoption.set("project", "package_manager", found[0], f"{found[0]} lock file (there are several)")
    else:
        adoption.default("project", "package_manager", "npm", "package manager: no lock file")
    adoption.values["project"]["working_directory"] = "."
    adoption.sources["project.working_directory"] = "package.json is at the root"
    return adoption.values["project"]["package_manager"]


def _node_version(root: Path, package: dict[str, Any], render: dict[str, Any] | None, workflow: WorkflowFacts | None) -> tuple[str | None, str]:
    candidates: list[tuple[str, str]] = []
    if workflow and workflow.node_version:
        candidates.append((workflow.node_version, f"{workflow.path} setup-node"))
    for name in (".nvmrc", ".node-version"):
        try:
            text = (root / name).read_text(encoding="utf-8").strip().splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        if text:
            candidates.append((text[0].strip().removeprefix("v"), name))
    engines = package.get("engines")
    if isinstance(engines, dict) and isinstance(engines.get("node"), str):
        match = re.search(r"\d+(\.[0-9x]+){0,2}", engines["node"])
        if match:
            # ">=22.0.0" -> "22": setup-node reads it as "the latest 22".
            candidates.append((match.group().split(".")[0], "package.json engines.node"))
    if render:
        for env in render.get("envVars") or []:
            if isinstance(env, dict) and env.get("key") == "NODE_VERSION" and env.get("value") is not None:
                candidates.append((str(env["value"]), "render.yaml NODE_VERSION"))
    for version, source in candidates:
        if _NODE_VERSION_RE.fullmatch(version):
            return version, source
    return None, ""


# --------------------------------------------------------------------------
# tool


def _tool(root: Path, package: dict[str, Any], adoption: Adoption) -> None:
    adoption.values.setdefault("tool", {})["name"] = "prisma"
    adoption.sources["tool.name"] = "init reads Prisma projects; for another tool, write [tool] by hand"
    major, source = None, ""
    for section in ("dependencies", "devDependencies"):
        deps = package.get(section)
        for dependency in ("prisma", "@prisma/client"):
            if major is None and isinstance(deps, dict) and dependency in deps:
                major = _major(deps[dependency])
                source = f"package.json {section}.{dependency} {deps[dependency]!r}"
    config = root / "prisma.config.ts"
    if major in (6, 7):
        adoption.set("tool", "version", major, source)
    elif major is not None:
        adoption.set("tool", "version", 6 if major < 7 else 7, source)
        adoption.not_carried.append(f"Prisma {major} ({source}): migpipe supports Prisma 6 and 7; check tool.version")
    elif config.is_file():
        adoption.set("tool", "version", 7, "prisma.config.ts (Prisma 7 style)")
    else:
        adoption.default("tool", "version", 6, "Prisma version: no prisma or @prisma/client dependency")

    config_text = config.read_text(encoding="utf-8", errors="replace") if config.is_file() else ""
    schema = None
    match = re.search(r"\bschema\s*:\s*[\"'`]([^\"'`]+)[\"'`]", config_text)
    prisma_section = package.get("prisma")
    if match:
        schema, source = match.group(1), "prisma.config.ts schema"
    elif isinstance(prisma_section, dict) and isinstance(prisma_section.get("schema"), str):
        schema, source = prisma_section["schema"], "package.json prisma.schema"
    elif (root / "prisma" / "schema.prisma").is_file():
        schema, source = "prisma/schema.prisma", "prisma/schema.prisma exists"
    else:
        found = _find_schema(root)
        if found:
            schema, source = found, f"{found} (found by search)"
    schema = schema.removeprefix("./") if schema else None
    if schema:
        adoption.set("tool", "schema_path", schema, source)
    else:
        adoption.default("tool", "schema_path", "prisma/schema.prisma", "schema.prisma: not found")
    migrations = re.search(r"\bmigrations\s*:\s*\{[^}]*\bpath\s*:\s*[\"'`]([^\"'`]+)[\"'`]", config_text)
    if migrations:
        adoption.set("tool", "migrations_dir", migrations.group(1).removeprefix("./"), "prisma.config.ts migrations.path")
    else:
        folder = str(Path(adoption.values["tool"]["schema_path"]).parent.as_posix())
        guess = "migrations" if folder == "." else f"{folder}/migrations"
        if (root / guess).is_dir():
            adoption.set("tool", "migrations_dir", guess, f"{guess}/ beside the schema")
        else:
            adoption.default("tool", "migrations_dir", guess, f"migrations directory: {guess}/ does not exist yet")
    if config.is_file():
        adoption.set("tool", "config_path", "prisma.config.ts", "prisma.config.ts exists")


def _find_schema(root: Path, depth: int = 4) -> str | None:
    found: list[str] = []

    def walk(directory: Path, level: int) -> None:
        try:
            entries = sorted(directory.iterdir())
        except OSError:
            return
        for entry in entries:
            if entry.is_dir() and not entry.is_symlink() and entry.name not in _SKIP_DIRS and level < depth:
                walk(entry, level + 1)
            elif entry.name == "schema.prisma":
                found.append(entry.relative_to(root).as_posix())

    walk(root, 0)
    return min(found, key=lambda path: (path.count("/"), path)) if found else None


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
    candidates.sort(key=lambda s: "prisma" not in json.dumps(s, default=str))
    if len(candidates) > 1:
        others = ", ".join(str(s.get("name")) for s in candidates[1:])
        adoption.not_carried.append(f"render.yaml: services {others} (pipeline.toml describes one service: {candidates[0].get('name')})")
    if isinstance(document, dict) and document.get("databases"):
        adoption.not_carried.append("render.yaml databases: the generated render.yaml has no databases section; keep the database in Render's dashboard")
    return candidates[0]


def _host(root: Path, package: dict[str, Any], package_manager: str, render: dict[str, Any] | None, adoption: Adoption) -> None:
    adoption.values.setdefault("host", {})["name"] = "render"
    adoption.sources["host.name"] = "init reads Render's config; for fly or heroku, write [host] by hand"
    scripts = package.get("scripts") if isinstance(package.get("scripts"), dict) else {}
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
    if render.get("autoDeploy") in (True, "yes", "true"):
        adoption.removed.append("render.yaml autoDeploy: true (becomes false: only the deploy job deploys, after migrate-prod)")
    _env_vars(render, adoption)


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
        if not _SECRET_NAME_RE.fullmatch(key) or key.upper().startswith("GITHUB_"):
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


def _workflow(root: Path, adoption: Adoption) -> WorkflowFacts | None:
    directory = root / ".github" / "workflows"
    files = sorted([*directory.glob("*.yml"), *directory.glob("*.yaml")]) if directory.is_dir() else []
    scored = []
    for path in files:
        document = load_yaml(path)
        score = relevance(document)
        if score:
            scored.append((score, path.name == "ci-cd.yml", path, document))
        else:
            adoption.not_carried.append(f"{path.relative_to(root).as_posix()}: not read (not a push / pull_request workflow, or not YAML); left as it is")
    if not scored:
        adoption.not_detected.append("GitHub workflow: none under .github/workflows; CI commands come from package.json scripts")
        return None
    scored.sort(key=lambda item: (item[1], item[0]), reverse=True)
    _, _, path, document = scored[0]
    display = path.relative_to(root).as_posix()
    for _, _, other, _ in scored[1:]:
        adoption.not_carried.append(f"{other.relative_to(root).as_posix()}: left as it is (pipeline.toml replaces {display} only)")
    facts = read_workflow(path, display, document)
    adoption.removed.extend(facts.removed)
    adoption.not_carried.extend(facts.not_carried)
    return facts


def _ci(package: dict[str, Any], package_manager: str, workflow: WorkflowFacts | None, adoption: Adoption) -> None:
    scripts = package.get("scripts") if isinstance(package.get("scripts"), dict) else {}
    if workflow:
        if workflow.name:
            adoption.set("ci", "workflow_name", workflow.name, f"{workflow.path} name")
        if workflow.runner:
            adoption.set("ci", "runner", workflow.runner, f"{workflow.path} runs-on")
        if workflow.install_command and workflow.install_command != INSTALL_COMMANDS[package_manager]:
            adoption.set("ci", "install_command", workflow.install_command, f"{workflow.path} install step")
        if workflow.path != ".github/workflows/ci-cd.yml":
            adoption.set("outputs", "workflow", workflow.path, "the existing workflow it replaces")
    if workflow and workflow.main_branch:
        adoption.set("ci", "main_branch", workflow.main_branch, f"{workflow.path} on.push.branches")
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

    if workflow and workflow.test_jobs:
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
            jobs = {"tests": {"name": "Tests", "commands": [_run_script(package_manager, "test")]}}
            adoption.default("ci", "test_jobs", jobs, "test commands: no workflow test job and no scripts.test")
            database_jobs = []
        # Without a workflow to say which jobs use a database, the tests get one.
        source = "the test job (Prisma tests usually need the database)"
    if database_jobs:
        adoption.set("test_database", "jobs", database_jobs, source)
    else:
        adoption.values.setdefault("test_database", {})["jobs"] = []
        adoption.sources["test_database.jobs"] = "no job had a postgres service"
    if workflow and workflow.hook_secret:
        adoption.set("deploy", "hook_secret", workflow.hook_secret, f"{workflow.path} Render deploy step")
    if workflow and workflow.extra_steps:
        adoption.set("deploy", "extra_steps", workflow.extra_steps, f"{workflow.path} deploy steps")
