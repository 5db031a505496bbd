"""`migpipe migrate`: the production migrate step (see migpipe/runtime/migrate.py)."""
from __future__ import annotations

from pathlib import Path

from migpipe.pipeline import load_pipeline
from migpipe.runtime.migrate import MigrateOptions, run_migrate


def run(
    config: str,
    root: str,
    *,
    plan_only: bool = False,
    plan_file: str | None = None,
    expect_digest: str | None = None,
    server_major: bool = False,
) -> int:
    pipeline = load_pipeline(config)
    options = MigrateOptions(plan_only, Path(plan_file) if plan_file else None, expect_digest, server_major)
    return run_migrate(pipeline, Path(root), options)
