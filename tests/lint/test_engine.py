"""lint_sources: the set linted equals the set asked for, positions, objects created in the same migration."""
from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from migpipe.errors import LintError
from migpipe.lint import SqlSource, lint_sources
from migpipe.lint import squawk as squawk_module
from migpipe.policy import DEFAULT_BLOCK, DEFAULT_WARN, KIND_NAMES


def _lint(*sources: SqlSource) -> list[tuple[str, str, int, int]]:
    report = lint_sources(sources, KIND_NAMES, ())
    return [(f.display, f.kind, f.line, f.column) for f in report.findings]


def test_report_names_every_source_in_order() -> None:
    sources = [SqlSource(f"m{n}.sql", "SELECT 1;\n") for n in range(5)] + [SqlSource("empty.sql", "")]
    report = lint_sources(sources, DEFAULT_BLOCK, DEFAULT_WARN)
    assert report.sources == tuple(source.display for source in sources)
    assert report.findings == () and not report.blocked


def test_no_sources_is_an_empty_report() -> None:
    assert lint_sources([], DEFAULT_BLOCK, DEFAULT_WARN).sources == ()


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="trunc"):
        lint_sources([SqlSource("m.sql", "SELECT 1;")], ["trunc"], ())


def test_glob_characters_in_names_are_linted() -> None:
    # squawk reads its arguments as glob patterns; the old script passed these
    # names to it and the DROP TABLE in them was never seen.
    names = ["20240101[1]_drop/migration.sql", "*.sql", "a?b.sql", "{x,y}.sql", "-rf.sql", " space .sql"]
    report = lint_sources([SqlSource(name, "DROP TABLE users;\n") for name in names], DEFAULT_BLOCK, DEFAULT_WARN)
    assert report.sources == tuple(names)
    assert [f.display for f in report.findings if f.kind == "drop-table"] == names
    assert report.blocked


def test_positions_are_lines_and_character_columns() -> None:
    sql = "-- é ü\nSELECT 'ééé'; ALTER TABLE t DROP COLUMN c;\n\n  TRUNCATE t;\nSELECT 'é';\nSELEC 1;\n"
    assert _lint(SqlSource("m.sql", sql)) == [("m.sql", "unparseable", 6, 1)]
    sql = "-- é ü\nSELECT 'ééé'; ALTER TABLE t DROP COLUMN c;\n\n  TRUNCATE t;\n"
    assert _lint(SqlSource("m.sql", sql)) == [("m.sql", "drop-column", 2, 29), ("m.sql", "truncate", 4, 3)]


def test_drop_and_rename_of_objects_created_earlier_are_not_destructive() -> None:
    sql = """
CREATE TABLE staging (id bigint, note text);
CREATE INDEX staging_note ON staging (note);
CREATE SEQUENCE staging_seq;
ALTER TABLE users ADD COLUMN tmp text;
ALTER TABLE staging RENAME COLUMN note TO comment;
ALTER TABLE staging DROP COLUMN comment;
ALTER TABLE users RENAME COLUMN tmp TO tmp2;
ALTER TABLE users DROP COLUMN tmp2;
DROP INDEX staging_note;
DROP SEQUENCE staging_seq;
ALTER TABLE staging RENAME TO staging_old;
DROP TABLE staging_old;
"""
    findings = _lint(SqlSource("m.sql", sql))
    destructive = {"drop-table", "drop-column", "drop-index", "drop-sequence", "rename-table", "rename-column"}
    assert [f for f in findings if f[1] in destructive] == []


def test_created_in_another_migration_is_destructive() -> None:
    create = SqlSource("1.sql", "CREATE TABLE staging (id bigint);\n")
    drop = SqlSource("2.sql", "DROP TABLE staging;\n")
    assert ("2.sql", "drop-table", 1, 1) in _lint(create, drop)


def _stand_in_squawk(tmp_path: Path, script: str) -> str:
    """A stand-in for squawk (a shell script), to prove what happens when squawk misbehaves."""
    path = tmp_path / "squawk-stand-in"
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_a_source_squawk_did_not_read_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Stand-in squawk that reports nothing, as squawk does for a path pattern that matches no file.
    monkeypatch.setattr(squawk_module, "squawk_executable", lambda: _stand_in_squawk(tmp_path, "echo '[]'\n"))
    with pytest.raises(LintError, match="m.sql: squawk did not read this SQL"):
        lint_sources([SqlSource("m.sql", "DROP TABLE users;\n")], DEFAULT_BLOCK, DEFAULT_WARN)


def test_squawk_failing_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stand_in = _stand_in_squawk(tmp_path, "echo 'error: boom' >&2\nexit 3\n")
    monkeypatch.setattr(squawk_module, "squawk_executable", lambda: stand_in)
    with pytest.raises(LintError, match="squawk failed \\(exit 3\\): error: boom"):
        lint_sources([SqlSource("m.sql", "SELECT 1;\n")], DEFAULT_BLOCK, DEFAULT_WARN)


