"""The stack of a repository: its migration tool, database, host, CI workflow and Node setup.

``detect_stack`` runs every tool and host detector and decides what
pipeline.toml can describe. When it cannot (a tool or host migpipe has no
profile for, a database other than PostgreSQL, several candidates), the
``refusal`` says what was found, where, and why; init then exits 2.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migpipe.adopt.ci_select import (
    WorkflowChoice,
    choose_workflow,
    main_branch,
    triggers,
)
from migpipe.adopt.findings import POSTGRESQL, HostFinding, ToolFinding
from migpipe.adopt.host_detectors import HOST_DETECTORS
from migpipe.adopt.repo import Repo, join
from migpipe.adopt.tool_detectors import (
    SUPPORTED_TOOL_DETECTORS,
    UNSUPPORTED_TOOL_DETECTORS,
)
from migpipe.config.types import NODE_VERSION_RE

LOCK_FILES = (("pnpm-lock.yaml", "pnpm"), ("yarn.lock", "yarn"), ("package-lock.json", "npm"), ("bun.lockb", "bun"), ("bun.lock", "bun"))


def supported_tools() -> frozenset[str]:
    """Tool names migpipe can generate for: the tool-profile registry."""
    from migpipe.profiles.tools.registry import TOOLS

    return frozenset(TOOLS)


def supported_hosts() -> frozenset[str]:
    """Host names migpipe can generate for: the host-profile registry."""
    from migpipe.profiles.hosts.registry import HOSTS

    return frozenset(HOSTS)


@dataclass
class Stack:
    root: Path
    tools: list[ToolFinding] = field(default_factory=list)
    hosts: list[HostFinding] = field(default_factory=list)
    tool: ToolFinding | None = None
    host: HostFinding | None = None
    workflow: WorkflowChoice | None = None
    workflows_left: list[str] = field(default_factory=list)
    main_branch: tuple[str, str] | None = None
    node_version: tuple[str, str] | None = None
    package_manager: tuple[str, str] | None = None
    refusal: str | None = None
    notes: list[str] = field(default_factory=list)  # found, not governed (e.g. a ClickHouse migrator)

    @property
    def directory(self) -> str:
        return self.tool.directory if self.tool else "."


def _pick_tool(stack: Stack, chosen: str) -> None:
    """``--tool NAME`` or ``--tool NAME:DIRECTORY``: the one finding it names, or a refusal saying why not."""
    name, _, directory = chosen.partition(":")
    directory = directory.strip().strip("/") or ""
    known = supported_tools()
    found = "; ".join(f"{t.name} in {t.directory}" for t in stack.tools) or "no migration tool"
    if name not in known:
        stack.refusal = f"--tool {chosen}: migpipe generates for {', '.join(sorted(known))} (found {found})"
        return
    matches = [t for t in stack.tools if t.name == name and (not directory or t.directory == directory)]
    if not matches:
        stack.refusal = f"--tool {chosen}: no {name}{' in ' + directory if directory else ''} found in the repository (found {found})"
        return
    if len(matches) > 1:
        options = " or ".join(f"--tool {t.name}:{t.directory}" for t in matches)
        stack.refusal = f"--tool {chosen}: {name} is in {len(matches)} places ({', '.join(t.directory for t in matches)}); choose one with {options}"
        return
    tool = matches[0]
    if tool.engine not in (None, POSTGRESQL):
        stack.refusal = (
            f"--tool {chosen}: {tool.name} in {tool.directory} targets {tool.engine}, not PostgreSQL ({tool.engine_source}); "
            "everything migpipe generates assumes PostgreSQL"
        )
        return
    stack.tool = tool
    for other in stack.tools:
        if other is not tool:
            stack.notes.append(
                f"{other.notes[0] if other.notes else other.name} in {other.directory} ({other.evidence}): not the tool chosen "
                f"with --tool {chosen}; its migrations are not governed by this pipeline.toml"
            )


def _choose_tool(stack: Stack, chosen: str | None = None) -> None:
    tools = stack.tools
    if chosen is not None:
        _pick_tool(stack, chosen)
        return
    if not tools:
        stack.refusal = (
            "no migration tool found (looked for "
            + ", ".join(sorted(supported_tools()))
            + "); migpipe generates a pipeline for one of these"
        )
        return
    other_db = [t for t in tools if t.engine not in (None, POSTGRESQL)]
    for finding in other_db:
        stack.notes.append(
            f"{finding.name} in {finding.directory} ({finding.evidence}) targets {finding.engine} ({finding.engine_source}): "
            "not PostgreSQL, so migpipe leaves it alone"
        )
    postgres = [t for t in tools if t.engine in (None, POSTGRESQL)]
    supported = [t for t in postgres if t.supported]
    unsupported = [t for t in postgres if not t.supported]
    if not postgres:
        first = other_db[0]
        stack.refusal = (
            f"{first.name} in {first.directory} targets {first.engine}, not PostgreSQL ({first.engine_source}); "
            "everything migpipe generates (test database, pg_dump backup, lock and statement timeouts, SQL lint) assumes PostgreSQL"
        )
        return
    if not supported:
        found = "; ".join(f"{t.notes[0] if t.notes else t.name} in {t.directory} ({t.evidence})" for t in unsupported)
        stack.refusal = (
            f"found {found}: migpipe cannot generate a pipeline for "
            + ("it" if len(unsupported) == 1 else "them")
            + f" (it supports {', '.join(sorted(supported_tools()))})"
        )
        return
    if len(supported) > 1:
        listed = "; ".join(f"{t.name} in {t.directory} ({t.evidence})" for t in supported)
        options = ", ".join(f"--tool {t.name}:{t.directory}" for t in supported)
        stack.refusal = f"several migration tools on PostgreSQL: {listed}; pipeline.toml governs one: choose it with {options}"
        return
    stack.tool = supported[0]
    for finding in unsupported:
        stack.notes.append(
            f"{finding.notes[0] if finding.notes else finding.name} in {finding.directory} ({finding.evidence}): migpipe cannot "
            "generate for it; its migrations are not governed"
        )


def _choose_host(stack: Stack, known: frozenset[str], chosen: str | None) -> None:
    directory = stack.directory
    hosts = stack.hosts
    if chosen is not None:
        if chosen not in known:
            stack.refusal = f"--host {chosen}: migpipe generates for {', '.join(sorted(known))}"
            return
        found = next((h for h in hosts if h.name == chosen), None)
        stack.host = found or HostFinding(chosen, True, "", "--host (no config file of it in the repository)")
        for other in hosts:
            if other is not found:
                stack.notes.append(f"{other.evidence}: not the host chosen with --host {chosen}; left as it is")
        return

    def relevant(host: HostFinding) -> bool:
        return host.directory == "." or directory == host.directory or directory.startswith(host.directory + "/")

    apps = [h for h in hosts if relevant(h) and h.name not in ("docker", "aws-elastic-beanstalk")]
    for host in hosts:
        if not relevant(host):
            stack.notes.append(f"{host.evidence}: deploys {host.directory}, not {directory} where the migrations are; left as it is")
    usable = [h for h in apps if h.supported and h.name in known]
    if len(usable) == 1:
        stack.host = usable[0]
        for other in apps:
            if other is not usable[0]:
                stack.notes.append(f"{other.evidence}: {'; '.join(other.notes) or 'another deployment'}; left as it is")
        return
    if len(usable) > 1:
        listed = ", ".join(f"{h.name} ({h.evidence})" for h in usable)
        stack.refusal = f"several hosts deploy {directory}: {listed}; pipeline.toml describes one (choose with --host)"
        return
    candidates = apps or [h for h in hosts if h.name in ("docker", "aws-elastic-beanstalk")]
    if not candidates:
        stack.refusal = (
            f"no host config found (looked for render.yaml, fly.toml, Procfile, app.json, vercel.json); "
            f"say where it deploys with --host ({', '.join(sorted(known))})"
        )
        return
    described = []
    for host in candidates:
        why = "; ".join(host.notes) if host.notes else (
            "migpipe has no Vercel host profile yet" if host.name == "vercel" else f"migpipe has no {host.name} host profile"
        )
        described.append(f"{host.name} ({host.evidence}): {why}")
    stack.refusal = (
        "no host migpipe can generate for: found " + "; ".join(described) + f" (it supports {', '.join(sorted(known))})"
    )


_EXPRESSION_RE = re.compile(r"\$\{\{\s*(matrix|env)\.([A-Za-z_][A-Za-z0-9_-]*)\s*\}\}")


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version)) or (0,)


def _version_in_file(repo: Repo, path: str) -> str | None:
    """The Node.js version a file states (.nvmrc, .node-version, .tool-versions, package.json)."""
    text = repo.text(path) if repo.exists(path) else None
    if not text:
        return None
    name = path.rsplit("/", 1)[-1]
    if name == "package.json":
        package = repo.json(path) or {}
        volta = package.get("volta")
        if isinstance(volta, dict) and isinstance(volta.get("node"), str):
            return str(volta["node"])
        engines = package.get("engines")
        match = re.search(r"\d+", engines["node"]) if isinstance(engines, dict) and isinstance(engines.get("node"), str) else None
        return match.group() if match else None
    if name == ".tool-versions":
        match = re.search(r"^\s*node(?:js)?\s+(\S+)", text, re.MULTILINE)
        return match.group(1) if match else None
    lines = text.strip().splitlines()
    return lines[0].strip().removeprefix("v") if lines else None


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _setup_node_versions(repo: Repo, path: str, document: dict[str, Any]) -> list[tuple[str, str]]:
    """Each setup-node step's version, its ${{ matrix.X }} / ${{ env.X }} resolved, node-version-file read."""
    found: list[tuple[str, str]] = []
    workflow_env = _mapping(document.get("env"))
    for job_id, job in (document.get("jobs") or {}).items():
        if not isinstance(job, dict):
            continue
        strategy = job.get("strategy")
        matrix = strategy.get("matrix") if isinstance(strategy, dict) else None
        job_env = _mapping(job.get("env"))
        for step in job.get("steps") or []:
            if not (isinstance(step, dict) and str(step.get("uses", "")).startswith("actions/setup-node")):
                continue
            inputs = _mapping(step.get("with"))
            version = inputs.get("node-version")
            where = f"{path} jobs.{job_id} setup-node"
            if version is None and isinstance(inputs.get("node-version-file"), str):
                file = inputs["node-version-file"].strip().removeprefix("./")
                from_file = _version_in_file(repo, file)
                if from_file:
                    found.append((from_file, f"{where} node-version-file {file}"))
                continue
            if version is None:
                continue
            text = str(version).strip()
            expression = _EXPRESSION_RE.fullmatch(text)
            if expression:
                kind, name = expression.groups()
                if kind == "matrix" and isinstance(matrix, dict):
                    values = matrix.get(name)
                    listed = [str(v) for v in (values if isinstance(values, list) else [values]) if v is not None]
                    listed = [v for v in listed if NODE_VERSION_RE.fullmatch(v)]
                    if listed:
                        # The newest the team tests on (the generated jobs run one).
                        chosen = max(listed, key=_version_key)
                        more = f" (the newest of {', '.join(listed)})" if len(listed) > 1 else ""
                        found.append((chosen, f"{where} node-version = matrix.{name}{more}"))
                elif kind == "env":
                    step_env = _mapping(step.get("env"))
                    value = next((e[name] for e in (step_env, job_env, workflow_env) if name in e), None)
                    if value is not None:
                        found.append((str(value).strip(), f"{where} node-version = env.{name}"))
                continue
            if "${{" not in text:
                found.append((text, f"{where} node-version"))
    return found


