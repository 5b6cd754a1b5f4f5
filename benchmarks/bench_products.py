"""Validating a product entry against the same vitamins as plain entries (issue 13).

Run: .venv/bin/python benchmarks/bench_products.py [--rounds N]
Reports, warm, in one process and interleaved round by round (so a busy machine slows both
alike): the time to validate (``Profile.model_validate``) and to check (``k2safety.check``, the
plain reader) a profile holding one 3-row product (MK-7, D3 and calcium, 2 servings a day),
and the same for a profile with the same vitamins as plain entries (MK-7 and D3 at the same
daily amounts), and the ratio of each pair. Target: validating the product costs at most 2x the
plain entries.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import k2safety

PRODUCT = {
    "medications": ["warfarin 5 mg"],
    "supplements": [
        {
            "product": "K2 + D3 softgels",
            "servings_per_day": 2,
            "per_serving": [
                {"ingredient": "Vitamin K2 (as menaquinone-7)", "amount": "100 mcg"},
                {"ingredient": "Vitamin D3 (as cholecalciferol)", "amount": "50 mcg"},
                {"ingredient": "Calcium (as calcium carbonate)", "amount": "200 mg"},
            ],
        }
    ],
}

PLAIN = {
    "medications": ["warfarin 5 mg"],
    "supplements": [
        {"ingredient": "Vitamin K2 (as menaquinone-7)", "dose": "200 mcg"},
        {"ingredient": "Vitamin D3 (as cholecalciferol)", "dose": "100 mcg"},
    ],
}


def per_call_us(function: Callable[[], object], number: int) -> float:
    started = time.perf_counter()
    for _ in range(number):
        function()
    return (time.perf_counter() - started) / number * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--number", type=int, default=3000)
    args = parser.parse_args()
    assert k2safety.check(PRODUCT).profile.mcg_per_day == k2safety.check(PLAIN).profile.mcg_per_day
    timed = {
        "validate product": lambda: k2safety.Profile.model_validate(PRODUCT),
        "validate plain": lambda: k2safety.Profile.model_validate(PLAIN),
        "check product": lambda: k2safety.check(PRODUCT),
        "check plain": lambda: k2safety.check(PLAIN),
    }
    for function in timed.values():  # warm the memos and the knowledge base
        function()
    samples: dict[str, list[float]] = {name: [] for name in timed}
    for _ in range(args.rounds):
        for name, function in timed.items():
            samples[name].append(per_call_us(function, args.number))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    for name, value in medians.items():
        print(f"{name:18} {value:8.1f} us")
    validate = medians["validate product"] / medians["validate plain"]
    check = medians["check product"] / medians["check plain"]
    print(f"validate ratio      {validate:.2f}x (target <= 2x)")
    print(f"check ratio         {check:.2f}x")


if __name__ == "__main__":
    main()
