"""The commands a bash text runs, read from the text itself.

Enough of bash's grammar to find every simple command and its words: quotes,
escapes, comments, ``$(…)``, backticks, ``${…}``, ``$((…))``, subshells,
redirections (their targets are not commands) and here-documents (their bodies
are data, e.g. a Python program fed to ``python3 -``). Commands inside
``$(…)`` and backticks count, also inside double quotes. Not a full parser: it
never evaluates anything, and a word built from an expansion reads as the
placeholder ``$`` (its value is unknown before the script runs).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

# A word whose value is only known at run time.
DYNAMIC = "$"

_OPERATOR_CHARS = ";&|\n"
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?\+?=")


@dataclass
class Script:
    """What a bash text runs: its simple commands (each a list of words) and
    the names of the functions it defines."""

    commands: list[list[str]] = field(default_factory=list)
    functions: set[str] = field(default_factory=set)


class _Reader:
    def __init__(self, text: str, script: Script) -> None:
        self.text = text
        self.i = 0
        self.script = script
        self.heredocs: list[tuple[str, bool]] = []  # (delimiter, strip leading tabs)

    # -- low level ---------------------------------------------------------
    def peek(self, offset: int = 0) -> str:
        j = self.i + offset
        return self.text[j] if j < len(self.text) else ""

    def at_end(self) -> bool:
        return self.i >= len(self.text)

    def skip_heredoc_bodies(self) -> None:
        """Called just after a newline: skip the bodies of pending here-documents."""
        for delimiter, strip_tabs in self.heredocs:
            while not self.at_end():
                end = self.text.find("\n", self.i)
                line = self.text[self.i : end if end != -1 else len(self.text)]
                self.i = end + 1 if end != -1 else len(self.text)
                if (line.lstrip("\t") if strip_tabs else line) == delimiter:
                    break
        self.heredocs.clear()

    # -- words ---------------------------------------------------------------
    def read_single_quoted(self) -> str:
        end = self.text.find("'", self.i + 1)
        end = len(self.text) if end == -1 else end
        value = self.text[self.i + 1 : end]
        self.i = end + 1
        return value

    def read_double_quoted(self) -> str:
        self.i += 1
        value: list[str] = []
        while not self.at_end() and self.peek() != '"':
            char = self.peek()
            if char == "\\":
                value.append(self.peek(1))
                self.i += 2
            elif char == "$":
                value.append(self.read_dollar())
            elif char == "`":
                self.read_backticks()
                value.append(DYNAMIC)
            else:
                value.append(char)
                self.i += 1
        self.i += 1
        return "".join(value)

    def read_backticks(self) -> None:
        end = self.i + 1
        while end < len(self.text) and self.text[end] != "`":
            end += 2 if self.text[end] == "\\" else 1
        commands_of(self.text[self.i + 1 : end], self.script)
        self.i = end + 1

    def read_dollar(self) -> str:
        """At a `$`: a command substitution is read as commands; any expansion
        gives the DYNAMIC placeholder."""
        nxt = self.peek(1)
        if nxt == "(" and self.peek(2) == "(":
            self.i = self._matching(self.i + 1, "(", ")") + 1
            return DYNAMIC
        if nxt == "(":
            self.i += 2
            self.read_list(closing=")")
            return DYNAMIC
        if nxt == "{":
            self.i = self._matching(self.i + 1, "{", "}") + 1
            return DYNAMIC
        if nxt == "'":  # $'...' ANSI-C quoting
            self.i += 1
            return self.read_single_quoted()
        match = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-])").match(self.text, self.i)
        if match:
            self.i = match.end()
            return DYNAMIC
        self.i += 1
        return "$"

    def _matching(self, start: int, opening: str, closing: str) -> int:
        depth = 0
        j = start
        while j < len(self.text):
            char = self.text[j]
            if char == "\\":
                j += 2
                continue
            if char == "'" and opening == "{":
                end = self.text.find("'", j + 1)
                j = len(self.text) if end == -1 else end + 1
                continue
            if char == opening:
                depth += 1
            elif char == closing:
                depth -= 1
                if depth == 0:
                    return j
            j += 1
        return len(self.text)

    # -- commands ------------------------------------------------------------
    def read_list(self, closing: str | None) -> None:
        """Read commands until `closing` (consumed) or the end of the text."""
        words: list[str] = []
        word: list[str] | None = None
        redirect_target = False

        def end_word() -> None:
            nonlocal word, redirect_target
            if word is not None:
                if redirect_target:
                    redirect_target = False
                else:
                    words.append("".join(word))
            word = None

        def end_command() -> None:
            nonlocal words
            end_word()
            if words:
                self.script.commands.append(words)
            words = []

        while not self.at_end():
            char = self.peek()
            if closing is not None and char == closing:
                self.i += 1
                end_command()
                return
            if char in " \t":
                end_word()
                self.i += 1
            elif char == "\n":
                end_command()
                self.i += 1
                self.skip_heredoc_bodies()
            elif char in _OPERATOR_CHARS:
                end_command()
                self.i += 1
            elif char == "#" and word is None:
                end = self.text.find("\n", self.i)
                self.i = len(self.text) if end == -1 else end
            elif char == "(" and word is None and not words:
                self.i += 1
                self.read_list(closing=")")  # a subshell
            elif char == "(" and self.peek(1) == ")":
                end_word()
                if len(words) == 1:
                    self.script.functions.add(words[0])  # name() { ... }
                words = []
                self.i += 2
            elif char in "<>" and self.peek(1) == "(":
                end_word()
                self.i += 2
                self.read_list(closing=")")  # process substitution: its commands run
                if redirect_target:
                    redirect_target = False  # `< <(…)`: the redirection's target
                else:
                    words.append(DYNAMIC)
            elif char in "<>":
                if word is not None and all(c.isdigit() for c in word):
                    word = None  # 2>file: the 2 is part of the operator
                end_word()
                if self.text.startswith("<<<", self.i):
                    self.i += 3
                elif self.text.startswith("<<", self.i):
                    self.i += 2
                    strip_tabs = self.peek() == "-"
                    self.i += strip_tabs
                    while self.peek() in " \t":
                        self.i += 1
                    self.heredocs.append((self.read_heredoc_delimiter(), strip_tabs))
                    continue
                else:
                    self.i += 1
                    while self.peek() in "<>&|":
                        self.i += 1
                    if self.text[self.i - 1] == "&" and self.peek().isdigit() or self.peek() == "-":
                        self.i += 1  # 2>&1, >&-
                        continue
                redirect_target = True
            else:
                if word is None:
                    word = []
                if char == "'":
                    word.append(self.read_single_quoted())
                elif char == '"':
                    word.append(self.read_double_quoted())
                elif char == "\\":
                    if self.peek(1) != "\n":
                        word.append(self.peek(1))
                    self.i += 2
                elif char == "$":
                    word.append(self.read_dollar())
                elif char == "`":
                    self.read_backticks()
                    word.append(DYNAMIC)
                else:
                    word.append(char)
                    self.i += 1
        end_command()

    def read_heredoc_delimiter(self) -> str:
        delimiter: list[str] = []
        while not self.at_end() and self.peek() not in " \t\n;&|<>()":
            char = self.peek()
            if char in "'\"":
                end = self.text.find(char, self.i + 1)
                delimiter.append(self.text[self.i + 1 : end])
                self.i = end + 1
            elif char == "\\":
                delimiter.append(self.peek(1))
                self.i += 2
            else:
                delimiter.append(char)
                self.i += 1
        return "".join(delimiter)


def commands_of(text: str, script: Script | None = None) -> Script:
    """Every simple command in `text` (including those in substitutions), as
    lists of words, and the functions it defines."""
    script = script if script is not None else Script()
    _Reader(text, script).read_list(closing=None)
    return script


# Words that start or continue a compound command; the command proper follows.
_PREFIX_KEYWORDS = {"if", "then", "else", "elif", "while", "until", "do", "!", "{", "time", "exec", "nohup"}
# Words that make the whole simple command a syntax element, not a command run.
_NON_COMMANDS = {"fi", "done", "}", "esac", "for", "case", "select", "function", "in", ";;", "[[", "]]"}


def command_name(words: list[str]) -> str | None:
    """The program a simple command runs (after assignments and keywords such
    as `if`, `then`, `exec`), or None when it runs none or it is not known
    before the script runs."""
    rest = list(words)
    while rest and (rest[0] in _PREFIX_KEYWORDS or _ASSIGNMENT.match(rest[0])):
        rest.pop(0)
    if not rest or rest[0] in _NON_COMMANDS or rest[0] == DYNAMIC:
        return None
    return rest[0]


def arguments(words: list[str]) -> list[str]:
    """The words after the command name (see command_name)."""
    rest = list(words)
    while rest and (rest[0] in _PREFIX_KEYWORDS or _ASSIGNMENT.match(rest[0])):
        rest.pop(0)
    return rest[1:]
