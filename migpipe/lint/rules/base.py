"""The analyzer interface every migpipe rule implements."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from migpipe.lint.created import Created
from migpipe.lint.parsed import Migration, Statement


@dataclass(frozen=True)
class Hit:
    """One statement a rule reports; ``offset`` (bytes) when a part of it is meant."""

    statement: Statement
    message: str
    offset: int | None = None


class Rule(Protocol):
    """A migpipe rule: finds one kind (``migpipe.policy.KINDS[kind]``) in a parsed migration.

    Its rule id is its kind's name; its safe alternative is the kind's, in
    the table. ``check`` sees the whole migration (statements in order) and
    what it creates, so a rule can tell a new object from an existing one.
    """

    kind: str
    # Strings of libpg_query's JSON (node types such as '"TruncateStmt"', or a
    # quoted name such as '"set_config"') at least one of which is in every
    # parse tree where the rule can report something; a source whose tree holds
    # none is not decoded for this rule.
    markers: tuple[str, ...]

    def check(self, migration: Migration, created: Created) -> Iterator[Hit]: ...
