"""How a command's findings are written out: reporters as classes chosen by name.

``verify`` (drift) and ``check-build`` (migrations reachable from a host)
describe what they found as a ``Report`` of ``Item``s; the reporter that
``--format`` names writes it:

* ``text``: one line per item, then each item's detail (a diff), then the
  conclusion; colours only for a person at a terminal (NO_COLOR respected);
* ``github``: GitHub Actions workflow commands: one annotation per item on
  its file and line (``::error``, ``::warning``, ``::notice`` by its level;
  at most ``GITHUB_ANNOTATIONS_PER_LEVEL`` of each, what GitHub shows per
  step, the rest listed as plain lines), each detail in a collapsed group;
* ``json``: the report's JSON document, for tools.

Nothing here knows verify or the build guard.
"""
from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Protocol, TextIO

from migpipe.errors import FormatError

# GitHub shows at most 10 annotations of each level per step; the rest are dropped silently.
GITHUB_ANNOTATIONS_PER_LEVEL = 10

Level = Literal["error", "warning", "notice"]

_RED, _GREEN, _YELLOW, _CYAN, _RESET = "\033[31m", "\033[32m", "\033[33m", "\033[36m", "\033[0m"
_HUNK_RE = re.compile(r"^@@ -(\d+)(?:,\d+)? \+\d+(?:,\d+)? @@")


@dataclass(frozen=True)
class Item:
    """One finding, in every form a reporter may need."""

    title: str  # what kind of finding (hand-edited, stale, "reaches a migration", ...)
    message: str  # one line that says what is wrong
    path: str = ""  # the file, as the text report names it ("" when no file is concerned)
    line: int = 1  # its line (1 when the whole file is concerned)
    # The text report's line, when it is not "PATH: TITLE: MESSAGE".
    text: str | None = None
    # Lines that show it (a unified diff), written after every item's line.
    detail: str = ""
    # The file as GitHub resolves it (relative to where the step runs), when not ``path``.
    annotation_path: str | None = None
    level: Level = "error"
    # In text on a terminal the title is red, or yellow for a "warning" tone.
    tone: Literal["error", "warning"] = "error"


@dataclass(frozen=True)
class Report:
    command: str  # "migpipe verify": the annotations' title
    items: tuple[Item, ...]
    document: object  # the JSON format's whole output
    conclusion: str  # the last line of the text and github formats
    # The conclusion goes to stderr (in every format, json included) rather
    # than to stdout (text and github only): verify's drift summary.
    conclusion_to_stderr: bool = False
    # What the items' details are, in the name of a GitHub log group.
    detail_label: str = "diff"


class Reporter(Protocol):
    def write(self, report: Report, out: TextIO, err: TextIO) -> None: ...


def use_colour(stream: TextIO, environ: Mapping[str, str] = os.environ) -> bool:
    """Colour only for a person at a terminal, and never when NO_COLOR is set (no-color.org)."""
    if environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def first_changed_line(diff: str) -> int:
    """The first line of the committed file that differs, from a unified diff (1 if none)."""
    old = None
    for line in diff.splitlines():
        hunk = _HUNK_RE.match(line)
        if hunk:
            old = int(hunk.group(1))
        elif old is None:
            continue  # the ---/+++ header
        elif line.startswith(" "):
            old += 1
        elif line.startswith(("-", "+")):
            return max(old, 1)
    return 1


def annotation_value(text: str, property_value: bool = False) -> str:
    """GitHub's workflow-command escaping; property values also escape ':' and ','."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def colour_diff(diff: str) -> str:
    out = []
    for line in diff.splitlines(keepends=True):
        if line.startswith(("+++", "---")):
            out.append(line)
        elif line.startswith("+"):
            out.append(f"{_GREEN}{line.rstrip(chr(10))}{_RESET}\n")
        elif line.startswith("-"):
            out.append(f"{_RED}{line.rstrip(chr(10))}{_RESET}\n")
        elif line.startswith("@@"):
            out.append(f"{_CYAN}{line.rstrip(chr(10))}{_RESET}\n")
        else:
            out.append(line)
    return "".join(out)


def _with_newline(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"


def _plain_line(item: Item) -> str:
    if item.text is not None:
        return item.text
    return f"{item.path}: {item.title}: {item.message}" if item.path else f"{item.title}: {item.message}"


def _conclude(report: Report, out: TextIO, err: TextIO) -> None:
    (err if report.conclusion_to_stderr else out).write(report.conclusion + "\n")


class TextReporter:
    """For people: a line per item, the details, the conclusion."""

    def write(self, report: Report, out: TextIO, err: TextIO) -> None:
        colour = use_colour(out)
        for item in report.items:
            if colour and item.text is None and item.path:
                tint = _YELLOW if item.tone == "warning" else _RED
                out.write(f"{item.path}: {tint}{item.title}{_RESET}: {item.message}\n")
            else:
                out.write(_plain_line(item) + "\n")
        for item in report.items:
            if item.detail:
                detail = _with_newline(item.detail)
                out.write(colour_diff(detail) if colour else detail)
        _conclude(report, out, err)


class GithubReporter:
    """For a GitHub Actions log: annotations on the files, details in collapsed groups."""

    def write(self, report: Report, out: TextIO, err: TextIO) -> None:
        title = annotation_value(report.command, True)
        levels: dict[Level, list[Item]] = {"error": [], "warning": [], "notice": []}
        for item in report.items:
            levels[item.level].append(item)
        for level, items in levels.items():
            for item in items[:GITHUB_ANNOTATIONS_PER_LEVEL]:
                properties = []
                if item.path:
                    path = item.annotation_path or item.path
                    properties += [f"file={annotation_value(path, True)}", f"line={item.line}"]
                properties.append(f"title={title}")
                message = annotation_value(f"{item.title}: {item.message}")
                out.write(f"::{level} {','.join(properties)}::{message}\n")
            hidden = items[GITHUB_ANNOTATIONS_PER_LEVEL:]
            if hidden:
                out.write(
                    f"{len(hidden)} more {level}s than GitHub shows as annotations "
                    f"({GITHUB_ANNOTATIONS_PER_LEVEL} per step):\n"
                )
                for item in hidden:
                    where = f"{item.path}:{item.line}: " if item.path else ""
                    out.write(f"{where}{item.title}: {item.message}\n")
        for item in report.items:
            if item.detail:
                out.write(f"::group::{report.detail_label} {item.path}\n")
                out.write(_with_newline(item.detail))
                out.write("::endgroup::\n")
        _conclude(report, out, err)


class JsonReporter:
    """For tools: the report's JSON document."""

    def write(self, report: Report, out: TextIO, err: TextIO) -> None:
        out.write(json.dumps(report.document, indent=2, ensure_ascii=False) + "\n")
        if report.conclusion_to_stderr:
            err.write(report.conclusion + "\n")


REPORTERS: dict[str, type[Reporter]] = {
    "text": TextReporter,
    "github": GithubReporter,
    "json": JsonReporter,
}


def reporter(name: str) -> Reporter:
    """The reporter ``--format NAME`` selects; a FormatError (exit 2) otherwise."""
    chosen = REPORTERS.get(name)
    if chosen is None:
        raise FormatError(f"--format {name}: expected one of {', '.join(REPORTERS)}")
    return chosen()
