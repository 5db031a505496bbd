"""migpipe.reporting: the reporters verify and check-build share, chosen by name."""
from __future__ import annotations

import io
import json

import pytest

from migpipe.errors import FormatError
from migpipe.reporting import GITHUB_ANNOTATIONS_PER_LEVEL, REPORTERS, Item, Report, reporter


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _report(count: int, *, to_stderr: bool = False) -> Report:
    items = tuple(
        Item(title="hand-edited", message=f"file {n}", path=f"dir/f{n}.yml", line=n + 1, detail=f"@@ -{n + 1} +{n + 1} @@\n-a\n+b\n")
        for n in range(count)
    )
    return Report(
        command="migpipe verify",
        items=items,
        document=[{"n": n} for n in range(count)],
        conclusion=f"{count} differ" if count else "ok",
        conclusion_to_stderr=to_stderr,
    )


def _write(name: str, report: Report, out: io.StringIO | None = None) -> tuple[str, str]:
    out = out or io.StringIO()
    err = io.StringIO()
    reporter(name).write(report, out, err)
    return out.getvalue(), err.getvalue()


def test_the_reporters_are_chosen_by_name() -> None:
    assert set(REPORTERS) == {"text", "github", "json"}
    with pytest.raises(FormatError, match="--format xml: expected one of text, github, json"):
        reporter("xml")


def test_text_writes_lines_details_and_the_conclusion() -> None:
    out, err = _write("text", _report(2, to_stderr=True))
    assert out.splitlines()[:2] == ["dir/f0.yml: hand-edited: file 0", "dir/f1.yml: hand-edited: file 1"]
    assert "-a\n+b\n" in out and "\033[" not in out
    assert err == "2 differ\n"


def test_text_colours_only_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    out, _ = _write("text", _report(1), Terminal())
    assert "\033[31mhand-edited\033[0m" in out and "\033[32m+b\033[0m" in out


def test_github_caps_annotations_at_what_github_shows_and_lists_the_rest() -> None:
    count = GITHUB_ANNOTATIONS_PER_LEVEL + 3
    out, _ = _write("github", _report(count))
    annotations = [line for line in out.splitlines() if line.startswith("::error ")]
    assert len(annotations) == GITHUB_ANNOTATIONS_PER_LEVEL
    assert annotations[0] == "::error file=dir/f0.yml,line=1,title=migpipe verify::hand-edited: file 0"
    assert "3 more errors than GitHub shows as annotations (10 per step):" in out
    assert f"dir/f{count - 1}.yml:{count}: hand-edited: file {count - 1}" in out
    assert out.count("::group::diff ") == count and out.count("::endgroup::") == count


def test_github_escapes_what_would_end_a_property_or_a_message() -> None:
    item = Item(title="t", message="50%\nnext", path="a:b,c.yml")
    out, _ = _write("github", Report(command="x", items=(item,), document=[], conclusion="done"))
    assert out.splitlines()[0] == "::error file=a%3Ab%2Cc.yml,line=1,title=x::t: 50%25%0Anext"


def test_json_writes_the_document_and_only_a_stderr_conclusion() -> None:
    out, err = _write("json", _report(2, to_stderr=True))
    assert json.loads(out) == [{"n": 0}, {"n": 1}]
    assert err == "2 differ\n"
    out, err = _write("json", _report(0))
    assert (json.loads(out), err) == ([], "")
