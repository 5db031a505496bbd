from __future__ import annotations

import sys
from pathlib import Path

from migpipe.compiler import compile_pipeline
from migpipe.config import load_pipeline
from migpipe.errors import EXIT_FINDINGS, EXIT_OK
from migpipe.markers import model_hash
from migpipe.verify import find_drift


def run(config: str, root: str) -> int:
    pipeline = load_pipeline(config)
    files = compile_pipeline(pipeline)
    digest = model_hash(pipeline.model_dump(mode="json", by_alias=True))
    drifts = find_drift(Path(root), files, digest)
    if not drifts:
        print(f"ok: all {len(files)} generated files match {config}")
        return EXIT_OK
    for drift in drifts:
        print(f"{drift.path}: {drift.kind}: {drift.detail}")
    for drift in drifts:
        if drift.diff:
            sys.stdout.write(drift.diff if drift.diff.endswith("\n") else drift.diff + "\n")
    print(f"{len(drifts)} of {len(files)} generated files differ from {config}", file=sys.stderr)
    return EXIT_FINDINGS
