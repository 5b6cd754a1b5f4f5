"""Dose parsing: text in, an exact amount per day out.

A dose is parsed once, when a profile is validated, into a :class:`DailyDose`: a
:class:`~fractions.Fraction` of micrograms (or IU) per day. Numbers are read from their decimal
text, never through a float, so "0.63 mg" per week is exactly 90 micrograms a day.

What a unit means is pint's word, with a private registry built from ``data/units.txt`` and
``Fraction`` as its number type (so its conversion factors are exact too). Pint is not asked on
every dose, though:

* The common units ("mcg", "µg", "mg", "IU", "mg/week", ...) are looked up in
  ``data/unit_table.txt``, which ``scripts/generate_unit_table.py`` writes by asking that
  registry; a test regenerates it and checks that it is unchanged. "12.6 mg/(5 week)" is worked
  out from the table's "mg" and "week".
* Only unusual unit text ("kg", "mcg/hour", "furlong") imports pint (~80 ms, and numpy and dask
  whenever they are installed) and builds the registry, once, under a lock: pint's application
  registry is built lazily and races when first used from several threads, so ours is private.
* Pint reads some text in surprising ways ("1,5 mg" as 15 mg, "180 μ g" as micron·gram,
  "180 mcg mcg" as mcg²), so the text is checked against a strict shape before either the table
  or pint sees it.
* Two bounded memos (:mod:`k2safety._caches`) remember a dose text's exact amount and an
  unusual unit's factor, as tuples of plain numbers and text; ``per`` is applied afterwards.
* No pint object leaves this module: rules see only fractions.
"""

from __future__ import annotations

import math
import numbers
import os
import re
import threading
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Literal, cast

from k2safety._caches import text_memo
from k2safety._data import DATA_FOLDER, read_data
from k2safety._errors import json_type

if TYPE_CHECKING:
    import pint

__all__ = [
    "ACCEPTED_UNITS",
    "MAX_DOSE_TEXT",
    "DailyDose",
    "DoseProblem",
    "Period",
    "parse_dose",
    "plain_number",
]

AmountUnit = Literal["mcg", "IU"]
Period = Literal["day", "week"]

ACCEPTED_UNITS = (
    "a mass such as '180 mcg', '180 µg', '180 ug', '0.18 mg', '180000 ng' or '180 micrograms', "
    "optionally per day or week ('180 mcg/day', '1.26 mg/week', '12.6 mg/(5 week)') or as "
    "people write it ('100 mcg daily', '100 mcg twice daily', '2 x 100 mcg', '100 mcg every "
    "other day', '1 mg once a week'); IU for vitamin D only"
)

MAX_DOSE_TEXT = 64
"""The longest dose text that is read; longer text is refused."""

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?"
_DOSE_TEXT = re.compile(rf"(?P<number>{_NUMBER})\s*(?P<unit>.*)", re.IGNORECASE | re.DOTALL)
_WORD = r"[a-zμ]+"
_UNIT_TEXT = re.compile(rf"{_WORD}(?:/(?:{_WORD}|\((?:\d+(?:\.\d+)?\s*)?{_WORD}\)))*")
# "mg/(5 week)": an amount per a number of periods, worked out from the table. The count is
# written as Python would read it (no leading zero), otherwise pint decides.
_PER_PERIODS = re.compile(
    rf"(?P<amount>{_WORD})/\((?:(?P<count>(?:[1-9]\d*|0)(?:\.\d+)?) ?)?(?P<period>{_WORD})\)"
)
# What follows a number when the number went on past a separator: "1_000 mcg", "1 000 mcg".
_SEPARATED_DIGITS = re.compile(r"(?P<mark>[_'\u2019.]?)\d")
# A count of periods in a unit such as "mcg/(0 day)".
_PERIOD_COUNT = re.compile(rf"\((?P<count>\d+(?:\.\d+)?)\s*(?P<period>{_WORD})\)")
_MIN_EXPONENT, _MAX_EXPONENT = -300, 300
_MAX_INT_BITS = 997  # about 10**300: larger integers are out of range, and too long to print
_MAX_UNIT_TEXT = 32

_Kind = Literal["amount", "rate"]
_Reading = tuple[str, str, int, int]
"""What a unit is: kind ("amount", "rate" or, in the table only, "period"), unit ("mcg", "IU"
or "day") and the exact factor to that unit (per day for a rate) as numerator and denominator."""


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
        return _per_day(_read_dose_text(dose), per, dose)
    if isinstance(dose, dict):
        return _parse_object(dose, per)
    raise DoseProblem(
        f"expected text such as '180 mcg' or an object {{'value': 180, 'unit': 'mcg'}}, "
        f"got {json_type(dose)}"
    )


