"""The 1,296 real Prisma migrations of ../shared/corpus/prisma-migrations, all through lint_sources.

No crash on real SQL, every file linted and named in the report, and every
parse failure (if any) reported as an ``unparseable`` finding with its line.
"""
from __future__ import annotations

from collections import Counter

from migpipe.lint import SqlSource, lint_sources
from migpipe.policy import DEFAULT_BLOCK, DEFAULT_WARN
from tests.conftest import SHARED

CORPUS = SHARED / "corpus" / "prisma-migrations"


def test_every_corpus_migration_is_linted() -> None:
    paths = sorted(CORPUS.glob("*/*.sql"))
    assert len(paths) == 1296
    sources = [SqlSource(str(path.relative_to(CORPUS)), path.read_text(encoding="utf-8")) for path in paths]
    report = lint_sources(sources, DEFAULT_BLOCK, DEFAULT_WARN)
    assert report.sources == tuple(source.display for source in sources)
    lines = {source.display: source.text.count("\n") + 1 for source in sources}
    for finding in report.findings:
        assert 1 <= finding.line <= lines[finding.display], finding
    kinds = Counter(finding.kind for finding in report.findings)
    # Real migrations drop columns and tables (squawk's rules, mapped to kinds) and
    # backfill with UPDATE (migpipe's rules): both engines ran over the corpus.
    assert kinds["drop-column"] > 100 and kinds["drop-table"] > 10
    assert kinds["non-concurrent-index"] > 500
    assert kinds["update-without-where"] > 0
    unparseable = [finding for finding in report.findings if finding.kind == "unparseable"]
    assert all(finding.message and finding.line >= 1 for finding in unparseable)
