"""Read pipeline.toml into a validated Pipeline, or fail with located errors.

Every problem is reported as ``FILE:LINE:COL: key.path: what is wrong``, all
of them at once, so the user fixes the file in one pass.
"""
from __future__ import annotations

import difflib
import os
import re
import sys
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from migpipe.errors import ConfigError

MAX_CONFIG_BYTES = 1024 * 1024  # a policy file is a few KiB; refuse anything absurd


def read_config_text(path: Path, display: str) -> str:
    """The file's text, or a ConfigError naming what is wrong with the file itself."""
    try:
        if path.is_dir():
            raise ConfigError([f"{display}: is a directory, expected a pipeline.toml file"])
        size = path.stat().st_size
        if size > MAX_CONFIG_BYTES:
            raise ConfigError(
                [f"{display}: is {size} bytes; a pipeline.toml is at most {MAX_CONFIG_BYTES} bytes"]
            )
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError([f"{display}: no such file (create one from pipeline.example.toml)"]) from None
    except PermissionError:
        raise ConfigError([f"{display}: permission denied while reading"]) from None
    except OSError as exc:
        raise ConfigError([f"{display}: cannot be read ({exc.strerror or exc})"]) from None
    if b"\x00" in raw:
        raise ConfigError([f"{display}: is a binary file (it contains NUL bytes), expected TOML text"])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError([f"{display}:{line}:1: is not valid UTF-8 text"]) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise ConfigError(
            [f"{display}:1:1: the file is empty (expected at least version = 1, [project], [tool] and [host])"]
        )
    return text


def parse_toml(text: str, display: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = re.search(r"\(at line (\d+), column (\d+)\)", message)
        if match:
            detail = message[: match.start()].strip()
            raise ConfigError(
                [f"{display}:{match.group(1)}:{match.group(2)}: TOML syntax error: {detail}"]
            ) from None
        raise ConfigError([f"{display}: TOML syntax error: {message}"]) from None


def load_pipeline(path: str | os.PathLike[str], display: str | None = None):
    """Load and validate a pipeline file. Raises ConfigError with every problem."""
    from pydantic import ValidationError

    from migpipe.config.model import Pipeline

    path = Path(path)
    display = display or str(path)
    text = read_config_text(path, display)
    data = parse_toml(text, display)
    try:
        return Pipeline.model_validate(data)
    except ValidationError as exc:
        locator = KeyLocator(text)
        problems = [_describe(err, locator, display) for err in exc.errors()]
        raise ConfigError(sorted(set(problems), key=_line_order)) from None


def _line_order(problem: str) -> tuple[int, int, str]:
    match = re.match(r"[^:]*:(\d+):(\d+):", problem)
    if match:
        return (int(match.group(1)), int(match.group(2)), problem)
    return (0, 0, problem)


# --------------------------------------------------------------------------
# Turning pydantic errors into located messages


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _type_name(value: Any) -> str:
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "a table",
    }.get(type(value), type(value).__name__)


_EXPECTED_BY_TYPE = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "an array",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "float_type": "a number",
}


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    """The keys the table at ``loc`` accepts, for 'did you mean' hints."""
    from pydantic import BaseModel

    from migpipe.config.model import Pipeline

    model: Any = Pipeline
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get(part) if hasattr(model, "model_fields") else None
        if field is None:
            return []
        annotation = field.annotation
        model = _inner_model(annotation)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return [f.alias or name for name, f in model.model_fields.items()]
    return []


def _inner_model(annotation: Any) -> Any:
    from pydantic import BaseModel
    import typing

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _describe(err: dict[str, Any], locator: "KeyLocator", display: str) -> str:
    loc = tuple(err["loc"])
    kind = err["type"]
    message = err["msg"]
    value = err.get("input")
    ctx = err.get("ctx") or {}

    if kind == "value_error":
        message = message.removeprefix("Value error, ")
        # Model-level checks name their key as "key.path: text".
        match = re.match(r"([A-Za-z_][A-Za-z0-9_.\-]*): (.*)", message, re.S)
        if match:
            loc = loc + tuple(match.group(1).split("."))
            message = match.group(2)
    elif kind == "missing":
        message = "missing required key"
    elif kind == "extra_forbidden":
        parent = loc[:-1]
        allowed = _allowed_keys(parent)
        guess = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
        message = "unknown key"
        if guess:
            message += f" (did you mean {guess[0]!r}?)"
        elif allowed:
            message += f" (expected one of: {', '.join(allowed)})"
    elif kind in ("literal_error", "enum"):
        message = f"{value!r} is not allowed (expected {ctx.get('expected', 'another value')})"
    elif kind in _EXPECTED_BY_TYPE:
        message = f"got {_type_name(value)} (expected {_EXPECTED_BY_TYPE[kind]})"
    elif kind == "too_short":
        message = f"must not be empty (expected at least {ctx.get('min_length', 1)} item)"
    elif kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        message = message[0].lower() + message[1:]
    # Pydantic puts union members / validator names into loc; drop them.
    loc = tuple(p for p in loc if not (isinstance(p, str) and ("[" in p or p.startswith("function-"))))
    line, col = locator.find(loc)
    return f"{display}:{line}:{col}: {_dotted(loc)}: {message}"


# --------------------------------------------------------------------------
# Finding the line of a key in the TOML text

_HEADER_RE = re.compile(r"^\s*(\[\[?)\s*(.+?)\s*\]\]?\s*(#.*)?$")
_KEY_RE = re.compile(r"^(\s*)((?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*'))*)\s*=")


def _split_key(dotted: str) -> tuple[str, ...]:
    parts = re.findall(r"\"([^\"]*)\"|'([^']*)'|([A-Za-z0-9_-]+)", dotted)
    return tuple(a or b or c for a, b, c in parts)


class KeyLocator:
    """Maps key paths to (line, column) in TOML text.

    A light scan, not a parser: it follows ``[table]`` / ``[[array]]``
    headers and ``key = value`` lines, which is where every key of a
    pipeline.toml lives. Unknown paths fall back to their nearest parent.
    """

    def __init__(self, text: str) -> None:
        self.positions: dict[tuple[Any, ...], tuple[int, int]] = {}
        table: tuple[Any, ...] = ()
        array_counts: dict[tuple[Any, ...], int] = {}
        in_multiline = None
        for number, line in enumerate(text.splitlines(), start=1):
            if in_multiline:
                if line.count(in_multiline) % 2 == 1:
                    in_multiline = None
                continue
            header = _HEADER_RE.match(line)
            if header and not _KEY_RE.match(line):
                name = _split_key(header.group(2))
                col = line.index("[") + 1
                if header.group(1) == "[[":
                    index = array_counts.get(name, 0)
                    array_counts[name] = index + 1
                    self.positions.setdefault(name, (number, col))
                    table = name + (index,)
                else:
                    table = name
                self.positions.setdefault(table, (number, col))
                continue
            key = _KEY_RE.match(line)
            if key:
                path = table + _split_key(key.group(2))
                self.positions.setdefault(path, (number, len(key.group(1)) + 1))
                rest = line[key.end():]
                for quote in ('"""', "'''"):
                    if rest.count(quote) % 2 == 1:
                        in_multiline = quote

    def find(self, loc: tuple[Any, ...]) -> tuple[int, int]:
        for end in range(len(loc), 0, -1):
            if loc[:end] in self.positions:
                return self.positions[loc[:end]]
        return (1, 1)
