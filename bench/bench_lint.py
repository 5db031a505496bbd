"""Time `migpipe lint` over the 1,296 corpus migrations against squawk alone over the same files.

The floor is squawk itself, measured in the same run: `squawk --config EMPTY
--reporter json FILE...` over every `*.sql` of ../shared/corpus/prisma-migrations
(one process, the invocation migpipe's own squawk run uses). `migpipe lint
FILE...` does that too (squawk over private copies, one process), and at the
same time parses every file with PostgreSQL's parser (pglast), runs
migpipe's rules, maps squawk's findings to kinds and applies exemptions.
A fresh process each run, as CI starts it; the two commands alternate so
load on the machine hits both alike; one uncounted warm-up run each.

    python bench/bench_lint.py [--runs 15]

Target (issue 13): migpipe lint within 1.5x squawk alone.
"""
from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "prisma-migrations"
TARGET_RATIO = 1.5


def _tool(name: str) -> str:
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        sys.exit(f"bench_lint: {name} is not installed (./test.sh makes .venv-test with it)")
    return found


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _time_once(command: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and its children)."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    cpu = _cpu()
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode not in (0, 1):
        sys.exit(f"bench_lint: {command[0]} exited {result.returncode}: {result.stderr.decode()[:500]}")
    return elapsed, _cpu() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    files = sorted(str(path.relative_to(CORPUS)) for path in CORPUS.glob("*/*.sql"))
    with tempfile.TemporaryDirectory() as scratch:
        config = Path(scratch) / "squawk.toml"
        config.write_text("")
        commands = {
            "migpipe lint": [_tool("migpipe"), "lint", *files],
            "squawk alone": [_tool("squawk"), "--config", str(config), "--reporter", "json", *files],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        for command in commands.values():
            _time_once(command, CORPUS)  # warm-up: bytecode, page cache
        for _ in range(args.runs):
            for name, command in commands.items():
                wall, used = _time_once(command, CORPUS)
                times[name].append(wall)
                cpu[name].append(used)
    print(f"{len(files)} files, {args.runs} runs each, alternating; {platform.python_implementation()} "
          f"{platform.python_version()}, {os.cpu_count()} CPUs")
    print(f"{'':14} {'median':>8} {'p90':>8} {'min':>8} {'CPU median':>11}")
    for name, values in times.items():
        ordered = sorted(values)
        p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
        print(
            f"{name:14} {statistics.median(values) * 1000:7.0f}ms {p90 * 1000:7.0f}ms {min(values) * 1000:7.0f}ms "
            f"{statistics.median(cpu[name]) * 1000:10.0f}ms"
        )
    ratio = statistics.median(times["migpipe lint"]) / statistics.median(times["squawk alone"])
    ratio_min = min(times["migpipe lint"]) / min(times["squawk alone"])
    ratio_cpu = statistics.median(cpu["migpipe lint"]) / statistics.median(cpu["squawk alone"])
    verdict = "met" if ratio <= TARGET_RATIO else "NOT met"
    print(
        f"wall: ratio of medians {ratio:.2f}x (of minimums {ratio_min:.2f}x); target <= {TARGET_RATIO}x: {verdict}; "
        f"CPU: {ratio_cpu:.2f}x (migpipe lint runs squawk too, beside PostgreSQL's parser)"
    )


if __name__ == "__main__":
    main()
