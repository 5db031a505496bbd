"""migpipe plan-report PLAN.json: publish a plan for the reviewer (job summary) and for later jobs (outputs)."""
from __future__ import annotations

import sys
from pathlib import Path

from migpipe.errors import EXIT_OK
from migpipe.runtime.github import append_to_workflow_file
from migpipe.runtime.plan_report import outputs, read_plan, summary


def run(plan_file: str, gate_note: str = "") -> int:
    plan = read_plan(Path(plan_file))
    text = summary(plan, gate_note or "Approve migrate-prod only if every statement above is what you expect.")
    sys.stdout.write(text)
    append_to_workflow_file("GITHUB_STEP_SUMMARY", text)
    append_to_workflow_file("GITHUB_OUTPUT", outputs(plan))
    return EXIT_OK
