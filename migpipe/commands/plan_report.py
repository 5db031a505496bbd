"""migpipe plan-report PLAN.json: publish a plan for the reviewer (job summary) and for later jobs (outputs)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from migpipe.errors import EXIT_OK
from migpipe.runtime.plan_report import outputs, read_plan, summary


def run(plan_file: str, gate_note: str = "") -> int:
    plan = read_plan(Path(plan_file))
    text = summary(plan, gate_note or "Approve migrate-prod only if every statement above is what you expect.")
    sys.stdout.write(text)
    for variable, content in (("GITHUB_STEP_SUMMARY", text), ("GITHUB_OUTPUT", outputs(plan))):
        path = os.environ.get(variable)
        if path:
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(content)
    return EXIT_OK
