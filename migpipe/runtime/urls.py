"""Database URLs: read as people write them, handed on without leaking the password.

A production URL arrives in an environment variable, written by a person or
a provider's console: ``postgres://`` or ``postgresql+psycopg2://``, a
password percent-encoded or not (a raw ``/``, ``?`` or ``#`` in it is common),
``?password=`` instead of ``user:password@``, stray spaces around it, several
hosts, parameters only one tool knows. ``parse_url`` reads all of these.

What each consumer gets, never the password on a command line:

* psycopg: ``connect_kwargs()`` (libpq keywords, the password one of them);
* pg_dump / pg_restore: ``libpq_env()`` (PGHOST, PGUSER, ... and PGPASSFILE,
  a 0600 file written by ``password_file``);
* the migration tool: ``tool_url()``, a canonical URL in its environment
  variable, as the tool expects it.

Messages about a URL never quote it: ``UrlError`` says what is wrong, not
what was written.
"""
from __future__ import annotations

import os
import re
import tempfile
import urllib.parse
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

SCHEMES = ("postgres", "postgresql")
# A host list as libpq writes it: host[:port][,host[:port]]..., IPv6 in brackets.
_HOSTS_RE = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._%~-]*)(?::[0-9]*)?(?:,(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._%~-]*)(?::[0-9]*)?)*")


class UrlError(ValueError):
    """The URL cannot be used; the message never quotes it."""


