"""migpipe lint: formats, exit codes (0 clean or warnings, 1 blocked, 2 usage), policy options."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from migpipe.cli import main
from migpipe.policy import KINDS

PIPELINE = """\
version = 1

[project]
name = "acme"

[tool]
name = "prisma"
version = 6

[host]
name = "render"
service_name = "acme"

[guards]
block = ["drop-table"]
warn = ["truncate"]
"""


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["lint", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _write(tmp_path: Path, name: str, sql: str) -> str:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(sql, encoding="utf-8")
    return str(path)


def test_text_names_file_line_kind_message_and_safe_alternative(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "20240101[1]_x/migration.sql", "SELECT 1;\nTRUNCATE users;\n")
    code, out, _ = _run(capsys, path)
    assert code == 1
    assert out.splitlines() == [
        f"BLOCKED {path}:2:1: truncate: TRUNCATE empties users (every row is deleted)",
        f"    safe alternative: {KINDS['truncate'].safe_alternative}",
        "lint blocked: 1 file linted, 1 blocking, 0 warnings, 0 exempted",
    ]


def test_clean_and_warnings_only_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clean = _write(tmp_path, "clean.sql", "CREATE TABLE t (id bigint);\n")
    warned = _write(tmp_path, "warned.sql", "CREATE INDEX i ON users (email);\n")
    code, out, _ = _run(capsys, clean, warned)
    assert code == 0
    assert out.splitlines()[0] == f"warning {warned}:1:1: non-concurrent-index (require-concurrent-index-creation): " + out.splitlines()[0].split(": ", 2)[2]
    assert out.splitlines()[-1] == "lint passed: 2 files linted, 0 blocking, 1 warning, 0 exempted"


def test_exempted_finding_shows_its_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "m.sql", "-- migpipe-ignore truncate -- seed table, refilled below\nTRUNCATE seeds;\n")
    code, out, _ = _run(capsys, path)
    assert code == 0
    assert "    exempted: seed table, refilled below" in out.splitlines()


def test_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "m.sql", "DROP TABLE users;\nCREATE INDEX i ON t (c);\n")
    code, out, _ = _run(capsys, "--format", "json", path)
    data = json.loads(out)
    assert code == 1 and data["blocked"] is True and data["sources"] == [path]
    assert [(f["kind"], f["rule"], f["line"], f["action"], f["blocks"]) for f in data["findings"]] == [
        ("drop-table", "ban-drop-table", 1, "block", True),
        ("non-concurrent-index", "require-concurrent-index-creation", 2, "warn", False),
    ]


def test_github_annotations_respect_the_limit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sql = "".join(f"DROP TABLE t{n};\n" for n in range(12)) + "CREATE INDEX i ON t (c);\n"
    path = _write(tmp_path, "a,b:c.sql", sql)
    code, out, _ = _run(capsys, "--format", "github", path)
    lines = out.splitlines()
    errors = [line for line in lines if line.startswith("::error ")]
    assert code == 1 and len(errors) == 10
    escaped = path.replace(",", "%2C").replace(":", "%3A")
    assert errors[0] == (
        f"::error file={escaped},line=1,title=migpipe lint::drop-table (ban-drop-table): "
        f"Dropping a table may break existing clients. (safe alternative: {KINDS['drop-table'].safe_alternative})"
    )
    assert next(line for line in lines if line.startswith("::warning ")).startswith(f"::warning file={escaped},line=13,")
    # The two errors GitHub would not show are listed as plain lines, then the conclusion.
    more = lines.index("2 more errors than GitHub shows as annotations (10 per step):")
    assert lines[more + 1].startswith(f"{path}:11: drop-table (ban-drop-table): ")
    assert lines[more + 2].startswith(f"{path}:12: drop-table (ban-drop-table): ")
    assert lines[-1] == "lint blocked: 1 file linted, 12 blocking, 1 warning, 0 exempted"


def test_block_and_warn_options_move_kinds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "m.sql", "TRUNCATE users;\nCREATE INDEX i ON t (c);\n")
    code, out, _ = _run(capsys, "--warn", "truncate", path)
    assert code == 0 and out.startswith(f"warning {path}:1:1: truncate:")
    code, out, _ = _run(capsys, "--warn", "truncate", "--block", "drop-index,non-concurrent-index", path)
    assert code == 1 and f"BLOCKED {path}:2:1: non-concurrent-index" in out


def test_config_supplies_the_lists(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "pipeline.toml"
    config.write_text(PIPELINE)
    path = _write(tmp_path, "m.sql", "TRUNCATE users;\nALTER TABLE t DROP COLUMN c;\n")
    code, out, _ = _run(capsys, "-c", str(config), path)
    assert code == 0 and out.startswith(f"warning {path}:1:1: truncate:") and "drop-column" not in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.sql"], "missing.sql: no such file"),
        (["--block", "trunc", "X"], "--block: unknown kind 'trunc'"),
        (["--block", "truncate", "--warn", "truncate", "X"], "--block and --warn both name truncate"),
        (["DIR"], "is a directory"),
        (["BINARY"], "is not UTF-8 text"),
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    ok = _write(tmp_path, "ok.sql", "SELECT 1;\n")
    (tmp_path / "binary.sql").write_bytes(b"SELECT '\xff';\n")
    replace = {"X": ok, "DIR": str(tmp_path), "BINARY": str(tmp_path / "binary.sql"), "missing.sql": str(tmp_path / "missing.sql")}
    code, out, err = _run(capsys, *[replace.get(arg, arg) for arg in args])
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err


def test_argparse_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys)
    assert code == 2 and "FILE" in err
    code, _, err = _run(capsys, "--format", "xml", "m.sql")
    assert code == 2 and "invalid choice" in err


def test_installed_command(tmp_path: Path) -> None:
    path = _write(tmp_path, "*.sql", "DROP TABLE users;\n")
    result = subprocess.run(
        [str(Path(sys.executable).with_name("migpipe")), "lint", path], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1 and f"BLOCKED {path}:1:1: drop-table" in result.stdout


def test_help_lists_every_kind_with_its_default(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--help")
    assert code == 0
    for name, kind in KINDS.items():
        assert any(line.split()[:2] == [name, kind.default or "off"] for line in out.splitlines() if line.strip())
