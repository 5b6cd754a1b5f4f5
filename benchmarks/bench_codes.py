"""check() on a profile of three medications given as RxNorm codes, against the same profile
given as names.

Run: .venv/bin/python benchmarks/bench_codes.py [--rounds R] [--checks N]
Target (issue 12): the profile as codes checks within 1.5x the time of the profile as names,
measured in one process.

Both profiles name the same three medicines: warfarin, as a clinical drug code (RxNorm 855332,
through the roll-up table data/rxnorm.tsv) and as its RxNorm name; metformin and atorvastatin, as
ingredient codes and as names. Two figures:

- warm: the same profile again and again, as a service sees a repeated list (text memos help
  both sides alike);
- cold: every memo emptied before each check, so that each check resolves its codes or names
  afresh (the code table, read once on the first code, stays loaded: it is data, not a memo).

The two profiles are timed interleaved, round by round, and the best round of each is compared,
so a shared, noisy machine slows both alike.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import k2safety
from k2safety import _caches
from k2safety._matching import rxnorm_rows

SUPPLEMENTS = [{"ingredient": "MK-7", "dose": "180 mcg"}]
AS_NAMES: dict[str, Any] = {
    "medications": [
        "Warfarin Sodium 5 MG Oral Tablet",
        "metformin 500 mg",
        "atorvastatin 20 mg",
    ],
    "supplements": SUPPLEMENTS,
}
AS_CODES: dict[str, Any] = {
    "medications": [{"rxnorm": "855332"}, {"rxnorm": "6809"}, {"rxnorm": "83367"}],
    "supplements": SUPPLEMENTS,
}


def per_check(profile: dict[str, Any], checks: int, *, cold: bool) -> float:
    started = time.perf_counter()
    for _ in range(checks):
        if cold:
            _caches.clear_all()
        k2safety.check(profile)
    return (time.perf_counter() - started) / checks


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--checks", type=int, default=2000)
    args = parser.parse_args()
    names, codes = k2safety.check(AS_NAMES), k2safety.check(AS_CODES)
    assert names.codes == codes.codes, (names.codes, codes.codes)
    assert "K2-VKA" in codes.codes
    assert "K2-UNRECOGNIZED" not in codes.codes
    print(f"code table: {len(rxnorm_rows())} rows, loaded before timing")
    for label, cold in (("warm", False), ("cold", True)):
        best_names = best_codes = float("inf")
        for _ in range(args.rounds):
            best_names = min(best_names, per_check(AS_NAMES, args.checks, cold=cold))
            best_codes = min(best_codes, per_check(AS_CODES, args.checks, cold=cold))
        ratio = best_codes / best_names
        verdict = "ok" if ratio <= 1.5 else "OVER 1.5x"
        print(
            f"{label}: names {1e6 * best_names:7.1f} us/check   codes {1e6 * best_codes:7.1f} "
            f"us/check   codes/names {ratio:4.2f}x  ({verdict})"
        )


if __name__ == "__main__":
    main()
