"""Compare committed files with what pipeline.toml compiles to. Never writes."""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from migpipe.compiler import GeneratedFile
from migpipe.errors import OutputError
from migpipe.markers import read_hash
from migpipe.outputs import read_existing, resolve_inside

# Drift kinds, as printed.
MISSING = "missing"
HAND_EDITED = "hand-edited"
STALE = "stale"
UNREADABLE = "unreadable"


@dataclass(frozen=True)
class Drift:
    path: str
    kind: str
    detail: str
    diff: str  # unified diff, committed -> expected ("" when there is nothing to diff)


def _explain(kind: str, recorded: str | None) -> str:
    if kind == MISSING:
        return "the file does not exist; run `migpipe generate`"
    if kind == HAND_EDITED:
        if recorded is None:
            return "the file has no migpipe header (written or edited by hand); edit pipeline.toml and run `migpipe generate`"
        return "made from the current pipeline.toml, then edited by hand; move the change into pipeline.toml and run `migpipe generate`"
    return "made from another pipeline.toml or migpipe version; run `migpipe generate`"


def find_drift(root: Path, files: list[GeneratedFile], digest: str) -> list[Drift]:
    drifts = []
    for file in files:
        try:
            target = resolve_inside(root, file.path)
            current = read_existing(target)
        except OutputError as exc:
            drifts.append(Drift(file.path, UNREADABLE, str(exc).removeprefix(f"{root / file.path}: "), ""))
            continue
        if current == file.content:
            continue
        if current is None:
            drifts.append(Drift(file.path, MISSING, _explain(MISSING, None), ""))
            continue
        recorded = read_hash(current)
        kind = HAND_EDITED if recorded in (digest, None) else STALE
        diff = "".join(
            difflib.unified_diff(
                current.splitlines(keepends=True),
                file.content.splitlines(keepends=True),
                fromfile=f"{file.path} (committed)",
                tofile=f"{file.path} (from pipeline.toml)",
            )
        )
        drifts.append(Drift(file.path, kind, _explain(kind, recorded), diff))
    return drifts
