"""A realistic, reproducible mix of profiles for the benchmarks (dicts, as callers send them)."""

from __future__ import annotations

import random
from typing import Any

MEDICATIONS = [
    "warfarin 5 mg",
    "Warfarin sodium 2.5 mg tablet",
    "Coumadin 3 mg",
    "Eliquis 5 mg",
    "apixaban 2.5 mg twice daily",
    "Xarelto 20 mg",
    "rivaroxaban",
    "Pradaxa 150 mg",
    "acenocoumarol 4 mg",
    "Marcumar",
    "enoxaparin 40 mg injection",
    "warfrin",
    "metformin 500 mg",
    "atorvastatin 20 mg",
    "lisinopril 10 mg",
    "levothyroxine 50 mcg",
    "amlodipine 5 mg",
    "metoprolol succinate 50 mg",
    "omeprazole 20 mg",
    "aspirin 81 mg",
    "simvastatin 40 mg",
    "losartan 50 mg",
    "gabapentin 300 mg",
    "sertraline 50 mg",
    "hydrochlorothiazide 25 mg",
    "furosemide 40 mg",
    "prednisone 5 mg",
    "insulin glargine",
    "Brilinta 90 mg",
    "clopidogrel 75 mg",
]
CODED = [{"atc": "B01AA03"}, {"atc": "B01AF02"}, {"rxnorm": "11289"}, {"atc": "C10AA05"}]
DOSES = {
    "MK-7": [
        "45 mcg",
        "90 mcg",
        "100 mcg",
        "120 mcg",
        "180 mcg",
        "200 mcg",
        "360 mcg",
        "0.63 mg/week",
        "1.26 mg/week",
        "600 mcg",
        "90 µg",
        "180 ug",
    ],
    "MK-4": ["100 mcg", "500 mcg", "1 mg", "5 mg", "15 mg", "45 mg/day"],
    "K2": ["50 mcg", "100 mcg", "180 mcg"],
    "K1": ["100 mcg", "1 mg"],
    "D3": ["400 IU", "1000 IU", "2000 IU", "5000 IU", "25 mcg", "50 mcg", "50000 IU/week"],
}
FOODS = ["natto", "cheese", "eggs", "sauerkraut"]
GOALS = ["reverse_calcification", "prevent_calcification", "arterial_health", "bone_health"]
CONDITIONS = [
    "atrial fibrillation",
    "osteoporosis",
    "coronary artery calcification",
    "type 2 diabetes",
    "hypertension",
    "chronic kidney disease",
]


def profiles(count: int, seed: int = 2026) -> list[dict[str, Any]]:
    """``count`` profiles: 0-4 medications, 1-3 supplements, sometimes foods, goals, conditions."""
    rng = random.Random(seed)
    result = []
    for _ in range(count):
        medications: list[Any] = rng.sample(MEDICATIONS, rng.choice([0, 0, 1, 1, 2, 3, 4]))
        if rng.random() < 0.1:
            medications.append(rng.choice(CODED))
        forms = rng.sample(["MK-7", "MK-7", "MK-4", "K2", "K1", "D3", "D3"], rng.randint(1, 3))
        supplements = [{"ingredient": form, "dose": rng.choice(DOSES[form])} for form in forms]
        profile: dict[str, Any] = {"medications": medications, "supplements": supplements}
        if rng.random() < 0.2:
            profile["foods"] = rng.sample(FOODS, rng.randint(1, 2))
        if rng.random() < 0.5:
            profile["goals"] = rng.sample(GOALS, rng.randint(1, 2))
        if rng.random() < 0.3:
            profile["conditions"] = rng.sample(CONDITIONS, rng.randint(1, 2))
        if rng.random() < 0.1:
            profile["medical_supervision"] = True
        result.append(profile)
    return result


def distinct_profiles(count: int, seed: int = 2027, start: int = 0) -> list[dict[str, Any]]:
    """``count`` profiles shaped like :func:`profiles`, where every text is new.

    Each medication name gets a strength no other profile has ("warfarin 5.123 mg", "metformin
    500.123 mg"), and each dose an amount no other profile has ("180.123 mcg"), so nothing a
    memo of texts remembers helps: the straight path is measured. Profile ``i`` uses the number
    ``start + i``, so successive calls with growing ``start`` never repeat a text.
    """
    result = []
    for number, profile in enumerate(profiles(count, seed), start=start):
        medications = [
            f"{_name_of(medication)} {number}.{index} mg"
            if isinstance(medication, str)
            else medication
            for index, medication in enumerate(profile["medications"])
        ]
        supplements = [
            {
                "ingredient": supplement["ingredient"],
                "dose": _new_amount(supplement["dose"], number, index),
            }
            for index, supplement in enumerate(profile["supplements"])
        ]
        result.append({**profile, "medications": medications, "supplements": supplements})
    return result


def _name_of(medication: str) -> str:
    """The name without its strength and form: 'insulin glargine', 'Warfarin sodium'."""
    return " ".join(word for word in medication.split() if word.isalpha() and word not in _FORMS)


_FORMS = {"mg", "mcg", "tablet", "tablets", "injection", "twice", "daily"}


def _new_amount(dose: str, number: int, index: int) -> str:
    """The same dose with decimals only this profile uses: '180 mcg' → '180.0012345 mcg'."""
    amount, _, unit = dose.partition(" ")
    point = "" if "." in amount else "."
    return f"{amount}{point}00{number}{index} {unit}"
