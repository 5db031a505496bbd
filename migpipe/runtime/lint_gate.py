"""Lint exactly the pending SQL, and decide whether it may be applied.

``lint_pending`` is the one place the runtime asks the lint. Until the
policy engine (migpipe.lint, being built) lands on main, it runs squawk the
way the old migrate script did, with its holes closed where that is cheap:

* each pending migration's SQL is written to a file of migpipe's own naming
  (0001.sql, ...) so no name is expanded as a glob pattern, and the files
  squawk reported on are checked to be exactly the files asked for;
* an empty squawk config, so a .squawk.toml in the repository cannot switch
  the policy's rules off;
* SQL squawk cannot parse blocks (squawk checks nothing else in it);
* a ``squawk-ignore`` without a reason blocks, in ``--`` and ``/* */``
  comments alike.

Swap the body for ``migpipe.lint.lint_sources`` when it lands; callers see
only ``LintOutcome``.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from migpipe.policy import rules_for
from migpipe.runtime.tools.base import PendingSql


class LintUnavailable(Exception):
    """The lint could not run; nothing can be said about the SQL."""


@dataclass(frozen=True)
class LintFinding:
    source: PendingSql
    line: int
    blocks: bool
    text: str  # "drop-column (ban-drop-column): message"
    safe_alternative: str | None = None

    def location(self) -> str:
        if self.source.generated:
            return f"{self.source.display}, line {self.line} of its SQL"
        return f"{self.source.display}:{self.line}"

    def quoted_line(self) -> str | None:
        """The offending line, for SQL generated from code (it exists nowhere else)."""
        if not self.source.generated:
            return None
        lines = self.source.text.splitlines()
        return lines[self.line - 1].strip()[:200] if 0 < self.line <= len(lines) else None


@dataclass(frozen=True)
class LintOutcome:
    linted: tuple[str, ...]  # names of the migrations whose SQL was linted
    findings: tuple[LintFinding, ...]

    @property
    def blocked(self) -> bool:
        return any(finding.blocks for finding in self.findings)


# `-- squawk-ignore RULE -- REASON` (line comment) or `/* squawk-ignore RULE -- REASON */`.
_LINE_IGNORE = re.compile(r"--\s*squawk-ignore(?:-file)?\b(?P<rules>[^\n]*?)(?:\s--\s*(?P<reason>\S[^\n]*))?$")
_BLOCK_IGNORE = re.compile(r"/\*\s*squawk-ignore(?:-file)?\b(?P<body>.*?)\*/", re.DOTALL)


def _reasonless_ignores(source: PendingSql) -> list[int]:
    lines: list[int] = []
    for number, line in enumerate(source.text.splitlines(), start=1):
        match = _LINE_IGNORE.search(line)
        if match and not match.group("reason"):
            lines.append(number)
    for match in _BLOCK_IGNORE.finditer(source.text):
        body = match.group("body")
        reason = body.partition(" --")[2].strip() if " --" in body else ""
        if not reason:
            lines.append(source.text.count("\n", 0, match.start()) + 1)
    return sorted(set(lines))


def lint_pending(sources: Sequence[PendingSql], block: Collection[str], warn: Collection[str]) -> LintOutcome:
    """Lints every source that has SQL; raises LintUnavailable when squawk cannot."""
    squawk = shutil.which("squawk")
    if squawk is None:
        raise LintUnavailable("squawk is not installed")
    decisions = {rule.squawk_rule: rule for rule in rules_for(list(block), list(warn))}
    to_lint = [source for source in sources if source.reviewed_reason is None]
    findings: list[LintFinding] = []
    for source in to_lint:
        for number in _reasonless_ignores(source):
            findings.append(LintFinding(
                source, number, True, "squawk-ignore without a reason; write `-- squawk-ignore RULE -- REASON`"))
    if not to_lint:
        return LintOutcome((), tuple(findings))
    with tempfile.TemporaryDirectory(prefix="migpipe-lint-") as scratch:
        directory = Path(scratch)
        (directory / "squawk.toml").write_text("", encoding="utf-8")
        by_file: dict[str, PendingSql] = {}
        for index, source in enumerate(to_lint, start=1):
            path = directory / f"{index:04d}.sql"
            # squawk needs something to parse; a migration with no SQL is "--".
            path.write_text(source.text if source.text.strip() else "-- empty\n", encoding="utf-8")
            by_file[str(path)] = source
        result = subprocess.run(
            [squawk, "--config", str(directory / "squawk.toml"), "--reporter", "json", *by_file],
            capture_output=True, text=True, check=False, cwd=directory,
        )
        if result.returncode > 1 or not result.stdout.strip():
            raise LintUnavailable(f"squawk could not lint the pending SQL (exit {result.returncode})")
        try:
            reported = json.loads(result.stdout)
        except ValueError as error:
            raise LintUnavailable("could not read squawk's report") from error
    for item in reported:
        found = by_file.get(str(item.get("file")))
        if found is None:
            raise LintUnavailable(f"squawk reported on a file it was not given: {item.get('file')!r}")
        source = found
        rule = item.get("rule_name")
        line = int(item.get("line", 0)) + 1
        if rule == "syntax-error":
            # squawk checks nothing else in a file it cannot parse, so a typo
            # would otherwise let every destructive statement in it through.
            findings.append(LintFinding(
                source, line, True, f"squawk cannot parse this SQL, so it cannot be checked: {item.get('message')}"))
            continue
        decision = decisions.get(str(rule))
        if decision is None:
            continue  # squawk's style rules are not part of the policy
        findings.append(LintFinding(
            source, line, decision.action == "block",
            f"{decision.kind} ({rule}): {item.get('message')}", decision.safe_alternative,
        ))
    return LintOutcome(tuple(source.name for source in to_lint), tuple(findings))
