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

A file whose format has no comments (vercel.json: JSON, and Vercel refuses
keys it does not know) cannot carry migpipe's header. The manifest lists it
under "headerless", and its "header" line then stands for that file's: it
tells generate that migpipe wrote the file (so it is updated, not refused as
someone else's) and names its drift (hand-edited or stale), exactly as a
header does for the other files. As for those, the verdict is the byte
comparison, never the record.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from typing import Any

from migpipe.markers import NOTICE, Header, hash_line, read_header

MANIFEST_PATH = ".migpipe/manifest.json"


def content_hash(content: str) -> str:
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def manifest_text(contents: dict[str, str], digest: str, headerless: Collection[str] = ()) -> str:
    """The manifest of the outputs ``{path: content}``, made from ``digest``;
    ``headerless`` are the outputs that carry no header of their own."""
    document: dict[str, Any] = {
        "generated": NOTICE,
        "header": hash_line(digest),
        "files": {path: content_hash(content) for path, content in sorted(contents.items())},
    }
    if headerless:
        document["headerless"] = sorted(headerless)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _document(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        document = json.loads(text)
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


def recorded_header(text: str | None, path: str) -> Header | None:
    """The header a committed manifest records for ``path``, an output that
    carries none of its own; None when the manifest does not list it so."""
    document = _document(text)
    headerless = document.get("headerless")
    header = document.get("header")
    if not isinstance(headerless, list) or path not in headerless or not isinstance(header, str):
        return None
    return read_header(header)


def recorded_files(text: str | None) -> dict[str, str]:
    """``{path: sha256}`` from a committed manifest; empty when there is none or
    it cannot be read (a damaged manifest is reported as drift on its own)."""
    files = _document(text).get("files")
    if not isinstance(files, dict):
        return {}
    return {path: sha for path, sha in files.items() if isinstance(path, str) and isinstance(sha, str)}
