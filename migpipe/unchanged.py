"""verify's fast path: are the committed files exactly what generate wrote?

Every generated file's header records the digest of the pipeline.toml data
it was made from, together with migpipe's version and a fingerprint of its
templates and code, and a hash of the rest of the file (migpipe.markers).
generate records a digest only for data that validated, and the same data
compiled by the same migpipe gives the same files at the same paths. So when
every output's header records the digest of the current pipeline.toml and
every file still hashes to what its header says, the files are byte for byte
what generate would write now: verify can say so without importing pydantic
or Jinja, validating or rendering anything.

Anything else answers None and verify does the full comparison, which says
what is wrong in its own words: a pipeline.toml that cannot be read or
parsed, a missing, edited or stale file, a symbolic link on the way (the full
comparison decides whether it stays inside the repository), a file that is
not UTF-8.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from migpipe.errors import FatalError
from migpipe.markers import canonical_data, is_unchanged_output, source_digest


def unchanged_outputs(config: str, root: str) -> list[str] | None:
    """The output paths, when every one is current and unedited; else None."""
    from migpipe.config.loader import parse_toml, read_config_text

    try:
        data = parse_toml(read_config_text(Path(config), config), config)
        digest = source_digest(canonical_data(data))
        paths = _output_paths(data)
    except (FatalError, TypeError, ValueError, KeyError, AttributeError):
        # Unreadable, not TOML, or data no generate run could have recorded
        # (the full comparison reports it, located).
        return None
    root_real = os.path.realpath(root)
    for path in paths:
        text = _read_plain_file(root_real, path)
        if text is None or not is_unchanged_output(text, digest):
            return None
    return paths


def _output_paths(data: dict[str, Any]) -> list[str]:
    """Where the outputs are, by the function the model uses (migpipe.config.paths).

    Once the digest matched, ``data`` is data that validated: the tables it
    reads are there and well formed.
    """
    from migpipe.config.paths import DEFAULT_WORKING_DIRECTORY, output_paths

    project = data.get("project", {})
    paths = output_paths(
        data.get("outputs", {}),
        data["host"]["name"],
        project.get("working_directory", DEFAULT_WORKING_DIRECTORY),
    )
    return list(paths.values())


def _read_plain_file(root_real: str, relative: str) -> str | None:
    """The text of ``root/relative`` when it is a regular UTF-8 file reached
    without any symbolic link; None otherwise (the full comparison decides)."""
    path = os.path.join(root_real, *relative.split("/"))
    try:
        if os.path.realpath(path) != path or not stat.S_ISREG(os.stat(path).st_mode):
            return None
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
