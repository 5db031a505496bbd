"""A Dockerfile as an image: which repository file sits at each path inside it.

A container's ``CMD /app/start.sh`` runs a file the Dockerfile put there with
``COPY``/``ADD`` (perhaps from an earlier stage, perhaps after a ``cp`` or a
``pnpm deploy``), or a binary a stage built with ``go build``. ``Image`` keeps
those facts per stage so that the guard reads ``/app/start.sh`` from its
source path in the repository, and ``/app/main`` from the Go sources that
built it. A path nothing maps stays unknown: the scanner says so.
"""
from __future__ import annotations

import glob
import json
import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath


@dataclass(frozen=True)
class Instruction:
    line: int
    name: str  # upper case: FROM, RUN, COPY, ...
    arguments: str


def instructions(text: str) -> list[Instruction]:
    """Instructions with continuations joined, comments dropped, heredocs kept in RUN."""
    lines = text.splitlines()
    result: list[Instruction] = []
    i = 0
    while i < len(lines):
        start, line = i + 1, lines[i]
        i += 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts: list[str] = []
        while line.rstrip().endswith("\\") and i < len(lines):
            parts.append(line.rstrip()[:-1])
            line = lines[i]
            i += 1
            # Comment lines inside a continued instruction are removed by Docker.
            while line.lstrip().startswith("#") and i < len(lines):
                line = lines[i]
                i += 1
        parts.append(line)
        joined = " ".join(parts).strip()
        # RUN <<EOF ... EOF: the heredoc body is the script (BuildKit).
        heredoc = re.search(r"<<-?\s*[\"']?(\w+)[\"']?", joined)
        if heredoc and joined.split(None, 1)[0].upper() == "RUN":
            body: list[str] = []
            while i < len(lines) and lines[i].strip() != heredoc.group(1):
                body.append(lines[i])
                i += 1
            i += 1
            before = joined[: heredoc.start()].strip()
            head = before.split(None, 1)[1] if " " in before else ""
            script = "\n".join(body)
            joined = "RUN " + (f"{head}\n{script}" if head and not re.fullmatch(r"(--\S+\s*)*", head) else script)
        name, _, arguments = joined.partition(" ")
        result.append(Instruction(start, name.upper(), arguments.strip()))
    return result


def exec_or_shell(arguments: str) -> tuple[str, bool]:
    """A CMD/ENTRYPOINT/RUN as shell text, and whether it was in exec (JSON) form."""
    if arguments.startswith("["):
        try:
            value = json.loads(arguments)
        except json.JSONDecodeError:
            return arguments, False  # not valid exec form: Docker runs it with /bin/sh -c
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return shlex.join(value), True
    return arguments, False


@dataclass
class _Mapping:
    dest: str  # absolute path inside the image
    source: Path | None  # a repository path (file or directory)
    stage: str | None = None  # or a path inside another stage
    stage_path: str = ""
    is_dir: bool = True


@dataclass
class Stage:
    index: int
    name: str | None
    base: str
    workdir: str = "/"
    mappings: list[_Mapping] = field(default_factory=list)
    built: dict[str, list[Path]] = field(default_factory=dict)  # binary path -> its sources
    env: dict[str, str] = field(default_factory=dict)


def _join(directory: str, path: str) -> str:
    return os.path.normpath(os.path.join(directory, path)).replace("\\", "/")


def _strip_flags(arguments: str) -> tuple[dict[str, str], list[str]]:
    words = shlex.split(arguments, posix=True) if not arguments.startswith("[") else json.loads(arguments)
    flags: dict[str, str] = {}
    rest: list[str] = []
    for word in words:
        if not rest and word.startswith("--"):
            key, _, value = word[2:].partition("=")
            flags[key] = value
        else:
            rest.append(word)
    return flags, rest


def _option(words: list[str], name: str) -> tuple[str | None, list[str]]:
    for i, word in enumerate(words):
        if word == name and i + 1 < len(words):
            return words[i + 1], words[:i] + words[i + 2 :]
        if word.startswith(name + "="):
            return word.split("=", 1)[1], words[:i] + words[i + 1 :]
    return None, words


_MANIFESTS = ("package.json", "pyproject.toml", "go.mod", "Gemfile", "requirements.txt", "manage.py")


