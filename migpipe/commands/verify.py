"""migpipe verify: exit 1 if any generated file is missing, hand-edited or stale.

Three output formats: ``text`` for people (coloured on a terminal),
``github`` for GitHub Actions (one ``::error`` annotation per drifted file,
on the first line that differs), ``json`` for tools.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from migpipe.errors import EXIT_FINDINGS, EXIT_OK, FatalError

FORMATS = ("text", "github", "json")

_RED, _GREEN, _YELLOW, _CYAN, _RESET = "\033[31m", "\033[32m", "\033[33m", "\033[36m", "\033[0m"
_HUNK_RE = re.compile(r"^@@ -(\d+)(?:,\d+)? \+\d+(?:,\d+)? @@")


class FormatError(FatalError):
    """--format names no output format."""


def use_colour(stream: TextIO, environ: dict[str, str] | os._Environ[str] = os.environ) -> bool:
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


def _annotation_value(text: str, property_value: bool = False) -> str:
    # GitHub's workflow-command escaping; properties also escape ':' and ','.
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def _shown_path(root: str, path: str) -> str:
    """The path as GitHub resolves it: relative to the directory verify runs in."""
    if os.path.normpath(root) == ".":
        return path
    joined = os.path.normpath(os.path.join(root, path))
    relative = os.path.relpath(joined)
    return Path(joined if relative.startswith("..") else relative).as_posix()


def _colour_diff(diff: str) -> str:
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


def _waiting(root: str) -> None:
    print(f"migpipe: waiting for a `migpipe generate` in {root} to finish", file=sys.stderr)


@contextlib.contextmanager
def _without_pydantic_plugins() -> Iterator[None]:
    """Validate pipeline.toml without third-party pydantic plugins.

    Plugins (observability hooks) have nothing to do with checking a config
    file, and finding them scans the entry points of every installed
    distribution: 10-30 ms of each verify in a large environment. Scoped to
    this validation with pydantic's documented switch; the caller's own
    setting is put back.
    """
    saved = os.environ.get("PYDANTIC_DISABLE_PLUGINS")
    os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"
    try:
        yield
    finally:
        if saved is None:
            del os.environ["PYDANTIC_DISABLE_PLUGINS"]
        else:
            os.environ["PYDANTIC_DISABLE_PLUGINS"] = saved


def run(config: str, root: str, output_format: str = "text") -> int:
    if output_format not in FORMATS:
        raise FormatError(f"--format {output_format}: expected one of {', '.join(FORMATS)}")
    out = sys.stdout
    from migpipe.compiler import compile_pipeline
    from migpipe.pipeline import load_pipeline
    from migpipe.outputs import LOCK_TIMEOUT_SECONDS, generation_lock
    from migpipe.verify import find_drift

    with _without_pydantic_plugins():
        pipeline = load_pipeline(config)
    files = compile_pipeline(pipeline)
    timeout = float(os.environ.get("MIGPIPE_LOCK_TIMEOUT", LOCK_TIMEOUT_SECONDS))
    # Shared: verifies run side by side, never while a generate writes.
    with generation_lock(Path(root), timeout=timeout, on_wait=lambda: _waiting(root), shared=True):
        drifts = find_drift(Path(root), files, pipeline.digest)
    if output_format == "json":
        report = [
            {"path": d.path, "kind": d.kind, "detail": d.detail, "line": first_changed_line(d.diff), "diff": d.diff}
            for d in drifts
        ]
        out.write(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    elif not drifts:
        print(f"ok: all {len(files)} generated files match {config}")
    elif output_format == "github":
        for drift in drifts:
            where = f"file={_annotation_value(_shown_path(root, drift.path), True)},line={first_changed_line(drift.diff)}"
            print(f"::error {where},title=migpipe verify::{_annotation_value(f'{drift.kind}: {drift.detail}')}")
        for drift in drifts:
            if drift.diff:
                print(f"::group::diff {drift.path}")
                out.write(drift.diff if drift.diff.endswith("\n") else drift.diff + "\n")
                print("::endgroup::")
    else:
        colour = use_colour(out)
        for drift in drifts:
            kind = f"{_YELLOW if drift.kind == 'stale' else _RED}{drift.kind}{_RESET}" if colour else drift.kind
            print(f"{drift.path}: {kind}: {drift.detail}")
        for drift in drifts:
            if drift.diff:
                diff = drift.diff if drift.diff.endswith("\n") else drift.diff + "\n"
                out.write(_colour_diff(diff) if colour else diff)
    if drifts:
        print(f"{len(drifts)} of {len(files)} generated files differ from {config}", file=sys.stderr)
        return EXIT_FINDINGS
    return EXIT_OK
