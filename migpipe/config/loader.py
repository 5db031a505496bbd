"""Read pipeline.toml into a validated model, or fail with located errors.

Every problem is reported as ``FILE:LINE:COL: key.path: what is wrong
(what was expected)``, all of them at once, so the user fixes the file in
one pass. Problems with the file itself (missing, a directory, binary, too
big) have no key path, and no line when there is no line to point at.
"""
from __future__ import annotations

import bisect
import datetime
import difflib
import json
import os
import re
import stat
import sys
import typing
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from migpipe.errors import ConfigError

if TYPE_CHECKING:
    from pydantic import BaseModel

ModelT = TypeVar("ModelT", bound="BaseModel")

MAX_CONFIG_BYTES = 1024 * 1024  # a policy file is a few KiB; refuse anything absurd
MAX_PROBLEMS = 50  # past this, more lines bury the first ones instead of helping

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


def load_model(model: type[ModelT], path: str | os.PathLike[str], display: str | None = None) -> ModelT:
    """Load a TOML file and validate it as ``model``. Raises ConfigError with every problem.

    ``display`` names the file in messages; by default it is ``path`` exactly
    as the user typed it.
    """
    from pydantic import ValidationError

    display = display or os.fspath(path)
    text = read_config_text(Path(path), display)
    data = parse_toml(text, display)
    try:
        # Strict: TOML has real types, so "20" for an integer or "yes" for a
        # boolean is a mistake to report, not a value to coerce.
        return model.model_validate(data, strict=True)
    except ValidationError as exc:
        locator = KeyLocator(text)
        problems: list[tuple[tuple[int, int], str]] = []
        for err in exc.errors():
            problems.extend(_describe(model, err, locator, display))
        ordered = [message for _, message in sorted(set(problems))]
        if len(ordered) > MAX_PROBLEMS:
            hidden = len(ordered) - MAX_PROBLEMS
            ordered = ordered[:MAX_PROBLEMS] + [
                f"{display}: {hidden} more problems not shown (fix the ones above first)"
            ]
        raise ConfigError(ordered) from None


# --------------------------------------------------------------------------
# Turning pydantic errors into located messages

_BARE_KEY_RE = re.compile(r"[A-Za-z0-9_-]+")
_SCALAR_RE = re.compile(r"[^,\]}#\r\n]+")  # numbers, booleans, dates (which may hold a space)


def _dotted(loc: tuple[Any, ...]) -> str:
    """A key path as TOML would spell it: ``ci.test_jobs."bad id".name``, ``steps[0]``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = str(part)
            key = text if _BARE_KEY_RE.fullmatch(text) else json.dumps(text, ensure_ascii=False)
            out += ("." if out else "") + key
    return out or "(top level)"


def _toml_value(value: Any) -> str:
    """``value`` as it would be written in TOML, cut short when long."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, (int, float, datetime.date, datetime.time)):
        text = str(value)
    elif isinstance(value, list):
        text = "[...]"
    elif isinstance(value, dict):
        text = "{...}"
    else:
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, datetime.datetime):
        return "a date-time"
    for kind, name in (
        (int, "an integer"),
        (float, "a float"),
        (str, "a string"),
        (list, "an array"),
        (dict, "a table"),
        (datetime.date, "a date"),
        (datetime.time, "a time"),
    ):
        if isinstance(value, kind):
            return name
    return type(value).__name__


_EXPECTED_BY_TYPE = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "an array",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "float_type": "a number",
}


def _union_tags(annotation: Any) -> dict[str, Any]:
    """For a union selected by a `name` tag ([tool], [host]): tag -> member model."""
    members = {}
    for arg in typing.get_args(annotation):
        for member in typing.get_args(arg) or (arg,):
            field = getattr(member, "model_fields", {}).get("name")
            if field is not None and typing.get_origin(field.annotation) is typing.Literal:
                for tag in typing.get_args(field.annotation):
                    members[tag] = member
    return members


def _tagged_fields(model: type[BaseModel]) -> dict[str, set[str]]:
    """Top-level keys whose table is chosen by its `name` (tool, host) and their tags."""
    return {
        key: set(_union_tags(field.annotation))
        for key, field in model.model_fields.items()
        if _union_tags(field.annotation)
    }


