"""Dependencies inside migpipe point one way (README, "How it is built").

config ← profiles ← pipeline ← compiler ← outputs / verify ← commands ← cli:
a module never imports one above it, not even inside a function or under
TYPE_CHECKING. Checked on the source with ast, so a new module is covered
the moment it exists.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "migpipe"

# What each part may never import (by module-name prefix).
_CLI = ("migpipe.cli", "migpipe.__main__")
_COMMANDS = (*_CLI, "migpipe.commands")
_OUTPUT_SIDE = (*_COMMANDS, "migpipe.outputs", "migpipe.verify", "migpipe.unchanged", "migpipe.reporting")
_ABOVE_PIPELINE = (*_OUTPUT_SIDE, "migpipe.compiler", "migpipe.schema", "migpipe.adopt")
_ABOVE_PROFILES = (*_ABOVE_PIPELINE, "migpipe.pipeline", "migpipe.runtime", "migpipe.lint", "migpipe.buildguard")
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "migpipe.config": (*_ABOVE_PROFILES, "migpipe.profiles", "migpipe.markers"),
    "migpipe.profiles": _ABOVE_PROFILES,
    "migpipe.pipeline": _ABOVE_PIPELINE,
    "migpipe.compiler": _OUTPUT_SIDE,
    "migpipe.outputs": _COMMANDS,
    "migpipe.verify": _COMMANDS,
    # The engines know nothing of the command line.
    "migpipe.buildguard": _COMMANDS,
    "migpipe.adopt": _COMMANDS,
    "migpipe.lint": _COMMANDS,
    "migpipe.runtime": _COMMANDS,
    "migpipe.reporting": _COMMANDS,
    "migpipe.commands": _CLI,
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, module: str | None = None) -> list[tuple[int, str]]:
    """(line, module) of every migpipe import in the file, wherever it stands."""
    module = module or _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from migpipe.profiles import hosts` imports migpipe.profiles.hosts.
            found.extend((node.lineno, f"{base}.{alias.name}") for alias in node.names)
    return [(line, name) for line, name in found if name.startswith("migpipe")]


def _rule(module: str) -> tuple[str, tuple[str, ...]] | None:
    for part, forbidden in FORBIDDEN.items():
        if module == part or module.startswith(part + "."):
            return part, forbidden
    return None


def _matches(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


SOURCES = sorted(PACKAGE.rglob("*.py"))


def test_every_part_of_the_layout_is_checked() -> None:
    parts = {_module_name(path) for path in SOURCES}
    for part in ("migpipe.config", "migpipe.profiles", "migpipe.pipeline", "migpipe.compiler", "migpipe.commands"):
        assert any(_matches(name, part) for name in parts), f"{part} is gone: update FORBIDDEN"


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: str(path.relative_to(PACKAGE.parent)))
def test_no_module_imports_one_above_it(path: Path) -> None:
    module = _module_name(path)
    rule = _rule(module)
    if rule is None:
        # Everything else (cli, errors, markers, pins, policy, resources, ...)
        # may not reach the command line either.
        part, forbidden = module, (() if module in _CLI else _CLI)
    else:
        part, forbidden = rule
    wrong = [
        f"{path.name}:{line} imports {name} ({part} may not import {prefix})"
        for line, name in _imports(path)
        for prefix in forbidden
        if _matches(name, prefix)
    ]
    assert not wrong, "\n".join(wrong)


def test_the_check_sees_every_kind_of_import(tmp_path: Path) -> None:
    # The rule is only as good as the import scan.
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from typing import TYPE_CHECKING\n"
        "import migpipe.compiler\n"
        "from .. import pipeline\n"
        "if TYPE_CHECKING:\n"
        "    from migpipe.commands.verify import run\n"
        "def f():\n"
        "    from ..profiles.hosts import registry\n",
        encoding="utf-8",
    )
    names = [name for _, name in _imports(sample, "migpipe.config.sample")]
    assert names == [
        "migpipe.compiler",
        "migpipe.pipeline",
        "migpipe.commands.verify.run",
        "migpipe.profiles.hosts.registry",
    ]
