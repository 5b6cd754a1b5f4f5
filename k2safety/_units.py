"""Dose parsing: text in, an exact amount per day out.

A dose is parsed once, when a profile is validated, into a :class:`DailyDose`: a
:class:`~fractions.Fraction` of micrograms (or IU) per day. Numbers are read from their decimal
text, never through a float, so "0.63 mg" per week is exactly 90 micrograms a day.

Pint does the unit work, with a private registry built from ``data/units.txt`` on first need and
``Fraction`` as its number type (so its conversion factors are exact too). Why it is built the way
it is:

* ``import pint`` costs ~80 ms, so it is imported only when a unit is first parsed, never on
  ``import k2safety``.
* Pint's application registry is built lazily and races when first used from several threads;
  ours is built once, under a lock, and never shared with pint's global state.
* Pint parses a unit string in tens of microseconds; the factor for each distinct unit text is
  cached, and whole dose texts are cached on top, so common doses cost well under a microsecond.
* Pint reads some text in surprising ways ("1,5 mg" as 15 mg, "180 μ g" as micron·gram,
  "180 mcg mcg" as mcg²), so the text is checked against a strict shape before pint sees it.
* No pint object leaves this module: rules see only fractions.
"""

from __future__ import annotations

import math
import re
import threading
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Literal

from k2safety._errors import json_type

if TYPE_CHECKING:
    import pint

__all__ = ["ACCEPTED_UNITS", "DailyDose", "DoseProblem", "Period", "parse_dose"]

AmountUnit = Literal["mcg", "IU"]
Period = Literal["day", "week"]

ACCEPTED_UNITS = (
    "a mass such as '180 mcg', '180 µg', '180 ug', '0.18 mg', '180000 ng' or '180 micrograms', "
    "optionally per day or week ('180 mcg/day', '1.26 mg/week', '12.6 mg/(5 week)'); "
    "IU for vitamin D3 only"
)

_DAYS_PER_PERIOD: dict[str, int] = {"day": 1, "week": 7}
_MAX_TEXT = 64
_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?"
_DOSE_TEXT = re.compile(rf"(?P<number>{_NUMBER})\s*(?P<unit>.*)", re.IGNORECASE | re.DOTALL)
_WORD = r"[a-zμ]+"
_UNIT_TEXT = re.compile(rf"{_WORD}(?:/(?:{_WORD}|\((?:\d+(?:\.\d+)?\s*)?{_WORD}\)))*")
_MIN_EXPONENT, _MAX_EXPONENT = -300, 300
_MAX_INT_BITS = 997  # about 10**300: larger integers are out of range, and too long to print
_MAX_UNIT_TEXT = 32


class DoseProblem(ValueError):
    """A dose that cannot be read; the message says why and what would be accepted."""

    def __init__(self, message: str, *, about_per: bool = False) -> None:
        super().__init__(message)
        self.about_per = about_per


@dataclass(frozen=True, slots=True)
class DailyDose:
    """An exact amount per day, in micrograms or (vitamin D3 only) international units."""

    per_day: Fraction
    unit: AmountUnit


def parse_dose(dose: object, per: Period | None = None) -> DailyDose:
    """Read a dose given as text or as ``{"value": number, "unit": text}``.

    ``per`` is the period of a plain amount ("day" when not given); it is an error to give it
    with a dose that is already a rate.

    >>> parse_dose("0.63 mg", per="week")
    DailyDose(per_day=Fraction(90, 1), unit='mcg')
    >>> parse_dose({"value": 2000, "unit": "IU"})
    DailyDose(per_day=Fraction(2000, 1), unit='IU')
    """
    if isinstance(dose, str):
        return _parse_text(dose, per)
    if isinstance(dose, dict):
        return _parse_object(dose, per)
    raise DoseProblem(
        f"expected text such as '180 mcg' or an object {{'value': 180, 'unit': 'mcg'}}, "
        f"got {json_type(dose)}"
    )


@lru_cache(maxsize=4096)
def _parse_text(text: str, per: Period | None) -> DailyDose:
    if len(text) > _MAX_TEXT:
        raise DoseProblem(f"is longer than {_MAX_TEXT} characters; expected {ACCEPTED_UNITS}")
    cleaned = unicodedata.normalize("NFKC", text).strip()
    if not cleaned:
        raise DoseProblem(f"is empty; expected {ACCEPTED_UNITS}")
    if "," in cleaned:
        raise DoseProblem(
            f"{text!r} contains a comma, which could be a decimal comma or a thousands "
            "separator; write the number with a decimal point and no separators, e.g. '1.5 mg'"
        )
    match = _DOSE_TEXT.fullmatch(cleaned)
    if match is None:
        raise DoseProblem(f"{text!r} does not start with a number; expected {ACCEPTED_UNITS}")
    amount = _exact_number(match["number"], text)
    return _to_daily(amount, match["unit"], per, text)