def _per_day(reading: _Reading, per: Period | None, text: str) -> DailyDose:
    """The dose a ``reading`` of ``text`` (amount times factor) is, ``per`` applied."""
    kind, unit, numerator, denominator = reading
    if kind == "rate":
        if per is not None:
            raise DoseProblem(
                f"{text!r} is already a rate, so 'per' must not be given as well; "
                f"drop 'per' or write a plain amount such as '180 mcg'",
                about_per=True,
            )
        return DailyDose(Fraction(numerator, denominator), cast(AmountUnit, unit))
    _, _, days, days_denominator = _table()[per or "day"]
    per_day = Fraction(numerator * days_denominator, denominator * days)
    return DailyDose(per_day, cast(AmountUnit, unit))


def _dose_text_uncached(text: str) -> _Reading:
    """The kind, unit and exact amount of a dose ``text``: a plain amount, or a rate per day."""
    plain = _PLAIN_DOSE.fullmatch(text)
    if plain is not None:
        reading = _plain_reading(*plain.groups())
        if reading is not None:
            return reading
    return _general_reading(text)


def _general_reading(text: str) -> _Reading:
    """What :func:`_dose_text_uncached` says of any text, without the shortcut for plain ones."""
    if len(text) > MAX_DOSE_TEXT:
        raise DoseProblem(f"is longer than {MAX_DOSE_TEXT} characters; expected {ACCEPTED_UNITS}")
    cleaned = unicodedata.normalize("NFKC", text).strip()
    if not cleaned:
        raise DoseProblem(f"is empty; expected {ACCEPTED_UNITS}")
    if "," in cleaned:
        raise DoseProblem(
            f"{text!r} contains a comma, which could be a decimal comma or a thousands "
            "separator; write the number with a decimal point and no separators, e.g. '1.5 mg'"
        )
    count, cleaned, days = _phrase(cleaned, text)
    match = _DOSE_TEXT.fullmatch(cleaned)
    if match is None:
        raise DoseProblem(f"{text!r} does not start with a number; expected {ACCEPTED_UNITS}")
    kind, unit, numerator, denominator = _times_unit(
        _exact_number(match["number"], text), match["unit"], text
    )
    if days is None:
        return kind, unit, numerator * count, denominator
    if kind == "rate":
        raise DoseProblem(
            f"{text!r} gives a period twice; write e.g. '100 mcg daily' or '100 mcg/day'"
        )
    return "rate", unit, numerator * count, denominator * days


# Most doses are written "180 mcg" or "0.63 mg/week": ASCII digits, at most one space, a unit of
# the table. Those are read here at a fraction of the general reading's cost, with the same
# result (tests/test_units.py holds the two to one answer for every unit of the table); anything
# else, valid or not, goes the general way, which also explains what is wrong.
_PLAIN_DOSE = re.compile(
    r"(\d{1,15})(?:\.(\d{1,15}))? ?([a-z]{1,16}(?:/[a-z]{1,8})?)", re.ASCII | re.IGNORECASE
)


def _plain_reading(whole: str, decimals: str | None, unit_text: str) -> _Reading | None:
    """The reading of a plain dose, or None when the general reading must decide."""
    numerator = int(whole + decimals) if decimals else int(whole)
    entry = _table().get(unit_text.lower())
    if entry is None or entry[0] == "period" or numerator == 0:
        return None
    kind, unit, factor, denominator = entry
    scale = 10 ** len(decimals) if decimals else 1
    return kind, unit, numerator * factor, scale * denominator


