"""migpipe init: write a pipeline.toml from what the repository already has.

It reproduces the team's own commands, jobs and deploy steps, so that
`migpipe generate` changes only what the policy requires, and it removes
every migration from what the host runs on its own (that is the point).
It prints one line per thing it detected, removed, could not detect or
could not carry over, and never overwrites a pipeline.toml unless --force.
"""
from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migpipe.errors import EXIT_OK, InitError

if TYPE_CHECKING:
    from migpipe.adopt.detect import Adoption
    from migpipe.pipeline import Pipeline

CONFIG_NAME = "pipeline.toml"


def _schema_url() -> str:
    from migpipe.resources import schemas_dir

    schema = json.loads((schemas_dir() / "pipeline.schema.json").read_text(encoding="utf-8"))
    return str(schema["$id"])


def run(root: str, force: bool = False, host: str | None = None, tool: str | None = None) -> int:
    from migpipe.adopt import detect_repo, render_pipeline_toml
    from migpipe.config.loader import parse_toml

    root_path = Path(root)
    if not root_path.is_dir():
        raise InitError(f"--root {root}: no such directory")
    target = root_path / CONFIG_NAME
    if target.exists() and not force:
        raise InitError(f"{target} already exists; edit it, or run `migpipe init --force` to replace it")

    adoption = detect_repo(root_path, host, tool)
    text = render_pipeline_toml(adoption, _schema_url())
    pipeline = _check(text, str(target), parse_toml)
    still = _still_migrating(root_path, pipeline)
    added = _triggers_added(pipeline, adoption)
    if still or added:
        adoption.not_carried.extend(still)
        adoption.changed.extend(added)
        text = render_pipeline_toml(adoption, _schema_url())

    for line in adoption.detected:
        print(f"detected      {line}")
    for line in adoption.removed:
        print(f"removed       {line}")
    for line in adoption.changed:
        print(f"changed       {line}")
    for line in adoption.not_detected:
        print(f"not detected  {line}")
    for line in adoption.not_carried:
        print(f"not carried   {line}")
    for line in adoption.findings:
        print(f"check         {line}")
    target.write_text(text, encoding="utf-8")
    # generate reads ./pipeline.toml and writes into the current directory unless told otherwise.
    where = "" if root_path.resolve() == Path.cwd().resolve() else f" -c {shlex.quote(str(target))} --root {shlex.quote(root)}"
    print(f"wrote {target}: review it, then run `migpipe generate{where} --force` (--force replaces the files migpipe did not write)")
    return EXIT_OK


def _still_migrating(root: Path, pipeline: Pipeline) -> list[str]:
    """What the build guard will still find once generate has replaced the workflow and host config.

    Init takes migrations out of the host config it regenerates; another host
    config (a Dockerfile, a compose file, a second platform's config) keeps
    its own, and build-verification would fail on the team's first run
    without saying so here.
    """
    from migpipe.buildguard import Scanner
    from migpipe.buildguard.repository import check_repository
    from migpipe.profiles.tools.registry import COMMON_FORBIDDEN

    replaced = set(pipeline.output_paths().values())
    report = check_repository(Scanner(root, COMMON_FORBIDDEN))
    return [
        f"{finding.entry_file}: still migrates, so build-verification will fail: {finding}; remove the "
        f"migration, or exempt it in pipeline.toml ([[guards.exempt]] path = {finding.entry_file!r} "
        "and a reason) if that entry point is not deployed"
        for finding in report.failing
        if finding.entry_file not in replaced
    ]


def _triggers_added(pipeline: Pipeline, adoption: Adoption) -> list[str]:
    """What generate adds to the team's triggers for the policy (migpipe.team_jobs.policy_triggers), said here."""
    from migpipe.team_jobs import policy_triggers

    where = adoption.team.path if adoption.team is not None else "ci.triggers"
    return [f"{where} on: {line} (added by generate; the team's triggers are kept)" for line in policy_triggers(pipeline)[1]]


def _check(text: str, display: str, parse_toml: Callable[[str, str], dict[str, Any]]) -> Pipeline:
    """Never write a pipeline.toml that migpipe itself would reject."""
    from pydantic import ValidationError

    from migpipe.pipeline import Pipeline

    try:
        return Pipeline.model_validate(parse_toml(text, display), strict=True)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise InitError(f"the detected values do not make a valid {CONFIG_NAME} ({problems}); nothing was written") from None
