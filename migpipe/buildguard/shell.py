"""Split shell text into simple commands: just enough of POSIX sh for a guard.

The guard needs to know which words a command runs, not what it computes, so
this is a tokenizer rather than an interpreter. It understands quotes,
backslashes, line continuations, comments, command substitutions (kept as
opaque text), heredoc bodies (skipped: they are data), and the separators
``&&``, ``||``, ``;``, ``|``, ``&``, ``(`` and ``)``. Control keywords are
dropped from the front of a command, so ``then prisma migrate deploy`` is
``prisma migrate deploy``: a command inside an ``if`` is still on the path.
A function's body (``name() { …; }``, ``function name { …; }``) is kept, each
of its commands marked with the function's name: it runs where it is called,
not where it is written.
"""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Word:
    text: str  # the word with quotes removed
    quoted: bool  # some part of it was quoted

    @property
    def is_phrase(self) -> bool:
        """A quoted string with spaces: a message or an argument, not command words."""
        return self.quoted and any(char.isspace() for char in self.text)


@dataclass(frozen=True)
class SimpleCommand:
    words: tuple[Word, ...]
    line: int  # 1-based line of the text where the command starts
    function: str | None = None  # the function whose body holds it (innermost)


_SEPARATORS = frozenset(";|()\n")
_PLAIN = re.compile(r"[^\\'\"`$\s;|()&<>]+")
_BLANKS = frozenset(" \t\r")
_LEADING_KEYWORDS = frozenset({"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}", "esac", "time"})
# A command starting with one of these is a declaration, not something run.
_SKIPPED_KEYWORDS = frozenset({"for", "case", "select", "function", "in"})
_NAME = re.compile(r"[A-Za-z_][\w:.-]*")
_EMPTY_PARENS = re.compile(r"[ \t]*\)")


def _skip_quoted(text: str, start: int, close: str) -> int:
    """Index just past the quote that closes the one at ``start``."""
    i = start + 1
    while i < len(text):
        if close == '"' and text[i] == "\\":
            i += 2
            continue
        if close == '"' and text.startswith("$(", i):
            i = _skip_balanced(text, i + 1, "(", ")")
            continue
        if text[i] == close:
            return i + 1
        i += 1
    return len(text)


def _skip_balanced(text: str, start: int, open_: str, close: str) -> int:
    """Index just past the bracket matching the one at ``start`` (quotes respected)."""
    depth = 0
    i = start
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char in "'\"`":
            i = _skip_quoted(text, i, char)
            continue
        if char == open_:
            depth += 1
        elif char == close:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(text)


