"""migpipe verify: exit 1 if any generated file is missing, hand-edited or stale.

The drift is written by the reporter ``--format`` names (migpipe.reporting):
``text`` for people (coloured on a terminal), ``github`` for GitHub Actions
(one ``::error`` annotation per drifted file, on the first line that
differs), ``json`` for tools.
"""
from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from migpipe.errors import EXIT_FINDINGS, EXIT_OK
from migpipe.reporting import Item, Report, first_changed_line, reporter


def _shown_path(root: str, path: str) -> str:
    """The path as GitHub resolves it: relative to the directory verify runs in."""
    if os.path.normpath(root) == ".":
        return path
    joined = os.path.normpath(os.path.join(root, path))
    relative = os.path.relpath(joined)
    return Path(joined if relative.startswith("..") else relative).as_posix()


def _waiting(root: str) -> None:
    print(f"migpipe: waiting for a `migpipe generate` in {root} to finish", file=sys.stderr)


@contextlib.contextmanager
def _without_pydantic_plugins() -> Iterator[None]:
    """Validate pipeline.toml without third-party pydantic plugins.

    Plugins (observability hooks) have nothing to do with checking a config
    file, and finding them scans the entry points of every installed
    distribution: 10-30 ms of each verify in a large environment. Scoped to
    this validation with pydantic's documented switch; the caller's own
    setting is put back.
    """
    saved = os.environ.get("PYDANTIC_DISABLE_PLUGINS")
    os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"
    try:
        yield
    finally:
        if saved is None:
            del os.environ["PYDANTIC_DISABLE_PLUGINS"]
        else:
            os.environ["PYDANTIC_DISABLE_PLUGINS"] = saved


def run(config: str, root: str, output_format: str = "text") -> int:
    chosen = reporter(output_format)
    from migpipe.compiler import compile_pipeline
    from migpipe.outputs import LOCK_TIMEOUT_SECONDS, generation_lock
    from migpipe.pipeline import load_pipeline
    from migpipe.verify import STALE, find_drift

    with _without_pydantic_plugins():
        pipeline = load_pipeline(config)
    files = compile_pipeline(pipeline)
    timeout = float(os.environ.get("MIGPIPE_LOCK_TIMEOUT", LOCK_TIMEOUT_SECONDS))
    # Shared: verifies run side by side, never while a generate writes.
    with generation_lock(Path(root), timeout=timeout, on_wait=lambda: _waiting(root), shared=True):
        drifts = find_drift(Path(root), files, pipeline.digest)
    items = []
    for drift in drifts:
        line = first_changed_line(drift.diff)
        items.append(
            Item(
                title=drift.kind,
                message=drift.detail,
                path=drift.path,
                line=line,
                detail=drift.diff,
                annotation_path=_shown_path(root, drift.path),
                tone="warning" if drift.kind == STALE else "error",
            )
        )
    document = [
        {"path": d.path, "kind": d.kind, "detail": d.detail, "line": first_changed_line(d.diff), "diff": d.diff}
        for d in drifts
    ]
    if drifts:
        conclusion = f"{len(drifts)} of {len(files)} generated files differ from {config}"
    else:
        conclusion = f"ok: all {len(files)} generated files match {config}"
    report = Report(
        command="migpipe verify",
        items=tuple(items),
        document=document,
        conclusion=conclusion,
        conclusion_to_stderr=bool(drifts),
    )
    chosen.write(report, sys.stdout, sys.stderr)
    return EXIT_FINDINGS if drifts else EXIT_OK
