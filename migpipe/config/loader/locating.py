"""Finding the line and column where pipeline.toml writes a key."""
from __future__ import annotations

import bisect
import re
import sys
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


BARE_KEY_RE = re.compile(r"[A-Za-z0-9_-]+")
_SCALAR_RE = re.compile(r"[^,\]}#\r\n]+")  # numbers, booleans, dates (which may hold a space)


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
                match = BARE_KEY_RE.match(self.text, self.pos)
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

