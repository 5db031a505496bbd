"""Who holds or waits for locks on the tables the pending SQL touches.

Reported before applying, so the reviewer of the run sees why a migration
may wait (and be retried): each session's pid, user, application, state,
the lock and how long its transaction has been open. Never its query text,
which may hold data or secrets.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

_NAME = r'(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)'
_QUALIFIED = rf"({_NAME}(?:\s*\.\s*{_NAME})?)"
_TOUCHES = [
    re.compile(rf"\b(?:ALTER|DROP|LOCK|TRUNCATE)\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?{_QUALIFIED}", re.IGNORECASE),
    re.compile(rf"\bTRUNCATE\s+(?:ONLY\s+)?{_QUALIFIED}", re.IGNORECASE),
    re.compile(rf"\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(?:ONLY\s+)?{_QUALIFIED}", re.IGNORECASE),
    re.compile(rf"\bCREATE\s+(?:UNIQUE\s+)?INDEX\b[^;]*?\bON\s+(?:ONLY\s+)?{_QUALIFIED}", re.IGNORECASE),
    re.compile(rf"\bREFERENCES\s+{_QUALIFIED}", re.IGNORECASE),
    re.compile(rf"\b(?:CREATE|DROP)\s+TRIGGER\b[^;]*?\bON\s+{_QUALIFIED}", re.IGNORECASE),
]
_KEYWORDS = {"table", "only", "if", "exists", "set", "select", "values", "concurrently"}


def _unquote(part: str) -> str:
    part = part.strip()
    return part[1:-1].replace('""', '"') if part.startswith('"') else part.lower()


def tables_touched(sql_texts: Iterable[str]) -> list[str]:
    """Table names (without schema) the SQL names as the target of a lock-taking statement."""
    names: set[str] = set()
    for text in sql_texts:
        without_comments = re.sub(r"--[^\n]*", "", text)
        for pattern in _TOUCHES:
            for match in pattern.finditer(without_comments):
                last = re.split(r"\s*\.\s*(?=(?:\"|[A-Za-z_]))", match.group(1))[-1]
                name = _unquote(last)
                if name.lower() not in _KEYWORDS:
                    names.add(name)
    return sorted(names)


@dataclass(frozen=True)
class LockHolder:
    pid: int
    user: str
    application: str
    state: str
    relation: str
    mode: str
    granted: bool
    transaction_seconds: float | None
    wait_event: str

    def describe(self) -> str:
        age = "no transaction" if self.transaction_seconds is None else f"transaction open {self.transaction_seconds:.0f}s"
        verb = "holds" if self.granted else "waits for"
        app = f", application {self.application!r}" if self.application else ""
        return f"session {self.pid} (user {self.user}{app}, {self.state or 'unknown state'}, {age}) {verb} {self.mode} on {self.relation}"


LOCKS_QUERY = """
SELECT a.pid, coalesce(a.usename, ''), coalesce(a.application_name, ''), coalesce(a.state, ''),
       n.nspname || '.' || c.relname, l.mode, l.granted,
       extract(epoch FROM clock_timestamp() - a.xact_start)::float8,
       coalesce(a.wait_event_type, '')
  FROM pg_locks l
  JOIN pg_class c ON c.oid = l.relation
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_stat_activity a ON a.pid = l.pid
 WHERE l.locktype = 'relation' AND l.pid <> pg_backend_pid() AND c.relname = ANY(%s)
 ORDER BY a.xact_start NULLS LAST, a.pid, c.relname
"""


def lock_holders(connection: Any, tables: list[str]) -> list[LockHolder]:
    if not tables:
        return []
    with connection.cursor() as cursor:
        cursor.execute(LOCKS_QUERY, (tables,))
        rows = cursor.fetchall()
    return [LockHolder(int(r[0]), r[1], r[2], r[3], r[4], r[5], bool(r[6]), r[7], r[8]) for r in rows]
