"""migpipe generate: write what pipeline.toml compiles to, under the repository's lock."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from migpipe.compiler import compile_pipeline
from migpipe.errors import ConfigError
from migpipe.outputs import (
    LOCK_TIMEOUT_SECONDS,
    apply_writes,
    generation_lock,
    plan_writes,
    recover,
)
from migpipe.pipeline import load_pipeline
from migpipe.references import missing_references

_REPAIRED = {
    "staging": "dropped an interrupted generate (it had changed no file)",
    "commit": "finished an interrupted generate (its files are now all written)",
    "rollback": "finished undoing a failed generate (its files are all back as they were)",
}


def _waiting(root: str) -> None:
    print(f"migpipe: waiting for another `migpipe generate` in {root} to finish", file=sys.stderr)


def run(config: str, root: str, force: bool = False) -> int:
    pipeline = load_pipeline(config)
    missing = missing_references(pipeline, Path(root))
    if missing:
        raise ConfigError([f"{config}: {line}" for line in missing] + ["nothing was written"])
    files = compile_pipeline(pipeline)
    timeout = float(os.environ.get("MIGPIPE_LOCK_TIMEOUT", LOCK_TIMEOUT_SECONDS))
    with generation_lock(Path(root), timeout=timeout, on_wait=lambda: _waiting(root)):
        repaired = recover(Path(root))
        if repaired is not None:
            print(_REPAIRED[repaired])
        plans = plan_writes(Path(root), files, force=force, protected=(Path(config),))
        apply_writes(Path(root), plans)
    changed = [plan for plan in plans if plan.action != "unchanged"]
    for plan in plans:
        if plan.action == "replace":
            print(f"replaced  {plan.path} (it had no migpipe header; --force)")
        elif plan.action == "remove":
            print(f"removed   {plan.path} (no longer an output of pipeline.toml)")
        elif plan.action != "unchanged":
            print(f"{'created' if plan.action == 'create' else 'updated':9} {plan.path}")
    if not changed:
        print(f"all {len(plans)} generated files are up to date")
    return 0
