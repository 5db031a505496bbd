"""lint_sources: squawk and migpipe's rules over every source, one policy, exemptions with reasons.

For each source, in order:
  1. squawk starts over all sources at once (``migpipe.lint.squawk``);
  2. PostgreSQL's parser reads the source; SQL it cannot parse is an
     ``unparseable`` finding (the parser's message and line), never a pass;
  3. migpipe's rules (``migpipe.lint.rules``) run over the statements;
  4. squawk's findings are mapped to kinds; a drop or rename of an object
     created earlier in the same source is not destructive and is dropped;
  5. exemptions with a reason mark the findings they cover; one without a
     reason is itself a finding.
Every source asked for must come out linted (parsed, and read to its end by
squawk unless unparseable); otherwise LintError, never a report.
"""
from __future__ import annotations

import gc
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager

from migpipe.errors import LintError
from migpipe.lint import Finding, LintReport, SqlSource
from migpipe.lint.squawk import SquawkRun
from migpipe.policy import actions


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Parse trees are millions of small dicts and lists, all freed by reference counting;
    the cycle collector would walk them over and over while they are built (a third of
    the parse time on the corpus)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def lint(sources: Sequence[SqlSource], block: Collection[str], warn: Collection[str]) -> LintReport:
    with _without_cycle_collection():
        return _lint(sources, block, warn)


def _lint(sources: Sequence[SqlSource], block: Collection[str], warn: Collection[str]) -> LintReport:
    decided = actions(tuple(block), tuple(warn))
    asked = tuple(sources)
    for source in asked:
        if not isinstance(source, SqlSource):
            raise TypeError(f"expected SqlSource, got {type(source).__name__}")
    if not asked:
        return LintReport((), ())
    run = SquawkRun([source.text for source in asked])
    try:
        # PostgreSQL's parser (imported only now: pglast takes a while) and
        # migpipe's rules run while squawk does.
        from migpipe.lint.analysis import Prepared
        from migpipe.lint.parsed import parse

        prepared = [Prepared.of(parse(number, source), decided) for number, source in enumerate(asked)]
    finally:
        squawk_results = run.results()
    if len(squawk_results) != len(prepared):
        raise LintError(f"squawk returned {len(squawk_results)} results for {len(prepared)} sources")
    findings: list[Finding] = []
    linted: list[str] = []
    for ready, (hits, read_to_end) in zip(prepared, squawk_results):
        findings.extend(ready.finish(hits, read_to_end, decided))
        linted.append(ready.migration.source.display)
    if tuple(linted) != tuple(source.display for source in asked):
        raise LintError("the sources linted are not the sources asked for")
    return LintReport(tuple(linted), tuple(findings))


