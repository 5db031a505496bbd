"""What is saved before applying: a dump, a restore point, or nothing.

* ``dump``: pg_dump of the major version the server runs (a newer client
  works too; an older one refuses), written readable only by the runner user
  under the runner's temp dir (``$RUNNER_TEMP``), never inside the checkout,
  and read back (pg_restore --list) before anything is applied. Its time and
  size grow with the database. Without an upload command the dump is lost
  with the runner, and the run says so.
* ``restore-point``: the server time and WAL position (and a named restore
  point where the role may create one), recorded before applying, for the
  provider's point-in-time recovery. Constant time, whatever the size.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migpipe.runtime.processes import Command, run
from migpipe.runtime.urls import DatabaseUrl, password_file

if TYPE_CHECKING:
    from migpipe.config.tables import Backup

EXTENSIONS = {"custom": ".dump", "directory": ".dir", "tar": ".tar", "plain": ".sql"}
_VERSION_RE = re.compile(r"\(PostgreSQL\)\s+([0-9]+)")


class BackupFailed(Exception):
    """Nothing was applied; the message says why."""


@dataclass(frozen=True)
class BackupResult:
    lines: tuple[str, ...]  # what to tell the user
    file: Path | None = None


def client_major(program: str) -> int | None:
    """The major version of a libpq client program (None when it does not say)."""
    try:
        result = subprocess.run([program, "--version"], capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        return None
    match = _VERSION_RE.search(result.stdout)
    return int(match.group(1)) if result.returncode == 0 and match else None


def find_pg_dump(server_major: int) -> tuple[str, int]:
    """The pg_dump to use for a server of ``server_major``: the one on PATH
    when its major matches, else PostgreSQL's own install of that major
    (/usr/lib/postgresql/N/bin, as postgresql-client-N installs it), else
    the newest newer one. An older client cannot dump a newer server."""
    candidates: list[tuple[str, int]] = []
    on_path = shutil.which("pg_dump")
    if on_path:
        major = client_major(on_path)
        if major is not None:
            candidates.append((on_path, major))
    for directory in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        binary = directory / "pg_dump"
        if binary.is_file() and directory.parent.name.isdigit():
            candidates.append((str(binary), int(directory.parent.name)))
    for path, major in candidates:
        if major == server_major:
            return path, major
    newer = sorted((c for c in candidates if c[1] > server_major), key=lambda c: c[1])
    if newer:
        return newer[0]
    found = ", ".join(f"{major}" for _, major in candidates) or "none"
    raise BackupFailed(
        f"no pg_dump for PostgreSQL {server_major} (found: {found}); install postgresql-client-{server_major}"
    )


def dump_directory(configured: str, checkout: Path) -> Path:
    """Where dumps go: ``configured`` under the runner's temp dir, never in the checkout."""
    base = Path(os.environ.get("RUNNER_TEMP") or tempfile.gettempdir())
    directory = (base / configured).resolve()
    if directory == checkout.resolve() or checkout.resolve() in directory.parents:
        raise BackupFailed(f"the backup directory {directory} is inside the checkout; set RUNNER_TEMP elsewhere")
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as error:
        raise BackupFailed(f"cannot create the backup directory {configured}, nothing was applied ({error.strerror})") from error
    if not directory.is_dir():
        raise BackupFailed(f"cannot create the backup directory {configured}, nothing was applied")
    return directory


def take_dump(
    settings: Backup,
    url: DatabaseUrl,
    known: list[str],
    server_major: int,
    lock_timeout: str,
    checkout: Path,
    secrets: tuple[str, ...],
    say: Callable[[str], None],
) -> BackupResult:
    program, major = find_pg_dump(server_major)
    directory = dump_directory(settings.directory, checkout)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    # The process id keeps two runs started in the same second apart.
    target = directory / f"before-migrate-{stamp}-{os.getpid()}{EXTENSIONS[settings.format]}"
    say(f"backing up with pg_dump {major} (server {server_major}) to {target}")
    with password_file(url) as pass_env:
        env = {**url.libpq_env(known), **pass_env}
        # --lock-wait-timeout: a table someone holds locked would block the
        # migration too; fail now rather than wait behind it.
        dump = run(Command((program, f"--format={settings.format}", "--no-owner",
                            f"--lock-wait-timeout={lock_timeout}", f"--file={target}"), env),
                   checkout, secrets, umask=0o077)
    if dump.returncode != 0:
        first = next((line for line in dump.stderr.splitlines() if line.strip()), f"exit {dump.returncode}")
        raise BackupFailed(f"backup failed, nothing was applied: {first.removeprefix('pg_dump: error: ')}")
    if target.is_file():
        target.chmod(0o600)
    if settings.format == "plain":
        if "PostgreSQL database dump complete" not in target.read_text(encoding="utf-8", errors="replace")[-4096:]:
            raise BackupFailed("backup is incomplete, nothing was applied")
    else:
        restore = shutil.which("pg_restore") or str(Path(program).with_name("pg_restore"))
        listing = subprocess.run([restore, "--list", str(target)], capture_output=True, text=True, check=False)
        if listing.returncode != 0:
            raise BackupFailed("backup cannot be read back by pg_restore, nothing was applied")
    lines = ["backup verified"]
    if settings.upload_command:
        upload = subprocess.run(["bash", "-euo", "pipefail", "-c", settings.upload_command],
                                cwd=checkout, env={**os.environ, "BACKUP_FILE": str(target)}, check=False)
        if upload.returncode != 0:
            raise BackupFailed("uploading the backup failed, nothing was applied")
        lines.append("backup uploaded")
    else:
        lines.append(
            f"NOTE: the dump is only on this runner ({target}) and is lost when the job ends; "
            "set [backup] upload_command to keep it, or use mode = \"restore-point\" with your provider's PITR"
        )
    return BackupResult(tuple(lines), target)


def record_restore_point(connection: Any, label: str) -> BackupResult:
    """Server time and WAL position now (and a named restore point if permitted)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
                " CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END,"
                " current_setting('server_version')"
            )
            row = cursor.fetchone()
    except Exception as error:
        raise BackupFailed(f"cannot record a restore point, nothing was applied: {str(error).splitlines()[0]}") from error
    assert row is not None
    server_time, lsn, version = row
    where = lsn or "unknown (a standby)"
    lines = [f"restore point: server time {server_time} (UTC), WAL position {where}, PostgreSQL {version}"]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_create_restore_point(%s)::text", (label,))
            created = cursor.fetchone()
        lines.append(f"named restore point {label!r} created at WAL {created[0] if created else '?'}")
    except Exception as error:  # noqa: BLE001 - managed providers rarely allow it
        lines.append(
            f"no named restore point ({str(error).splitlines()[0]}); "
            "recover to the time or WAL position above (see the runbook)"
        )
    return BackupResult(tuple(lines))
