"""What a finding shows as its trigger, and exact amounts written for a person to read."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from typing import Literal

from k2safety._terms import Form

__all__ = [
    "Trigger",
    "TriggerField",
    "format_mcg",
    "not_stated_trigger",
    "supplement_trigger",
    "trigger",
]

TriggerField = Literal["medications", "supplements", "foods", "goals", "conditions"]


# A dataclass, not a pydantic model: a report holds several, built on every check, and pydantic
# serializes and validates it all the same inside a Finding.
@dataclass(frozen=True, slots=True)
class Trigger:
    """What in the profile made a rule fire: a field and the entry in it."""

    field: TriggerField
    value: str


def format_mcg(amount: Fraction) -> str:
    """An exact amount for a person to read: whole numbers as they are, others to two places.

    >>> format_mcg(Fraction(180)), format_mcg(Fraction(1000, 7)), format_mcg(Fraction(1, 2))
    ('180', 'about 142.86', '0.5')
    >>> format_mcg(Fraction(1, 7 * 10**300)), format_mcg(Fraction(10**309, 3))[-9:]
    ('about 1.43e-301', '333333.33')
    """
    return _format_ratio(amount.numerator, amount.denominator)


def _format_ratio(numerator: int, denominator: int) -> str:
    if denominator == 1:
        return str(numerator)
    if numerator * 100 >= denominator:  # at least a hundredth: two places, in whole numbers
        hundredths, rest = divmod(numerator * 100, denominator)
        if 2 * rest >= denominator:  # half up, as a person rounds: 0.125 shows as 0.13
            hundredths += 1
        whole, cents = divmod(hundredths, 100)
        text = f"{whole}.{cents:02d}".rstrip("0").rstrip(".")
        return text if rest == 0 else f"about {text}"
    # Decimal, not float: an amount can be far below float's range (a dose in ng per week).
    with localcontext() as context:
        context.prec = _DIGITS
        context.rounding = ROUND_HALF_UP
        shown = Decimal(f"{Decimal(numerator) / Decimal(denominator):.3g}")
        text = f"{shown:.3g}"
    return text if Fraction(shown) == Fraction(numerator, denominator) else f"about {text}"


_DIGITS = 400  # enough for any amount a dose can express (at most about 10**310)


def trigger(field: TriggerField, value: str) -> Trigger:
    """What in the profile made a rule fire."""
    return Trigger(field, value)


def supplement_trigger(form: Form, amount: Fraction, least: Fraction | None = None) -> Trigger:
    """A planned form and its total (the smallest to the largest when they differ), as a
    trigger."""
    if least is not None and least != amount:
        return trigger(
            "supplements", f"{form.value} {format_mcg(least)}-{format_mcg(amount)} mcg/day"
        )
    return trigger("supplements", f"{form.value} {format_mcg(amount)} mcg/day")


def not_stated_trigger(form: Form, products: tuple[str, ...]) -> Trigger:
    """A form whose amount a product's label does not state, as a trigger."""
    return trigger("supplements", f"{form.value} dose not stated ({', '.join(products)})")