def _called_workflows(repo: Repo, document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The repository's reusable workflows the CI calls (jobs.<id>.uses: ./.github/workflows/…)."""
    from migpipe.adopt.workflows import load_yaml

    called = []
    for job in (document.get("jobs") or {}).values():
        uses = job.get("uses") if isinstance(job, dict) else None
        if isinstance(uses, str) and uses.startswith("./") and "@" not in uses:
            path = uses.removeprefix("./")
            loaded = load_yaml(repo.root / path) if repo.exists(path) else None
            if isinstance(loaded, dict):
                called.append((path, loaded))
    return called


def _node_version(repo: Repo, stack: Stack) -> None:
    directory = stack.directory
    # The team's CI first (and the reusable workflows it calls): it is what setup-node gets today.
    candidates: list[tuple[str, str]] = []
    if stack.workflow:
        documents = [(stack.workflow.path, stack.workflow.document), *_called_workflows(repo, stack.workflow.document)]
        for path, document in documents:
            candidates += _setup_node_versions(repo, path, document)
    for folder in dict.fromkeys([directory, "."]):
        for name in (".nvmrc", ".node-version", ".tool-versions"):
            path = join(folder, name)
            version = _version_in_file(repo, path)
            if version:
                candidates.append((version, path))
    for folder in dict.fromkeys([directory, "."]):
        package = repo.package(folder)
        if package is None:
            continue
        volta = package.data.get("volta")
        if isinstance(volta, dict) and isinstance(volta.get("node"), str):
            candidates.append((volta["node"], f"{package.path} volta.node"))
        engines = package.data.get("engines")
        if isinstance(engines, dict) and isinstance(engines.get("node"), str):
            match = re.search(r"\d+", engines["node"])
            if match:
                candidates.append((match.group(), f"{package.path} engines.node {engines['node']!r}"))
    for version, source in candidates:
        if NODE_VERSION_RE.fullmatch(version):
            stack.node_version = (version, source)
            return


def _package_manager(repo: Repo, stack: Stack) -> None:
    root = repo.root_package
    declared = str(root.data.get("packageManager") or "") if root else ""
    name = declared.split("@")[0]
    if name in ("npm", "pnpm", "yarn"):
        stack.package_manager = (name, f"package.json packageManager {declared.split('+')[0]!r}")
        return
    for lock, manager in LOCK_FILES:
        for folder in dict.fromkeys([".", stack.directory]):
            if repo.exists(join(folder, lock)) and manager != "bun":
                stack.package_manager = (manager, join(folder, lock))
                return
    if repo.exists("pnpm-workspace.yaml"):
        stack.package_manager = ("pnpm", "pnpm-workspace.yaml")
        return
    engines = root.data.get("engines") if root else None
    if isinstance(engines, dict):
        for manager in ("pnpm", "yarn"):
            if manager in engines:
                stack.package_manager = (manager, f"package.json engines.{manager}")
                return


def detect_stack(root: Path, host: str | None = None, tool: str | None = None) -> Stack:
    repo = Repo(root)
    stack = Stack(root)
    known_tools = supported_tools()
    for tool_name, detector in {**SUPPORTED_TOOL_DETECTORS, **UNSUPPORTED_TOOL_DETECTORS}.items():
        for finding in detector(repo):
            finding.supported = finding.supported and tool_name in known_tools
            stack.tools.append(finding)
    known_hosts = supported_hosts()
    for host_detector in HOST_DETECTORS.values():
        for found in host_detector(repo):
            found.supported = found.supported and found.name in known_hosts
            stack.hosts.append(found)
    _choose_tool(stack, tool)
    package = repo.package(stack.directory)
    package_name = package.data.get("name") if package else None
    stack.workflow, stack.workflows_left = choose_workflow(
        repo, stack.directory, package_name if isinstance(package_name, str) else None
    )
    if stack.refusal is None:
        _choose_host(stack, known_hosts, host)
    if stack.workflow:
        stack.main_branch = main_branch(stack.workflow.document)
        if stack.main_branch:
            stack.main_branch = (stack.main_branch[0], f"{stack.workflow.path} {stack.main_branch[1]}")
    _node_version(repo, stack)
    _package_manager(repo, stack)
    return stack


__all__ = ["Stack", "detect_stack", "supported_hosts", "supported_tools", "triggers"]