def _strip_tags(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """pydantic names the union member in loc (tool.prisma.version); the file says tool.version."""
    tagged = _tagged_fields(model)
    if len(loc) >= 2 and loc[0] in tagged and loc[1] in tagged[loc[0]]:
        return loc[:1] + loc[2:]
    return loc


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> Any:
    """The pydantic model that validates the table at ``loc``, or None."""
    annotation: Any = model
    for part in loc:
        if isinstance(part, int):
            continue  # an element of an array: same item type
        members = _union_tags(annotation)
        if part in members:
            annotation = members[part]  # tool.prisma: the member the tag selects
            continue
        inner = _inner_model(annotation)
        if inner is None:
            return None
        field = _field_named(inner, part)
        if field is None:
            # A key of a dict (a job id): its values have the dict's value type.
            if typing.get_origin(annotation) is dict:
                annotation = typing.get_args(annotation)[1]
                continue
            return None
        annotation = field.annotation
    return _inner_model(annotation)


def _field_named(model: Any, key: str) -> Any:
    if typing.get_origin(model) is dict:
        return None
    for name, field in model.model_fields.items():
        if (field.alias or name) == key:
            return field
    return None


def _inner_model(annotation: Any) -> Any:
    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) is dict:
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys the table at ``loc`` accepts, for 'did you mean' hints."""
    table = _model_at(model, loc)
    if table is None or typing.get_origin(table) is dict:
        return []
    return [field.alias or name for name, field in table.model_fields.items()]


def _literal_choices(expected: str) -> list[str]:
    """The values of a pydantic ``expected`` text such as "'a', 'b' or 'c'"."""
    return [a or b for a, b in re.findall(r"'((?:[^'\\]|\\.)*)'|(\w+)", expected) if (a or b) != "or"]


_CHECK_PREFIX_RE = re.compile(
    r"((?:[A-Za-z_][A-Za-z0-9_\-]*)(?:\.[A-Za-z_][A-Za-z0-9_\-]*|\[\d+\])*): (.*)", re.S
)


def _split_check_path(path: str) -> tuple[Any, ...]:
    parts: list[Any] = []
    for name, index in re.findall(r"([A-Za-z_][A-Za-z0-9_\-]*)|\[(\d+)\]", path):
        parts.append(int(index) if index else name)
    return tuple(parts)


def _describe(
    model: type[BaseModel], err: dict[str, Any], locator: KeyLocator, display: str
) -> list[tuple[tuple[int, int], str]]:
    """One or more located messages (a model check may report several)."""
    loc = tuple(err["loc"])
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    # Pydantic puts union members / validator names into loc; drop them.
    key_error = bool(loc) and loc[-1] == "[key]"
    loc = tuple(p for p in loc if not (isinstance(p, str) and ("[" in p or p.startswith("function-"))))

    messages: list[tuple[tuple[Any, ...], str]] = []
    if kind == "value_error":
        text = str(ctx.get("error", err["msg"].removeprefix("Value error, ")))
        # Model checks name the key they blame as "key.path: text", one per line.
        for line in text.split("\n"):
            match = _CHECK_PREFIX_RE.fullmatch(line)
            if match:
                messages.append((loc + _split_check_path(match.group(1)), match.group(2)))
            elif key_error:
                messages.append((loc, f"the key {_toml_value(value)} is not allowed: it {line}"))
            else:
                messages.append((loc, line))
    elif kind == "missing":
        messages.append((loc, "missing required key"))
    elif kind == "union_tag_not_found":
        tags = sorted(_tagged_fields(model).get(str(loc[0]) if loc else "", set()))
        expected = ", ".join(json.dumps(t) for t in tags)
        messages.append((loc + ("name",), f"missing required key (expected one of {expected})"))
    elif kind == "union_tag_invalid":
        tags = sorted(_tagged_fields(model).get(str(loc[0]) if loc else "", set()))
        tag = str(ctx.get("tag", ""))
        guess = difflib.get_close_matches(tag, tags, n=1, cutoff=0.6)
        hint = f"; did you mean {json.dumps(guess[0])}?" if guess else ""
        expected = ", ".join(json.dumps(t) for t in tags)
        messages.append((loc + ("name",), f"{_toml_value(tag)} is not allowed (expected one of {expected}{hint})"))
    elif kind == "extra_forbidden":
        allowed = _allowed_keys(model, loc[:-1])
        guess = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
        message = "unknown key"
        if guess:
            message += f" (did you mean {guess[0]!r}?)"
        elif allowed:
            message += f" (expected one of: {', '.join(allowed)})"
        messages.append((loc, message))
    elif kind in ("literal_error", "enum"):
        choices = _literal_choices(str(ctx.get("expected", "")))
        shown = [json.dumps(c) if not re.fullmatch(r"\d+|True|False", c) else c.lower() for c in choices]
        expected = shown[0] if len(shown) == 1 else "one of " + ", ".join(shown)
        hint = ""
        if isinstance(value, str) and value.lower() in [c.lower() for c in choices]:
            # version = "6" or auto_deploy = "false": right value, written as a string.
            hint = "; write it without quotes"
        elif isinstance(value, str):
            guess = difflib.get_close_matches(value, choices, n=1, cutoff=0.6)
            hint = f"; did you mean {json.dumps(guess[0])}?" if guess else ""
        messages.append((loc, f"{_toml_value(value)} is not allowed (expected {expected}{hint})"))
    elif kind in _EXPECTED_BY_TYPE:
        got = _type_name(value)
        if not isinstance(value, (list, dict)):
            got += f" {_toml_value(value)}"
        messages.append((loc, f"got {got} (expected {_EXPECTED_BY_TYPE[kind]})"))
    elif kind == "too_short":
        minimum = ctx.get("min_length", 1)
        messages.append((loc, f"must not be empty (expected at least {minimum} item{'s' if minimum != 1 else ''})"))
    elif kind in ("greater_than_equal", "greater_than"):
        bound = ctx.get("ge", ctx.get("gt"))
        word = "at least" if kind == "greater_than_equal" else "more than"
        messages.append((loc, f"{_toml_value(value)} is too small (expected {word} {bound})"))
    elif kind in ("less_than_equal", "less_than"):
        bound = ctx.get("le", ctx.get("lt"))
        word = "at most" if kind == "less_than_equal" else "less than"
        messages.append((loc, f"{_toml_value(value)} is too large (expected {word} {bound})"))
    else:
        message = err["msg"]
        messages.append((loc, message[:1].lower() + message[1:]))

    located = []
    for where, message in messages:
        where = _strip_tags(model, where)
        line, col = locator.find(where)
        located.append(((line, col), f"{display}:{line}:{col}: {_dotted(where)}: {message}"))
    return located


# --------------------------------------------------------------------------
# Finding the line of a key in the TOML text


class KeyLocator:
    """Maps key paths to the (line, column) where the TOML text writes them.

    A small scanner over text tomllib has already accepted (so it never needs
    to report syntax errors). It records every ``[table]`` / ``[[array]]``
    header, every key (dotted, quoted, inside inline tables) and every array
    element (``("guards", "block", 2)``). ``find`` falls back to the nearest
    recorded parent, so a missing key points at its table's header, and a
    missing top-level key at 1:1.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.positions: dict[tuple[Any, ...], tuple[int, int]] = {}
        self._line_starts = [0] + [m.end() for m in re.finditer(r"\n", text)]
        self._array_tables: dict[tuple[Any, ...], int] = {}
        try:
            self._document()
        except (IndexError, ValueError, tomllib.TOMLDecodeError):  # pragma: no cover - defensive
            pass  # keep what was found; find() falls back to parents

    # -- queries

    def find(self, loc: tuple[Any, ...]) -> tuple[int, int]:
        for end in range(len(loc), 0, -1):
            if loc[:end] in self.positions:
                return self.positions[loc[:end]]
        return (1, 1)

    # -- scanning

    def _where(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._line_starts, offset) - 1
        return line + 1, offset - self._line_starts[line] + 1

    def _record(self, path: tuple[Any, ...], offset: int) -> None:
        self.positions.setdefault(path, self._where(offset))

    def _peek(self, count: int = 1) -> str:
        return self.text[self.pos : self.pos + count]

    def _skip_space(self, newlines: bool) -> None:
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char in " \t" or (newlines and char in "\r\n"):
                self.pos += 1
            elif char == "#":
                end = self.text.find("\n", self.pos)
                self.pos = len(self.text) if end < 0 else end
            else:
                return

    def _document(self) -> None:
        table: tuple[Any, ...] = ()
        while True:
            self._skip_space(newlines=True)
            if self.pos >= len(self.text):
                return
            start = self.pos
            if self._peek(2) == "[[":
                self.pos += 2
                key = self._key()
                # The last part names the array itself, not one of its elements.
                name = self._resolve(key[:-1]) + key[-1:]
                self._skip_space(newlines=False)
                self.pos += 2  # ]]
                index = self._array_tables.get(name, -1) + 1
                self._array_tables[name] = index
                self._record_prefixes(name, start)
                table = name + (index,)
                self._record(table, start)
            elif self._peek() == "[":
                self.pos += 1
                table = self._resolve(self._key())
                self._skip_space(newlines=False)
                self.pos += 1  # ]
                self._record_prefixes(table, start)
            else:
                self._advancing(self._key_value, table)

    def _resolve(self, key: tuple[str, ...]) -> tuple[Any, ...]:
        """A header's key with the current index of each array of tables in it."""
        path: tuple[Any, ...] = ()
        plain: tuple[str, ...] = ()
        for part in key:
            plain += (part,)
            path += (part,)
            if plain in self._array_tables:
                path += (self._array_tables[plain],)
        return path

    def _record_prefixes(self, path: tuple[Any, ...], offset: int) -> None:
        for end in range(1, len(path) + 1):
            self._record(path[:end], offset)

    def _key_value(self, table: tuple[Any, ...]) -> None:
        start = self.pos
        path = table + self._key()
        self._record_prefixes(path, start)
        self._skip_space(newlines=False)
        self.pos += 1  # =
        self._skip_space(newlines=False)
        self._value(path)

    def _key(self) -> tuple[str, ...]:
        parts = []
        while True:
            self._skip_space(newlines=False)
            char = self._peek()
            if char == '"':
                start = self.pos
                self._basic_string()
                parts.append(tomllib.loads("k = " + self.text[start : self.pos])["k"])
            elif char == "'":
                end = self.text.index("'", self.pos + 1)
                parts.append(self.text[self.pos + 1 : end])
                self.pos = end + 1
            else:
                match = _BARE_KEY_RE.match(self.text, self.pos)
                if match is None:
                    raise ValueError("not a key")
                parts.append(match.group())
                self.pos = match.end()
            self._skip_space(newlines=False)
            if self._peek() != ".":
                return tuple(parts)
            self.pos += 1

    def _basic_string(self) -> None:
        self.pos += 1
        while self.text[self.pos] != '"':
            self.pos += 2 if self.text[self.pos] == "\\" else 1
        self.pos += 1

    def _multiline_string(self, quote: str) -> None:
        self.pos += 3
        while not self.text.startswith(quote * 3, self.pos):
            self.pos += 2 if quote == '"' and self.text[self.pos] == "\\" else 1
        self.pos += 3
        # Up to two quotes right before the closing ones belong to the string.
        for _ in range(2):
            if self._peek() == quote:
                self.pos += 1

    def _value(self, path: tuple[Any, ...]) -> None:
        char = self._peek()
        if self._peek(3) in ('"""', "'''"):
            self._multiline_string(char)
        elif char == '"':
            self._basic_string()
        elif char == "'":
            self.pos = self.text.index("'", self.pos + 1) + 1
        elif char == "[":
            self.pos += 1
            index = 0
            while True:
                self._skip_space(newlines=True)
                if self._peek() == "]":
                    self.pos += 1
                    return
                self._record(path + (index,), self.pos)
                self._advancing(self._value, path + (index,))
                index += 1
                self._skip_space(newlines=True)
                if self._peek() == ",":
                    self.pos += 1
        elif char == "{":
            self.pos += 1
            while True:
                self._skip_space(newlines=True)
                if self._peek() == "}":
                    self.pos += 1
                    return
                self._advancing(self._key_value, path)
                self._skip_space(newlines=True)
                if self._peek() == ",":
                    self.pos += 1
        else:
            match = _SCALAR_RE.match(self.text, self.pos)
            self.pos = match.end() if match else self.pos

    def _advancing(self, step: Any, path: tuple[Any, ...]) -> None:
        """Run one scanning step; stop the scan rather than loop if it reads nothing."""
        start = self.pos
        step(path)
        if self.pos == start:
            raise ValueError("the scanner did not advance")
