"""Real host files: the guard must agree with a human reading each one.

corpus_labels.tsv holds the judgment (migrates / clean, and why) for every
file in shared/corpus/build-configs. Each file is checked on its own, as a
FILE argument with the corpus as root.
"""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from migpipe.buildguard import Finding, Scanner
from migpipe.profiles.tools.registry import COMMON_FORBIDDEN
from tests.buildguard.conftest import CORPUS

LABELS_FILE = Path(__file__).resolve().parent / "corpus_labels.tsv"


def _labels() -> dict[str, tuple[str, str]]:
    with LABELS_FILE.open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.reader(handle, delimiter="\t") if row and not row[0].startswith("#")]
    return {name: (expected, reason) for name, expected, reason in rows}


LABELS = _labels()


def _check(name: str) -> list[Finding]:
    scanner = Scanner(CORPUS, COMMON_FORBIDDEN)
    scanner.check_file(CORPUS / name)
    return scanner.findings


def test_every_corpus_file_is_labelled() -> None:
    files = {path.name for path in CORPUS.iterdir() if path.name != "SOURCES.tsv"}
    assert files, f"no corpus at {CORPUS}"
    assert sorted(files - set(LABELS)) == [], "corpus files without a label"
    assert sorted(set(LABELS) - files) == [], "labels for files not in the corpus"
    assert {expected for expected, _ in LABELS.values()} == {"migrates", "clean"}


@pytest.mark.parametrize("name", sorted(LABELS))
def test_corpus_file(name: str) -> None:
    expected, reason = LABELS[name]
    findings = _check(name)
    shown = "\n".join(map(str, findings)) or "(nothing found)"
    assert ("migrates" if findings else "clean") == expected, f"labelled {expected}: {reason}\n{shown}"


def _tools_found() -> set[str]:
    # A label starts with its tool's name ("rails db:migrate|...", "alembic via flask db ...").
    found = set()
    for name, (expected, _) in LABELS.items():
        if expected == "migrates":
            found |= {finding.label.split()[0] for finding in _check(name)}
    return found


def test_corpus_shows_the_common_tools() -> None:
    # Drizzle appears only as package scripts whose definition is not in the
    # corpus (drizzle:push, drizzle-migrate): found by UNREADABLE_SCRIPT_NAMES.
    assert {"django", "rails", "alembic", "knex", "sequelize", "typeorm", "prisma", "drizzle-kit"} <= _tools_found()
