"""Drawn migrations (hypothesis): lint_sources never crashes, names every source, and places findings inside them."""
from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from migpipe.lint import SqlSource, lint_sources
from migpipe.policy import KIND_NAMES

PIECES = [
    "CREATE TABLE t (id bigint, name text);",
    "DROP TABLE t;",
    "ALTER TABLE t DROP COLUMN name;",
    "ALTER TABLE users RENAME COLUMN a TO b;",
    "TRUNCATE t;",
    "DELETE FROM users;",
    "UPDATE users SET x = 1;",
    "SET lock_timeout = 0;",
    "DO $$ BEGIN NULL; END $$;",
    "CREATE INDEX i ON t (id);",
    "SELECT 'é -- squawk-ignore-file', $$ /* x */ $$;",
    "-- squawk-ignore ban-drop-table -- reason",
    "/* squawk-ignore-file */",
    "-- migpipe-ignore truncate",
    "/* multi\nline */",
    "SELEC broken;",
    "SELECT 'unterminated",
    "",
]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.sampled_from(PIECES), max_size=8), min_size=1, max_size=4), st.sampled_from(["\n", " ", "\r\n"]))
# Found by a run: a line comment joined by " " hides what follows it on its line.
@example([["-- squawk-ignore ban-drop-table -- reason", "SELEC broken;"]], " ")
@example([["SELEC broken;"]], "\n")
def test_drawn_sources_are_all_linted(files: list[list[str]], separator: str) -> None:
    sources = [SqlSource(f"{n}[*]?.sql", separator.join(pieces)) for n, pieces in enumerate(files)]
    report = lint_sources(sources, KIND_NAMES, ())
    assert report.sources == tuple(source.display for source in sources)
    for finding in report.findings:
        text = next(source.text for source in sources if source.display == finding.display)
        assert 1 <= finding.line <= text.count("\n") + 1
        assert finding.column >= 1
    for source in sources:
        # Only the sure case: an unterminated quote may swallow the rest into a
        # string, and with " " as separator a `--` comment earlier on the same
        # line swallows the rest of that line.
        lines = [line for line in source.text.splitlines() if "SELEC broken" in line]
        visible = any("--" not in line.split("SELEC broken")[0] for line in lines)
        if visible and "'unterminated" not in source.text:
            assert any(f.display == source.display and f.kind == "unparseable" for f in report.findings)
