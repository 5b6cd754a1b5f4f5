"""The exact amount a day that a resource's dosage states, for vitamin K and D3 products only.

Where the dosage is: ``dosageInstruction[]`` (MedicationRequest, MedicationDispense),
``dosage[]`` (MedicationStatement) or ``dosage`` (MedicationAdministration, one administration).
The dose is ``doseAndRate[].doseQuantity`` (R4, R5) or ``doseQuantity`` (STU3), or the high end
of a ``doseRange``, or an administration's ``dose``; the first of a dosage's ``doseAndRate``
that gives one counts (the others say the same dose another way; one that differs is noted). Its
unit is the UCUM ``code`` (``ug``, ``mg``, ``g``, ``ng``, ``[iU]``; also ``mcg`` and ``IU``, as
written in the wild), else its ``unit``. A dose in any other unit ("{tablet}", "mL") is not an
amount of the vitamin. A dose whose ``unit`` and ``code`` name different units of amount ("ug"
and "mg") is not read at all: the product's dose is then not stated.

How often: ``timing.repeat`` as ``frequencyMax`` (else ``frequency``, else 1) per ``period``
``periodUnit``, where the units are UCUM's: ``s``, ``min``, ``h``, ``d``, ``wk`` (7 days), ``mo``
(UCUM's mean Julian month, 1/12 of 365.25 days: exactly 30.4375 days) and ``a`` (365.25 days).
Without a period, each ``timeOfDay`` or ``when`` is a dose a day; else a ``timing.code`` such as
BID; else one dose a day, which a note says.

Dosages with the same ``sequence`` (or none) are taken together and add up; dosages with
different sequences follow one another, and the largest day counts. Every number is read from its
decimal text into a :class:`~fractions.Fraction`: no float touches a dose.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

from k2safety._errors import json_type
from k2safety._knowledge import decimal_text
from k2safety.fhir._concepts import Bad

__all__ = ["DoseReading", "daily_dose", "dose_text"]

Unit = Literal["mcg", "IU"]
Ratio = tuple[int, int]
"""An exact positive number as a numerator and a denominator."""
_ONCE: Ratio = (1, 1)

UCUM = "http://unitsofmeasure.org"
_AMOUNT_UNITS: dict[str, tuple[Unit, Fraction]] = {
    "ug": ("mcg", Fraction(1)),
    "mcg": ("mcg", Fraction(1)),
    "µg": ("mcg", Fraction(1)),
    "μg": ("mcg", Fraction(1)),
    "microgram": ("mcg", Fraction(1)),
    "micrograms": ("mcg", Fraction(1)),
    "ng": ("mcg", Fraction(1, 1000)),
    "mg": ("mcg", Fraction(1000)),
    "milligram": ("mcg", Fraction(1000)),
    "milligrams": ("mcg", Fraction(1000)),
    "g": ("mcg", Fraction(1_000_000)),
    "[iu]": ("IU", Fraction(1)),
    "iu": ("IU", Fraction(1)),
}
"""Units of amount, by their lower-case text, to the profile's unit and the factor to it."""

PERIOD_DAYS: dict[str, Fraction] = {
    "s": Fraction(1, 86_400),
    "min": Fraction(1, 1_440),
    "h": Fraction(1, 24),
    "d": Fraction(1),
    "wk": Fraction(7),
    "mo": Fraction(1461, 48),  # UCUM mo = a_j / 12 = 365.25 / 12 days = 30.4375 days
    "a": Fraction(1461, 4),  # UCUM a = a_j = 365.25 days
}
"""FHIR's ``periodUnit`` codes (UCUM units of time) in days, exactly."""

_TIMING_CODES: dict[str, Fraction] = {
    "QD": Fraction(1),
    "AM": Fraction(1),
    "PM": Fraction(1),
    "BED": Fraction(1),
    "BID": Fraction(2),
    "TID": Fraction(3),
    "QID": Fraction(4),
    "QOD": Fraction(1, 2),
    "Q1H": Fraction(24),
    "Q2H": Fraction(12),
    "Q3H": Fraction(8),
    "Q4H": Fraction(6),
    "Q6H": Fraction(4),
    "Q8H": Fraction(3),
    "WK": Fraction(1, 7),
    "MO": 1 / PERIOD_DAYS["mo"],
}
"""FHIR's timing abbreviations (v3 GTSAbbreviation), as doses a day."""


@dataclass(slots=True)
class DoseReading:
    """The amount a day a resource states, or why there is none."""

    per_day: Fraction | None = None
    unit: Unit | None = None
    why_not: str = "no dose is stated"
    where: str = "dosage"
    """Where the first dose read is (to name it if the profile refuses the amount)."""
    notes: list[str] = field(default_factory=list)


