"""A read-only view of a repository for detection: its files, manifests and workspaces.

The tree is walked once (vendored and build directories skipped); every
detector asks this view, so each fact about the files is read in one place.
"""
from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Any

# Directories that never hold the team's own configuration.
SKIP_DIRS = frozenset(
    {"node_modules", ".git", ".next", "dist", "build", ".turbo", "coverage", ".venv", "venv", "__pycache__", "vendor", ".yarn"}
)
MAX_DEPTH = 8
MAX_FILE_BYTES = 2_000_000


@dataclass(frozen=True)
class Package:
    """A package.json and the directory holding it ("." for the root)."""

    directory: str
    data: dict[str, Any]

    @property
    def path(self) -> str:
        return join(self.directory, "package.json")

    def dependencies(self) -> dict[str, str]:
        """dependencies, devDependencies, optional and peer ones, merged (first wins)."""
        merged: dict[str, str] = {}
        for section in ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies"):
            deps = self.data.get(section)
            if isinstance(deps, dict):
                for name, spec in deps.items():
                    merged.setdefault(str(name), str(spec))
        return merged

    def dependency(self, *names: str) -> tuple[str, str, str] | None:
        """(name, spec, "path section.name 'spec'") of the first of ``names`` this package depends on."""
        for section in ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies"):
            deps = self.data.get(section)
            if not isinstance(deps, dict):
                continue
            for name in names:
                if name in deps:
                    return name, str(deps[name]), f"{self.path} {section}.{name} {str(deps[name])!r}"
        return None

    def scripts(self) -> dict[str, str]:
        scripts = self.data.get("scripts")
        return {str(k): str(v) for k, v in scripts.items()} if isinstance(scripts, dict) else {}


def join(directory: str, name: str) -> str:
    return name if directory in ("", ".") else f"{directory}/{name}"


def parent(path: str) -> str:
    value = PurePosixPath(path).parent.as_posix()
    return "." if value in ("", ".") else value


def relative_to(path: str, directory: str) -> str:
    """``path`` (from the root) as seen from ``directory`` (from the root)."""
    if directory in ("", "."):
        return path
    return PurePosixPath(path).relative_to(directory).as_posix()


def line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


