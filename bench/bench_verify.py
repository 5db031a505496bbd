"""Time `migpipe verify` against its floors.

1. `migpipe verify` on pipeline.example.toml (a fresh process each run, as a
   pre-commit hook or a CI step starts it). verify always does the full
   comparison (validate pipeline.toml, render every file, compare bytes):
   with every file current (the daily case), with one file hand-edited (plus
   a diff), and with the compiled-template cache off (a CI runner's first
   run). Against two floors measured in the same run: the bare import of
   what the full comparison needs (`from pydantic import BaseModel; import
   jinja2`; `import pydantic` alone imports almost nothing), and the bare
   import of migpipe's declared dependencies (the floor of earlier figures).
(The migrate step's lint was timed here while the generated script held it;
it is `migpipe migrate` now, which lints through migpipe.lint: bench_lint.py
times that against squawk alone.)

The commands of a group run alternately, so load on the machine hits all
alike. Plain Python: it installs nothing. Run from the repository root:

    python bench/bench_verify.py [--runs 20]
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
# What verify's full comparison imports: pydantic's models and Jinja.
COMPARISON_IMPORT = "from pydantic import BaseModel; import jinja2"
# migpipe's declared dependencies (the floor of the figures before issue 11).
DEPENDENCIES_IMPORT = "import pydantic, jinja2, ruamel.yaml"
TARGET_RATIO = 1.5  # issue 11: the full comparison within 1.5x the bare import


def _migpipe_command() -> list[str]:
    """The console script beside this Python, as users run it; else -m migpipe."""
    script = Path(sys.executable).parent / "migpipe"
    return [str(script)] if script.exists() else [sys.executable, "-m", "migpipe"]


def _child_env() -> dict[str, str]:
    """This environment, with bytecode written as an installed package has it.

    pip compiles a package's modules at install, but an editable install
    under PYTHONDONTWRITEBYTECODE=1 (set on some machines) would recompile
    migpipe's sources on every run, a cost no user pays. The uncounted
    warm-up run writes the bytecode.
    """
    return {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


Command = tuple[list[str], tuple[int, ...], dict[str, str]]  # argv, accepted exit codes, extra environment


_cpu_times: dict[str, list[float]] = {}


def _time_once(command: list[str], cwd: Path, ok_codes: tuple[int, ...], extra_env: dict[str, str] | None = None) -> float:
    """Wall time of one run; its CPU time (user + system) goes to _cpu_times under the last name timed."""
    env = {**_child_env(), **(extra_env or {})}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    global _last_cpu
    _last_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.returncode not in ok_codes:
        sys.exit(f"{' '.join(command[:3])} ... exited {result.returncode}: {result.stderr.decode()[-500:]}")
    return elapsed


_last_cpu = 0.0


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def compare(label: str, pairs: dict[str, Command], cwd: Path, runs: int) -> dict[str, float]:
    """Run each command ``runs`` times, alternating; print median / p90 / min in ms."""
    times: dict[str, list[float]] = {name: [] for name in pairs}
    for command, ok, env in pairs.values():
        _time_once(command, cwd, ok, env)  # warm the page cache (and the template cache); not counted
    for _ in range(runs):
        for name, (command, ok, env) in pairs.items():
            times[name].append(_time_once(command, cwd, ok, env))
            _cpu_times.setdefault(name, []).append(_last_cpu)
    print(f"\n{label} ({runs} runs each, alternating)")
    medians = {}
    for name, values in times.items():
        medians[name] = statistics.median(values)
        print(
            f"  {name:<58} median {medians[name] * 1000:7.1f} ms   p90 {_percentile(values, 0.9) * 1000:7.1f} ms"
            f"   min {min(values) * 1000:7.1f} ms   CPU median {statistics.median(_cpu_times[name]) * 1000:7.1f} ms"
        )
    return medians


def bench_verify(runs: int) -> None:
    with tempfile.TemporaryDirectory(prefix="migpipe-bench-") as tmp:
        repo = Path(tmp) / "repo"
        repo.mkdir()
        shutil.copy(REPO / "pipeline.example.toml", repo / "pipeline.toml")
        edited = Path(tmp) / "edited"
        migpipe = _migpipe_command()
        cache = {"MIGPIPE_CACHE_DIR": str(Path(tmp) / "cache")}
        subprocess.run([*migpipe, "generate"], cwd=repo, check=True, stdout=subprocess.DEVNULL, env={**_child_env(), **cache})
        shutil.copytree(repo, edited)
        # One hand edit: verify also diffs (exit 1: drift found).
        runbook = edited / "docs" / "migrations-runbook.md"
        runbook.write_text(runbook.read_text() + "An edit by hand.\n")
        clean = "migpipe verify, every file current"
        floor = f"floor: python -c '{COMPARISON_IMPORT}'"
        dependencies = f"python -c '{DEPENDENCIES_IMPORT}'"
        medians = compare(
            "migpipe verify on pipeline.example.toml: the full comparison, a new process each run",
            {
                clean: ([*migpipe, "verify"], (0,), cache),
                "migpipe verify, one file hand-edited": ([*migpipe, "verify", "--root", str(edited)], (1,), cache),
                "migpipe verify, template cache off (first run)": ([*migpipe, "verify"], (0,), {"MIGPIPE_CACHE_DIR": ""}),
                floor: ([sys.executable, "-c", COMPARISON_IMPORT], (0,), {}),
                dependencies: ([sys.executable, "-c", DEPENDENCIES_IMPORT], (0,), {}),
                "python -c pass": ([sys.executable, "-c", "pass"], (0,), {}),
            },
            repo,
            runs,
        )
        cpu = {name: statistics.median(_cpu_times[name]) for name in medians}
        for name in list(medians)[:3]:
            print(
                f"  {name}: {medians[name] / medians[floor]:.2f}x the floor, "
                f"{medians[name] / medians[dependencies]:.2f}x the dependencies' import "
                f"(CPU: {cpu[name] / cpu[floor]:.2f}x, {cpu[name] / cpu[dependencies]:.2f}x)"
            )
        ratio = medians[clean] / medians[floor]
        print(f"  target (every file current, within {TARGET_RATIO}x the floor): {'met' if ratio <= TARGET_RATIO else 'MISSED'} ({ratio:.2f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="runs of migpipe verify and of the bare import")
    args = parser.parse_args()
    print(f"{platform.python_implementation()} {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    bench_verify(args.runs)


if __name__ == "__main__":
    main()
