"""migpipe review --base REF: review the migrations a pull request adds or changes.

Exit 0 when nothing blocks, 1 when a finding blocks, a merged migration was
edited or deleted, a new one sorts before the newest on the base, or (Alembic,
Django) the new ones make a second head / leaf once merged; 2 on a config or
usage problem. ``--format github`` adds annotations at file and
line; the job summary goes to $GITHUB_STEP_SUMMARY when it is set.
"""
from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

from migpipe.errors import EXIT_FINDINGS, EXIT_OK, FatalError
from migpipe.pipeline import load_pipeline
from migpipe.review import Problem, policy_change, review
from migpipe.review import report as reporting
from migpipe.review.layouts import layout_for
from migpipe.runtime.github import append_to_workflow_file
from migpipe.runtime.tools import tool_runtime

FORMATS = ("text", "github")


def _in_repository(config: Path, root: Path) -> str | None:
    """pipeline.toml's path inside the repository at `root` (as git names it), or None."""
    try:
        return config.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


def run(config: str, base: str, root: str = ".", output_format: str = "text", schema_drift: bool = False) -> int:
    if output_format not in FORMATS:
        raise FatalError(f"--format: {output_format!r} is not one of {', '.join(FORMATS)}")
    if not base:
        raise FatalError("--base: give the base revision, e.g. origin/main or the pull request's base SHA")
    pipeline = load_pipeline(config)
    tool = pipeline.tool
    migrations_dir = getattr(tool, "migrations_dir", ".")
    layout = layout_for(tool.name, pipeline.project.working_directory, migrations_dir)
    # The stricter of the base's policy and the changed one (see policy_change).
    config_path = _in_repository(Path(config), Path(root))
    before = policy_change.base_policy(Path(root), base, config_path) if config_path else None
    loosened = policy_change.loosened(before, pipeline.guards.block, pipeline.guards.warn) if before else ()
    policy = policy_change.stricter(pipeline.guards.block, pipeline.guards.warn, loosened)
    result = review(Path(root), base, layout, policy.block, policy.warn)
    problem = policy_change.loosening_used(result, loosened, config_path) if config_path else None
    if problem is not None:
        result = dataclasses.replace(result, problems=(*result.problems, problem))
    if schema_drift:
        working_directory = pipeline.project.working_directory
        drift = tool_runtime(pipeline).schema_drift(pipeline, Path(root) / working_directory)
        if drift is not None:
            path = drift.path if working_directory in ("", ".") else f"{working_directory.rstrip('/')}/{drift.path}"
            problem = Problem(path, 1, "schema-drift", drift.message, drift.fix)
            result = dataclasses.replace(result, problems=(*result.problems, problem))
    sys.stdout.write(reporting.text(result))
    if output_format == "github":
        print("\n".join(reporting.annotation_lines(result)))
    append_to_workflow_file("GITHUB_STEP_SUMMARY", reporting.summary(result))
    return EXIT_FINDINGS if result.failed else EXIT_OK
