"""A real, private PostgreSQL server for tests.

``start_postgres()`` runs ``initdb`` and ``pg_ctl`` from the newest
``/usr/lib/postgresql/<version>/bin`` into a private temporary directory:

* it listens on 127.0.0.1 on a free port, plus a unix socket inside that
  directory (never the system's /var/run/postgresql);
* every connection, TCP or socket, needs the superuser's password
  (scram-sha-256), so tests can check that a password never reaches output;
* PostgreSQL refuses to run as root, so when the tests run as root initdb,
  pg_ctl and the server run as the ``postgres`` user (``runuser``).

No PostgreSQL binaries is an error, never a reason to skip: a test suite that
silently skips its database tests proves nothing. ``test.sh`` installs the
server packages when they are missing.
"""
from __future__ import annotations

import itertools
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

POSTGRES_BIN_GLOB = "/usr/lib/postgresql/*/bin"
SUPERUSER = "migpipe_admin"
# URL-special characters on purpose: the scripts under test must percent-decode
# it correctly, and tests look for both spellings in every line of output.
SUPERUSER_PASSWORD = "pw-Sec/r3t:@x%"
SERVICE_ACCOUNT = "postgres"


class PostgresUnavailable(RuntimeError):
    """The machine cannot run a PostgreSQL server; the message says why."""


def newest_postgres_bin_dir() -> Path:
    """The ``bin`` directory of the newest installed PostgreSQL server."""
    candidates = []
    for bin_dir in Path("/").glob(POSTGRES_BIN_GLOB.lstrip("/")):
        version = bin_dir.parent.name
        if (bin_dir / "initdb").is_file() and (bin_dir / "pg_ctl").is_file() and re.fullmatch(r"[0-9.]+", version):
            candidates.append((tuple(int(part) for part in version.split(".")), bin_dir))
    if not candidates:
        raise PostgresUnavailable(
            f"no PostgreSQL server binaries (initdb, pg_ctl) under {POSTGRES_BIN_GLOB}; "
            "install them (Debian/Ubuntu: apt-get install postgresql) or run ./test.sh, which does"
        )
    return max(candidates)[1]


def free_tcp_port() -> int:
    """A port nothing listens on right now (the OS picks it, so parallel runs do not clash)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_service_account() -> list[str]:
    """Command prefix that runs a server tool as a user PostgreSQL accepts."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(SERVICE_ACCOUNT)
    except KeyError as error:
        raise PostgresUnavailable(
            f"running as root, and there is no {SERVICE_ACCOUNT!r} user to run PostgreSQL as"
        ) from error
    runuser = shutil.which("runuser")
    if runuser is None:
        raise PostgresUnavailable("running as root, and runuser(1) is missing")
    return [runuser, "-u", SERVICE_ACCOUNT, "--"]


