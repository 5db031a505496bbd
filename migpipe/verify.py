"""Compare committed files with what pipeline.toml compiles to. Never writes.

The verdict is the comparison: a file is clean when its bytes are what
``generate`` would write now, and nothing it contains can say otherwise.
Its header only names the drift (hand-edited or stale).
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from migpipe.compiler import GeneratedFile
from migpipe.markers import Header, read_header
from migpipe.outputs import OutputProblem, check_root, read_existing

# Drift kinds, as printed.
MISSING = "missing"
HAND_EDITED = "hand-edited"
STALE = "stale"
# outputs.NOT_A_FILE (e.g. a directory where the file should be), outputs.OUTSIDE
# (a symlink leads out of the repository) and outputs.UNREADABLE come from outputs.


@dataclass(frozen=True)
class Drift:
    path: str
    kind: str
    detail: str
    diff: str  # unified diff, committed -> expected ("" when there is nothing to diff)


def _explain(kind: str, recorded: Header | None) -> str:
    if kind == MISSING:
        return "the file does not exist; run `migpipe generate`"
    if kind == HAND_EDITED:
        if recorded is None:
            return "the file has no migpipe header (written or edited by hand); edit pipeline.toml and run `migpipe generate`"
        return "made from the current pipeline.toml, then edited by hand; move the change into pipeline.toml and run `migpipe generate`"
    if recorded is not None and not recorded.current_format:
        return f"made by an older migpipe (header format v{recorded.version}); run `migpipe generate`"
    return "made from another pipeline.toml or migpipe version; run `migpipe generate`"


def _kind_of_difference(recorded: Header | None, digest: str) -> str:
    """How a file that differs from what generate would write came to differ.

    Only names the drift: the verdict (it differs) is already taken.
    """
    if recorded is None or (recorded.current_format and recorded.digest == digest):
        return HAND_EDITED
    return STALE


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
        recorded = read_header(current)
        kind = _kind_of_difference(recorded, digest)
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
