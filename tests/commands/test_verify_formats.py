"""`migpipe verify --format text|github|json`, colour, and how the command line is parsed."""
from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from migpipe import reporting
from migpipe.cli import main
from migpipe.commands import verify as verify_command
from tests.conftest import EXAMPLE_CONFIG

WORKFLOW = ".github/workflows/ci-cd.yml"


@pytest.fixture
def repo(tmp_path: Path, capsys) -> Path:
    """A repository whose generated files are current, then: workflow hand-edited, render.yaml missing."""
    shutil.copy(EXAMPLE_CONFIG, tmp_path / "pipeline.toml")
    assert main(["generate", "-c", str(tmp_path / "pipeline.toml"), "--root", str(tmp_path)]) == 0
    capsys.readouterr()
    return tmp_path


def drift(repo: Path) -> int:
    """Hand-edit the workflow; return the line of the edit (1-based)."""
    workflow = repo / WORKFLOW
    lines = workflow.read_text().splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if "cancel-in-progress: false" in line)
    lines[index] = lines[index].replace("false", "true")
    workflow.write_text("".join(lines))
    (repo / "render.yaml").unlink()
    return index + 1


def verify(capsys, repo: Path, *extra: str) -> tuple[int, str, str]:
    code = main(["verify", "-c", str(repo / "pipeline.toml"), "--root", str(repo), *extra])
    out, err = capsys.readouterr()
    return code, out, err


def test_github_format_annotates_each_drifted_file_at_its_first_changed_line(repo, capsys, monkeypatch) -> None:
    line = drift(repo)
    monkeypatch.chdir(repo)
    code, out, _ = verify(capsys, repo, "--format", "github")
    assert code == 1
    annotations = [text for text in out.splitlines() if text.startswith("::error ")]
    assert annotations == [
        f"::error file={WORKFLOW},line={line},title=migpipe verify::hand-edited: made from the current pipeline.toml, "
        "then edited by hand; move the change into pipeline.toml and run `migpipe generate`",
        "::error file=render.yaml,line=1,title=migpipe verify::missing: the file does not exist; run `migpipe generate`",
    ]
    assert f"::group::diff {WORKFLOW}" in out
    assert "+      cancel-in-progress: false" in out


def test_github_format_escapes_annotation_data() -> None:
    assert reporting.annotation_value("50%\nnext") == "50%25%0Anext"
    assert reporting.annotation_value("a:b,c", property_value=True) == "a%3Ab%2Cc"


def test_json_format_lists_every_drift(repo, capsys) -> None:
    line = drift(repo)
    code, out, _ = verify(capsys, repo, "--format", "json")
    assert code == 1
    report = json.loads(out)
    assert [(item["path"], item["kind"], item["line"]) for item in report] == [
        (WORKFLOW, "hand-edited", line),
        ("render.yaml", "missing", 1),
    ]
    assert set(report[0]) == {"path", "kind", "detail", "line", "diff"}
    assert "-      cancel-in-progress: true" in report[0]["diff"]
    assert report[1]["diff"] == ""


def test_json_format_prints_an_empty_list_when_clean(repo, capsys) -> None:
    code, out, _ = verify(capsys, repo, "--format", "json")
    assert (code, json.loads(out)) == (0, [])


def test_text_format_is_the_default(repo, capsys) -> None:
    drift(repo)
    code, out, _ = verify(capsys, repo)
    assert code == 1
    assert f"{WORKFLOW}: hand-edited:" in out
    assert "render.yaml: missing:" in out
    assert "\033[" not in out  # capsys is not a terminal
    assert verify(capsys, repo, "--format", "text")[1] == out


def test_unknown_format_is_a_usage_error(repo, capsys) -> None:
    code, _, err = verify(capsys, repo, "--format", "xml")
    assert code == 2
    assert "--format xml: expected one of text, github, json" in err


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_terminal_without_no_color() -> None:
    assert reporting.use_colour(Terminal(), {}) is True
    assert reporting.use_colour(Terminal(), {"NO_COLOR": "1"}) is False
    assert reporting.use_colour(Terminal(), {"NO_COLOR": ""}) is True  # no-color.org: set and not empty
    assert reporting.use_colour(io.StringIO(), {}) is False


def test_text_format_colours_kind_and_diff_on_a_terminal(repo, monkeypatch) -> None:
    drift(repo)
    terminal = Terminal()
    monkeypatch.setattr("sys.stdout", terminal)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert verify_command.run(str(repo / "pipeline.toml"), str(repo)) == 1
    out = terminal.getvalue()
    assert f"{WORKFLOW}: \033[31mhand-edited\033[0m:" in out
    assert "\033[32m+      cancel-in-progress: false\033[0m" in out
    monkeypatch.setenv("NO_COLOR", "1")
    terminal.seek(0)
    terminal.truncate()
    verify_command.run(str(repo / "pipeline.toml"), str(repo))
    assert "\033[" not in terminal.getvalue()


def test_first_changed_line() -> None:
    diff = "--- a\n+++ b\n@@ -3,4 +3,4 @@\n keep\n keep\n-old\n+new\n"
    assert reporting.first_changed_line(diff) == 5
    assert reporting.first_changed_line("--- a\n+++ b\n@@ -0,0 +1 @@\n+x\n") == 1
    assert reporting.first_changed_line("") == 1


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["verify"], ("pipeline.toml", ".", "text")),
        (["verify", "-c", "other.toml"], ("other.toml", ".", "text")),
        (["verify", "-cother.toml"], ("other.toml", ".", "text")),
        (["verify", "-c", "a", "-c", "b"], ("b", ".", "text")),
        (["verify", "--config=other.toml", "--root", "sub", "--format", "json"], ("other.toml", "sub", "json")),
        (["verify", "--format=github", "--root=sub"], ("sub/pipeline.toml", "sub", "github")),
    ],
)
def test_verify_options(argv, expected, monkeypatch) -> None:
    calls = []
    monkeypatch.setattr(verify_command, "run", lambda *args: calls.append(args) or 0)
    assert main(argv) == 0
    assert calls == [expected]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["verify", "-c"], "argument -c/--config: expected one argument"),
        (["verify", "--config", "--root"], "argument -c/--config: expected one argument"),
        (["verify", "--unknown", "x"], "unrecognized arguments: --unknown x"),
        (["no-such-command"], "invalid choice: 'no-such-command'"),
    ],
)
def test_usage_errors_exit_2_and_name_the_problem(argv, message, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "usage: migpipe" in err
    assert "Traceback" not in err


def test_no_command_prints_the_commands_and_exits_2(capsys) -> None:
    assert main([]) == 2
    err = capsys.readouterr().err
    for verb in ("init", "generate", "verify", "check-build", "lint", "schema", "deploy", "approval-check"):
        assert verb in err


def test_help_names_every_option(capsys) -> None:
    assert main(["verify", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--format" in out and "--config" in out and "--root" in out


def test_the_command_line_is_parsed_without_typer_or_click() -> None:
    import subprocess
    import sys

    probe = (
        "import sys; from migpipe.cli import build_parser; build_parser().parse_args(['verify']); "
        "print(sorted(m for m in ('typer', 'click') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
