"""Where compiled templates are kept between runs, so verify does not recompile them.

Compiling the templates (Jinja's lexer, parser and code generator, then
Python's ``compile``) was the largest part of a full comparison. Jinja's
bytecode cache keeps each compiled template in a file checked against the
SHA-1 of the template's source, so an edited template is recompiled, never
served stale. The compiled code also depends on the environment's options
(delimiters, whitespace handling, filters) and on Jinja's and Python's
versions: they name the cache folder, so a change to any of them starts a
new folder.

The cache lives outside the repository (``$MIGPIPE_CACHE_DIR``, else
``$XDG_CACHE_HOME/migpipe``, else ``~/.cache/migpipe``): verify still writes
nothing in the repository. ``MIGPIPE_CACHE_DIR=""`` turns it off; a folder
that cannot be created, or that another user or group could write to (the
cached code is executed), turns it off silently: the templates are
compiled, as without a cache. Do not share this folder between untrusted
runs (e.g. an ``actions/cache`` restored from a pull request).
"""
from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Mapping

from jinja2 import BytecodeCache, FileSystemBytecodeCache
from jinja2 import __version__ as jinja_version
from jinja2.bccache import Bucket


class _TolerantCache(FileSystemBytecodeCache):
    """Jinja's file cache, reading a damaged file (truncated by a full disk,
    written by another Python) as a miss instead of failing the command."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # noqa: BLE001 - any unreadable cache file is a miss
            bucket.reset()


def cache_root(environ: Mapping[str, str] = os.environ) -> str | None:
    """The folder of migpipe's caches, or None when caching is turned off."""
    configured = environ.get("MIGPIPE_CACHE_DIR")
    if configured is not None:
        return configured or None
    base = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "migpipe")


def bytecode_cache(options: Mapping[str, object], filters: list[str]) -> BytecodeCache | None:
    """A cache for templates compiled with ``options`` and ``filters``, or None."""
    root = cache_root()
    if root is None:
        return None
    key = repr((sorted((name, repr(value)) for name, value in options.items()), sorted(filters)))
    key += f"\0jinja2 {jinja_version}\0python {sys.version_info[:2]}"
    folder = os.path.join(root, "templates-" + hashlib.sha256(key.encode()).hexdigest()[:16])
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        info = os.stat(folder)
    except OSError:
        return None
    if info.st_uid != os.getuid() or info.st_mode & 0o022:
        # Cached code is run: only from a folder no one else can write to.
        return None
    return _TolerantCache(folder)