@dataclass(frozen=True)
class DatabaseUrl:
    scheme: str  # as written, e.g. "postgresql+psycopg2"
    user: str
    password: str | None
    hosts: tuple[tuple[str, str], ...]  # (host, port), port "" when not given
    database: str
    query: tuple[tuple[str, str], ...] = field(default=())

    def param(self, name: str) -> str | None:
        """The last value of a query parameter, or None."""
        values = [value for key, value in self.query if key == name]
        return values[-1] if values else None

    def part(self, name: str) -> str:
        """One part of the URL, as a tool reading it from its own variable wants it
        (host, port, user, password, database; the first host of several)."""
        host, port = self.hosts[0] if self.hosts else ("", "")
        return {
            "host": host.strip("[]"),
            "port": port or "5432",
            "user": self.user,
            "password": self.password or "",
            "database": self.database,
        }[name]

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every spelling of the password that could reach output."""
        if not self.password:
            return ()
        spellings = {
            self.password,
            urllib.parse.quote(self.password, safe=""),
            urllib.parse.quote(self.password),
            urllib.parse.quote_plus(self.password),
        }
        return tuple(sorted((s for s in spellings if len(s) >= 3), key=len, reverse=True))

    # ---- libpq ---------------------------------------------------------------

    def libpq_params(self, known: Sequence[str], connect_timeout: int | None = None) -> dict[str, str]:
        """libpq keywords, without the password: host, port, dbname, user and
        every query parameter libpq knows (``known``); others (a tool's own,
        such as Prisma's ``schema``) are left out."""
        params: dict[str, str] = {}
        hosts = [host.strip("[]") for host, _ in self.hosts]
        if any(hosts):
            params["host"] = ",".join(hosts)
        ports = [port for _, port in self.hosts]
        if any(ports):
            params["port"] = ",".join(port or "5432" for port in ports)
        if self.database:
            params["dbname"] = self.database
        if self.user:
            params["user"] = self.user
        for key, value in self.query:
            if key in known and key != "password":
                params[key] = value
        if connect_timeout is not None:
            params["connect_timeout"] = str(connect_timeout)
        return params

    def connect_kwargs(self, known: Sequence[str], connect_timeout: int | None = None) -> dict[str, str]:
        """Keyword arguments for psycopg.connect: the password is one of them."""
        params = self.libpq_params(known, connect_timeout)
        if self.password is not None:
            params["password"] = self.password
        return params

    def libpq_env(self, known: Sequence[str], connect_timeout: int | None = None) -> dict[str, str]:
        """Environment variables for pg_dump, pg_restore, psql (no password:
        give them PGPASSFILE from ``password_file``)."""
        names = {
            "host": "PGHOST", "port": "PGPORT", "dbname": "PGDATABASE", "user": "PGUSER",
            "connect_timeout": "PGCONNECT_TIMEOUT", "sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT",
            "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY", "options": "PGOPTIONS",
            "application_name": "PGAPPNAME", "target_session_attrs": "PGTARGETSESSIONATTRS",
            "channel_binding": "PGCHANNELBINDING", "gssencmode": "PGGSSENCMODE", "sslcrl": "PGSSLCRL",
            "sslnegotiation": "PGSSLNEGOTIATION", "service": "PGSERVICE",
        }
        env: dict[str, str] = {}
        for key, value in self.libpq_params(known, connect_timeout).items():
            if key in names:
                env[names[key]] = value
        return env

    # ---- the tool's URL ------------------------------------------------------

    def tool_url(
        self,
        *,
        scheme: str | None = None,
        query: Sequence[tuple[str, str]] | None = None,
        with_password: bool = True,
    ) -> str:
        """The URL, canonical: user and password percent-encoded, so any
        tool's URL parser reads them back exactly."""
        userinfo = urllib.parse.quote(self.user, safe="")
        if with_password and self.password is not None:
            userinfo += ":" + urllib.parse.quote(self.password, safe="")
        netloc = ",".join(f"{host}:{port}" if port else host for host, port in self.hosts)
        if userinfo:
            netloc = f"{userinfo}@{netloc}"
        pairs = self.query if query is None else tuple(query)
        text = f"{scheme or self.scheme}://{netloc}/{urllib.parse.quote(self.database, safe='')}"
        if pairs:
            text += "?" + urllib.parse.urlencode(list(pairs), quote_via=urllib.parse.quote)
        return text

    def with_query(self, pairs: Sequence[tuple[str, str]]) -> DatabaseUrl:
        return DatabaseUrl(self.scheme, self.user, self.password, self.hosts, self.database, tuple(pairs))


def _split_authority(rest: str) -> tuple[str | None, str]:
    """(userinfo or None, the rest from the host list on).

    The password may hold a raw ``/``, ``?``, ``#`` or ``@``, so the userinfo
    ends at the LAST ``@`` that is followed by a host list and then the end,
    ``/``, ``?`` or ``#``. (A query value holding ``@`` must be
    percent-encoded, as RFC 3986 wants anyway.)
    """
    for at in (m.start() for m in reversed(list(re.finditer("@", rest)))):
        userinfo, tail = rest[:at], rest[at + 1:]
        if ":" not in userinfo and any(char in userinfo for char in "/?#"):
            continue  # an "@" in the path or query of a URL without a password
        match = _HOSTS_RE.match(tail)
        end = match.end() if match else 0
        if end == len(tail) or tail[end] in "/?#":
            return userinfo, tail
    return None, rest


def parse_url(text: str, name: str = "the URL") -> DatabaseUrl:
    """Reads a postgres URL; ``name`` (e.g. "DATABASE_URL") names it in errors."""
    url = text.strip()
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.split("+", 1)[0].lower() not in SCHEMES:
        raise UrlError(f"{name} is not a postgresql:// URL with a host")
    if "\n" in url or "\r" in url or "\0" in url:
        raise UrlError(f"{name} holds a line break or NUL character")
    userinfo, after = _split_authority(rest)
    match = _HOSTS_RE.match(after)
    host_text = match.group(0) if match else ""
    remainder = after[len(host_text):]
    path, qmark, query_text = remainder.partition("#")[0].partition("?")
    if path and not path.startswith("/"):
        raise UrlError(f"{name} is not a postgresql:// URL with a host")
    database = urllib.parse.unquote(path[1:])
    query = tuple(urllib.parse.parse_qsl(query_text, keep_blank_values=True)) if qmark else ()
    user, password = "", None
    if userinfo is not None:
        raw_user, colon, raw_password = userinfo.partition(":")
        user = urllib.parse.unquote(raw_user)
        password = urllib.parse.unquote(raw_password) if colon else None
    hosts: list[tuple[str, str]] = []
    for item in host_text.split(",") if host_text else []:
        if item.startswith("["):
            host, _, port = item.partition("]")
            host += "]"
            port = port[1:]
        else:
            host, _, port = item.partition(":")
        if port and not port.isdigit():
            raise UrlError(f"{name} has a port that is not a number")
        hosts.append((urllib.parse.unquote(host), port))
    query_password = [value for key, value in query if key == "password"]
    if query_password:
        password = query_password[-1]
        query = tuple((key, value) for key, value in query if key != "password")
    query_user = [value for key, value in query if key == "user"]
    if query_user and not user:
        user = query_user[-1]
        query = tuple((key, value) for key, value in query if key != "user")
    if not any(host for host, _ in hosts) and not any(key == "host" for key, _ in query):
        raise UrlError(f"{name} is not a postgresql:// URL with a host")
    if password is not None and ("\n" in password or "\r" in password):
        raise UrlError(f"{name} has a line break in its password")
    return DatabaseUrl(scheme, user, password, tuple(hosts), database, query)


def _passfile_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace(":", "\\:")


@contextmanager
def password_file(url: DatabaseUrl) -> Iterator[dict[str, str]]:
    """PGPASSFILE for libpq tools: a 0600 file, removed afterwards. Yields the
    environment entries to add (none when the URL has no password)."""
    if url.password is None:
        yield {}
        return
    handle, path = tempfile.mkstemp(prefix="migpipe-pgpass-")
    try:
        os.fchmod(handle, 0o600)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            # Any host, port, database and user: the file serves one process.
            stream.write(f"*:*:*:*:{_passfile_escape(url.password)}\n")
        yield {"PGPASSFILE": path}
    finally:
        Path(path).unlink(missing_ok=True)


def redact(text: str, secrets: Sequence[str]) -> str:
    """``text`` with every secret replaced by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