# How often, written after the amount: the times taken in a number of days. Read before the
# unit, so that "100 mcg daily" is 100 mcg a day and "1 mg once a week" 1 mg a week.
# The count a frequency's first word gives: "twice", "two times", "2 times" and "2x" are all 2.
_TIMES = {"once": 1, "twice": 2, "thrice": 3, "one": 1, "two": 2, "three": 3}
_PERIOD_DAYS = {"day": 1, "week": 7}
_FREQUENCY = re.compile(
    r"\s+(?:(?P<times>once|twice|thrice|(?:one|two|three|[1-9]) times?|[1-9]x)\s+)?"
    r"(?:(?P<every_other>every other day|on alternate days)"
    r"|(?P<adverb>daily|weekly)|(?:a|per|each|every)\s+(?P<period>day|week))$",
    re.IGNORECASE,
)
_BARE_TIMES = re.compile(
    r"\s+(?P<times>once|twice|thrice|(?:one|two|three|[1-9]) times?)$", re.IGNORECASE
)
# "2 x 100 mcg": a count of a strength, written before it.
_COUNT = re.compile(r"(?P<count>[1-9]\d?)\s*[x\u00d7]\s*(?=\d|\.\d)", re.IGNORECASE)
# A count of units with no strength ("2 softgels"): what a label's serving says, not a dose.
_DOSAGE_FORMS = re.compile(
    r"[+-]?\d+(?:\.\d+)?\s*(?P<form>(?:soft)?gels?|softgels?|capsules?|caps?|tablets?|tabs?|"
    r"pills?|lozenges?|gummies|gummy|drops?|sprays?|scoops?|servings?|chews?|chewables?|"
    r"sachets?|packets?)\b",
    re.IGNORECASE,
)


def _phrase(cleaned: str, text: str) -> tuple[int, str, int | None]:
    """The count before a strength ("2 x"), the amount's own text, and the days its frequency
    spans (None when the text gives none): "100 mcg twice daily" is (2, "100 mcg", 1)."""
    count = 1
    days: int | None = None
    frequency = _FREQUENCY.search(cleaned)
    if frequency is not None:
        cleaned = cleaned[: frequency.start()]
        first = (frequency["times"] or "once").lower().split()[0].rstrip("x")
        count = _TIMES.get(first) or int(first)  # the pattern lets only 1-9 through as digits
        if frequency["every_other"]:
            days = 2
        elif frequency["adverb"]:
            days = 1 if frequency["adverb"].lower() == "daily" else 7
        else:
            days = _PERIOD_DAYS[frequency["period"].lower()]
    elif _BARE_TIMES.search(cleaned):
        raise DoseProblem(
            f"{text!r} says how many times but not how often; write e.g. '100 mcg twice daily'"
        )
    counted = _COUNT.match(cleaned)
    if counted is not None:
        count *= int(counted["count"])
        cleaned = cleaned[counted.end() :]
    form = _DOSAGE_FORMS.fullmatch(cleaned.strip())
    if form is not None:
        raise DoseProblem(
            f"{text!r} is a count of {form['form']} without their strength; the strength is "
            "needed: give the amount of the vitamin, e.g. '100 mcg' for one softgel of 100 mcg "
            "(the label's Supplement Facts give it per serving)"
        )
    return count, cleaned.strip(), days


_read_dose_text = text_memo("dose text", _dose_text_uncached)


def _parse_object(dose: dict[Any, Any], per: Period | None) -> DailyDose:
    keys = set(dose)
    if keys != {"value", "unit"}:
        extra = ", ".join(sorted(map(str, keys - {"value", "unit"})))
        missing = ", ".join(sorted({"value", "unit"} - keys))
        detail = f"unknown key(s): {extra}" if extra else f"missing key(s): {missing}"
        raise DoseProblem(f"{detail}; expected an object with exactly 'value' and 'unit'")
    value, unit = plain_number(dose["value"]), dose["unit"]
    if not isinstance(unit, str):
        raise DoseProblem(f"'unit' must be text such as 'mcg', got {json_type(unit)}")
    if len(unit) > _MAX_UNIT_TEXT:
        raise DoseProblem(f"'unit' is longer than {_MAX_UNIT_TEXT} characters; expected e.g. 'mcg'")
    # repr() of a float is the shortest decimal that reads back as it: the number as written.
    # plain_number() has made sure the value is a finite float or an int short enough to print.
    text = f"{value!r} {unit}"
    amount = _exact_number(repr(value), text)
    cleaned = unicodedata.normalize("NFKC", unit).strip()
    return _per_day(_times_unit(amount, cleaned, text), per, text)


