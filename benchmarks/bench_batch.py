"""Batch screening: check_many on one and two processes, and `k2safety batch` on big files.

Run: .venv/bin/python benchmarks/bench_batch.py [--profiles N] [--rounds R] [--lines N ...]
Targets (issue 6): check_many with 2 processes at least 1.7x the profiles/s of 1 process; the
peak memory of `k2safety batch` does not grow with the size of the input.

The JSON Lines inputs (a realistic mix, 1 line in 200 invalid) are generated into a temporary
directory, as is each run's output; both are deleted afterwards, never committed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import _profiles

from k2safety._batch import check_many

# Runs a command and prints the peak resident memory of the largest process it started (the
# command itself or one of its workers), in kB, on the last line of standard error.
_PEAK = (
    "import resource, subprocess, sys\n"
    "status = subprocess.run(sys.argv[1:]).returncode\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(status)\n"
)


def check_many_rates(count: int, rounds: int) -> dict[str, float]:
    """Profiles per second, best of ``rounds``, including starting and stopping the workers."""
    profiles = _profiles.profiles(count)
    for _ in check_many(profiles[:1000]):  # warm this process's caches, as the workers do
        pass
    rates = {}
    for label, processes in (("in this process", None), ("1 process", 1), ("2 processes", 2)):
        best = float("inf")
        for _ in range(rounds):
            started = time.perf_counter()
            for _ in check_many(profiles, processes=processes):
                pass
            best = min(best, time.perf_counter() - started)
        rates[label] = count / best
    return rates


def write_input(path: Path, lines: int) -> None:
    distinct = [json.dumps(profile).encode() + b"\n" for profile in _profiles.profiles(20_000)]
    invalid = b'{"supplements": [{"ingredient": "MK-7", "dose": "180"}]}\n'
    with path.open("wb") as file:
        for number in range(lines):
            file.write(invalid if number % 200 == 199 else distinct[number % len(distinct)])


def batch_command() -> list[str]:
    from k2safety.cli import build_parser

    parser = build_parser()
    commands = next(a.choices for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    if "batch" in commands:
        return [sys.executable, "-m", "k2safety", "batch"]
    return [sys.executable, "-m", "k2safety", "batch"]


def run_cli(source: Path, output: Path, jobs: int) -> tuple[float, int, int]:
    """Seconds, peak memory (kB) and output size (bytes) of one `k2safety batch` run."""
    command = [*batch_command(), str(source), "-o", str(output), "--jobs", str(jobs)]
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-c", _PEAK, *command], capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    if completed.returncode != 3:  # the generated input has invalid lines, so 3 is success
        raise SystemExit(f"k2safety batch failed ({completed.returncode}):\n{completed.stderr}")
    peak = int(completed.stderr.splitlines()[-1])
    size = output.stat().st_size
    output.unlink()
    return seconds, peak, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profiles", type=int, default=40_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--lines", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--jobs", type=int, nargs="*", default=[1, 2])
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the start")

    rates = check_many_rates(args.profiles, args.rounds)
    print(f"\ncheck_many on {args.profiles:,} distinct dict profiles, best of {args.rounds}")
    for label, rate in rates.items():
        print(f"  {label:<16}{rate:>10,.0f} profiles/s")
    print(f"  2 processes / 1 process: {rates['2 processes'] / rates['1 process']:.2f}x")

    print("\nk2safety batch IN.jsonl -o OUT.jsonl --jobs N (one run each)")
    with tempfile.TemporaryDirectory(prefix="k2safety-bench-") as folder:
        for lines in args.lines:
            source = Path(folder) / f"in-{lines}.jsonl"
            write_input(source, lines)
            for jobs in args.jobs:
                seconds, peak, size = run_cli(source, Path(folder) / "out.jsonl", jobs)
                print(
                    f"  {lines:>9,} lines --jobs {jobs}: {lines / seconds:>8,.0f} lines/s, "
                    f"{seconds:6.1f} s, peak memory {peak / 1024:6.1f} MB (largest process), "
                    f"output {size / 1e9:.2f} GB"
                )
            source.unlink()
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
