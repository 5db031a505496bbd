"""Real repositories: the guard finds every host-path migration of each fragment, and nothing else.

repos_expected.tsv holds the judgment, one chain per row (checked by hand
against ../shared/corpus/repos/LABELS.tsv and the files). The guard checks each
fragment as it would a repository without pipeline.toml, except that the
entry files marked ``exempt`` are exempted with the reason written there, as
a team's pipeline.toml would. The fragments are only read.
"""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from migpipe.buildguard import Scanner
from migpipe.buildguard.repository import Exemption, check_repository
from migpipe.buildguard.sources import kind_of
from migpipe.profiles.tools.registry import COMMON_FORBIDDEN
from tests.buildguard.conftest import REPO_ROOT

REPOS = REPO_ROOT / ".." / "shared" / "corpus" / "repos"
EXPECTED_FILE = Path(__file__).resolve().parent / "repos_expected.tsv"


def _rows() -> list[dict[str, str]]:
    with EXPECTED_FILE.open(encoding="utf-8", newline="") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


ROWS = _rows()
CASES = sorted(path.name for path in REPOS.iterdir() if path.is_dir()) if REPOS.is_dir() else []


def _entry_file(chain: str) -> str:
    return chain.split(" -> ")[0].rsplit(":", 1)[0]


def _exemptions(case: str) -> list[Exemption]:
    return [
        Exemption(_entry_file(row["chain"]), row["reason"])
        for row in ROWS
        if row["case"] == case and row["status"] == "exempt"
    ]


def _found(case: str) -> set[tuple[str, str, str]]:
    report = check_repository(Scanner(REPOS / case, COMMON_FORBIDDEN), _exemptions(case))
    return {
        (
            finding.phase,
            " -> ".join(link.split(" ", 1)[0] for link in finding.chain),
            "host" if finding.exemption is None else "exempt",
        )
        for finding in report.findings
    }


def test_the_corpus_is_there() -> None:
    assert len(CASES) == 18, f"expected the 18 fragments in {REPOS}"


@pytest.mark.parametrize("case", CASES)
def test_repository(case: str) -> None:
    expected = {
        (row["phase"], row["chain"], row["status"])
        for row in ROWS
        if row["case"] == case and row["status"] in ("host", "exempt")
    }
    found = _found(case)
    missing = sorted(expected - found)
    extra = sorted(found - expected)
    assert (missing, extra) == ([], []), f"missing: {missing}\nnot expected: {extra}"
    # Chains LABELS.tsv names but no host runs here must stay unreported.
    rejected = {row["chain"] for row in ROWS if row["case"] == case and row["status"] == "not-a-host-path"}
    assert not rejected & {chain for _, chain, _ in found}


def _labels() -> dict[str, str]:
    with (REPOS / "LABELS.tsv").open(encoding="utf-8", newline="") as handle:
        return {row["case"]: row["host_path_migrations"] for row in csv.DictReader(handle, delimiter="\t")}


def test_expected_rows_agree_with_labels_tsv() -> None:
    labels = _labels()
    assert sorted(labels) == CASES
    for case, chains in labels.items():
        rows = [row for row in ROWS if row["case"] == case and row["status"] in ("host", "exempt")]
        if chains.strip() == "none":
            assert rows == [], f"{case}: LABELS.tsv says no host path migrates"
            continue
        assert rows, f"{case}: LABELS.tsv lists host-path migrations"
        # Every entry file LABELS.tsv starts a chain from is an entry point here (or judged otherwise).
        entries = {_entry_file(row["chain"]) for row in ROWS if row["case"] == case}
        for part in chains.split(" ; "):
            first = part.split(": ", 1)[1].split(" ", 1)[0] if ": " in part else ""
            path = first.rsplit(":", 1)[0]
            if path and (REPOS / case / path).is_file() and kind_of(Path(path).name) != "shell":
                assert path in entries, f"{case}: LABELS.tsv starts a chain at {first}"


def test_exempt_rows_have_reasons() -> None:
    for row in ROWS:
        assert row["status"] in ("host", "exempt", "not-a-host-path", "could-not-follow"), row
        assert row["reason"].strip(), row


def test_cli_on_a_repository_without_pipeline_toml(tmp_path: Path) -> None:
    """`migpipe check-build --root REPO` with no pipeline.toml: every host config, none exempt."""
    case = "triggerdotdev__trigger.dev"
    command = [sys.executable, "-m", "migpipe", "check-build", "--root", str(REPOS / case), "--format", "json"]
    env = {**os.environ, "NO_COLOR": "1"}
    result = subprocess.run(command, check=False, capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)
    assert result.returncode == 1, result.stderr
    document = json.loads(result.stdout)
    expected = [row for row in ROWS if row["case"] == case and row["status"] in ("host", "exempt")]
    assert len(document["findings"]) == len(expected)
    assert document["exempted"] == []
    first = document["findings"][0]
    assert first["chain"][0].startswith("docker/Dockerfile:135 CMD")
    assert first["phase"] == "START"
