"""How much memory k2safety's caches hold after screening many distinct profiles.

Run: .venv/bin/python benchmarks/bench_memory.py [--profiles N]

check() remembers validated entries, normalized parts and each rule's finding, in caches of a
fixed number of entries; a profile whose lists are long (more than SHORT_LIST entries, or more
text than the sharing limit) is worked out afresh and remembered nowhere. So memory levels off
whatever the input. This prints the growth of the process (resident memory) after screening,
in a fresh process for each kind of input:

- typical: the benchmark mix of bench_check.py (200,000 distinct profiles);
- at the limits: every profile distinct, with lists and texts as large as are still shared;
- long texts: lists at the limit with texts of 190 characters (not shared).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

_CHILD = """
import gc, sys
sys.path.insert(0, {folder!r})
import _profiles, k2safety
from k2safety._normalized import SHORT_LIST, SHARED_TEXT

def resident_mib():
    return int(open("/proc/self/statm").read().split()[1]) * 4096 / 2**20

kind, count = {kind!r}, {count}
mix = _profiles.profiles(200_000, seed=9) if kind == "typical" else []

def profile(i):
    if kind == "typical":
        return mix[i % len(mix)]
    if kind == "at the limits":
        short, medication = SHARED_TEXT // (2 * SHORT_LIST), SHARED_TEXT // SHORT_LIST
    else:
        short = medication = 190
    return {{
        "conditions": [f"{{i:07d}}c{{n}}".ljust(short, "x") for n in range(SHORT_LIST)],
        "medications": [f"{{i:07d}}d{{n}}".ljust(medication, "y") for n in range(SHORT_LIST)],
        "foods": [f"{{i:07d}}f{{n}}".ljust(short, "z") for n in range(SHORT_LIST)],
        "supplements": [
            {{"ingredient": "MK-7", "dose": f"{{i % 997 + n + 1}} mcg"}} for n in range(SHORT_LIST)
        ],
    }}

k2safety.check({{}})
gc.collect()
before = resident_mib()
for i in range(count):
    k2safety.check(profile(i))
gc.collect()
print(f"{{kind:<15}}{{count:>9,}} profiles: {{resident_mib() - before:6.0f}} MiB more")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profiles", type=int, default=200_000)
    args = parser.parse_args()
    folder = str(Path(__file__).parent)
    for kind, count in (
        ("typical", args.profiles),
        ("at the limits", args.profiles // 4),
        ("long texts", args.profiles // 4),
    ):
        code = _CHILD.format(folder=folder, kind=kind, count=count)
        subprocess.run([sys.executable, "-c", code], check=True)


if __name__ == "__main__":
    main()
