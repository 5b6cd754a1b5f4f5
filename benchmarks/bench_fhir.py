"""Reading FHIR against check() of the profile it gives (issue 14).

Run: .venv/bin/python benchmarks/bench_fhir.py [--calls N] [--rounds R]
Target (issue 14): reading a typical bundle (one patient, five medication resources) costs at
most 2x check() of the same profile given as a dict, measured in one process, one core.

- typical: a Synthea-style R4 transaction bundle (Patient, four MedicationRequests coded in
  RxNorm, one MedicationStatement of vitamin D3 with a daily dose, one of them stopped), read
  with k2safety.fhir.read_fhir; against k2safety.check() of
  ``reading.profile.model_dump(mode="json", exclude_none=True)``.
- screening: read_fhir() then check() of its profile, the whole FHIR path, against the same.
- bulk (``--bulk N``): ``k2safety batch --fhir`` on a bulk export of N patients (the typical
  bundle's resources as NDJSON lines, grouped by patient: five medication resources and a
  Patient line each) against ``k2safety batch`` on the plain profiles of the same N patients,
  each command run in a subprocess in turn, three times; the ratio is FHIR patients a second
  over plain lines a second (target: at least 0.5), with resources a second beside it; the
  same ratio over the CPU seconds each run used is printed too, since on a shared machine other
  load disturbs wall-clock time far more than CPU time.
- public cases: each bundle of ../shared/data/fhir-cases with at most 20 medication resources,
  read against check() of its profile, the median ratio (skipped where the folder is absent).

The sides take turns in short rounds (N calls each, R rounds), so that a shared, noisy machine
slows them alike; the figure that matters is the ratio of each round's times, its median and
quartiles over the rounds. The best round of each side is printed too.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import k2safety
from k2safety.fhir import read_fhir

CASES = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "fhir-cases"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
PATIENT = "urn:uuid:5cbc121b-cd71-4428-b8b7-31e53eba8184"


def _order(number: int, code: str, name: str, status: str = "active") -> dict[str, Any]:
    return {
        "fullUrl": f"urn:uuid:0000000{number}-75a8-4f2f-9b55-3c1f1e1b6d2e",
        "resource": {
            "resourceType": "MedicationRequest",
            "id": f"0000000{number}-75a8-4f2f-9b55-3c1f1e1b6d2e",
            "status": status,
            "intent": "order",
            "medicationCodeableConcept": {
                "coding": [{"system": RXNORM, "code": code, "display": name}],
                "text": name,
            },
            "subject": {"reference": PATIENT},
            "authoredOn": "2020-08-14T12:07:22+00:00",
        },
        "request": {"method": "POST", "url": "MedicationRequest"},
    }


TYPICAL: dict[str, Any] = {
    "resourceType": "Bundle",
    "type": "transaction",
    "entry": [
        {
            "fullUrl": PATIENT,
            "resource": {"resourceType": "Patient", "id": PATIENT.removeprefix("urn:uuid:")},
            "request": {"method": "POST", "url": "Patient"},
        },
        _order(1, "855332", "Warfarin Sodium 5 MG Oral Tablet"),
        _order(2, "197604", "Digoxin 0.125 MG Oral Tablet"),
        _order(3, "897718", "Verapamil Hydrochloride 40 MG"),
        _order(4, "849574", "Naproxen sodium 220 MG Oral Tablet", status="stopped"),
        {
            "fullUrl": "urn:uuid:00000005-75a8-4f2f-9b55-3c1f1e1b6d2e",
            "resource": {
                "resourceType": "MedicationStatement",
                "id": "00000005-75a8-4f2f-9b55-3c1f1e1b6d2e",
                "status": "active",
                "medicationCodeableConcept": {"text": "Vitamin D3 2000 unit capsule"},
                "subject": {"reference": PATIENT},
                "dosage": [
                    {
                        "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
                        "doseAndRate": [
                            {
                                "doseQuantity": {
                                    "value": 2000,
                                    "unit": "IU",
                                    "system": "http://unitsofmeasure.org",
                                    "code": "[iU]",
                                }
                            }
                        ],
                    }
                ],
            },
        },
    ],
}


def timed(
    sides: dict[str, Callable[[], object]], calls: int, rounds: int
) -> tuple[dict[str, float], dict[str, list[float]]]:
    """Best time per call of each side, and each round's time per call, the sides taking turns
    in short rounds so that a change in the machine's load falls on all of them alike."""
    best = dict.fromkeys(sides, float("inf"))
    each: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(rounds):
        for name, function in sides.items():
            started = time.perf_counter()
            for _ in range(calls):
                function()
            seconds = (time.perf_counter() - started) / calls
            best[name] = min(best[name], seconds)
            each[name].append(seconds)
    return best, each


def round_ratios(each: dict[str, list[float]], side: str, base: str) -> list[float]:
    return [a / b for a, b in zip(each[side], each[base], strict=True)]


def as_dict(bundle: object) -> dict[str, Any]:
    profile: dict[str, Any] = read_fhir(bundle).profile.model_dump(mode="json", exclude_none=True)
    return profile