def best_context(dockerfile: Path, root: Path, text: str) -> Path:
    """The build context: the nearest directory from the Dockerfile's up to root where most COPY sources exist."""
    sources: list[str] = []
    for item in instructions(text):
        if item.name in ("COPY", "ADD"):
            try:
                flags, words = _strip_flags(item.arguments)
            except (ValueError, json.JSONDecodeError):
                continue
            if "from" not in flags and len(words) >= 2:
                sources += [w for w in words[:-1] if w not in (".", "./") and "://" not in w]
    best, best_key = dockerfile.parent, (-1, False)
    directory = dockerfile.parent
    while True:
        count = sum(1 for s in sources if glob.glob(str(directory / s.lstrip("/"))))
        # Ties (``COPY . .`` only): the nearest directory that holds a project manifest.
        key = (count, any((directory / name).is_file() for name in _MANIFESTS))
        if key > best_key:
            best, best_key = directory, key
        if directory == root or root not in directory.parents:
            break
        directory = directory.parent
    return best


class Image:
    """The stages of one Dockerfile, built from ``context``."""

    def __init__(self, dockerfile: Path, text: str, context: Path) -> None:
        self.dockerfile = dockerfile
        self.context = context
        self.stages: list[Stage] = []
        for item in instructions(text):
            self._apply(item)

    @property
    def final(self) -> Stage | None:
        return self.stages[-1] if self.stages else None

    def stage(self, name: str) -> Stage | None:
        for stage in self.stages:
            if stage.name == name or str(stage.index) == name:
                return stage
        return None

    def _apply(self, item: Instruction) -> None:
        if item.name == "FROM":
            words = [w for w in item.arguments.split() if not w.startswith("--")]
            base = words[0] if words else ""
            name = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
            parent = self.stage(base)
            self.stages.append(Stage(len(self.stages), name, base, parent.workdir if parent else "/", env=dict(parent.env) if parent else {}))
            return
        stage = self.final
        if stage is None:
            return
        if item.name == "WORKDIR":
            stage.workdir = _join(stage.workdir, expand(item.arguments.strip().strip("\"'"), stage.env))
        elif item.name in ("ENV", "ARG"):
            self._variables(stage, item)
        elif item.name in ("COPY", "ADD"):
            self._copy(stage, expand(item.arguments, stage.env))
        elif item.name == "RUN":
            self._run(stage, item.arguments)

    def _variables(self, stage: Stage, item: Instruction) -> None:
        """ENV A=1 B="x y", the legacy ENV A value, and ARG A=default: what later paths may name."""
        try:
            words = shlex.split(item.arguments)
        except ValueError:
            return
        if item.name == "ENV" and words and "=" not in words[0]:
            stage.env[words[0]] = expand(" ".join(words[1:]), stage.env)
            return
        for word in words:
            key, eq, value = word.partition("=")
            if eq and re.fullmatch(r"\w+", key) and (item.name == "ENV" or key not in stage.env):
                stage.env[key] = expand(value, stage.env)

    def _copy(self, stage: Stage, arguments: str) -> None:
        try:
            flags, words = _strip_flags(arguments)
        except (ValueError, json.JSONDecodeError):
            return
        if len(words) < 2:
            return
        *sources, dest = words
        dest_abs = _join(stage.workdir, dest)
        into_dir = dest.endswith("/") or len(sources) > 1 or dest in (".", "./")
        origin = flags.get("from")
        for source in sources:
            if origin is not None:
                from_stage = self.stage(origin)
                src = _join(from_stage.workdir if from_stage else "/", source)
                stage_name = origin if from_stage else None
                stage.mappings.append(_Mapping(dest_abs, None, stage_name, src))
                if into_dir:  # a file lands at dest/name, a directory's contents in dest
                    named = _join(dest_abs, PurePosixPath(src).name)
                    stage.mappings.append(_Mapping(named, None, stage_name, src))
                continue
            matches = sorted(glob.glob(str(self.context / source.lstrip("/")))) or [str(self.context / source.lstrip("/"))]
            for match in matches:
                path = Path(match)
                if path.is_file() and (into_dir or dest.endswith("/")):
                    stage.mappings.append(_Mapping(_join(dest_abs, path.name), path, is_dir=False))
                else:
                    stage.mappings.append(_Mapping(dest_abs, path, is_dir=not path.is_file()))

    def _run(self, stage: Stage, arguments: str) -> None:
        text, _ = exec_or_shell(re.sub(r"^(--[a-z]+(=\S*)?\s+)*", "", arguments))
        for command in re.split(r"&&|;|\|\||\n", text):
            try:
                words = shlex.split(command)
            except ValueError:
                continue
            if not words:
                continue
            if words[0] == "cp" and len(words) >= 3:
                src, dest = [w for w in words[1:] if not w.startswith("-")][-2:]
                stage.mappings.append(_Mapping(_join(stage.workdir, dest), None, str(stage.index), _join(stage.workdir, src)))
            elif words[:2] == ["go", "build"]:
                self._go_build(stage, words[2:])
            elif "turbo" in words[:3] and "prune" in words:
                # turbo prune writes a pruned copy of the workspace to out/ (out/full with --docker).
                outs, _ = _option(words, "--out-dir")
                out = _join(stage.workdir, outs or "out")
                for sub in ("", "json", "full"):
                    dest = _join(out, sub) if sub else out
                    stage.mappings.append(_Mapping(dest, None, str(stage.index), stage.workdir))
            elif words[0] == "pnpm" and "deploy" in words:
                after = words[words.index("deploy") + 1 :]
                target = [w for w in after if not w.startswith("-")]
                filters = [w.split("=", 1)[1] if "=" in w else "" for w in words if w.startswith(("--filter", "-F"))]
                paths = [f for f in filters if f.startswith("./")]
                if target and paths:
                    stage.mappings.append(
                        _Mapping(_join(stage.workdir, target[0]), None, str(stage.index), _join(stage.workdir, paths[0]))
                    )

    def _go_build(self, stage: Stage, args: list[str]) -> None:
        output, packages, i = None, [], 0
        while i < len(args):
            if args[i] == "-o" and i + 1 < len(args):
                output = args[i + 1]
                i += 2
                continue
            if args[i].startswith("-"):
                i += 1 if "=" in args[i] or args[i] in ("-v", "-a", "-race", "-trimpath") else 2
                continue
            packages.append(args[i])
            i += 1
        packages = packages or ["."]
        sources: list[Path] = []
        for package in packages:
            repo = self.resolve(stage, _join(stage.workdir, package))
            if repo is None:
                continue
            if repo.is_file():
                sources.append(repo)
            elif repo.is_dir():
                sources += sorted(p for p in repo.glob("*.go") if not p.name.endswith("_test.go"))
        if output is None:
            first = packages[0]
            output = PurePosixPath(first).stem if first.endswith(".go") else PurePosixPath(_join(stage.workdir, first)).name
        if sources:
            stage.built[_join(stage.workdir, output)] = sources

    # ------------------------------------------------------------------

    def built_sources(self, stage: Stage, path: str, depth: int = 0) -> list[Path]:
        """The Go sources of a binary at ``path`` (through COPY --from)."""
        if depth > 10:
            return []
        if path in stage.built:
            return stage.built[path]
        for mapping in reversed(stage.mappings):
            rest = _relative(path, mapping.dest)
            if rest is not None and mapping.stage is not None:
                other = self.stage(mapping.stage)
                if other is not None:
                    return self.built_sources(other, _join(mapping.stage_path, rest) if rest else mapping.stage_path, depth + 1)
        return []

    def resolve(self, stage: Stage, path: str, depth: int = 0) -> Path | None:
        """The repository path that ``path`` inside ``stage`` comes from (it may not exist: built output)."""
        if depth > 10:
            return None
        # The latest instruction wins; among the places it may come from, one that
        # exists beats one that would be built output.
        candidates: list[Path] = []
        for mapping in reversed(stage.mappings):
            rest = _relative(path, mapping.dest)
            if rest is None or (rest and not mapping.is_dir):
                continue
            found: Path | None = None
            if mapping.source is not None:
                found = mapping.source / rest if rest else mapping.source
            elif mapping.stage is not None:
                other = self.stage(mapping.stage)
                if other is not None:
                    inner = _join(mapping.stage_path, rest) if rest else mapping.stage_path
                    found = self.resolve(other, inner, depth + 1)
            if found is not None:
                if found.exists():
                    return found
                candidates.append(found)
        parent = self.stage(stage.base)
        if parent is not None and parent is not stage:
            found = self.resolve(parent, path, depth + 1)
            if found is not None and (found.exists() or not candidates):
                return found
        return candidates[0] if candidates else None


def expand(text: str, env: dict[str, str]) -> str:
    """``$VAR``, ``${VAR}`` and ``${VAR:-default}`` as Docker expands them in WORKDIR, COPY and ADD (unknown ones stay)."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name in env:
            return env[name]
        default = match.group(3)
        return default if default is not None else match.group(0)

    return re.sub(r"\$(?:(\w+)|\{(\w+)(?::?-([^}]*))?\})", value, text)


def _relative(path: str, prefix: str) -> str | None:
    if path == prefix:
        return ""
    if prefix == "/":
        return path.lstrip("/")
    if path.startswith(prefix.rstrip("/") + "/"):
        return path[len(prefix.rstrip("/")) + 1 :]
    return None