def plain_number(value: object) -> int | float:
    """The ``value`` of a dose object as a plain, finite ``int`` or ``float``.

    A JSON number is one already. Numbers of other types are read when they are exactly an int
    or a float: an ``int`` or ``float`` subclass, or another integer type (``numpy.int64``,
    ``numpy.float64``). Any other number type (``numpy.float32``, ``Decimal``, ``Fraction``)
    is refused with a message that says to convert it: its value as a float may not be the
    amount its text shows. An integer too long to be an amount (more than about 300 digits),
    an infinity (what a JSON number such as ``1e400`` reads as) and NaN are refused too.

    >>> plain_number(180), plain_number(0.1)
    (180, 0.1)
    >>> plain_number(float("inf"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    k2safety._units.DoseProblem: 'value' is out of range: it is infinite ...
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Number):
        raise DoseProblem(f"'value' must be a number, got {json_type(value)}")
    if isinstance(value, float):
        number: int | float = float(value)
    elif isinstance(value, numbers.Integral):
        number = int(value)
    else:
        raise DoseProblem(
            f"'value' must be a whole number or a float (a JSON number), got "
            f"{type(value).__name__}; convert it first, e.g. with float(), so that the amount "
            "read is the one you mean"
        )
    if isinstance(number, float) and math.isnan(number):
        raise DoseProblem("'value' must be a finite number, got NaN")
    if isinstance(number, float) and math.isinf(number):
        raise DoseProblem(
            "'value' is out of range: it is infinite (a JSON number too large for a float, such "
            "as 1e400, reads as infinity); write an ordinary amount such as 180"
        )
    # Checked before the number is ever printed: a whole number of more than 4,300 digits
    # cannot be turned into text at all (sys.get_int_max_str_digits()).
    if isinstance(number, int) and number.bit_length() > _MAX_INT_BITS:
        raise DoseProblem("'value' is out of range; write an ordinary amount such as 180")
    return number


def _exact_number(number: str, text: str) -> tuple[int, int]:
    """The decimal ``number`` exactly, as a numerator and a denominator."""
    # The exponent is read apart from the digits and checked first: "1e-999999999" would take
    # forever to work out, and Decimal refuses an exponent of more than 18 digits outright.
    digits, _, exponent = number.lower().partition("e")
    try:
        mantissa = Decimal(digits)
    except InvalidOperation:  # pragma: no cover - the pattern only lets valid decimals through
        raise DoseProblem(f"{text!r} has no readable number") from None
    if not mantissa.is_finite():  # pragma: no cover - the pattern admits no NaN or infinity
        raise DoseProblem(f"{text!r} is not a finite number")
    if mantissa <= 0:
        raise DoseProblem(f"{text!r} is not a positive amount; a dose must be more than zero")
    if not _MIN_EXPONENT <= mantissa.adjusted() + int(exponent or 0) <= _MAX_EXPONENT:
        raise DoseProblem(f"{text!r} is out of range; write an ordinary amount such as '180 mcg'")
    return Decimal(number).as_integer_ratio()


def _times_unit(amount: tuple[int, int], unit_text: str, text: str) -> _Reading:
    """``amount`` of ``unit_text`` as micrograms or IU (per day for a rate)."""
    if not unit_text:
        raise DoseProblem(f"{text!r} has no unit; expected {ACCEPTED_UNITS}")
    unit_key = unit_text.lower()
    if not _UNIT_TEXT.fullmatch(unit_key):
        raise DoseProblem(_shape_problem(text, unit_text))
    kind, unit, numerator, denominator = _unit_reading(unit_key)
    # Whole numbers, not Fraction arithmetic: as exact, and a fraction of the cost.
    return kind, unit, amount[0] * numerator, amount[1] * denominator


def _shape_problem(text: str, unit_text: str) -> str:
    # The number is read as far as it goes, so digits right after it were cut off from it.
    separated = _SEPARATED_DIGITS.match(unit_text)
    if separated is not None:
        mark = separated["mark"]
        if mark == ".":
            return (
                f"{text!r} has a number with more than one decimal point; write it with one "
                "decimal point and no separators, e.g. '1000.5 mcg'"
            )
        between = f"{mark!r}" if mark else "a space"
        return (
            f"{text!r} separates the digits of its number with {between}; write the number "
            "without separators, e.g. '1000 mcg'"
        )
    if re.match(r"\s*[/\u2044]\s*\d", unit_text):  # "1/2 mg"; NFKC writes "½" with U+2044
        return (
            f"{text!r} gives its amount as a fraction; write it as a decimal number, e.g. "
            "'0.5 mg' for half a milligram"
        )
    several = re.compile(r"\s+(?:per|every|each)\s+(\d+)\s+(day|week)s?\s*$", re.IGNORECASE)
    several_days = several.search(unit_text)
    if several_days is not None:
        count, period = several_days.groups()
        amount = several.sub("", text.strip())
        return (
            f"{text!r} gives a period of several days in words; write the period in the unit, "
            f"e.g. '{amount}/({count} {period.lower()})'"
        )
    if re.search(r"[+*^]|\s-|-\s", unit_text):
        return f"{text!r} contains arithmetic; give one amount with one unit, e.g. '180 mcg'"
    if re.search(r"\s", unit_text.split("(")[0]):
        return (
            f"{text!r} has a unit of several words; write the unit as one word with its "
            "prefix attached, e.g. '180 µg' (not '180 µ g') or '180 mcg' (not '180 mcg mcg')"
        )
    return f"{text!r} has a unit that is not understood; expected {ACCEPTED_UNITS}"


def _unit_reading(unit_key: str) -> _Reading:
    """What ``unit_key`` (lower case, of the accepted shape) is: from the table, else pint."""
    table = _table()
    entry = table.get(unit_key)
    if entry is not None:
        if entry[0] == "period":
            raise DoseProblem(_dimension_problem(unit_key, {"[time]": 1}))
        return entry
    per_periods = _PER_PERIODS.fullmatch(unit_key)
    if per_periods is not None:
        amount = table.get(per_periods["amount"])
        period = table.get(per_periods["period"])
        count = Fraction(per_periods["count"] or 1)
        if amount and period and amount[0] == "amount" and period[0] == "period" and count:
            _, unit, numerator, denominator = amount
            factor = Fraction(numerator * period[3], denominator * period[2]) / count
            return "rate", unit, factor.numerator, factor.denominator
    return _pint_reading(unit_key)


_table_instance: dict[str, _Reading] | None = None


def _table() -> dict[str, _Reading]:
    """The common units, from ``data/unit_table.txt`` (read on first need)."""
    global _table_instance
    if _table_instance is None:
        text = read_data("unit_table.txt")
        _table_instance = _read_table(text)
    return _table_instance


def _read_table(text: str) -> dict[str, _Reading]:
    """Lines of unit text, kind, unit and exact factor ("1000/7"); "#" starts a comment."""
    table: dict[str, _Reading] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            unit_key, kind, unit, factor = line.split()
            numerator, _, denominator = factor.partition("/")
            table[unit_key] = (kind, unit, int(numerator), int(denominator or 1))
    return table


_TARGETS: dict[tuple[tuple[str, int], ...], tuple[_Kind, AmountUnit, str]] = {
    (("[mass]", 1),): ("amount", "mcg", "mcg"),
    (("[mass]", 1), ("[time]", -1)): ("rate", "mcg", "mcg / day"),
    (("[iu]", 1),): ("amount", "IU", "international_unit"),
    (("[iu]", 1), ("[time]", -1)): ("rate", "IU", "international_unit / day"),
}


def _pint_reading_uncached(unit_key: str) -> _Reading:
    """What pint, with the project's registry, says ``unit_key`` is."""
    registry = _registry()
    for period in _PERIOD_COUNT.finditer(unit_key):
        if Decimal(period["count"]) == 0:
            raise DoseProblem(
                f"unit {unit_key!r} divides by a period of zero ({period[0][1:-1]}); the "
                "number of days or weeks must be more than zero, e.g. 'mg/(5 week)'"
            )
    unknown = DoseProblem(f"unit {unit_key!r} is not known; expected {ACCEPTED_UNITS}")
    for word in re.findall(_WORD, unit_key):
        # Pint defines a prefixed unit the first time it reads one ("microgram"), and from
        # then on also reads it with a second prefix ("μmicrogram"); only the units in
        # units.txt count. Pint also puts a prefix on a unit that has one already ("kmcg").
        readings = [
            (prefix, unit)
            for prefix, unit, _ in registry.parse_unit_name(word)
            if unit in _defined_units
        ]
        double = _double_prefix(word, readings)
        if double is not None:
            raise DoseProblem(f"unit {unit_key!r} {double}")
        if not readings:
            raise unknown
    try:
        quantity = registry.parse_expression(unit_key)
    except Exception:  # pint raises several unrelated types for text it cannot read
        raise unknown from None
    dimensions = {str(name): int(str(power)) for name, power in quantity.dimensionality.items()}
    target = _TARGETS.get(tuple(sorted(dimensions.items())))
    if target is None:
        raise DoseProblem(_dimension_problem(unit_key, dimensions))
    kind, unit, canonical = target
    factor = quantity.to(canonical).magnitude
    if not isinstance(factor, Fraction | int):  # pragma: no cover - the registry is exact
        raise DoseProblem(f"unit {unit_key!r} has no exact conversion")
    exact = Fraction(factor)
    return kind, unit, exact.numerator, exact.denominator


