"""The team's triggers (ci.triggers) carried verbatim, plus what the policy needs.

The review job runs on pull_request and merge_group, migrate-plan on a push to
the main branch, and with approval.gate = "dispatch" migrate-prod runs from a
workflow_dispatch with a plan_digest input. generate adds whichever of these
the team's triggers lack, keeps everything the team had, and init says so.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from migpipe.cli import main
from migpipe.pipeline import load_pipeline

FIXTURE = Path(__file__).resolve().parent / "commands" / "init_fixtures" / "prisma6-npm-vercel"
TEAM_TRIGGERS = """[ci.triggers]
pull_request = {}

[ci.triggers.push]
branches = ["trunk"]
"""


def _adopted(tmp_path: Path, capsys: Any) -> tuple[Path, str]:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURE, repo)
    assert main(["init", "--root", str(repo)]) == 0
    out = capsys.readouterr().out
    assert TEAM_TRIGGERS in (repo / "pipeline.toml").read_text(encoding="utf-8")
    return repo, out


def _generate(repo: Path, capsys: Any) -> dict[str, Any]:
    config = str(repo / "pipeline.toml")
    assert main(["generate", "-c", config, "--root", str(repo), "--force"]) == 0
    assert main(["verify", "-c", config, "--root", str(repo)]) == 0
    capsys.readouterr()
    workflow = repo / load_pipeline(repo / "pipeline.toml").output_paths()["workflow"]
    document = YAML(typ="safe", pure=True).load(workflow.read_text(encoding="utf-8"))
    return dict(document["on"])


def test_merge_group_is_added_to_carried_triggers_and_init_says_so(tmp_path, capsys) -> None:
    repo, out = _adopted(tmp_path, capsys)
    assert "changed       .github/workflows/ci-cd.yml on: merge_group:" in out
    assert "#   - .github/workflows/ci-cd.yml on: merge_group:" in (repo / "pipeline.toml").read_text(encoding="utf-8")
    on = _generate(repo, capsys)
    # The team's, unchanged, plus merge_group for the review; nothing else.
    assert on == {"pull_request": {}, "push": {"branches": ["trunk"]}, "merge_group": {}}


def test_the_dispatch_gate_gets_its_input_beside_the_teams_own_dispatch_inputs(tmp_path, capsys) -> None:
    repo, _ = _adopted(tmp_path, capsys)
    config = repo / "pipeline.toml"
    text = config.read_text(encoding="utf-8")
    team = TEAM_TRIGGERS + (
        "\n[ci.triggers.merge_group]\ntypes = [\"checks_requested\"]\n"
        "\n[ci.triggers.workflow_dispatch.inputs.environment]\ndescription = \"Where to deploy\"\nrequired = false\ntype = \"string\"\n"
    )
    text = text.replace(TEAM_TRIGGERS, team).replace("[approval]\n", "[approval]\ngate = \"dispatch\"\n")
    config.write_text(text, encoding="utf-8")

    on = _generate(repo, capsys)

    assert on["push"] == {"branches": ["trunk"]} and on["pull_request"] == {}
    assert on["merge_group"] == {"types": ["checks_requested"]}  # the team's, not replaced
    inputs = on["workflow_dispatch"]["inputs"]
    assert inputs["environment"] == {"description": "Where to deploy", "required": False, "type": "string"}
    assert inputs["plan_digest"]["required"] is True and inputs["plan_digest"]["type"] == "string"
    assert set(on) == {"push", "pull_request", "merge_group", "workflow_dispatch"}


def test_a_pull_request_only_ci_gets_a_push_to_the_main_branch(tmp_path, capsys) -> None:
    repo, _ = _adopted(tmp_path, capsys)
    config = repo / "pipeline.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(TEAM_TRIGGERS, "[ci.triggers.pull_request]\ntypes = [\"opened\", \"synchronize\"]\n"),
        encoding="utf-8",
    )
    on = _generate(repo, capsys)
    assert on == {"pull_request": {"types": ["opened", "synchronize"]}, "push": {"branches": ["trunk"]}, "merge_group": {}}
