"""What detection found: one record per migration tool and per host, with where it was seen."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

POSTGRESQL = "postgresql"


@dataclass(frozen=True)
class UrlVariable:
    """An environment variable the tool reads a database URL from, and the role it plays."""

    name: str
    role: str  # "url", "directUrl", "shadowDatabaseUrl", "fallback", ...
    source: str  # "file:line"


@dataclass
class ToolFinding:
    """A migration tool found in the repository.

    ``directory`` is the working directory (the package that holds the tool's
    dependency and config, "." for the root); ``table`` holds the tool's own
    pipeline.toml keys, its paths relative to that directory.
    """

    name: str
    supported: bool
    directory: str
    evidence: str
    engine: str | None = None
    engine_source: str = ""
    version: int | None = None
    table: dict[str, Any] = field(default_factory=dict)
    table_sources: dict[str, str] = field(default_factory=dict)
    url_variables: list[UrlVariable] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Where the working directory comes from (a workspace declaration, ...).
    directory_source: str = ""

    def set(self, key: str, value: Any, source: str) -> None:
        self.table[key] = value
        self.table_sources[key] = source


@dataclass
class HostFinding:
    """A place the repository deploys to."""

    name: str
    supported: bool
    path: str  # the config file that says so
    evidence: str
    directory: str = "."
    notes: list[str] = field(default_factory=list)
