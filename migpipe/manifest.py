"""The files migpipe owns: ``.migpipe/manifest.json``, itself a generated file.

It lists every output path with the SHA-256 of the content generate wrote
there. Being a generated file like the others (a pure function of
pipeline.toml and migpipe), ``verify`` compares it byte for byte, so a
committed manifest is exactly what generate would write, or it is drift.

What it is for: when an output moves ([outputs] in pipeline.toml changes),
the committed manifest still names the old path. ``generate`` then removes
the file there, but only when it is still what migpipe wrote (its SHA-256 is
the recorded one and it carries a migpipe header); otherwise it refuses and
says why. ``verify`` reports a file still present at such a path as
orphaned. Reading the committed manifest can only add drift, never clear it.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

from migpipe.markers import NOTICE, hash_line

MANIFEST_PATH = ".migpipe/manifest.json"


def content_hash(content: str) -> str:
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def manifest_text(contents: dict[str, str], digest: str) -> str:
    """The manifest of the outputs ``{path: content}``, made from ``digest``."""
    document: dict[str, Any] = {
        "generated": NOTICE,
        "header": hash_line(digest),
        "files": {path: content_hash(content) for path, content in sorted(contents.items())},
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def recorded_files(text: str | None) -> dict[str, str]:
    """``{path: sha256}`` from a committed manifest; empty when there is none or
    it cannot be read (a damaged manifest is reported as drift on its own)."""
    if not text:
        return {}
    try:
        document = json.loads(text)
    except ValueError:
        return {}
    files = document.get("files") if isinstance(document, dict) else None
    if not isinstance(files, dict):
        return {}
    return {path: sha for path, sha in files.items() if isinstance(path, str) and isinstance(sha, str)}
