"""One source parsed by PostgreSQL's own parser (pglast / libpg_query).

The parse tree is taken as libpg_query's JSON (``parse_sql_json``): building
pglast's Python node objects costs ten times as much and tells nothing more.
Locations in that tree are byte offsets into the UTF-8 text; ``position``
turns one into a 1-based line and a 1-based column in characters.
"""
from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pglast import parser

from migpipe.lint import SqlSource

Node = dict[str, Any]  # the fields of one parse-tree node (libpg_query JSON)

# Whitespace and comments before a statement's first token (block comments nest in PostgreSQL).
_SPACE = re.compile(rb"\s+|--[^\n]*")


@dataclass(frozen=True)
class Statement:
    index: int  # its place in the source, from 0
    type: str  # the parse node's type, e.g. "DropStmt"
    node: Node
    start: int  # byte offset of its first token
    end: int  # byte offset just past it


@dataclass(frozen=True)
class ParseFailure:
    message: str
    offset: int  # byte offset


@dataclass
class Migration:
    """A source, its bytes, its parse tree (empty when it does not parse).

    The tree stays libpg_query's JSON text until a statement is asked for:
    most migrations hold nothing any rule looks at (``mentions`` tells, by
    a substring test on that text), and decoding is most of the parse time.
    """

    number: int  # the source's place in the list linted
    source: SqlSource
    data: bytes
    tree_json: str  # "" when it does not parse
    failure: ParseFailure | None
    _line_starts: list[int] = field(default_factory=list, repr=False)
    _statements: tuple[Statement, ...] | None = field(default=None, repr=False)

    def markers_in_tree(self, pattern: re.Pattern[str]) -> frozenset[str]:
        """The markers (e.g. '"TruncateStmt"') of ``pattern`` that the tree's JSON text holds: one pass."""
        return frozenset(pattern.findall(self.tree_json))

    @property
    def statements(self) -> tuple[Statement, ...]:
        if self._statements is None:
            self._statements = _statements(self.data, self.tree_json) if self.tree_json else ()
        return self._statements

    def position(self, offset: int) -> tuple[int, int]:
        """(line, column) of a byte offset, both 1-based; the column counts characters."""
        if not self._line_starts:
            self._line_starts = [0] + [m.end() for m in re.finditer(rb"\n", self.data)]
        line = bisect_right(self._line_starts, offset)
        start = self._line_starts[line - 1]
        column = len(self.data[start:offset].decode("utf-8", errors="replace")) + 1
        return line, column

    def offset_of(self, line: int, byte_column: int) -> int:
        """The byte offset of a 0-based line and 0-based byte column (squawk's positions)."""
        if not self._line_starts:
            self.position(0)
        line = min(max(line, 0), len(self._line_starts) - 1)
        return self._line_starts[line] + max(byte_column, 0)

    def statement_at(self, offset: int) -> Statement | None:
        """The statement whose text holds the byte offset."""
        for statement in self.statements:
            if statement.start <= offset < statement.end:
                return statement
        return None

    def statement_text(self, statement: Statement) -> bytes:
        return self.data[statement.start : statement.end]


def _skip_space_and_comments(data: bytes, offset: int) -> int:
    while offset < len(data):
        match = _SPACE.match(data, offset)
        if match:
            offset = match.end()
            continue
        if data.startswith(b"/*", offset):
            depth, offset = 1, offset + 2
            while depth and offset < len(data):
                if data.startswith(b"/*", offset):
                    depth, offset = depth + 1, offset + 2
                elif data.startswith(b"*/", offset):
                    depth, offset = depth - 1, offset + 2
                else:
                    offset += 1
            continue
        break
    return offset


def parse(number: int, source: SqlSource) -> Migration:
    """Parse one source; a syntax error becomes ``failure`` (never an exception)."""
    data = source.text.encode("utf-8")
    try:
        tree_json = parser.parse_sql_json(source.text)
    except parser.ParseError as exc:
        message, char_offset = exc.args[0], exc.args[1] if len(exc.args) > 1 else 0
        byte_offset = len(source.text[: max(int(char_offset), 0)].encode("utf-8"))
        return Migration(number, source, data, "", ParseFailure(str(message), byte_offset))
    return Migration(number, source, data, tree_json, None)


def _statements(data: bytes, tree_json: str) -> tuple[Statement, ...]:
    tree = json.loads(tree_json)
    statements = []
    for index, raw in enumerate(tree.get("stmts", ())):
        ((node_type, node),) = raw["stmt"].items()
        location = raw.get("stmt_location", 0)
        length = raw.get("stmt_len", 0) or len(data) - location
        start = _skip_space_and_comments(data, location)
        statements.append(Statement(index, node_type, node, start, location + length))
    return tuple(statements)


def walk(value: Any) -> Iterator[tuple[str, Node]]:
    """Every node under a value of the tree, as (type, fields), depth first."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key[:1].isupper() and isinstance(inner, dict):
                yield key, inner
            yield from walk(inner)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


# Statements that store SQL to run later (or never), not run it now.
_STORES_SQL = frozenset({"CreateFunctionStmt", "PrepareStmt", "RuleStmt", "CreateTrigStmt"})


def executed(statement: Statement, node_type: str) -> Iterator[Node]:
    """The nodes of ``node_type`` that running ``statement`` executes: the statement itself,
    or one nested in it (``WITH d AS (DELETE ...)``, ``EXPLAIN ANALYZE DELETE ...``)."""
    if statement.type == node_type:
        yield statement.node
    if statement.type in _STORES_SQL:
        return
    for inner_type, inner in walk(statement.node):
        if inner_type == node_type:
            yield inner


def names(value: Any) -> tuple[str, ...]:
    """A qualified name (a list of String nodes, or a List of them) as its parts."""
    if isinstance(value, dict) and "List" in value:
        value = value["List"].get("items", [])
    if isinstance(value, dict) and "String" in value:
        return (value["String"].get("sval", ""),)
    if isinstance(value, list):
        return tuple(item["String"].get("sval", "") for item in value if isinstance(item, dict) and "String" in item)
    return ()


def qualified(parts: tuple[str, ...]) -> tuple[str, str]:
    """(schema, name) of a name's parts; no schema reads as public (the default search_path)."""
    if not parts:
        return ("public", "")
    return (parts[-2] if len(parts) > 1 else "public", parts[-1])


def relation(range_var: Node | None) -> tuple[str, str]:
    """(schema, name) of a RangeVar."""
    if not range_var:
        return ("public", "")
    return (range_var.get("schemaname") or "public", range_var.get("relname", ""))