def test_missing_squawk_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(squawk_module.sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(LintError, match="squawk is not installed"):
        lint_sources([SqlSource("m.sql", "SELECT 1;\n")], DEFAULT_BLOCK, DEFAULT_WARN)


def test_repository_squawk_config_cannot_switch_rules_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".squawk.toml").write_text('excluded_rules = ["ban-drop-table"]\n')
    monkeypatch.chdir(tmp_path)
    report = lint_sources([SqlSource("m.sql", "DROP TABLE users;\n")], DEFAULT_BLOCK, DEFAULT_WARN)
    assert [f.kind for f in report.findings] == ["drop-table"]
    assert os.listdir(tmp_path) == [".squawk.toml"]


def test_timeout_rules_of_squawk_are_not_the_policy() -> None:
    # squawk >= 2.60 reports require-lock-timeout / require-statement-timeout here;
    # migpipe sets both in the applying session, so they are not findings.
    report = lint_sources([SqlSource("m.sql", "ALTER TABLE users ADD COLUMN n text;\n")], KIND_NAMES, ())
    assert report.findings == ()


def test_off_kinds_are_not_reported_but_always_on_kinds_are() -> None:
    sql = "-- migpipe-ignore truncate -- seed data\nTRUNCATE users;\nDROP TABLE a;\nSELECT 1;\n"
    report = lint_sources([SqlSource("m.sql", sql)], ["drop-column"], ())
    assert report.findings == ()
    report = lint_sources([SqlSource("m.sql", "TRUNCATE users;\nSELEC 1;\n")], ["drop-table"], ())
    assert [f.kind for f in report.findings] == ["unparseable"]
    report = lint_sources([SqlSource("m.sql", "-- migpipe-ignore truncate\nTRUNCATE users;\n")], (), ())
    assert [(f.kind, f.action) for f in report.findings] == [("exemption-without-reason", "block")]
    report = lint_sources([SqlSource("m.sql", "SELEC 1;\n")], (), ["unparseable"])
    assert [(f.kind, f.action) for f in report.findings] == [("unparseable", "warn")] and not report.blocked


def test_an_older_squawk_without_an_excluded_rule_is_run_again_without_exclusions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = squawk_module.squawk_executable()
    # Stand-in for a squawk that does not know a rule migpipe excludes; otherwise the real one.
    script = (
        'for arg in "$@"; do [ "$arg" = --exclude ] && '
        "{ echo \"error: invalid value 'x' for '--exclude <rule>'\" >&2; exit 2; }; done\n"
        f'exec "{real}" "$@"\n'
    )
    stand_in = _stand_in_squawk(tmp_path, script)
    monkeypatch.setattr(squawk_module, "squawk_executable", lambda: stand_in)
    report = lint_sources([SqlSource("m.sql", "DROP TABLE users;\n")], DEFAULT_BLOCK, DEFAULT_WARN)
    assert [f.kind for f in report.findings] == ["drop-table"]


def test_excluded_squawk_rules_are_none_the_policy_uses() -> None:
    from migpipe.policy import SQUAWK_RULE_KINDS

    assert not set(squawk_module.EXCLUDED_RULES) & {*SQUAWK_RULE_KINDS, squawk_module.PROBE_RULE, "syntax-error"}


def test_a_hanging_squawk_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stand_in = _stand_in_squawk(tmp_path, "exec sleep 30\n")  # stand-in for a squawk that never ends
    monkeypatch.setattr(squawk_module, "squawk_executable", lambda: stand_in)
    monkeypatch.setattr(squawk_module, "SQUAWK_TIMEOUT_SECONDS", 1)
    with pytest.raises(LintError, match="squawk did not finish within 1 s"):
        lint_sources([SqlSource("m.sql", "SELECT 1;\n")], DEFAULT_BLOCK, DEFAULT_WARN)


def test_squawk_given_a_name_with_glob_characters_reads_another_file(tmp_path: Path) -> None:
    # Why squawk never sees a user's path: given "x[1].sql" it lints x1.sql instead,
    # reports nothing and exits 0, which is how the old migrate script let a DROP TABLE through.
    (tmp_path / "x[1].sql").write_text("DROP TABLE users;\n")
    (tmp_path / "x1.sql").write_text("SELECT 1;\n")
    (tmp_path / "empty.toml").write_text("")
    squawk = squawk_module.squawk_executable()
    result = subprocess.run(
        [squawk, "--config", "empty.toml", "--reporter", "json", "x[1].sql"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0 and "ban-drop-table" not in result.stdout
    report = lint_sources(
        [SqlSource("x[1].sql", (tmp_path / "x[1].sql").read_text())], DEFAULT_BLOCK, DEFAULT_WARN
    )
    assert [(f.display, f.kind) for f in report.findings] == [("x[1].sql", "drop-table")]
