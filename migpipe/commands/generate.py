from __future__ import annotations

from pathlib import Path

from migpipe.compiler import compile_pipeline
from migpipe.config import load_pipeline
from migpipe.outputs import apply_writes, plan_writes


def run(config: str, root: str, force: bool = False) -> int:
    pipeline = load_pipeline(config)
    files = compile_pipeline(pipeline)
    plans = plan_writes(Path(root), files, force=force)
    apply_writes(plans)
    changed = [plan for plan in plans if plan.action != "unchanged"]
    for plan in plans:
        if plan.action == "replace":
            print(f"replaced  {plan.file.path} (it had no migpipe header; --force)")
        elif plan.action != "unchanged":
            print(f"{'created' if plan.action == 'create' else 'updated':9} {plan.file.path}")
    if not changed:
        print(f"all {len(plans)} generated files are up to date")
    return 0
