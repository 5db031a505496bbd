"""Detection on the real repositories of ../shared/corpus/repos/, against their labels.

Each repository's expectations live in corpus_cases.toml (read from LABELS.tsv).
Every detector runs on a copy in tmp, never on ../shared itself.
"""
from __future__ import annotations

import csv
import shutil
from pathlib import Path
from typing import Any

import pytest
import tomllib

from migpipe.adopt.stack import detect_stack, supported_hosts, supported_tools
from migpipe.adopt.tool_detectors import SUPPORTED_TOOL_DETECTORS
from migpipe.cli import main

REPOS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "repos"
CASES: dict[str, dict[str, Any]] = tomllib.loads((Path(__file__).parent / "corpus_cases.toml").read_text(encoding="utf-8"))["cases"]


def _labels() -> dict[str, dict[str, str]]:
    with (REPOS / "LABELS.tsv").open(encoding="utf-8", newline="") as handle:
        return {row["case"]: row for row in csv.DictReader(handle, delimiter="\t")}


def copy_case(tmp_path: Path, case: str) -> Path:
    target = tmp_path / case
    shutil.copytree(REPOS / case, target)
    return target


def test_every_corpus_repository_has_expectations() -> None:
    assert set(CASES) == set(_labels()), "corpus_cases.toml must cover every case of LABELS.tsv"


def test_every_tool_in_the_profile_registry_has_a_detector() -> None:
    assert supported_tools() <= set(SUPPORTED_TOOL_DETECTORS)
    assert {"render", "fly", "heroku", "vercel"} <= supported_hosts()


@pytest.mark.parametrize("case", sorted(CASES))
def test_detection_matches_the_labels(tmp_path: Path, case: str) -> None:
    expected = CASES[case]
    label = _labels()[case]
    stack = detect_stack(copy_case(tmp_path, case))
    assert sorted(f"{t.name} {t.directory} {t.engine or ''}".strip() for t in stack.tools) == sorted(expected["tools"])
    assert sorted({h.name for h in stack.hosts}) == expected["hosts"]
    # The CI workflow is the label's main_ci, checked against LABELS.tsv itself.
    chosen = stack.workflow.path if stack.workflow else "none"
    assert chosen == expected["main_ci"]
    assert label["main_ci"].split(" ")[0] == expected["main_ci"]
    if "main_branch" in expected:
        assert stack.main_branch is not None and stack.main_branch[0] == expected["main_branch"]
    if "package_manager" in expected:
        assert stack.package_manager is not None and stack.package_manager[0] == expected["package_manager"]
        assert expected["package_manager"] in label["package_manager"]
    if "node_version" in expected:
        assert stack.node_version is not None and stack.node_version[0] == expected["node_version"]
    prisma = next((t for t in stack.tools if t.name == "prisma"), None)
    if "prisma_version" in expected:
        assert prisma is not None and prisma.version == expected["prisma_version"]
        assert f"{expected['prisma_version']}." in label["migration_tool"] or f"^{expected['prisma_version']}" in label["migration_tool"]
    if "schema_path" in expected:
        assert prisma is not None and prisma.table["schema_path"] == expected["schema_path"]
    if "url_envs" in expected:
        found = [v.name for t in stack.tools for v in t.url_variables]
        assert found[: len(expected["url_envs"])] == expected["url_envs"]
    if "refusal" in expected:
        assert stack.refusal is not None
        for word in expected["refusal"]:
            assert word in stack.refusal
    else:
        assert stack.refusal is None
        assert stack.tool is not None and f"{stack.tool.name} {stack.tool.directory}" == expected["tool"]
        assert stack.host is not None and stack.host.name == expected["host"]


@pytest.mark.parametrize("case", sorted(c for c in CASES if "refusal" in CASES[c]))
def test_init_refuses_what_it_cannot_generate_for_and_writes_nothing(tmp_path: Path, case: str, capsys: pytest.CaptureFixture[str]) -> None:
    repo = copy_case(tmp_path, case)
    code = main(["init", "--root", str(repo)])
    out, err = capsys.readouterr()
    assert code == 2
    assert "Traceback" not in err
    for word in CASES[case]["refusal"]:
        assert word in err
    assert not (repo / "pipeline.toml").exists()


def test_init_tool_chooses_among_several_and_says_what_else_it_saw(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # trigger.dev: Prisma in two packages, Drizzle in a third, goose for ClickHouse.
    repo = copy_case(tmp_path, "triggerdotdev__trigger.dev")
    refused = detect_stack(repo)
    assert refused.refusal is not None and "--tool prisma:internal-packages/database" in refused.refusal

    stack = detect_stack(repo, None, "prisma:internal-packages/database")
    assert stack.tool is not None and (stack.tool.name, stack.tool.directory) == ("prisma", "internal-packages/database")
    seen = " ".join(stack.notes)
    for other in ("internal-packages/run-ops-database", "internal-packages/dashboard-agent-db", "goose"):
        assert other in seen
    assert "not the tool chosen with --tool prisma:internal-packages/database" in seen
    drizzle = detect_stack(repo, None, "drizzle")
    assert drizzle.tool is not None and drizzle.tool.directory == "internal-packages/dashboard-agent-db"

    for option, words in (
        ("prisma", ["prisma is in 2 places", "--tool prisma:internal-packages/run-ops-database"]),
        ("knex", ["no knex found", "found prisma in internal-packages/database"]),
        ("typeorm", ["migpipe generates for", "prisma"]),
        ("prisma:apps/web", ["no prisma in apps/web found"]),
    ):
        code = main(["init", "--root", str(repo), "--tool", option])
        _, err = capsys.readouterr()
        assert code == 2 and "Traceback" not in err, err
        assert f"--tool {option}:" in err
        for word in words:
            assert word in err, (word, err)
        assert not (repo / "pipeline.toml").exists()
