"""A JavaScript monorepo's packages, and which of them a runner's filter selects.

``turbo run build --filter=web``, ``pnpm --filter ./apps/api db:deploy``,
``npm run build -w @acme/db``, ``yarn workspace web build``, ``nx run web:build``
and ``lerna run build`` each run a script of some workspace packages. The
workspace layout (pnpm-workspace.yaml, package.json ``workspaces``) says
which packages exist; the filter says which run.
"""
from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from migpipe.buildguard import yamlfast


@dataclass
class Member:
    name: str
    directory: Path
    dependencies: set[str] = field(default_factory=set)


@dataclass
class Workspace:
    root: Path
    members: list[Member]

    def by_name(self, name: str) -> Member | None:
        for member in self.members:
            if member.name == name:
                return member
        return None

    def select(self, selector: str, cwd: Path) -> list[Member] | None:
        """The members a pnpm/turbo filter selects; None when it cannot be read."""
        selector = selector.strip().strip("\"'")
        if selector.startswith("!"):
            return []
        with_dependencies = selector.endswith("...")
        with_dependents = selector.startswith("...")
        core = selector.strip(".") if selector not in (".", "./") else selector
        if selector.startswith(("./", "../")) or selector in (".", "./"):
            core = selector[:-3] if with_dependencies else selector
        core = core.removeprefix("^")
        if core.startswith("{") and "}" in core:
            core = "./" + core[1 : core.index("}")].lstrip("./")
        chosen: list[Member]
        if core.startswith(("./", "../", ".")) or core in (".",):
            directory = (cwd / core).resolve()
            chosen = [m for m in self.members if m.directory.resolve() == directory or directory in m.directory.resolve().parents]
        elif any(ch in core for ch in "*?["):
            chosen = [m for m in self.members if fnmatch.fnmatchcase(m.name, core)]
        else:
            chosen = [m for m in self.members if m.name == core]
        if not chosen:
            return None
        if with_dependencies:
            chosen = self._closure(chosen, lambda m: [d for d in (self.by_name(n) for n in m.dependencies) if d])
        if with_dependents:
            chosen = self._closure(chosen, lambda m: [o for o in self.members if m.name in o.dependencies])
        return chosen

    def dependencies_of(self, member: Member) -> list[Member]:
        return [d for d in (self.by_name(n) for n in sorted(member.dependencies)) if d is not None]

    @staticmethod
    def _closure(start: list[Member], step: object) -> list[Member]:
        assert callable(step)
        seen: dict[str, Member] = {}
        todo = list(start)
        while todo:
            member = todo.pop()
            if member.name in seen:
                continue
            seen[member.name] = member
            todo.extend(step(member))
        return list(seen.values())


def _patterns(directory: Path) -> list[str] | None:
    pnpm = directory / "pnpm-workspace.yaml"
    if pnpm.is_file():
        try:
            data = yamlfast.load(pnpm.read_text(encoding="utf-8"))
        except (yamlfast.YAMLError, OSError, UnicodeDecodeError):
            data = None
        packages = data.get("packages") if isinstance(data, dict) else None
        return [p for p in packages if isinstance(p, str)] if isinstance(packages, list) else []
    package = directory / "package.json"
    if package.is_file():
        try:
            data = json.loads(package.read_text(encoding="utf-8"))
        except (ValueError, OSError):
            return None
        workspaces = data.get("workspaces") if isinstance(data, dict) else None
        if isinstance(workspaces, dict):
            workspaces = workspaces.get("packages")
        if isinstance(workspaces, list):
            return [p for p in workspaces if isinstance(p, str)]
    return None


def _member(directory: Path) -> Member | None:
    try:
        data = json.loads((directory / "package.json").read_text(encoding="utf-8"))
    except (ValueError, OSError):
        return None
    if not isinstance(data, dict):
        return None
    deps: set[str] = set()
    for key in ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies"):
        value = data.get(key)
        if isinstance(value, dict):
            deps |= {k for k in value if isinstance(k, str)}
    name = data.get("name")
    return Member(name if isinstance(name, str) else directory.name, directory, deps)


def load_workspace(start: Path, root: Path) -> Workspace | None:
    """The workspace that contains ``start`` (nearest directory up to root declaring one)."""
    directory = start
    while True:
        patterns = _patterns(directory)
        if patterns:
            members: dict[Path, Member] = {}
            root_member = _member(directory)
            if root_member is not None:
                members[directory] = root_member
            for pattern in patterns:
                if pattern.startswith("!"):
                    continue
                clean = re.sub(r"/+$", "", pattern.removeprefix("./"))
                for match in sorted(directory.glob(clean)):
                    if (match / "package.json").is_file() and "node_modules" not in match.parts:
                        member = _member(match)
                        if member is not None:
                            members[match] = member
            return Workspace(directory, list(members.values()))
        if directory == root or root not in directory.parents:
            return None
        directory = directory.parent
