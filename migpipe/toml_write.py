"""Any JSON-like data (a workflow job, a host config) written as readable TOML tables (init and fly.toml).

Scalars and small tables stay on one line; nested tables and lists of tables
become ``[a.b]`` / ``[[a.b]]`` sections; multi-line strings (``run:`` blocks)
become literal ''' strings that read like the YAML they came from. What is
written parses back (tomllib) to exactly the data given.
"""
from __future__ import annotations

import json
import math
import re
from typing import Any

_BARE_KEY_RE = re.compile(r"[A-Za-z0-9_-]+")
_INLINE_LIMIT = 100
_LITERAL_OK_RE = re.compile(r"[^\x00-\x08\x0a-\x1f\x7f]*")


class NotToml(ValueError):
    """The data holds something TOML cannot: a null, a non-finite float, a key that is not text."""


def key(name: str) -> str:
    return name if _BARE_KEY_RE.fullmatch(name) else basic_string(name)


def basic_string(text: str) -> str:
    # JSON's escapes are TOML's; DEL must be escaped too.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _string(text: str) -> str:
    if "\n" in text:
        # A literal multi-line string reads like the YAML block it came from;
        # the newline right after the opening ''' is not part of the value.
        if "'''" not in text and _LITERAL_OK_RE.fullmatch(text.replace("\n", "")) and not text.endswith("'"):
            return "'''\n" + text + "'''"
        body = basic_string(text)[1:-1].replace("\\n", "\n")
        # A line starting with quotes cannot close the string: every quote is escaped already.
        return '"""\n' + body + '"""'
    return basic_string(text)


def value(data: Any, where: str = "") -> str:
    if data is None:
        raise NotToml(f"{where}: null")
    if isinstance(data, bool):
        return "true" if data else "false"
    if isinstance(data, int):
        return str(data)
    if isinstance(data, float):
        if not math.isfinite(data):
            raise NotToml(f"{where}: {data}")
        return repr(data)
    if isinstance(data, str):
        return _string(data)
    if isinstance(data, list):
        return "[" + ", ".join(value(item, f"{where}[{i}]") for i, item in enumerate(data)) + "]"
    if isinstance(data, dict):
        for name in data:
            if not isinstance(name, str):
                raise NotToml(f"{where}: key {name!r} is not text")
        if not data:
            return "{}"
        return "{ " + ", ".join(f"{key(k)} = {value(v, f'{where}.{k}')}" for k, v in data.items()) + " }"
    raise NotToml(f"{where}: {type(data).__name__}")


def _is_table_list(data: Any) -> bool:
    return isinstance(data, list) and bool(data) and all(isinstance(item, dict) for item in data)


def _inline(name: str, data: Any, where: str) -> str | None:
    """``name = value`` on one line when it reads well there, else None."""
    if isinstance(data, dict):
        if any(isinstance(v, (dict, list)) or (isinstance(v, str) and "\n" in v) for v in data.values()):
            return None
    elif _is_table_list(data):
        return None
    elif isinstance(data, list) and any(isinstance(item, str) and "\n" in item for item in data):
        pass
    line = f"{key(name)} = {value(data, where)}"
    if isinstance(data, dict) and len(line) > _INLINE_LIMIT:
        return None
    return line


def table(path: str, data: dict[str, Any], header: str = "[]") -> str:
    """``data`` as the TOML table ``path`` (``header`` "[]" or "[[]]" for an element of a list)."""
    open_, close = header[: len(header) // 2], header[len(header) // 2 :]
    lines = [f"{open_}{path}{close}"]
    later: list[str] = []
    for name, item in data.items():
        if not isinstance(name, str):
            raise NotToml(f"{path}: key {name!r} is not text")
        inline = _inline(name, item, f"{path}.{name}")
        if inline is not None:
            lines.append(inline)
        elif isinstance(item, dict):
            later.append(table(f"{path}.{key(name)}", item))
        else:
            for element in item:
                later.append(table(f"{path}.{key(name)}", element, "[[]]"))
    return "\n".join(lines) + "\n" + "".join("\n" + part for part in later)


def document(data: dict[str, Any], prefix: str = "") -> tuple[str, str]:
    """A top-level TOML document split in two: (its key = value lines, its tables).

    TOML needs the top-level keys before the first table, so a caller that
    writes tables of its own puts the first part above them and the second after.
    """
    lines: list[str] = []
    later: list[str] = []
    for name, item in data.items():
        inline = _inline(name, item, name)
        path = f"{prefix}.{key(name)}" if prefix else key(name)
        if inline is not None and not isinstance(item, dict):
            lines.append(inline)
        elif isinstance(item, dict):
            later.append(table(path, item))
        else:
            later.extend(table(path, element, "[[]]") for element in item)
    return "".join(line + "\n" for line in lines), "\n".join(later)
