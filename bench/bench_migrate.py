"""Time what `migpipe migrate` does to the application and what it costs.

1. stall: the application's worst stall while a migration waits behind a long
   transaction, under a real concurrent load. pgbench runs a read-only
   workload (4 clients) on pgbench_accounts for the whole experiment; a
   "blocker" session holds a plain read lock on the table in a transaction of
   BLOCK seconds; a migration (ALTER TABLE pgbench_accounts ADD COLUMN) starts
   one second into it. Its ACCESS EXCLUSIVE request queues behind the
   blocker, and every application query queues behind the request. Compared:
   the tool's plain migrate (dbmate, no lock_timeout: the floor) against
   `migpipe migrate` with the same tool (lock_timeout, retries with backoff).
   The migration must end applied in both, once the blocker is gone. The
   stall is read from pgbench's per-transaction log (each query's latency).
2. backup: the migrate step's wall time against database size (pgbench
   scales), for each backup mode (none, restore-point, dump), with the plain
   tool's migrate as the floor.

dbmate (real, from npm) is the tool: it is what the tests run for real; Prisma's
engine cannot run here. PostgreSQL is a private server (tests/support). Run
from the repository root with the test venv (./test.sh makes it):

    .venv-test/bin/python bench/bench_migrate.py [--block 10] [--scales 1,10,30] [--runs 2]
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.migrate.node_projects import install_node_tools, pipeline_toml  # noqa: E402
from tests.support.postgres import PostgresServer, start_postgres  # noqa: E402

VENV_BIN = Path(sys.executable).parent
DBMATE = {"dbmate": "2.36.0"}
LOAD_SCRIPT = "\\set aid random(1, 100000)\nSELECT abalance FROM pgbench_accounts WHERE aid = :aid;\n"


@dataclass
class Project:
    root: Path
    server: PostgresServer
    database: str

    @property
    def url(self) -> str:
        return self.server.url(self.database, query="sslmode=disable")

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update(PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}", DATABASE_URL=self.url,
                   RUNNER_TEMP=str(self.root.parent / "runner-temp"), npm_config_offline="true", NO_COLOR="1")
        return env

    def add_migration(self, name: str, up: str) -> None:
        (self.root / "db" / "migrations" / name).write_text(f"-- migrate:up\n{up}\n-- migrate:down\n")

    def plain(self) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["npx", "--no-install", "dbmate", "--no-dump-schema", "migrate"], cwd=self.root,
                              env=self.env(), capture_output=True, text=True, check=False)

    def migpipe(self) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(VENV_BIN / "migpipe"), "migrate", "-c", "pipeline.toml", "--root", "."],
                              cwd=self.root, env=self.env(), capture_output=True, text=True, check=False)

    def psql(self, sql: str) -> str:
        return self.server.psql(self.database, sql)


def make_project(base: Path, server: PostgresServer, node_modules: Path, name: str, overrides: dict[str, Any]) -> Project:
    root = base / name / "repo"
    (root / "db" / "migrations").mkdir(parents=True)
    (root / "package.json").write_text('{"name": "app", "private": true}\n')
    (root / "node_modules").symlink_to(node_modules, target_is_directory=True)
    (root / "pipeline.toml").write_text(pipeline_toml({"name": "dbmate"}, overrides))
    database = server.create_database(name)
    return Project(root, server, database)


def pgbench_init(project: Project, scale: int) -> None:
    subprocess.run(["pgbench", "-i", "-q", "-s", str(scale), "--no-vacuum", project.database],
                   env=project.server.client_env(), check=True, capture_output=True)
    project.psql("VACUUM ANALYZE")


# ---- 1. stall ------------------------------------------------------------------------


def latencies(log_dir: Path) -> list[tuple[float, float]]:
    """(start time, latency) of every transaction, seconds, from pgbench -l logs."""
    rows = []
    for path in log_dir.glob("pgbench_log*"):
        for line in path.read_text().splitlines():
            parts = line.split()
            # client_id transaction_no time script_no time_epoch time_us
            latency_us, epoch, micros = int(parts[2]), int(parts[4]), int(parts[5])
            end = epoch + micros / 1e6
            rows.append((end - latency_us / 1e6, latency_us / 1e6))
    return rows


def stall_run(project: Project, variant: str, block: float, duration: float) -> dict[str, Any]:
    log_dir = project.root.parent / f"pgbench-{variant}"
    log_dir.mkdir()
    (log_dir / "load.sql").write_text(LOAD_SCRIPT)
    load = subprocess.Popen(
        ["pgbench", "-n", "-c", "4", "-j", "2", "-T", str(int(duration)), "-f", str(log_dir / "load.sql"),
         "-l", "--log-prefix", str(log_dir / "pgbench_log"), project.database],
        env=project.server.client_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    time.sleep(2)
    blocker_started = time.time()
    blocker = subprocess.Popen(
        ["psql", "--no-psqlrc", "-q", "-c",
         f"BEGIN; SELECT count(*) FROM pgbench_accounts WHERE aid = 1; SELECT pg_sleep({block}); COMMIT;",
         project.database],
        env=project.server.client_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    time.sleep(1)
    migration_started = time.time()
    result: dict[str, Any] = {}

    def migrate() -> None:
        done = project.plain() if variant == "plain" else project.migpipe()
        result.update(exit=done.returncode, seconds=time.time() - migration_started, output=done.stdout + done.stderr)

    thread = threading.Thread(target=migrate)
    thread.start()
    blocker.wait()
    blocker_ended = time.time()
    thread.join()
    load.wait()
    rows = latencies(log_dir)
    during = [lat for start, lat in rows if migration_started - 0.5 <= start <= blocker_ended + 1]
    applied = project.psql(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = 'pgbench_accounts' AND column_name = 'note'"
    ) == "1"
    return {
        "variant": variant,
        "exit": result["exit"],
        "applied": applied,
        "migration_seconds": result["seconds"],
        "blocker_seconds_after_migration_start": blocker_ended - migration_started,
        "blocker_total": blocker_ended - blocker_started,
        "transactions": len(rows),
        "worst_stall": max(lat for _, lat in rows),
        "p99_during": statistics.quantiles(during, n=100)[98] if len(during) >= 100 else max(during, default=0.0),
        "over_1s": sum(1 for _, lat in rows if lat > 1.0),
        "output": result["output"],
    }


def bench_stall(base: Path, server: PostgresServer, node_modules: Path, block: float, lock_timeout: str) -> None:
    overrides = {
        "guards": {"lock_timeout": lock_timeout, "lock_retries": 20, "lock_retry_delay": "1s",
                   "lock_retry_max_delay": "2s"},
        "backup": {"mode": "none"},
        "test_database": {"url_env": "DATABASE_URL"},
    }
    print(f"\n1. stall: pgbench 4 clients read-only; a transaction holds a read lock on pgbench_accounts for "
          f"{block:g}s; the migration (ADD COLUMN) starts 1s into it. migpipe: lock_timeout={lock_timeout}, "
          "retries every 1s then 2s")
    print("| migrate | exit | applied | migration took | worst app stall | p99 while blocked | queries > 1 s |")
    print("|---|---|---|---|---|---|---|")
    results = []
    for variant in ("plain", "migpipe"):
        project = make_project(base, server, node_modules, f"stall_{variant}", overrides)
        pgbench_init(project, 1)
        project.add_migration("20240101000000_add_note.sql", "ALTER TABLE pgbench_accounts ADD COLUMN note text;")
        row = stall_run(project, variant, block, duration=block + 8)
        results.append(row)
        name = "dbmate migrate (plain)" if variant == "plain" else "migpipe migrate (dbmate)"
        print(f"| {name} | {row['exit']} | {'yes' if row['applied'] else 'NO'} | {row['migration_seconds']:.1f} s "
              f"| **{row['worst_stall']:.2f} s** | {row['p99_during']:.2f} s | {row['over_1s']} |")
        if not row["applied"] or row["exit"] != 0:
            print(row["output"][-2000:])
    plain, ours = results
    print(f"worst stall: migpipe {ours['worst_stall']:.2f} s = {ours['worst_stall'] / plain['worst_stall']:.2f}x "
          f"the plain tool's {plain['worst_stall']:.2f} s (blocker held the lock {plain['blocker_seconds_after_migration_start']:.1f} s "
          "after the migration started)")


# ---- 2. backup cost ----------------------------------------------------------------------


def bench_backup(base: Path, server: PostgresServer, node_modules: Path, scales: list[int], runs: int) -> None:
    print(f"\n2. the migrate step's wall time against database size, {runs} run(s) each, median "
          "(one trivial pending migration per run)")
    print("| pgbench scale | database size | dbmate alone (floor) | migpipe, mode none | restore-point | dump (custom) |")
    print("|---|---|---|---|---|---|")
    for scale in scales:
        times: dict[str, list[float]] = {"plain": [], "none": [], "restore-point": [], "dump": []}
        projects = {}
        for mode in ("none", "restore-point", "dump"):
            projects[mode] = make_project(base, server, node_modules, f"size{scale}_{mode.replace('-', '_')}",
                                          {"backup": {"mode": mode}, "guards": {"lock_retries": 0}})
        # One database per scale, shared: each project points at it.
        database = projects["none"].database
        for project in projects.values():
            project.database = database
        pgbench_init(projects["none"], scale)
        size = projects["none"].psql("SELECT pg_size_pretty(pg_database_size(current_database()))")
        counter = 0
        for _ in range(runs):
            for mode in ("plain", "none", "restore-point", "dump"):
                counter += 1
                project = projects["none" if mode == "plain" else mode]
                name = f"{20240101000000 + counter}_t{counter}.sql"
                for other in projects.values():
                    other.add_migration(name, f"CREATE TABLE t{counter} (id int);")
                started = time.perf_counter()
                done = project.plain() if mode == "plain" else project.migpipe()
                elapsed = time.perf_counter() - started
                if done.returncode != 0:
                    sys.exit(f"{mode} failed:\n{done.stdout}{done.stderr}")
                times[mode].append(elapsed)
        med = {mode: statistics.median(values) for mode, values in times.items()}
        print(f"| {scale} | {size} | {med['plain']:.2f} s | {med['none']:.2f} s | {med['restore-point']:.2f} s "
              f"| {med['dump']:.2f} s |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--block", type=float, default=10.0, help="seconds the blocking transaction lasts")
    parser.add_argument("--lock-timeout", default="1s", help="migpipe's lock_timeout in the stall experiment")
    parser.add_argument("--scales", default="1,10,30", help="pgbench scales for the backup experiment")
    parser.add_argument("--runs", type=int, default=2, help="runs per mode and scale")
    parser.add_argument("--skip-stall", action="store_true")
    parser.add_argument("--skip-backup", action="store_true")
    args = parser.parse_args()
    print(f"{platform.python_implementation()} {platform.python_version()} on {platform.machine()}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    server = start_postgres()
    try:
        with tempfile.TemporaryDirectory(prefix="migpipe-bench-migrate-") as tmp:
            base = Path(tmp)
            node_modules = install_node_tools(base / "node-tools", DBMATE)
            if not args.skip_stall:
                bench_stall(base, server, node_modules, args.block, args.lock_timeout)
            if not args.skip_backup:
                bench_backup(base, server, node_modules, [int(s) for s in args.scales.split(",")], args.runs)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