_pint_reading = text_memo("unit text", _pint_reading_uncached)


def _double_prefix(word: str, readings: list[tuple[str, str]]) -> str | None:
    """What is wrong with ``word`` if it puts a prefix on a unit that already has one.

    ``readings`` are pint's (prefix, unit) readings of the word among the units of units.txt:
    "kmcg" reads as kilo-mcg, and mcg is itself micro-gram. A word with no such reading may
    still be a prefix on a prefixed unit that pint does not read at all ("mmg", "μmicrograms").
    """
    registry = _registry()
    for prefix, unit in readings:
        if prefix and unit in _prefixed_units:
            written = word[: word.index(unit)]
            return _two_prefixes(word, written, unit, _scaled("", unit))
    if readings:
        return None
    for written in registry._prefixes:
        rest = word[len(written) :]
        if written and word.startswith(written) and rest:
            for prefix, unit, _ in registry.parse_unit_name(rest):
                if unit in _defined_units and (prefix or unit in _prefixed_units):
                    return _two_prefixes(word, written, rest, _scaled(prefix, unit))
    return None


def _scaled(prefix: str, unit: str) -> tuple[Fraction, str]:
    """A prefixed unit as its factor and the unit without a prefix: ("milli", "gram") and
    ("", "mcg") are (1/1000, "gram") and (1/1000000, "gram")."""
    registry = _registry()
    scale = _factor(registry._prefixes[prefix])
    if unit in _prefixed_units:
        definition = registry._units[unit]
        scale *= _factor(definition)
        (unit,) = _reference(definition)
    return scale, unit