def daily_dose(resource: Mapping[str, Any], resource_type: str) -> DoseReading:
    """The amount a day of the one vitamin a resource's dosage gives, or why there is none."""
    reading = DoseReading()
    if resource_type == "MedicationAdministration":
        dosages: list[tuple[str, Any]] = []
        if "dosage" in resource:
            dosages = [("dosage", resource["dosage"])]
    else:
        name = "dosage" if resource_type == "MedicationStatement" else "dosageInstruction"
        given = resource.get(name, [])
        if not isinstance(given, list):
            raise Bad(name, f"must be a list, got {json_type(given)}")
        dosages = [(f"{name}[{number}]", dosage) for number, dosage in enumerate(given)]
    by_sequence: dict[object, Fraction] = {}
    units: set[Unit] = set()
    other_units: list[str] = []
    disagree: str | None = None
    for where, value in dosages:
        dosage = _object(value, where)
        found = _dose_quantity(dosage, where, reading.notes)
        if found is None:
            continue
        quantity, at = found
        amount = _amount(quantity, at)
        if isinstance(amount, str):
            other_units.append(amount)
            continue
        if disagree is None and "unit" in quantity and "code" in quantity:
            disagree = _disagreement(quantity, at)
        (dose_numerator, dose_denominator), unit = amount
        if not units:
            reading.where = at
        units.add(unit)
        if resource_type == "MedicationAdministration":
            times = _ONCE
            reading.notes.append(f"{at}: one administration, read as one dose a day")
        else:
            times = _times_a_day(dosage.get("timing"), where, reading.notes)
        sequence = dosage.get("sequence")
        if sequence is not None and type(sequence) is not int:
            raise Bad(f"{where}.sequence", f"must be a whole number, got {json_type(sequence)}")
        # Whole numbers until here, then one Fraction: as exact, and a fraction of the cost.
        per_day = Fraction(dose_numerator * times[0], dose_denominator * times[1])
        earlier = by_sequence.get(sequence)
        by_sequence[sequence] = per_day if earlier is None else earlier + per_day
    if disagree is not None:
        reading.why_not = disagree
    elif len(units) > 1:
        reading.why_not = "its doses mix IU and units of mass"
    elif by_sequence:
        reading.per_day = max(by_sequence.values())
        reading.unit = units.pop()
    elif other_units:
        reading.why_not = f"its dose is {other_units[0]}, not an amount of it"
    return reading


def dose_text(per_day: Fraction, unit: Unit) -> str:
    """An exact amount a day as dose text the profile reads: "100 mcg/day", "1000 IU/(7 day)"."""
    if per_day.denominator == 1:  # most doses: what decimal_text() writes of a whole number
        return f"{per_day.numerator} {unit}/day"
    text = decimal_text(per_day)
    if "/" not in text:
        return f"{text} {unit}/day"
    return f"{per_day.numerator} {unit}/({per_day.denominator} day)"


