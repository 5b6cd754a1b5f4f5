"""Prints the mutation score per module from mutmut's results in mutants/ (scripts/mutation.sh)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

# mutmut's exit codes: 1 and 3 are kills, a timeout counts as a kill, 0 is a survivor. 2 is
# pytest stopping before any test ran because the mutant broke collection (the unit table
# read while tests are collected, say): the tests noticed it, so it is a kill too.
KILLED = {1, 2, 3, 36, -24, 24, 152, 255}
SURVIVED = {0}


def main() -> int:
    rows = []
    survivors = []
    for meta in sorted(Path("mutants").rglob("*.py.meta")):
        results = json.loads(meta.read_text())["exit_code_by_key"]
        if not results:
            continue
        module = str(meta.relative_to("mutants")).removesuffix(".meta")
        killed = sum(code in KILLED for code in results.values())
        other = sum(code not in KILLED | SURVIVED for code in results.values())
        rows.append((module, killed, len(results), other))
        survivors += [name for name, code in results.items() if code in SURVIVED]
    print(f"{'module':40} {'killed':>7} {'total':>6} {'score':>7}  other")
    for module, killed, total, other in rows:
        print(f"{module:40} {killed:7} {total:6} {killed / total:7.1%}  {other}")
    killed = sum(row[1] for row in rows)
    total = sum(row[2] for row in rows)
    print(f"{'all':40} {killed:7} {total:6} {killed / max(total, 1):7.1%}")
    print(f"\nsurvivors ({len(survivors)}); mutmut show NAME prints the change")
    for name in survivors:
        print(f"  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
