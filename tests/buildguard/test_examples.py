"""Hand-made repositories: each positive case must be found with its chain, no negative case may be.

Each examples/{positive,negative}/<case>/ holds a small repository and a
case.json: the files the host runs ("entry"), and for a positive case the
label and chain of the first finding.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from migpipe.buildguard import Finding, Scanner
from migpipe.profiles.tools import COMMON_FORBIDDEN
from tests.buildguard.conftest import EXAMPLES


def _cases(kind: str) -> list[Path]:
    return sorted(path for path in (EXAMPLES / kind).iterdir() if (path / "case.json").is_file())


def _run(case: Path) -> tuple[dict, list[Finding]]:
    spec = json.loads((case / "case.json").read_text(encoding="utf-8"))
    scanner = Scanner(case, COMMON_FORBIDDEN)
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


@pytest.mark.parametrize("case", _cases("negative"), ids=lambda path: path.name)
def test_negative_example(case: Path) -> None:
    _, findings = _run(case)
    assert [str(finding) for finding in findings] == []


def test_every_example_has_a_case_file() -> None:
    for kind in ("positive", "negative"):
        dirs = [path for path in (EXAMPLES / kind).iterdir() if path.is_dir()]
        assert dirs and all((path / "case.json").is_file() for path in dirs)
