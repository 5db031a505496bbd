"""Exemptions written in the SQL, and the reason each must give.

squawk honours, in a ``--`` comment or a ``/* */`` comment alike:

    -- squawk-ignore RULE[, RULE...]        the findings on this line and the next
    -- squawk-ignore-file [RULE[, RULE...]] the whole file (every rule when none is named)

and cuts the comment at its first ``--``: what follows is free text. migpipe
requires that text, the reason, in every form (``-- squawk-ignore
ban-drop-table -- the table was never used``, ``/* squawk-ignore-file -- one-off
cleanup */``), and offers the same forms for its own kinds and rules
(``-- migpipe-ignore truncate -- REASON``, ``-- migpipe-ignore-file KIND --
REASON``; a migpipe exemption may name any kind, also one squawk reports).

An exemption without a reason exempts nothing and is itself a finding
(``exemption-without-reason``). squawk is fed the SQL with its own directives
neutralized (``squawk-ignore`` -> ``squawk-IGNORE``, same length), so that it
reports everything and migpipe alone decides, with the reason in hand.

Comments are found by PostgreSQL's own lexer, so ``'-- squawk-ignore'`` inside
a string or a ``$$`` body is not an exemption; when the lexer fails (the SQL
is unparseable, which blocks anyway) every comment-like text counts.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from pglast import parser

PREFIXES: tuple[tuple[str, Literal["squawk", "migpipe"], bool], ...] = (
    ("squawk-ignore-file", "squawk", True),
    ("squawk-ignore", "squawk", False),
    ("migpipe-ignore-file", "migpipe", True),
    ("migpipe-ignore", "migpipe", False),
)
_COMMENT_LIKE = re.compile(r"--[^\n]*|/\*.*?(?:\*/|\Z)", re.DOTALL)
_WORD = re.compile(r"\w")


@dataclass(frozen=True)
class Exemption:
    line: int  # 1-based line of the directive
    column: int  # 1-based
    origin: Literal["squawk", "migpipe"]
    file_wide: bool
    names: frozenset[str]  # rules (or, for migpipe, kinds) it names; empty: all
    reason: str | None
    directive: str  # e.g. "squawk-ignore ban-drop-table"

    def covers(self, line: int, rule: str, kind: str, from_squawk: bool) -> bool:
        """Whether this exemption, when it has a reason, applies to a finding."""
        if self.reason is None:
            return False
        if self.origin == "squawk":
            if not from_squawk or (self.names and rule not in self.names):
                return False
        elif self.names and rule not in self.names and kind not in self.names:
            return False
        return self.file_wide or line in (self.line, self.line + 1)


def _comments(text: str) -> list[tuple[int, str]]:
    """(char offset, text) of every comment."""
    try:
        tokens = parser.scan(text)
    except parser.ParseError:
        return [(match.start(), match.group()) for match in _COMMENT_LIKE.finditer(text)]
    return [
        (token.start, text[token.start : token.end + 1])
        for token in tokens
        if token.name in ("SQL_COMMENT", "C_COMMENT")
    ]


def _directive(offset: int, comment: str) -> tuple[int, str, str, str] | None:
    """(offset of the directive, prefix, names text, reason text) of a comment, or None."""
    if comment.startswith("--"):
        body_start, body = 2, comment[2:]
    else:
        body_start, body = 2, comment[2:].removesuffix("*/")
    stripped = body.lstrip()
    for prefix, _origin, _file in PREFIXES:
        if not stripped.startswith(prefix):
            continue
        rest = stripped[len(prefix) :]
        cut = rest.find("--")
        listed, reason = (rest, "") if cut < 0 else (rest[:cut], rest[cut + 2 :])
        if listed and not listed[0].isspace():
            return None  # "squawk-ignored": not a directive (squawk finds no rule in it either)
        at = offset + body_start + (len(body) - len(stripped))
        return at, prefix, listed, reason
    return None


def find_exemptions(text: str) -> list[Exemption]:
    if "-ignore" not in text:
        return []
    found = []
    for offset, comment in _comments(text):
        parsed = _directive(offset, comment)
        if parsed is None:
            continue
        at, prefix, listed, reason_text = parsed
        origin, file_wide = next((o, f) for p, o, f in PREFIXES if p == prefix)
        names = frozenset(name.strip() for name in listed.split(",") if name.strip())
        reason = " ".join(reason_text.split())
        line = text.count("\n", 0, at) + 1
        column = at - (text.rfind("\n", 0, at) + 1) + 1
        directive = f"{prefix} {', '.join(sorted(names))}".rstrip()
        found.append(
            Exemption(line, column, origin, file_wide, names, reason if _WORD.search(reason) else None, directive)
        )
    return found
