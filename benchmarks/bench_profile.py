"""Profile validation and start-up cost (issue 2).

Run: .venv/bin/python benchmarks/bench_profile.py
Reports: validating a typical profile (3 medications, 3 supplements) once warm; whether
``import k2safety`` builds a unit registry or imports pint; and a cold process that imports
k2safety and checks one profile, against a cold ``import pint; pint.UnitRegistry()``.
Targets: well under 50 us; no registry on import; the cold check no slower than pint alone.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

import k2safety

TYPICAL = {
    "medications": ["Warfarin sodium 5 mg tablet", {"name": "Eliquis"}, "metformin 500 mg"],
    "supplements": [
        {"ingredient": "MK-7", "dose": "180 mcg"},
        {"ingredient": "D3", "dose": "2000 IU"},
        {"ingredient": "MK-4", "dose": "1.5 mg", "per": "week"},
    ],
}

COLD_CHECK = (
    "import k2safety; k2safety.check({'medications': ['warfarin 5 mg'], "
    "'supplements': [{'ingredient': 'MK-7', 'dose': '180 mcg'}]})"
)
COLD_PINT = "import pint; pint.UnitRegistry()"
IMPORT_ONLY = (
    "import sys, k2safety; from k2safety import _units; "
    "print('pint' in sys.modules, _units._registry_instance is not None)"
)


def warm_validation_us(rounds: int = 5, number: int = 20_000) -> float:
    k2safety.Profile.model_validate(TYPICAL)
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(number):
            k2safety.Profile.model_validate(TYPICAL)
        best = min(best, time.perf_counter() - started)
    return best / number * 1e6


def cold_seconds(code: str, runs: int = 15) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    print(f"validate typical profile (warm):  {warm_validation_us():6.1f} us")
    imported = subprocess.run(
        [sys.executable, "-c", IMPORT_ONLY], check=True, capture_output=True, text=True
    ).stdout.split()
    print(f"import k2safety imports pint: {imported[0]}; builds a registry: {imported[1]}")
    cold_check = cold_seconds(COLD_CHECK)
    cold_pint = cold_seconds(COLD_PINT)
    print(f"cold process, import + check one: {cold_check * 1000:6.0f} ms (median of 15)")
    print(f"cold process, pint registry only: {cold_pint * 1000:6.0f} ms (median of 15)")


if __name__ == "__main__":
    main()
