"""Time the build guard on the largest corpus repository against walking its files.

The repository: a temporary git repository made from ../shared/corpus/repos/langfuse__langfuse
(the largest fragment, ~396 kB, 500+ files). Each measurement runs in this process,
alternating with its floor, after one uncounted warm-up:

- check-build: ``check_repository`` (every host config discovered, followed, workflows read),
  exactly what ``migpipe check-build --root REPO`` does without pipeline.toml;
- floor: ``git ls-files -z`` and reading every listed file (what any tool that looks at the
  whole repository pays at least).

Then the same with N unrelated files added (and committed) to show that the guard's cost
follows what it follows, not the repository's size; and with K extra scripts chained from
a Procfile release command, to show that it does grow with what is followed.

Usage: .venv-test/bin/python bench/bench_check_build.py [--runs 15] [--sizes 0,2000,8000] [--chain 0,50,200]
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from migpipe.buildguard import Scanner
from migpipe.buildguard.repository import check_repository
from migpipe.profiles.tools.registry import COMMON_FORBIDDEN

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / ".." / "shared" / "corpus" / "repos" / "langfuse__langfuse"


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def make_repo(base: Path, unrelated: int, chained: int) -> Path:
    repo = base / f"langfuse-{unrelated}-{chained}"
    if repo.exists():
        return repo
    shutil.copytree(SOURCE, repo)
    for index in range(unrelated):
        # Source-like files no host config reaches (a big app's src/ tree).
        path = repo / "web" / "src" / f"module{index // 100}" / f"file{index}.ts"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"export const value{index} = {index};\n" * 20)
    if chained:
        # A Procfile release runs a script that calls K scripts; the last one migrates.
        scripts = repo / "web" / "scripts"
        scripts.mkdir(parents=True, exist_ok=True)
        calls = "".join(f"sh ./web/scripts/step{index}.sh\n" for index in range(chained))
        (scripts / "release.sh").write_text(f"#!/bin/sh\nset -e\n{calls}")
        for index in range(chained):
            last = "npx prisma migrate deploy\n" if index == chained - 1 else ""
            (scripts / f"step{index}.sh").write_text(f"#!/bin/sh\necho step {index}\nnode --version\n{last}")
        (repo / "Procfile").write_text("release: sh ./web/scripts/release.sh\n")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=bench", "-c", "user.email=bench@example.invalid", "commit", "-q", "-m", "fragment")
    return repo


def floor(repo: Path) -> int:
    listed = subprocess.run(["git", "-C", str(repo), "ls-files", "-z"], check=True, capture_output=True).stdout
    total = 0
    for name in listed.split(b"\0"):
        if name:
            total += len((repo / name.decode()).read_bytes())
    return total


def guard(repo: Path) -> int:
    report = check_repository(Scanner(repo, COMMON_FORBIDDEN))
    return len(report.findings)


def timed(function: Callable[[Path], int], repo: Path) -> float:
    start = time.perf_counter()
    function(repo)
    return (time.perf_counter() - start) * 1000


def pair(repo: Path, runs: int) -> tuple[list[float], list[float]]:
    timed(guard, repo), timed(floor, repo)  # warm-up
    guard_times, floor_times = [], []
    for _ in range(runs):
        guard_times.append(timed(guard, repo))
        floor_times.append(timed(floor, repo))
    return guard_times, floor_times


def describe(times: list[float]) -> str:
    ordered = sorted(times)
    p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
    return f"median {statistics.median(times):7.1f} ms  p90 {p90:7.1f} ms  min {ordered[0]:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--sizes", default="0,2000,8000")
    parser.add_argument("--chain", default="0,50,200")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        base = Path(temporary)
        print("files added | tracked files | check-build | floor (git ls-files + read) | ratio of medians")
        for size in (int(s) for s in args.sizes.split(",")):
            repo = make_repo(base, size, 0)
            tracked = len(subprocess.run(["git", "-C", str(repo), "ls-files"], check=True, capture_output=True, text=True).stdout.splitlines())
            guard_times, floor_times = pair(repo, args.runs)
            ratio = statistics.median(guard_times) / statistics.median(floor_times)
            print(f"{size:11d} | {tracked:13d} | {describe(guard_times)} | {describe(floor_times)} | {ratio:.2f}x")
        print()
        print("scripts a Procfile release calls | findings | check-build")
        for chained in (int(c) for c in args.chain.split(",")):
            repo = make_repo(base, 0, chained)
            findings = guard(repo)
            guard_times, _ = pair(repo, args.runs)
            print(f"{chained:32d} | {findings:8d} | {describe(guard_times)}")


if __name__ == "__main__":
    main()
