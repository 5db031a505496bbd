"""The review's job summary and annotations stay inside GitHub's limits."""
from __future__ import annotations

from migpipe.review import Change, Problem, ReviewReport
from migpipe.review.report import annotation_lines as annotations, summary


def _report(problems: int, message: str = "m") -> ReviewReport:
    return ReviewReport(
        base="main",
        changes=tuple(Change("modified", f"db/{i}.sql", f"{i}", True) for i in range(problems)),
        linted=(),
        not_linted=(),
        findings=(),
        problems=tuple(Problem(f"db/{i}.sql", 1, "edited-merged-migration", message, "fix") for i in range(problems)),
    )


def test_at_most_ten_error_annotations_then_a_count() -> None:
    lines = annotations(_report(15))
    errors = [line for line in lines if line.startswith("::error file=")]
    assert len(errors) == 10
    assert errors[0] == "::error file=db/0.sql,line=1,title=edited-merged-migration::m. Fix: fix"
    assert lines[-1].startswith("::error::5 more errors are listed in the job summary")


def test_annotation_text_cannot_break_out_of_its_line() -> None:
    (line,) = annotations(_report(1, "a\nb%c::d"))
    assert "\n" not in line and "a%0Ab%25c::d" in line


def test_summary_is_cut_below_one_mebibyte_saying_so() -> None:
    text = summary(_report(3000, "x" * 500))
    assert len(text.encode()) < 1024 * 1024
    assert "cut at GitHub's 1 MiB limit" in text
    small = summary(_report(2))
    assert "cut" not in small and "| `db/1.sql` | **edited-merged-migration**" in small