def _run_server_tool(command: list[str], what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise PostgresUnavailable(f"{what} failed (exit {result.returncode}):\n{result.stdout}{result.stderr}")


@dataclass
class PostgresServer:
    """A running server; ``stop()`` it when done (the pytest fixture does)."""

    bin_dir: Path
    base_dir: Path
    port: int
    host: str = "127.0.0.1"
    user: str = SUPERUSER
    password: str = SUPERUSER_PASSWORD
    _database_numbers: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def socket_dir(self) -> Path:
        return self.base_dir / "socket"

    @property
    def log_file(self) -> Path:
        return self.base_dir / "server.log"

    def url(self, database: str = "postgres", *, port: int | None = None, query: str = "") -> str:
        """A postgresql:// URL with the superuser's percent-encoded password."""
        credentials = f"{urllib.parse.quote(self.user, safe='')}:{urllib.parse.quote(self.password, safe='')}"
        url = f"postgresql://{credentials}@{self.host}:{port or self.port}/{database}"
        return f"{url}?{query}" if query else url

    def client_env(self) -> dict[str, str]:
        """Environment for psql / pg_dump run by the tests themselves."""
        return {
            **os.environ,
            "PGHOST": self.host,
            "PGPORT": str(self.port),
            "PGUSER": self.user,
            "PGPASSWORD": self.password,
            "PGCONNECT_TIMEOUT": "10",
        }

    def psql(self, database: str, sql: str, *, check: bool = True) -> str:
        """Run SQL as the superuser; returns unaligned, tuples-only output."""
        result = subprocess.run(
            [str(self.bin_dir / "psql"), "--no-psqlrc", "--quiet", "--tuples-only", "--no-align",
             "--set", "ON_ERROR_STOP=1", "--dbname", database],
            input=sql,
            env=self.client_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"psql failed (exit {result.returncode}): {result.stderr}")
        return result.stdout.strip()

    def create_database(self, prefix: str = "test") -> str:
        """A new, empty database; its name is unique within this server."""
        name = f"{re.sub(r'[^a-z0-9_]', '_', prefix.lower())[:40]}_{next(self._database_numbers)}"
        self.psql("postgres", f'CREATE DATABASE "{name}";')
        return name

    def stop(self) -> None:
        pg_ctl = [*_as_service_account(), str(self.bin_dir / "pg_ctl")]
        # Immediate: nothing here is worth a clean shutdown, and it cannot hang.
        subprocess.run([*pg_ctl, "stop", "-D", str(self.data_dir), "-m", "immediate"],
                       capture_output=True, timeout=60)
        shutil.rmtree(self.base_dir, ignore_errors=True)


def start_postgres() -> PostgresServer:
    """Initialise and start a private server; raises PostgresUnavailable on failure."""
    bin_dir = newest_postgres_bin_dir()
    as_service = _as_service_account()
    base_dir = Path(tempfile.mkdtemp(prefix="migpipe-postgres-"))
    server = PostgresServer(bin_dir=bin_dir, base_dir=base_dir, port=free_tcp_port())
    try:
        server.socket_dir.mkdir()
        password_file = base_dir / "superuser-password"
        password_file.write_text(server.password + "\n", encoding="utf-8")
        if as_service:
            account = pwd.getpwnam(SERVICE_ACCOUNT)
            for path in (base_dir, server.socket_dir, password_file):
                os.chown(path, account.pw_uid, account.pw_gid)
        base_dir.chmod(0o700)
        _run_server_tool(
            [*as_service, str(bin_dir / "initdb"), "--pgdata", str(server.data_dir),
             "--username", server.user, "--pwfile", str(password_file),
             "--auth", "scram-sha-256", "--encoding", "UTF8", "--no-locale", "--no-sync"],
            "initdb",
        )
        password_file.unlink()
        server_options = " ".join([
            "-c listen_addresses=127.0.0.1",
            f"-c port={server.port}",
            f"-c unix_socket_directories={server.socket_dir}",
            # A test server: durability does not matter, speed does.
            "-c fsync=off",
            "-c synchronous_commit=off",
            "-c full_page_writes=off",
        ])
        _run_server_tool(
            [*as_service, str(bin_dir / "pg_ctl"), "start", "--pgdata", str(server.data_dir),
             "--log", str(server.log_file), "--wait", "--timeout", "60", "-o", server_options],
            "pg_ctl start",
        )
    except BaseException:
        server.stop()
        raise
    return server


class TableLock:
    """Another session holding ACCESS EXCLUSIVE on ``table`` until ``release()``.

    ``project`` is any test project with ``server``, ``database`` and ``psql``.
    """

    def __init__(self, project, table: str) -> None:
        self.process = subprocess.Popen(
            ["psql", "--no-psqlrc", "--quiet", "--dbname", project.database],
            env=project.server.client_env(), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, text=True,
        )
        assert self.process.stdin is not None
        self.process.stdin.write(f'BEGIN;\nLOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE;\n')
        self.process.stdin.flush()
        deadline = time.monotonic() + 10
        while project.psql(
            "SELECT count(*) FROM pg_locks WHERE mode = 'AccessExclusiveLock' AND granted"
            f" AND relation = 'public.{table}'::regclass"
        ) != "1":
            assert time.monotonic() < deadline, "the locking session never got its lock"
            time.sleep(0.1)

    def release(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=10)