class Repo:
    """The files of the repository at ``root`` (relative POSIX paths)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @cached_property
    def files(self) -> tuple[str, ...]:
        found: list[str] = []

        def walk(directory: Path, prefix: str, depth: int) -> None:
            try:
                entries = sorted(directory.iterdir(), key=lambda entry: entry.name)
            except OSError:
                return
            for entry in entries:
                rel = f"{prefix}{entry.name}"
                if entry.is_symlink():
                    continue
                if entry.is_dir():
                    if entry.name not in SKIP_DIRS and depth < MAX_DEPTH:
                        walk(entry, rel + "/", depth + 1)
                elif entry.is_file():
                    found.append(rel)

        walk(self.root, "", 0)
        return tuple(found)

    def exists(self, rel: str) -> bool:
        return rel in self._file_set or (self.root / rel).is_file()

    def is_dir(self, rel: str) -> bool:
        return (self.root / rel).is_dir()

    @cached_property
    def _file_set(self) -> frozenset[str]:
        return frozenset(self.files)

    def named(self, *patterns: str) -> list[str]:
        """Files whose base name matches one of the glob ``patterns``."""
        return [path for path in self.files if any(fnmatch.fnmatch(PurePosixPath(path).name, p) for p in patterns)]

    def under(self, directory: str) -> list[str]:
        prefix = "" if directory in ("", ".") else directory + "/"
        return [path for path in self.files if path.startswith(prefix)]

    def text(self, rel: str) -> str | None:
        path = self.root / rel
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                return None
            return path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None

    def json(self, rel: str) -> dict[str, Any] | None:
        text = self.text(rel)
        if text is None:
            return None
        try:
            data = json.loads(text)
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def yaml(self, rel: str) -> Any:
        from ruamel.yaml import YAML
        from ruamel.yaml.error import YAMLError

        text = self.text(rel)
        if text is None:
            return None
        try:
            return YAML(typ="safe", pure=True).load(text)
        except YAMLError:
            return None

    @cached_property
    def packages(self) -> tuple[Package, ...]:
        packages = []
        for path in self.named("package.json"):
            data = self.json(path)
            if data is not None:
                packages.append(Package(parent(path), data))
        return tuple(packages)

    def package(self, directory: str) -> Package | None:
        return next((p for p in self.packages if p.directory == directory), None)

    @property
    def root_package(self) -> Package | None:
        return self.package(".")

    def owning_package(self, path: str) -> Package | None:
        """The nearest package.json at or above ``path``'s directory."""
        directory = parent(path)
        while True:
            package = self.package(directory)
            if package is not None:
                return package
            if directory == ".":
                return None
            directory = parent(directory)

    @cached_property
    def workspace_patterns(self) -> tuple[tuple[str, str], ...]:
        """(pattern, where it is declared) for every workspace glob of the root."""
        found: list[tuple[str, str]] = []
        document = self.yaml("pnpm-workspace.yaml") if self.exists("pnpm-workspace.yaml") else None
        if isinstance(document, dict) and isinstance(document.get("packages"), list):
            found.extend((str(p), "pnpm-workspace.yaml packages") for p in document["packages"])
        root = self.root_package
        workspaces = root.data.get("workspaces") if root else None
        if isinstance(workspaces, dict):
            workspaces = workspaces.get("packages")
        if isinstance(workspaces, list):
            found.extend((str(p), "package.json workspaces") for p in workspaces)
        return tuple(found)

    def workspace_source(self, directory: str) -> str | None:
        """Where ``directory`` is declared a workspace package, or None."""
        for pattern, source in self.workspace_patterns:
            clean = pattern.removeprefix("./").rstrip("/")
            if clean.startswith("!"):
                continue
            if fnmatch.fnmatch(directory, clean) or (clean.endswith("/**") and directory.startswith(clean[:-3])):
                return f"{source} {pattern!r}"
        return None

    # ------------------------------------------------------------------
    # Python manifests

    def python_requirements(self, directory: str) -> dict[str, str]:
        """Requirement name (lower case) -> "file:line" for requirements*.txt and pyproject.toml in ``directory`` (and its requirements/ folder)."""
        found: dict[str, str] = {}
        candidates = [p for p in self.under(directory) if parent(p) in (directory, join(directory, "requirements"))]
        for path in candidates:
            name = PurePosixPath(path).name
            if not (fnmatch.fnmatch(name, "requirements*.txt") or parent(path).endswith("requirements") and name.endswith(".txt") or name == "pyproject.toml"):
                continue
            text = self.text(path) or ""
            for number, line in enumerate(text.splitlines(), start=1):
                stripped = line.strip()
                if not stripped or stripped.startswith("#"):
                    continue
                if name == "pyproject.toml":
                    match = re.match(r"""^["']([A-Za-z0-9_.\-\[\]]+)""", stripped) or re.match(r"^([A-Za-z0-9_.-]+)\s*=\s*[\"'{]", stripped)
                else:
                    match = re.match(r"^([A-Za-z0-9_.-]+)", stripped)
                if match:
                    requirement = re.sub(r"\[.*\]", "", match.group(1)).lower().replace("_", "-")
                    found.setdefault(requirement, f"{path}:{number}")
        return found

    def commented_requirement(self, directory: str, names: tuple[str, ...]) -> str | None:
        """"file:line" of a commented-out requirement among ``names``, if any."""
        for path in self.under(directory):
            if parent(path) != directory or not fnmatch.fnmatch(PurePosixPath(path).name, "requirements*.txt"):
                continue
            for number, line in enumerate((self.text(path) or "").splitlines(), start=1):
                match = re.match(r"^\s*#\s*([A-Za-z0-9_.-]+)", line)
                if match and match.group(1).lower().split("[")[0] in names:
                    return f"{path}:{number}"
        return None