def typical(calls: int, rounds: int) -> float:
    profile = as_dict(TYPICAL)
    assert read_fhir(TYPICAL).counted == 4, "the typical bundle must count four resources"
    assert k2safety.check(read_fhir(TYPICAL).profile) == k2safety.check(profile)
    best, each = timed(
        {
            "read_fhir": lambda: read_fhir(TYPICAL),
            "read_fhir + check": lambda: k2safety.check(read_fhir(TYPICAL).profile),
            "check(dict)": lambda: k2safety.check(profile),
        },
        calls,
        rounds,
    )
    for name, seconds in best.items():
        ratios = round_ratios(each, name, "check(dict)")
        low, median, high = statistics.quantiles(ratios, n=4)
        print(
            f"{name:<18} best {1e6 * seconds:6.1f} us   per round, x check(dict): "
            f"median {median:4.2f}, quartiles {low:4.2f} to {high:4.2f}"
        )
    return statistics.median(round_ratios(each, "read_fhir", "check(dict)"))


def public_cases(calls: int, rounds: int) -> None:
    manifest = CASES / "manifest.json"
    if not manifest.is_file():
        print(f"public cases: skipped, {CASES} not found")
        return
    ratios = {}
    for case in json.loads(manifest.read_text("utf-8"))["cases"]:
        if case["expected"]["medication_record_count"] > 20:
            continue
        bundle = json.loads((CASES / case["file"]).read_text("utf-8"))
        profile = as_dict(bundle)
        _, each = timed(
            {"read": lambda b=bundle: read_fhir(b), "check": lambda p=profile: k2safety.check(p)},
            max(1, calls // 4),
            max(4, rounds // 10),
        )
        ratios[case["file"][:2]] = statistics.median(round_ratios(each, "read", "check"))
    largest = max(ratios, key=ratios.__getitem__)
    print(
        f"public cases: {len(ratios)} with at most 20 medication resources, read_fhir / "
        f"check(dict), median per round: {statistics.median(ratios.values()):.2f}x over the "
        f"cases, largest {ratios[largest]:.2f}x (case {largest})"
    )


def bulk(patients: int, runs: int = 3) -> float:
    """``batch --fhir`` patients a second over ``batch`` lines a second, the same patients."""
    import subprocess
    import sys
    import tempfile

    resources = [entry["resource"] for entry in TYPICAL["entry"]]
    profile = json.dumps(as_dict(TYPICAL), separators=(",", ":"))
    with tempfile.TemporaryDirectory() as folder:
        fhir = Path(folder) / "export.ndjson"
        plain = Path(folder) / "profiles.jsonl"
        with fhir.open("w", encoding="utf-8") as lines:
            for number in range(patients):
                patient = f"p{number}"
                for resource in resources:
                    if resource["resourceType"] == "Patient":
                        resource = {**resource, "id": patient}
                    else:
                        resource = {
                            **resource,
                            "id": f"{patient}-{resource['id'][:8]}",
                            "subject": {"reference": f"Patient/{patient}"},
                        }
                    lines.write(json.dumps(resource, separators=(",", ":")) + "\n")
        plain.write_text((profile + "\n") * patients, "utf-8")
        fhir_lines = patients * len(resources)
        medication_resources = patients * (len(resources) - 1)
        commands = {
            "batch --fhir": [sys.executable, "-m", "k2safety", "batch", "--fhir", str(fhir)],
            "batch": [sys.executable, "-m", "k2safety", "batch", str(plain)],
        }
        seconds: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(runs):
            for name, command in commands.items():
                started = time.perf_counter()
                used = _children_cpu()
                subprocess.run(
                    [*command, "-o", str(Path(folder) / "out.jsonl"), "--fail-on", "never"],
                    check=True,
                    stderr=subprocess.DEVNULL,
                )
                seconds[name].append(time.perf_counter() - started)
                cpu[name].append(_children_cpu() - used)
    ratios = [b / f for f, b in zip(seconds["batch --fhir"], seconds["batch"], strict=True)]
    cpu_ratios = [b / f for f, b in zip(cpu["batch --fhir"], cpu["batch"], strict=True)]
    best_fhir, best_plain = min(seconds["batch --fhir"]), min(seconds["batch"])
    print(
        f"bulk, {patients:,} patients ({fhir_lines:,} NDJSON lines, {medication_resources:,} "
        f"medication resources), best of {runs} runs each, one process:\n"
        f"  batch --fhir: {patients / best_fhir:8,.0f} patients/s, "
        f"{medication_resources / best_fhir:8,.0f} medication resources/s, "
        f"{fhir_lines / best_fhir:8,.0f} lines/s\n"
        f"  batch       : {patients / best_plain:8,.0f} lines/s (one profile a line)\n"
        f"  patients/s over plain lines/s, per run: "
        + ", ".join(f"{ratio:.2f}" for ratio in ratios)
        + "\n  the same over CPU seconds (user + system, which other load on a shared machine "
        "disturbs less), per run: "
        + ", ".join(f"{ratio:.2f}" for ratio in cpu_ratios)
        + f"; median {statistics.median(cpu_ratios):.2f}"
    )
    return statistics.median(ratios)


def _children_cpu() -> float:
    """CPU seconds (user and system) used so far by this process's finished children."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--bulk", type=int, default=20000, metavar="N", help="patients (0: skip)")
    args = parser.parse_args()
    print(f"{args.rounds} rounds of {args.calls} calls of each side in turn, one core")
    ratio = typical(args.calls, args.rounds)
    verdict = "met" if ratio <= 2 else "NOT met"
    print(f"target: read_fhir <= 2x check(dict), median per round: {verdict} ({ratio:.2f}x)")
    if args.bulk:
        ratio = bulk(args.bulk)
        verdict = "met" if ratio >= 0.5 else "NOT met"
        print(f"target: batch --fhir >= 0.5x batch lines/s: {verdict} ({ratio:.2f}x, median)")
    public_cases(args.calls, args.rounds)


if __name__ == "__main__":
    main()