def _object(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise Bad(where, f"must be an object, got {json_type(value)}")
    return value


def _dose_quantity(
    dosage: Mapping[str, Any], where: str, notes: list[str]
) -> tuple[Mapping[str, Any], str] | None:
    """The dose of one dosage and where it is, or None; a note when a later ``doseAndRate``
    gives another dose than the one read."""
    if "doseAndRate" not in dosage:
        return _dose_in(dosage, where)
    rates = dosage["doseAndRate"]
    if not isinstance(rates, list):
        raise Bad(f"{where}.doseAndRate", f"must be a list, got {json_type(rates)}")
    first: tuple[Mapping[str, Any], str] | None = None
    for number, item in enumerate(rates):
        at = f"{where}.doseAndRate[{number}]"
        dose = _dose_in(_object(item, at), at)
        if dose is None:
            continue
        if first is None:
            first = dose
        elif dose[0] != first[0]:
            notes.append(f"{dose[1]} gives another dose than {first[1]}: only the first was read")
            break
    return first


def _dose_in(holder: Mapping[str, Any], at: str) -> tuple[Mapping[str, Any], str] | None:
    for name in ("doseQuantity", "dose"):
        if name in holder:
            return _object(holder[name], f"{at}.{name}"), f"{at}.{name}"
    if "doseRange" in holder:
        dose_range = _object(holder["doseRange"], f"{at}.doseRange")
        for end in ("high", "low"):
            if end in dose_range:
                return _object(dose_range[end], f"{at}.doseRange.{end}"), f"{at}.doseRange.{end}"
    return None


def _disagreement(quantity: Mapping[str, Any], where: str) -> str | None:
    """Why a dose cannot be read when its ``unit`` and UCUM ``code`` name different units of
    amount ("ug" and "mg": a thousandfold apart); ``None`` when they agree or either is free
    text. Only after :func:`_amount` has read the dose (and checked the types)."""
    code, unit_text = quantity["code"], quantity["unit"]
    if code is None or unit_text is None or quantity.get("system") not in (None, UCUM):
        return None
    by_code = _AMOUNT_UNITS.get(code.strip().lower())
    by_unit = _AMOUNT_UNITS.get(unit_text.strip().lower())
    if by_code is None or by_unit is None or by_code == by_unit:
        return None
    return (
        f"{where} gives its unit as {unit_text!r} and its code as {code!r}, which disagree, so "
        "its amount is not read"
    )


def _amount(quantity: Mapping[str, Any], where: str) -> tuple[Ratio, Unit] | str:
    """The dose in micrograms or IU; or, for a dose in another unit, what its unit is."""
    system, code, unit_text = (quantity.get(key) for key in ("system", "code", "unit"))
    for name, given in (("system", system), ("code", code), ("unit", unit_text)):
        if given is not None and not isinstance(given, str):
            raise Bad(f"{where}.{name}", f"must be text, got {json_type(given)}")
    key: str | None = code if code is not None and system in (None, UCUM) else unit_text
    if key is None:
        return "without a unit"
    known = _AMOUNT_UNITS.get(key.strip().lower())
    if known is None:
        return f"in {key!r}"
    if "value" not in quantity:
        raise Bad(f"{where}.value", "is required in a dose")
    unit, factor = known
    numerator, denominator = _positive(quantity["value"], f"{where}.value")
    return (numerator * factor.numerator, denominator * factor.denominator), unit


def _positive(value: object, where: str) -> Ratio:
    """A JSON number, exactly as written, that must be more than zero, as a ratio of integers."""
    if type(value) is int:
        if value > 0:
            return value, 1
        raise Bad(where, f"must be more than zero, got {value}")
    if type(value) is not float:
        raise Bad(where, f"must be a number, got {json_type(value)}")
    if not math.isfinite(value):
        raise Bad(where, f"must be a finite number, got {value!r}")
    # repr() of a float is the shortest decimal that reads back as it: the number as written.
    numerator, denominator = Decimal(repr(value)).as_integer_ratio()
    if numerator <= 0:
        raise Bad(where, f"must be more than zero, got {value!r}")
    return numerator, denominator


def _times_a_day(value: object, dosage: str, notes: list[str]) -> Ratio:
    """How many doses a day a Timing gives."""
    where = f"{dosage}.timing"
    if value is None:
        notes.append(f"{where} is not given: read as one dose a day")
        return _ONCE
    timing = _object(value, where)
    if "repeat" in timing:
        repeat = _object(timing["repeat"], f"{where}.repeat")
        name = "frequencyMax" if "frequencyMax" in repeat else "frequency"
        count, count_denominator = _positive(repeat.get(name, 1), f"{where}.repeat.{name}")
        if "period" in repeat:
            period, period_denominator = _positive(repeat["period"], f"{where}.repeat.period")
            unit = repeat.get("periodUnit")
            if not isinstance(unit, str) or unit not in PERIOD_DAYS:
                given = repr(unit) if isinstance(unit, str) else json_type(unit)
                raise Bad(
                    f"{where}.repeat.periodUnit",
                    f"must be one of {', '.join(PERIOD_DAYS)} with a period, got {given}",
                )
            days = PERIOD_DAYS[unit]
            return (
                count * period_denominator * days.denominator,
                count_denominator * period * days.numerator,
            )
        daily = sum(
            len(_listed(repeat.get(name, []), f"{where}.repeat.{name}"))
            for name in ("timeOfDay", "when")
        )
        if daily:
            return daily, 1
    if "code" in timing:
        per_day = _timing_code(timing["code"], f"{where}.code")
        if per_day is not None:
            return per_day.numerator, per_day.denominator
    notes.append(f"{where} gives no frequency and period: read as one dose a day")
    return _ONCE


def _listed(value: object, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise Bad(where, f"must be a list, got {json_type(value)}")
    return value


def _timing_code(value: object, where: str) -> Fraction | None:
    concept = _object(value, where)
    for number, item in enumerate(_listed(concept.get("coding", []), f"{where}.coding")):
        code = _object(item, f"{where}.coding[{number}]").get("code")
        if isinstance(code, str) and code.upper() in _TIMING_CODES:
            return _TIMING_CODES[code.upper()]
    return None
