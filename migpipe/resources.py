"""Where the shipped templates and schemas are.

In a wheel they sit inside the package (``migpipe/templates``); in a source
checkout they are the top-level ``templates/`` and ``schemas/`` folders.
"""
from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise RuntimeError(f"migpipe is installed without its {name}/ folder")  # a broken install


def templates_dir() -> Path:
    return _find("templates")


def schemas_dir() -> Path:
    return _find("schemas")
