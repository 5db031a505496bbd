"""Hand-made repositories, one follow rule each: each positive case must be found with its chain, no negative case may be.

Each examples/{positive,negative}/<case>/ holds a small repository and a
case.json: either the files the host runs ("entry"), or "mode": "repository"
(every host config in it, as check-build does without FILE arguments, with
optional "exempt" entries as pipeline.toml's [[guards.exempt]]); for a
positive case, the label and chain of the first finding.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from migpipe.buildguard import Finding, Scanner
from migpipe.buildguard.repository import Exemption, check_repository
from migpipe.profiles.tools.registry import COMMON_FORBIDDEN
from tests.buildguard.conftest import EXAMPLES


def _cases(kind: str) -> list[Path]:
    return sorted(path for path in (EXAMPLES / kind).iterdir() if (path / "case.json").is_file())


def _run(case: Path) -> tuple[dict[str, Any], list[Finding]]:
    spec = json.loads((case / "case.json").read_text(encoding="utf-8"))
    scanner = Scanner(case, COMMON_FORBIDDEN)
    if spec.get("mode") == "repository":
        exemptions = [Exemption(item["path"], item["reason"]) for item in spec.get("exempt", [])]
        return spec, check_repository(scanner, exemptions).findings
    for entry in spec["entry"]:
        scanner.check_file(case / entry)
    return spec, scanner.findings


@pytest.mark.parametrize("case", _cases("positive"), ids=lambda path: path.name)
def test_positive_example(case: Path) -> None:
    spec, findings = _run(case)
    assert findings, "no migration found"
    first = findings[0]
    assert (first.label, list(first.chain)) == (spec["label"], spec["chain"])
    assert first.chain[-1].startswith(f"{first.file}:{first.line}")
    # An exempted entry point is still reported, with its reason; everything else fails.
    expected_reason = spec["exempt"][0]["reason"] if spec.get("exempt") else None
    assert first.exemption == expected_reason


@pytest.mark.parametrize("case", _cases("negative"), ids=lambda path: path.name)
def test_negative_example(case: Path) -> None:
    _, findings = _run(case)
    assert [str(finding) for finding in findings] == []


def test_every_example_has_a_case_file() -> None:
    for kind in ("positive", "negative"):
        dirs = [path for path in (EXAMPLES / kind).iterdir() if path.is_dir()]
        assert dirs and all((path / "case.json").is_file() for path in dirs)


def test_a_repository_example_is_found_only_from_its_host_configs(tmp_path: Path) -> None:
    """The same migration in a script no host config reaches is not a finding, and nothing is unresolved."""
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "dev-reset.sh").write_text("#!/bin/sh\nnpx prisma migrate reset --force\n")
    (tmp_path / "Procfile").write_text("web: node --version\n")
    report = check_repository(Scanner(tmp_path, COMMON_FORBIDDEN))
    assert (report.findings, report.unresolved, report.entry_files) == ([], [], ["Procfile"])


def test_unresolved_references_carry_their_chain(tmp_path: Path) -> None:
    (tmp_path / "Procfile").write_text("release: ./bin/release.sh\nweb: $SERVER_COMMAND --port 80\n")
    report = check_repository(Scanner(tmp_path, COMMON_FORBIDDEN))
    assert [(item.reference, item.reason, item.chain) for item in report.unresolved] == [
        ("./bin/release.sh", "script not found in the repository", ("Procfile:1 release",)),
        ("$SERVER_COMMAND", "a command built at run time", ("Procfile:2 web",)),
    ]