class _Tokenizer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.commands: list[SimpleCommand] = []
        self.words: list[Word] = []
        self.buf: list[str] = []
        self.quoted = False
        self.in_word = False
        self.line = 1
        self.command_line = 1
        self.heredocs: list[str] = []  # delimiters whose bodies start at the next newline
        self.awaiting_delimiter = False
        # `{` … `}` groups open at this point: the function each one is the body
        # of (None for a plain group); a function named, its `{` not yet met.
        self.groups: list[str | None] = []
        self.defining: str | None = None

    def start_word(self) -> None:
        if not self.in_word:
            self.in_word = True
            if not self.words:
                self.command_line = self.line

    def end_word(self) -> None:
        if not self.in_word:
            return
        word = Word("".join(self.buf), self.quoted)
        self.buf, self.quoted, self.in_word = [], False, False
        if self.awaiting_delimiter:
            self.heredocs.append(word.text)
            self.awaiting_delimiter = False
        elif word.text.startswith("<<") and not word.text.startswith("<<<"):
            delimiter = word.text[2:].lstrip("-")
            if delimiter:
                self.heredocs.append(delimiter)
            else:
                self.awaiting_delimiter = True
        self.words.append(word)

    def end_command(self) -> None:
        self.end_word()
        words = list(self.words)
        self.words = []
        if len(words) >= 2 and words[0].text == "function" and not words[0].quoted:
            # `function name {` (ksh, bash): the body follows.
            self.defining = words[1].text.removesuffix("()")
            words = words[2:]
        while words and words[0].text in _LEADING_KEYWORDS and not words[0].quoted:
            keyword = words.pop(0).text
            if keyword == "{":
                self.groups.append(self.defining)
                self.defining = None
            elif keyword == "}" and self.groups:
                self.groups.pop()
        if words and words[0].text[:2] in ("!<", "!>") and not words[0].quoted:
            words[0] = Word(words[0].text[1:], False)  # `while !</dev/tcp/db/5432`: `!`, then a redirection
        if words and self.defining is not None:
            self.defining = None  # `f() ( … )` or something else: not a body we read
        if words and not (words[0].text in _SKIPPED_KEYWORDS and not words[0].quoted):
            function = next((name for name in reversed(self.groups) if name is not None), None)
            self.commands.append(SimpleCommand(tuple(words), self.command_line, function))

    def function_definition(self, i: int) -> int | None:
        """At a ``(``: past ``name()`` when this is a function definition, else None."""
        words = [word.text for word in self.words if not word.quoted]
        if self.in_word:
            if words not in ([], ["function"]) or self.quoted:
                return None
            name = "".join(self.buf)
        elif len(words) == len(self.words) and (len(words) == 1 or words[:1] == ["function"] and len(words) == 2):
            name = words[-1]  # `name () {`
        else:
            return None
        after = _EMPTY_PARENS.match(self.text, i + 1)
        if after is None or _NAME.fullmatch(name) is None:
            return None
        self.buf, self.in_word, self.words = [], False, []
        self.defining = name
        return after.end()

    def take(self, start: int, end: int, quoted: bool, keep: str | None = None) -> int:
        self.start_word()
        raw = self.text[start:end]
        self.buf.append(raw if keep is None else keep)
        self.quoted = self.quoted or quoted
        self.line += raw.count("\n")
        return end

    def skip_heredoc_bodies(self, i: int) -> int:
        for delimiter in self.heredocs:
            while i < len(self.text):
                end = self.text.find("\n", i)
                end = len(self.text) if end == -1 else end
                body_line = self.text[i:end]
                i = end + 1
                self.line += 1
                if body_line.strip() == delimiter:
                    break
        self.heredocs = []
        return i

    def run(self) -> list[SimpleCommand]:
        text, i = self.text, 0
        while i < len(text):
            char = text[i]
            if char == "\\":
                if text.startswith("\n", i + 1):
                    self.line += 1
                    i += 2
                else:
                    i = self.take(i + 1, min(i + 2, len(text)), quoted=True)
            elif char == "'":
                end = _skip_quoted(text, i, "'")
                i = self.take(i, end, quoted=True, keep=text[i + 1 : max(end - 1, i + 1)])
            elif char == '"':
                end = _skip_quoted(text, i, '"')
                inner = text[i + 1 : max(end - 1, i + 1)]
                for escaped in ('\\"', "\\\\", "\\$", "\\`"):
                    inner = inner.replace(escaped, escaped[1])
                i = self.take(i, end, quoted=True, keep=inner.replace("\\\n", ""))
            elif char == "`":
                i = self.take(i, _skip_quoted(text, i, "`"), quoted=False)
            elif char == "$" and text.startswith(("$(", "${"), i):
                open_, close = ("(", ")") if text[i + 1] == "(" else ("{", "}")
                i = self.take(i, _skip_balanced(text, i + 1, open_, close), quoted=False)
            elif char == "#" and not self.in_word:
                end = text.find("\n", i)
                i = len(text) if end == -1 else end
            elif char in _BLANKS:
                self.end_word()
                i += 1
            elif char == "&" and (
                (self.buf and self.buf[-1].endswith((">", "<"))) or text.startswith("&>", i)
            ):
                i = self.take(i, i + 1, quoted=False)  # 2>&1, >&2, &>file: a redirection
            elif char == "(" and self.in_word and not self.quoted and "".join(self.buf).endswith("="):
                # `dirs=(a b)`, `list+=("$x")`: an array's value, one word, not a subshell.
                i = self.take(i, _skip_balanced(text, i, "(", ")"), quoted=True)
            elif char == "(" and (past := self.function_definition(i)) is not None:
                i = past
            elif char in _SEPARATORS or char == "&":
                self.end_command()
                i += 1
                if char == "\n":
                    self.line += 1
                    if self.heredocs:
                        i = self.skip_heredoc_bodies(i)
            else:
                # A run of ordinary characters is one piece of a word.
                match = _PLAIN.match(text, i)
                i = self.take(i, match.end() if match else i + 1, quoted=False)
        self.end_command()
        return self.commands


def split_commands(text: str) -> list[SimpleCommand]:
    """The simple commands of a shell text, in order, comments and heredocs removed."""
    return _Tokenizer(text).run()