def _factor(definition: Any) -> Fraction:
    """The exact factor of a pint prefix or unit definition, e.g. 1/1000000 for mcg."""
    return Fraction(definition.converter.scale)


def _reference(definition: Any) -> dict[str, int]:
    """What a pint unit definition is a multiple of, e.g. {"gram": 1} for mcg."""
    return {str(name): int(power) for name, power in (definition.reference or {}).items()}


def _two_prefixes(word: str, written: str, rest: str, inner: tuple[Fraction, str]) -> str:
    """The message for ``word``, the prefix ``written`` on ``rest`` (``inner`` is its factor and
    unit without a prefix), naming the unit with one prefix it amounts to when there is one."""
    registry = _registry()
    scale, unit = inner
    scale *= _factor(registry._prefixes[written])
    symbol = registry._units[unit].symbol
    single = [
        definition.symbol
        for definition in registry._prefixes.values()
        if _factor(definition) == scale
    ]
    hint = f"; {word!r} would be {single[0] + symbol!r}" if single and symbol else ""
    return (
        f"puts the prefix {written!r} on {rest!r}, which has a prefix already; write the "
        f"unit with one prefix, such as 'mg' or 'g'{hint}"
    )


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
_defined_units: frozenset[str] = frozenset()
"""The units the registry had when it was built: those of units.txt."""
_prefixed_units: frozenset[str] = frozenset()
"""The units of units.txt that are a prefix times another unit (mcg is micro-gram)."""


def _registry() -> pint.UnitRegistry[Fraction]:
    global _registry_instance, _defined_units, _prefixed_units
    if _registry_instance is None:
        with _registry_lock:
            if _registry_instance is None:
                registry = _build_registry()
                _defined_units = frozenset(registry._units)
                _prefixed_units = _units_with_a_prefix(registry)
                _registry_instance = registry
    return _registry_instance


def _units_with_a_prefix(registry: pint.UnitRegistry[Fraction]) -> frozenset[str]:
    """The units defined as a prefix's factor times another unit, e.g. mcg = 1e-6 * gram."""
    scales = {_factor(prefix) for name, prefix in registry._prefixes.items() if name}
    return frozenset(
        name
        for name, definition in registry._units.items()
        if list(_reference(definition).values()) == [1] and _factor(definition) in scales
    )


def _build_registry() -> pint.UnitRegistry[Fraction]:
    import pint

    path = os.path.join(DATA_FOLDER, "units.txt")
    return pint.UnitRegistry(path, non_int_type=Fraction, cache_folder=None)
