"""How a rule is written and registered. Everything else about a rule lives in data/rules.toml."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from fractions import Fraction
from functools import lru_cache
from types import MappingProxyType
from typing import NamedTuple

from k2safety._construct import construct
from k2safety._knowledge import Knowledge
from k2safety._normalized import NormalizedProfile
from k2safety._profile import Form
from k2safety._report import Trigger, TriggerField

__all__ = [
    "REGISTRY",
    "Hit",
    "RuleFunction",
    "format_mcg",
    "join",
    "rule",
    "supplement_trigger",
    "trigger",
]


_NO_VALUES: Mapping[str, str] = MappingProxyType({})


class Hit(NamedTuple):
    """A rule fired: the values its message needs, what triggered it, and which notes apply."""

    values: Mapping[str, str] = _NO_VALUES
    triggers: tuple[Trigger, ...] = ()
    notes: tuple[str, ...] = ()


RuleFunction = Callable[[NormalizedProfile, Knowledge], Hit | None]

REGISTRY: dict[str, RuleFunction] = {}


def rule(code: str) -> Callable[[RuleFunction], RuleFunction]:
    """Register ``function`` as the check for the rule ``code`` described in data/rules.toml."""

    def register(function: RuleFunction) -> RuleFunction:
        if code in REGISTRY:
            raise ValueError(f"rule {code} is registered twice")
        REGISTRY[code] = function
        return function

    return register


def format_mcg(amount: Fraction) -> str:
    """An exact amount for a person to read: whole numbers as they are, others to two places.

    >>> format_mcg(Fraction(180)), format_mcg(Fraction(1000, 7)), format_mcg(Fraction(1, 2))
    ('180', 'about 142.86', '0.5')
    """
    return _format_ratio(amount.numerator, amount.denominator)


# Keyed by numerator and denominator: hashing a Fraction costs more than formatting it.
@lru_cache(maxsize=1024)
def _format_ratio(numerator: int, denominator: int) -> str:
    if denominator == 1:
        return str(numerator)
    amount = Fraction(numerator, denominator)
    rounded = f"{float(amount):.2f}".rstrip("0").rstrip(".")
    return rounded if Fraction(rounded) == amount else f"about {rounded}"


def join(items: Iterable[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``.

    >>> join(["warfarin"]), join(["MK-7", "natto"]), join(["a", "b", "c"])
    ('warfarin', 'MK-7 and natto', 'a, b and c')
    """
    words = list(items)
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


@lru_cache(maxsize=4096)
def trigger(field: TriggerField, value: str) -> Trigger:
    """What in the profile made a rule fire."""
    return construct(Trigger, field=field, value=value)


def supplement_trigger(form: Form, amount: Fraction) -> Trigger:
    """A planned form and its total, as a trigger."""
    return trigger("supplements", f"{form.value} {format_mcg(amount)} mcg/day")
