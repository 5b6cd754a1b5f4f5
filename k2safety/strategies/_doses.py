"""Exact amounts per day, and every way of writing one as a dose that states it exactly.

The amounts are drawn on a grid every mass unit can write exactly, plus the rules' thresholds
from the knowledge base and their neighbours; the writings are kept within the dose parser's
limit on text length (``k2safety._units.MAX_DOSE_TEXT``).
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from functools import cache, lru_cache

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from k2safety._knowledge import knowledge
from k2safety._units import MAX_DOSE_TEXT
from k2safety.strategies._variants import EDGE_SPACES, JSON

__all__ = ["IU_NAMES", "Amount", "daily_amounts", "doses", "positive_fraction"]

Amount = Fraction | Decimal | int | str

# Grid of amounts per day: k/1000 mcg can be written exactly in every mass unit, k/7000 is a
# weekly amount written per week.
_DENOMINATORS = (1, 10, 100, 1000, 7, 70, 700, 7000)

_MASS_UNITS: tuple[tuple[str, Fraction], ...] = (
    ("mcg", Fraction(1)),
    ("µg", Fraction(1)),
    ("μg", Fraction(1)),
    ("ug", Fraction(1)),
    ("microgram", Fraction(1)),
    ("micrograms", Fraction(1)),
    ("mg", Fraction(1000)),
    ("milligram", Fraction(1000)),
    ("milligrams", Fraction(1000)),
    ("ng", Fraction(1, 1000)),
    ("nanograms", Fraction(1, 1000)),
    ("g", Fraction(10**6)),
    ("grams", Fraction(10**6)),
)
IU_NAMES = ("IU", "iu", "UI")
_PLAIN_PERIODS: tuple[tuple[str | None, Fraction], ...] = (
    (None, Fraction(1)),
    ("day", Fraction(1)),
    ("week", Fraction(7)),
)
_RATES: tuple[tuple[str, Fraction], ...] = (
    ("/day", Fraction(1)),
    ("/d", Fraction(1)),
    ("/week", Fraction(7)),
    ("/wk", Fraction(7)),
    ("/(3.5 day)", Fraction(7, 2)),
    ("/(2 week)", Fraction(14)),
    ("/(4 week)", Fraction(28)),
)
_SPANS = (2, 3, 5, 10, 14, 30)


def positive_fraction(value: Amount, name: str) -> Fraction:
    """``value`` as an exact fraction, refusing anything that is not a number more than zero."""
    try:
        number = Fraction(value)
    except (TypeError, ValueError):
        raise InvalidArgument(f"{name}={value!r} is not a number") from None
    if number <= 0:
        raise InvalidArgument(f"{name}={value!r} must be more than zero")
    return number


# --- Amounts ----------------------------------------------------------------------------------


@cache
def _interesting_amounts() -> tuple[Fraction, ...]:
    """Each mcg-per-day threshold of the rules, and its nearest neighbours per day and week."""
    found: set[Fraction] = set()
    for threshold in knowledge().thresholds.values():
        if threshold.unit == "mcg/day":
            value = threshold.value
            found.update(value + step for step in (0, 1, -1, Fraction(1, 7), Fraction(-1, 7)))
    return tuple(sorted(found))


def daily_amounts(
    *,
    min_mcg_per_day: Amount = Fraction(1),
    max_mcg_per_day: Amount = Fraction(100_000),
) -> st.SearchStrategy[Fraction]:
    """Exact amounts per day, in micrograms, that :func:`doses` can write in some unit.

    ``max_mcg_per_day`` may be at most the largest daily dose a profile accepts (the threshold
    ``largest_daily_dose``, 1 g). Generates multiples of 1/1000 mcg a day and weekly amounts
    (multiples of 1/7000), plus each rule threshold in range and its neighbours one microgram a
    day or a week away. Both bounds are included. Shrinks toward ``min_mcg_per_day``.
    """
    low = positive_fraction(min_mcg_per_day, "min_mcg_per_day")
    high = positive_fraction(max_mcg_per_day, "max_mcg_per_day")
    if low > high:
        raise InvalidArgument(f"min_mcg_per_day={low} is more than max_mcg_per_day={high}")
    largest = knowledge().threshold("largest_daily_dose")
    if high > largest:
        raise InvalidArgument(
            f"max_mcg_per_day={high} is more than the largest daily dose a profile accepts "
            f"({largest} mcg, threshold largest_daily_dose)"
        )
    grids = [
        st.builds(Fraction, st.integers(math.ceil(low * d), math.floor(high * d)), st.just(d))
        for d in _DENOMINATORS
        if math.ceil(low * d) <= math.floor(high * d)
    ]
    edges = st.sampled_from(sorted({low, high}))
    near = [amount for amount in _interesting_amounts() if low <= amount <= high]
    return st.one_of(*grids, edges, *([st.sampled_from(near)] if near else []))


# --- Writing an amount exactly ----------------------------------------------------------------


def _decimal_text(value: Fraction) -> str | None:
    """``value`` as exact decimal text, or None when it has no finite decimal expansion."""
    rest, places = value.denominator, 0
    for prime in (2, 5):
        count = 0
        while rest % prime == 0:
            rest //= prime
            count += 1
        places = max(places, count)
    if rest != 1:
        return None
    digits = str(value.numerator * 10**places // value.denominator).rjust(places + 1, "0")
    return digits if places == 0 else f"{digits[:-places]}.{digits[-places:]}"


def _unit_options(iu: bool) -> tuple[tuple[str, Fraction], ...]:
    if not iu:
        return _MASS_UNITS
    per_iu = 1 / knowledge().threshold("d3_iu_per_mcg")
    return _MASS_UNITS + tuple((name, per_iu) for name in IU_NAMES)


def _spans(amount: Fraction) -> tuple[tuple[str, Fraction], ...]:
    """Rates over several days, including the one that makes ``amount`` exact."""
    needed = amount.denominator
    for prime in (2, 5):
        while needed % prime == 0:
            needed //= prime
    return tuple((f"/({n} day)", Fraction(n)) for n in sorted({*_SPANS, needed} - {1}))


@lru_cache(maxsize=4096)
def _writings(amount: Fraction, iu: bool) -> tuple[tuple[str, str, str | None], ...]:
    """Every (number, unit, per) that states ``amount`` mcg a day exactly, plainest first."""
    found: list[tuple[str, str, str | None]] = []
    for unit, per_unit in _unit_options(iu):
        for per, days in _PLAIN_PERIODS:
            number = _decimal_text(amount * days / per_unit)
            if number is not None:
                found.append((number, unit, per))
        for suffix, days in (*_RATES, *_spans(amount)):
            number = _decimal_text(amount * days / per_unit)
            if number is not None:
                found.append((number, unit + suffix, None))
    return tuple(w for w in found if len(w[0]) + len(w[1]) + 4 <= MAX_DOSE_TEXT)


@st.composite
def _number_variant(draw: st.DrawFn, number: str) -> str:
    """The same decimal value written differently: trailing zeros, '+', '.5', exponent."""
    style = draw(st.sampled_from(("plain", "zeros", "plus", "exponent", "bare point")))
    if style == "zeros":
        return number + ("0" if "." in number else ".0")
    if style == "plus":
        return "+" + number
    if style == "exponent":
        exponent = draw(st.sampled_from(("e", "E")))
        return format(Decimal(number), "e").replace("e", exponent)
    if style == "bare point" and number.startswith("0."):
        return number[1:]
    return number


def _object_value(number: str) -> int | float | None:
    """The JSON number for ``number``, or None when a float cannot hold it exactly."""
    value = Decimal(number)
    if value == value.to_integral_value():
        return int(value)
    as_float = float(value)
    return as_float if Decimal(repr(as_float)) == value else None


@st.composite
def _written_dose(draw: st.DrawFn, amount: Fraction, iu: bool) -> JSON:
    writings = _writings(amount, iu)
    if not writings:
        raise InvalidArgument(f"{amount} mcg a day cannot be written within {MAX_DOSE_TEXT}")
    number, unit, per = draw(st.sampled_from(writings))
    # Each form costs the fewest draws it can, so shrinking settles on plain text.
    form = draw(st.sampled_from(("text", "object", "varied text")))
    value = _object_value(number)
    dose: str | JSON = f"{number} {unit}"
    if form == "object" and value is not None:
        dose = {"value": value, "unit": draw(st.sampled_from((unit, unit.upper())))}
    elif form == "varied text":
        unit = draw(st.sampled_from((unit, unit.lower(), unit.upper())))
        text = draw(_number_variant(number)) + draw(st.sampled_from((" ", "", "  "))) + unit
        varied = draw(st.sampled_from(EDGE_SPACES[:3])) + text
        dose = varied if len(varied) <= MAX_DOSE_TEXT else dose
    return {"dose": dose} if per is None else {"dose": dose, "per": per}


def doses(
    *,
    min_mcg_per_day: Amount = Fraction(1),
    max_mcg_per_day: Amount = Fraction(100_000),
    mcg_per_day: Amount | None = None,
    iu: bool = False,
) -> st.SearchStrategy[JSON]:
    """The dose part of a supplement, ``{"dose": ..., "per": ...}`` (``per`` only when used).

    The amount is drawn with :func:`daily_amounts` (or fixed by ``mcg_per_day``) and written in
    any accepted way that states it exactly: mcg, µg, ug, microgram(s), mg, milligram(s), ng,
    nanograms, g, grams; per day or per week through ``per``, or as a rate (``/day``, ``/d``,
    ``/week``, ``/wk``, ``/(3 day)``, ``/(2 week)``, ...); as text with its number in plain,
    padded, signed or exponent notation, or as ``{"value": number, "unit": text}`` when a JSON
    number holds it exactly. ``iu=True`` adds IU writings (40 IU = 1 mcg), which only vitamin D3
    accepts. Every writing of one amount validates to the same ``mcg_per_day``.

    Shrinks toward the smallest amount, written as plain micrograms per day.
    """
    if mcg_per_day is not None:
        fixed = positive_fraction(mcg_per_day, "mcg_per_day")
        return _written_dose(fixed, iu)
    amounts = daily_amounts(min_mcg_per_day=min_mcg_per_day, max_mcg_per_day=max_mcg_per_day)
    return amounts.flatmap(lambda amount: _written_dose(amount, iu))
