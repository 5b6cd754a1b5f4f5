"""The baseline: the same checks as k2safety's rules, written as one hand-made if-chain.

No pydantic, no pint, no claims, no messages: just exact dose parsing (regex + Fraction), name
lookup by words, and the sixteen rules' conditions, returning (code, severity) pairs. It is what a
developer might write instead of using the library, and the yardstick for check()'s overhead.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

_DOSE = re.compile(r"\s*([0-9.]+)\s*([a-zµμ]+)(?:/(day|week))?\s*", re.IGNORECASE)
_MCG = {
    "mcg": Fraction(1),
    "ug": Fraction(1),
    "µg": Fraction(1),
    "μg": Fraction(1),
    "mg": Fraction(1000),
    "ng": Fraction(1, 1000),
    "g": Fraction(1_000_000),
}
_FORMS = {
    "mk-7": "MK-7",
    "mk7": "MK-7",
    "mk-4": "MK-4",
    "mk4": "MK-4",
    "k2": "K2",
    "k1": "K1",
    "d3": "D3",
}
_VKA = {
    "warfarin",
    "coumadin",
    "jantoven",
    "acenocoumarol",
    "sintrom",
    "phenprocoumon",
    "marcumar",
    "marcoumar",
    "fluindione",
    "phenindione",
    "warfrin",
}
_OTHER = {
    "apixaban",
    "eliquis",
    "rivaroxaban",
    "xarelto",
    "dabigatran",
    "pradaxa",
    "edoxaban",
    "heparin",
    "enoxaparin",
    "lovenox",
    "dalteparin",
    "fondaparinux",
}
# The other medications of the benchmark mix, which the vocabulary knows as screened (nothing in
# the knowledge base concerns them with vitamin K): they are recognized, so not "unrecognized".
_SCREENED = {
    "metformin",
    "atorvastatin",
    "lisinopril",
    "levothyroxine",
    "amlodipine",
    "metoprolol",
    "omeprazole",
    "aspirin",
    "simvastatin",
    "losartan",
    "gabapentin",
    "sertraline",
    "hydrochlorothiazide",
    "furosemide",
    "prednisone",
    "insulin",
    "brilinta",
    "clopidogrel",
}
_KNOWN_FOODS = {"natto", "cheese", "eggs"}
_WORD = re.compile(r"[a-z]+")


def _per_day(form: str, dose: str) -> Fraction:
    match = _DOSE.fullmatch(dose)
    if match is None:
        raise ValueError(dose)
    amount = Fraction(match[1])
    unit = match[2].lower()
    value = amount / 40 if unit == "iu" and form == "D3" else amount * _MCG[unit]
    return value / 7 if match[3] == "week" else value


def _drug_class(medication: Any) -> str | None:
    if isinstance(medication, dict):
        code = medication.get("atc") or ""
        if code.startswith("B01AA") or medication.get("rxnorm") == "11289":
            return "vka"
        if code.startswith(("B01AB", "B01AE", "B01AF")):
            return "other"
        return "screened" if code == "C10AA05" else None
    words = set(_WORD.findall(medication.lower()))
    if words & _VKA:
        return "vka"
    if words & _OTHER:
        return "other"
    return "screened" if words & _SCREENED else None


def screen(profile: dict[str, Any]) -> list[tuple[str, str]]:
    totals: dict[str, Fraction] = {}
    k2_entries = 0
    for supplement in profile.get("supplements", []):
        form = _FORMS[supplement["ingredient"].lower()]
        totals[form] = totals.get(form, Fraction(0)) + _per_day(form, supplement["dose"])
        k2_entries += form in ("MK-7", "MK-4", "K2")
    classes = [_drug_class(medication) for medication in profile.get("medications", [])]
    foods = [food.lower() for food in profile.get("foods", [])]
    goals = set(profile.get("goals", []))
    vitamin_k = any(form in totals for form in ("MK-7", "MK-4", "K2", "K1")) or "natto" in foods
    findings = []
    if "vka" in classes and vitamin_k:
        findings.append(("K2-VKA", "warning" if profile.get("medical_supervision") else "critical"))
    if "other" in classes and vitamin_k:
        findings.append(("K2-ANTICOAGULANT", "warning"))
    mk7 = totals.get("MK-7")
    if mk7 is not None and mk7 < 90:
        findings.append(("K2-MK7-DOSE-LOW", "info"))
    if mk7 is not None and mk7 > 360:
        findings.append(("K2-MK7-DOSE-HIGH", "warning"))
    if mk7 is not None and "natto" in foods:
        findings.append(("K2-DIETARY-MK7", "info"))
    mk4 = totals.get("MK-4")
    if mk4 is not None and mk4 >= 1000:
        findings.append(("K2-MK4-HIGH-DOSE", "warning"))
    if mk4 is not None:
        findings.append(("K2-MK4-HALF-LIFE", "info"))
    k2 = totals.get("K2")
    if k2 is not None and k2 > 360:
        findings.append(("K2-FORM-UNSPECIFIED-HIGH", "warning"))
    elif k2 is not None:
        findings.append(("K2-FORM-UNSPECIFIED", "info"))
    if k2_entries > 1:
        findings.append(("K2-MULTIPLE-SOURCES", "info"))
    if k2_entries and "D3" not in totals:
        findings.append(("K2-D3-PAIRING", "info"))
    if "reverse_calcification" in goals:
        findings.append(("K2-REVERSAL-CLAIM", "info"))
    if goals & {"arterial_health", "prevent_calcification"}:
        findings.append(("K2-TIME-TO-EFFECT", "info"))
    if profile.get("conditions") or profile.get("medications"):
        findings.append(("K2-CONSULT", "info"))
    if None in classes or any(food not in _KNOWN_FOODS for food in foods):
        findings.append(("K2-UNRECOGNIZED", "info"))
    return findings
