"""Memory over a long run of distinct profiles: it must stay flat.

Run: .venv/bin/python benchmarks/bench_memory.py [--profiles N] [--every K]   (N = 1,000,000:
about two minutes)

Every profile is new (_profiles.distinct_profiles: each medication text and dose is one no other
profile has), so the memos of texts (k2safety._caches) fill up and then only replace entries.
Profiles are generated in chunks and dropped after screening, so what grows is k2safety's alone.
Printed every K profiles: resident memory, the objects the garbage collector tracks, and how
long a full collection takes. Target (issue 10): flat memory over 1,000,000 distinct profiles.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import _profiles

import k2safety
from k2safety._caches import memos


def resident_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profiles", type=int, default=1_000_000)
    parser.add_argument("--every", type=int, default=100_000)
    args = parser.parse_args()
    chunk = 10_000
    print(
        f"{'profiles':>10} {'resident MiB':>13} {'GC objects':>11} {'full GC ms':>11} memo entries"
    )
    done = 0
    while done < args.profiles:
        for profile in _profiles.distinct_profiles(chunk, seed=done, start=done):
            k2safety.check(profile)
        done += chunk
        if done % args.every == 0:
            started = time.perf_counter()
            gc.collect()
            collection_ms = (time.perf_counter() - started) * 1000
            entries = sum(len(memo) for memo in memos())
            print(
                f"{done:>10,} {resident_mib():>13.1f} {len(gc.get_objects()):>11,} "
                f"{collection_ms:>11.1f} {entries:,}"
            )


if __name__ == "__main__":
    main()
