"""Compare committed files with what pipeline.toml compiles to. Never writes."""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from migpipe.compiler import GeneratedFile
from migpipe.markers import read_hash
from migpipe.outputs import NOT_A_FILE, OUTSIDE, OutputProblem, check_root, read_existing

# Drift kinds, as printed.
MISSING = "missing"
HAND_EDITED = "hand-edited"
STALE = "stale"
UNREADABLE = "unreadable"
NOT_A_FILE = NOT_A_FILE  # e.g. a directory where the file should be
OUTSIDE = OUTSIDE  # a symlink leads out of the repository


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
    """Every generated file that differs from what is on disk.

    A file that cannot be compared (a directory, unreadable, a symlink out of
    the repository) is drift too: the repository does not hold what
    pipeline.toml says. Only an unusable root is a usage error (OutputError).
    """
    check_root(root)
    drifts = []
    for file in files:
        try:
            current = read_existing(root, file.path).content
        except OutputProblem as problem:
            drifts.append(Drift(file.path, problem.kind, problem.detail, ""))
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