def _parse_object(dose: dict[Any, Any], per: Period | None) -> DailyDose:
    keys = set(dose)
    if keys != {"value", "unit"}:
        extra = ", ".join(sorted(map(str, keys - {"value", "unit"})))
        missing = ", ".join(sorted({"value", "unit"} - keys))
        detail = f"unknown key(s): {extra}" if extra else f"missing key(s): {missing}"
        raise DoseProblem(f"{detail}; expected an object with exactly 'value' and 'unit'")
    value, unit = dose["value"], dose["unit"]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DoseProblem(f"'value' must be a number, got {json_type(value)}")
    if not isinstance(unit, str):
        raise DoseProblem(f"'unit' must be text such as 'mcg', got {json_type(unit)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise DoseProblem(f"'value' must be a finite number, got {value!r}")
    if isinstance(value, int) and value.bit_length() > _MAX_INT_BITS:
        raise DoseProblem("'value' is out of range; write an ordinary amount such as 180")
    if len(unit) > _MAX_UNIT_TEXT:
        raise DoseProblem(f"'unit' is longer than {_MAX_UNIT_TEXT} characters; expected e.g. 'mcg'")
    # repr() of a float is the shortest decimal that reads back as it: the number as written.
    amount = _exact_number(repr(value), f"{value!r} {unit}")
    cleaned = unicodedata.normalize("NFKC", unit).strip()
    return _to_daily(amount, cleaned, per, f"{value!r} {unit}")


def _exact_number(number: str, text: str) -> Fraction:
    try:
        decimal = Decimal(number)
    except InvalidOperation:  # pragma: no cover - the pattern only lets valid decimals through
        raise DoseProblem(f"{text!r} has no readable number") from None
    if not decimal.is_finite():  # pragma: no cover - the pattern admits no NaN or infinity
        raise DoseProblem(f"{text!r} is not a finite number")
    if decimal <= 0:
        raise DoseProblem(f"{text!r} is not a positive amount; a dose must be more than zero")
    # Checked before building the Fraction: "1e-999999999" would otherwise take forever.
    if not _MIN_EXPONENT <= decimal.adjusted() <= _MAX_EXPONENT:
        raise DoseProblem(f"{text!r} is out of range; write an ordinary amount such as '180 mcg'")
    return Fraction(decimal)


def _to_daily(amount: Fraction, unit_text: str, per: Period | None, text: str) -> DailyDose:
    if not unit_text:
        raise DoseProblem(f"{text!r} has no unit; expected {ACCEPTED_UNITS}")
    unit_key = unit_text.lower()
    if not _UNIT_TEXT.fullmatch(unit_key):
        raise DoseProblem(_shape_problem(text, unit_text))
    kind, unit, factor = _unit_factor(unit_key)
    if kind == "rate":
        if per is not None:
            raise DoseProblem(
                f"{text!r} is already a rate, so 'per' must not be given as well; "
                f"drop 'per' or write a plain amount such as '180 mcg'",
                about_per=True,
            )
        per_day = amount * factor
    else:
        per_day = amount * factor / _DAYS_PER_PERIOD[per or "day"]
    return DailyDose(per_day=per_day, unit=unit)


def _shape_problem(text: str, unit_text: str) -> str:
    if re.search(r"[+*^]|\s-|-\s", unit_text):
        return f"{text!r} contains arithmetic; give one amount with one unit, e.g. '180 mcg'"
    if re.search(r"\s", unit_text.split("(")[0]):
        return (
            f"{text!r} has a unit of several words; write the unit as one word with its "
            "prefix attached, e.g. '180 µg' (not '180 µ g') or '180 mcg' (not '180 mcg mcg')"
        )
    return f"{text!r} has a unit that is not understood; expected {ACCEPTED_UNITS}"


_Kind = Literal["amount", "rate"]
_TARGETS: dict[tuple[tuple[str, int], ...], tuple[_Kind, AmountUnit, str]] = {
    (("[mass]", 1),): ("amount", "mcg", "mcg"),
    (("[mass]", 1), ("[time]", -1)): ("rate", "mcg", "mcg / day"),
    (("[iu]", 1),): ("amount", "IU", "international_unit"),
    (("[iu]", 1), ("[time]", -1)): ("rate", "IU", "international_unit / day"),
}


@lru_cache(maxsize=256)
def _unit_factor(unit_key: str) -> tuple[_Kind, AmountUnit, Fraction]:
    """The exact factor from one ``unit_key`` to micrograms (or IU), per day for a rate."""
    registry = _registry()
    try:
        quantity = registry.parse_expression(unit_key)
    except Exception:  # pint raises several unrelated types for text it cannot read
        raise DoseProblem(f"unit {unit_key!r} is not known; expected {ACCEPTED_UNITS}") from None
    dimensions = {str(name): int(str(power)) for name, power in quantity.dimensionality.items()}
    target = _TARGETS.get(tuple(sorted(dimensions.items())))
    if target is None:
        raise DoseProblem(_dimension_problem(unit_key, dimensions))
    kind, unit, canonical = target
    factor = quantity.to(canonical).magnitude
    if not isinstance(factor, Fraction | int):  # pragma: no cover - the registry is exact
        raise DoseProblem(f"unit {unit_key!r} has no exact conversion")
    return kind, unit, Fraction(factor)


def _dimension_problem(unit_key: str, dimensions: dict[str, int]) -> str:
    names = {"[volume]": "a volume", "[energy]": "an energy", "[time]": "a time"}
    if not dimensions or dimensions == {"[time]": -1}:
        what = "a ratio (per body weight or per mass)"
    elif len(dimensions) == 1 and next(iter(dimensions)) in names:
        what = names[next(iter(dimensions))]
    else:
        what = "not a mass"
    return f"unit {unit_key!r} is {what}; a dose must be {ACCEPTED_UNITS}"


_registry_lock = threading.Lock()
_registry_instance: pint.UnitRegistry[Fraction] | None = None


def _registry() -> pint.UnitRegistry[Fraction]:
    global _registry_instance
    if _registry_instance is None:
        with _registry_lock:
            if _registry_instance is None:
                _registry_instance = _build_registry()
    return _registry_instance


def _build_registry() -> pint.UnitRegistry[Fraction]:
    import pint

    definitions = resources.files("k2safety") / "data" / "units.txt"
    with resources.as_file(definitions) as path:
        return pint.UnitRegistry(str(path), non_int_type=Fraction, cache_folder=None)
