"""The files and directories pipeline.toml names in the repository, and which of them are missing
(and the host configs that would compete with the one migpipe writes).

A schema, migrations directory, tool config or Dockerfile that does not exist makes a pipeline that fails only later, in CI or in
production; ``generate`` refuses it now (exit 2), naming each one. A root
that holds no project at all (no package.json, pyproject.toml,
requirements.txt, go.mod or manage.py: an output directory for the example)
is only rendered into, and nothing is checked.
"""
from __future__ import annotations

import posixpath
import re
from pathlib import Path

from migpipe.pipeline import Pipeline

PROJECT_MARKERS = ("package.json", "pyproject.toml", "requirements.txt", "go.mod", "manage.py", "Gemfile")
# Tool-table keys that name a path (relative to the working directory).
_PATH_KEY_RE = re.compile(r".*(_path|_dir)$|^(knexfile|manage_py)$")


def holds_project(root: Path, working_directory: str) -> bool:
    return any((root / folder / marker).exists() for folder in {".", working_directory} for marker in PROJECT_MARKERS)


def missing_references(pipeline: Pipeline, root: Path) -> list[str]:
    """One ``key: what is missing`` line per referenced path or script that does not exist under ``root``."""
    wd = pipeline.project.working_directory
    if not holds_project(root, wd):
        return []
    problems: list[str] = []
    if not (root / wd).is_dir():
        return [f"project.working_directory: {wd!r} is not a directory under {root}"]
    tool = pipeline.tool
    explicit = tool.model_fields_set
    for key in type(tool).model_fields:
        if not _PATH_KEY_RE.fullmatch(key):
            continue
        value = getattr(tool, key)
        if not isinstance(value, str) or value == ".":
            continue
        # An optional file left at its default (Prisma 6's prisma.config.ts) is not required.
        if key == "config_path" and key not in explicit and tool.name == "prisma" and getattr(tool, "version", None) != 7:
            continue
        if not (root / wd / value).exists():
            where = posixpath.normpath(posixpath.join(wd, value))
            problems.append(f"tool.{key}: {value!r} does not exist ({where} under the repository root)")
    host = pipeline.host_profile()
    for name in host.competing_configs:
        if (root / wd / name).exists():
            where = posixpath.normpath(posixpath.join(wd, name))
            problems.append(
                f"host.name: {where} exists, and {host.label} reads one configuration file per project while migpipe "
                f"writes {pipeline.output_paths()['host_config']} (expected no {name}: move what it sets into [host] "
                "and delete it)"
            )
    dockerfile = getattr(pipeline.host, "dockerfile", None)
    if isinstance(dockerfile, str) and not (root / wd / dockerfile).is_file():
        problems.append(f"host.dockerfile: {dockerfile!r} does not exist ({posixpath.normpath(posixpath.join(wd, dockerfile))})")
    return problems
