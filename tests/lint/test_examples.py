"""Every kind of the policy table, driven by examples/<kind>/bad/*.sql and ok/*.sql.

A bad example must produce a finding of its kind (at a line inside the file);
an ok example none of its kind. Every kind has both, so a kind without a
working rule fails here.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from migpipe.lint import LintReport, SqlSource, lint_sources
from migpipe.policy import KIND_NAMES, KINDS

EXAMPLES = Path(__file__).parent / "examples"


def _examples(sign: str) -> list[Path]:
    return sorted(EXAMPLES.glob(f"*/{sign}/*.sql"))


def _lint(path: Path) -> LintReport:
    return lint_sources([SqlSource(str(path), path.read_text(encoding="utf-8"))], block=KIND_NAMES, warn=())


def test_every_kind_has_bad_and_ok_examples() -> None:
    for sign in ("bad", "ok"):
        covered = {path.parent.parent.name for path in _examples(sign)}
        assert covered == set(KINDS), f"kinds without {sign} examples: {set(KINDS) - covered}"


@pytest.mark.parametrize("path", _examples("bad"), ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_bad_example_is_found(path: Path) -> None:
    kind = path.parent.parent.name
    report = _lint(path)
    found = [finding for finding in report.findings if finding.kind == kind]
    assert found, f"no {kind} finding in {path.name}: {report.findings}"
    lines = path.read_text(encoding="utf-8").count("\n") + 1
    for finding in found:
        assert 1 <= finding.line <= lines
        assert finding.action == "block" and finding.exemption is None and report.blocked
        assert finding.safe_alternative == KINDS[kind].safe_alternative


@pytest.mark.parametrize("path", _examples("ok"), ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_ok_example_is_not_found(path: Path) -> None:
    kind = path.parent.parent.name
    report = _lint(path)
    assert [finding for finding in report.findings if finding.kind == kind] == []
