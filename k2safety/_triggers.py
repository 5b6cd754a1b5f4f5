"""What a finding shows as its trigger, and exact amounts written for a person to read."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from typing import Literal

from pydantic import BaseModel, ConfigDict

from k2safety._terms import Form

__all__ = ["Trigger", "TriggerField", "format_mcg", "supplement_trigger", "trigger"]

TriggerField = Literal["medications", "supplements", "foods", "goals", "conditions"]


class Trigger(BaseModel):
    """What in the profile made a rule fire: a field and the entry in it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

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
    amount = Fraction(numerator, denominator)
    # Decimal, not float: a total can be far beyond float's range (a dose in kg per day).
    with localcontext() as context:
        context.prec = _DIGITS
        context.rounding = ROUND_HALF_UP  # as a person rounds: 0.125 shows as 0.13
        exact = Decimal(numerator) / Decimal(denominator)
        if amount >= _HUNDREDTH:
            shown = exact.quantize(_HUNDREDTH_DECIMAL)
            text = f"{shown:f}".rstrip("0").rstrip(".")
        else:
            shown = Decimal(f"{exact:.3g}")
            text = f"{shown:.3g}"
    return text if Fraction(shown) == amount else f"about {text}"


_DIGITS = 400  # enough for any amount a dose can express (at most about 10**310)
_HUNDREDTH = Fraction(1, 100)
_HUNDREDTH_DECIMAL = Decimal("0.01")


def trigger(field: TriggerField, value: str) -> Trigger:
    """What in the profile made a rule fire."""
    return Trigger(field=field, value=value)


def supplement_trigger(form: Form, amount: Fraction) -> Trigger:
    """A planned form and its total, as a trigger."""
    return trigger("supplements", f"{form.value} {format_mcg(amount)} mcg/day")
