"""Exemptions: every comment form squawk honours, each needing a reason.

The first tests are the holes of the old migrate script: a block comment or
a file-wide ignore without a reason let a DROP TABLE through.
"""
from __future__ import annotations

import pytest

from migpipe.lint import Finding, SqlSource, lint_sources
from migpipe.lint.exemptions import find_exemptions
from migpipe.policy import DEFAULT_BLOCK, DEFAULT_WARN


def _findings(sql: str) -> list[Finding]:
    return list(lint_sources([SqlSource("m.sql", sql)], DEFAULT_BLOCK, DEFAULT_WARN).findings)


def _kinds(sql: str) -> list[tuple[str, int, str | None]]:
    return [(f.kind, f.line, f.exemption) for f in _findings(sql)]


@pytest.mark.parametrize(
    "directive",
    [
        "/* squawk-ignore ban-drop-table */",
        "-- squawk-ignore-file",
        "/* squawk-ignore-file */",
        "-- squawk-ignore-file ban-drop-table",
        "-- squawk-ignore ban-drop-table",
        "-- squawk-ignore ban-drop-table --",
        "/* squawk-ignore ban-drop-table -- */",
    ],
)
def test_exemption_without_reason_exempts_nothing_and_blocks(directive: str) -> None:
    findings = _findings(f"{directive}\nDROP TABLE users;\n")
    kinds = {(f.kind, f.exemption, f.action) for f in findings}
    assert ("drop-table", None, "block") in kinds
    assert ("exemption-without-reason", None, "block") in kinds
    assert next(f for f in findings if f.kind == "exemption-without-reason").line == 1


@pytest.mark.parametrize(
    "directive",
    [
        "-- squawk-ignore ban-drop-table -- replaced by accounts in #41",
        "/* squawk-ignore ban-drop-table -- replaced by accounts in #41 */",
        "-- squawk-ignore ban-drop-column, ban-drop-table -- replaced by accounts in #41",
        "-- squawk-ignore-file -- replaced by accounts in #41",
        "/* squawk-ignore-file ban-drop-table -- replaced by accounts in #41 */",
        "-- migpipe-ignore drop-table -- replaced by accounts in #41",
        "-- migpipe-ignore ban-drop-table -- replaced by accounts in #41",
        "-- migpipe-ignore-file -- replaced by accounts in #41",
    ],
)
def test_exemption_with_reason_exempts_and_keeps_the_reason(directive: str) -> None:
    assert _kinds(f"{directive}\nDROP TABLE users;\n") == [("drop-table", 2, "replaced by accounts in #41")]


def test_multi_line_block_comment_reason() -> None:
    sql = "/* squawk-ignore ban-drop-table --\n   replaced by accounts,\n   see #41 */\nDROP TABLE users;\n"
    # squawk ties a line exemption to the line its directive starts on and the next one.
    assert _kinds(sql) == [("drop-table", 4, None)]
    sql = "/* squawk-ignore ban-drop-table -- replaced by accounts,\n   see #41 */ DROP TABLE users;\n"
    assert _kinds(sql) == [("drop-table", 2, "replaced by accounts, see #41")]


def test_line_exemption_covers_only_the_next_line() -> None:
    sql = "-- squawk-ignore ban-drop-table -- old table\nDROP TABLE a;\nDROP TABLE b;\n"
    assert _kinds(sql) == [("drop-table", 2, "old table"), ("drop-table", 3, None)]


def test_exemption_names_must_match() -> None:
    sql = "-- squawk-ignore ban-drop-column -- wrong rule named\nDROP TABLE a;\n"
    assert _kinds(sql) == [("drop-table", 2, None)]


def test_squawk_ignore_does_not_exempt_migpipe_kinds() -> None:
    sql = "-- squawk-ignore-file -- squawk's ignore is for squawk's rules\nTRUNCATE users;\n"
    assert _kinds(sql) == [("truncate", 2, None)]
    sql = "-- migpipe-ignore truncate -- archived to s3 first, see runbook\nTRUNCATE users;\n"
    assert _kinds(sql) == [("truncate", 2, "archived to s3 first, see runbook")]


def test_directive_inside_a_string_or_body_is_not_an_exemption() -> None:
    sql = "SELECT '-- squawk-ignore-file -- no';\nDROP TABLE a;\nSELECT $$ /* squawk-ignore-file -- no */ $$;\n"
    assert _kinds(sql) == [("drop-table", 2, None)]


def test_squawk_own_directives_are_neutralized() -> None:
    # squawk itself would drop this finding silently; migpipe sees it and reports the missing reason.
    sql = "-- squawk-ignore ban-drop-table\nDROP TABLE a;\n"
    assert {kind for kind, _, _ in _kinds(sql)} == {"drop-table", "exemption-without-reason"}


def test_lookalike_is_not_a_directive() -> None:
    assert find_exemptions("-- squawk-ignored for now\nSELECT 1;\n") == []
    (exemption,) = find_exemptions("SELECT 1; /* migpipe-ignore-file truncate, dynamic-sql -- seed data */")
    assert exemption.file_wide and exemption.origin == "migpipe"
    assert exemption.names == {"truncate", "dynamic-sql"} and exemption.reason == "seed data"


def test_unparseable_sql_still_reports_reasonless_exemptions() -> None:
    kinds = {kind for kind, _, _ in _kinds("/* squawk-ignore-file */\nDROP TABLE a;\nSELEC 1;\n")}
    assert {"unparseable", "exemption-without-reason"} <= kinds
