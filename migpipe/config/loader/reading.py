"""Reading pipeline.toml: the file itself (missing, special, binary, too big) and its TOML.

Problems here have no key path, and no line when there is no line to point
at; each is a ConfigError of one ``FILE[:LINE:COL]: what is wrong`` line.
"""
from __future__ import annotations

import os
import re
import stat
import sys
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from migpipe.errors import ConfigError

MAX_CONFIG_BYTES = 1024 * 1024  # a policy file is a few KiB; refuse anything absurd
_FILE_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def _file_problem(display: str, what: str) -> ConfigError:
    return ConfigError([f"{display}: {what}"])


def read_config_text(path: Path, display: str) -> str:
    """The file's text, or a ConfigError naming what is wrong with the file itself."""
    try:
        # stat before open: opening a named pipe would block forever, and a
        # device could stream without end.
        info = path.stat()
        for is_kind, kind in _FILE_KINDS:
            if is_kind(info.st_mode):
                raise _file_problem(display, f"is {kind} (expected a pipeline.toml file)")
        with path.open("rb") as handle:
            # Read at most one byte past the limit instead of trusting st_size,
            # which is 0 for /proc files and can change while we read.
            raw = handle.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        if path.is_symlink():
            raise _file_problem(
                display, f"is a symbolic link to {os.readlink(path)}, which does not exist"
            ) from None
        raise _file_problem(
            display, "no such file (expected a pipeline.toml; start from pipeline.example.toml)"
        ) from None
    except PermissionError:
        raise _file_problem(display, "permission denied while reading (expected a readable file)") from None
    except OSError as exc:
        raise _file_problem(display, f"cannot be read ({exc.strerror or exc})") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise _file_problem(
            display,
            f"is larger than {MAX_CONFIG_BYTES} bytes (expected a pipeline.toml of a few KiB)",
        )
    if b"\x00" in raw:
        line, col = _byte_position(raw, raw.index(b"\x00"))
        raise ConfigError(
            [f"{display}:{line}:{col}: is a binary file (found a NUL byte; expected TOML text)"]
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _byte_position(raw, exc.start)
        raise ConfigError(
            [f"{display}:{line}:{col}: is not UTF-8 text (found byte 0x{raw[exc.start]:02x}; expected TOML text in UTF-8)"]
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if not _without_comments(text).strip():
        raise ConfigError(
            [f"{display}:1:1: the file is empty (expected at least version = 1, [project], [tool] and [host])"]
        )
    return text


def _byte_position(raw: bytes, offset: int) -> tuple[int, int]:
    line_start = raw.rfind(b"\n", 0, offset) + 1
    column = len(raw[line_start:offset].decode("utf-8", errors="replace")) + 1
    return raw.count(b"\n", 0, offset) + 1, column


def _without_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


_TOML_HINTS = {
    "Invalid value": "expected a quoted string, a number, true or false, an array [...] or an inline table {...}",
    "Expected '=' after a key in a key/value pair": "expected key = value",
    "Invalid statement": "expected key = value, a [table] header or a comment",
    "Illegal character '\\n'": "a string must end on the line it starts; use \"\"\" for multi-line text",
}


def parse_toml(text: str, display: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = re.search(r"\s*\((?:at line (\d+), column (\d+)|at end of document)\)$", message)
        detail = message[: match.start()] if match else message
        declared = re.fullmatch(r"Cannot declare \((.*)\) twice", detail)
        if declared:
            parts = re.findall(r"'((?:[^'\\]|\\.)*)'", declared.group(1))
            detail = f"table [{'.'.join(parts)}] is declared twice (expected each table once)"
        if detail == "Cannot overwrite a value":
            detail = "this key is already set above (expected each key once)"
        hint = _TOML_HINTS.get(detail)
        if hint:
            detail += f" ({hint})"
        if match and match.group(1):
            where = f"{match.group(1)}:{match.group(2)}"
        else:
            lines = text.splitlines() or [""]
            where = f"{len(lines)}:{len(lines[-1]) + 1}"
        raise ConfigError([f"{display}:{where}: TOML syntax error: {detail}"]) from None
    except RecursionError:
        # tomllib recurses once per nested array / inline table.
        raise ConfigError(
            [f"{display}: TOML nests arrays or inline tables too deeply (expected a pipeline.toml)"]
        ) from None

