"""What a rule function returns when it fires, and the helpers rules share for their values.

A rule function takes, as positional parameters, the parts of the normalized profile it reads
(fields of :class:`k2safety._normalized.Facts`) and, keyword-only, the thresholds it compares
against and the parameters its entry in ``data/rules.toml`` gives. It returns ``None`` or a
:class:`Hit`; the engine turns a hit into a finding with the rule's data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from k2safety._terms import Form
from k2safety._triggers import Trigger, format_mcg, supplement_trigger, trigger

__all__ = [
    "Hit",
    "Trigger",
    "format_mcg",
    "join",
    "supplement_trigger",
    "total_text",
    "trigger",
]

_NO_VALUES: Mapping[str, str] = MappingProxyType({})


class Hit(NamedTuple):
    """A rule fired: the values its message needs, what triggered it, and which notes apply."""

    values: Mapping[str, str] = _NO_VALUES
    triggers: tuple[Trigger, ...] = ()
    notes: tuple[str, ...] = ()


def total_text(totals: Any, form: Form, *, least: bool = False) -> str:
    """A form's daily total for a message: the largest (or, with ``least``, the smallest), and
    the range by servings when products give one: "as much as 450 (150 to 450 by servings)"."""
    most = totals.totals[form]
    fewest = totals.least.get(form)
    if fewest is None:
        return format_mcg(most)
    shown = format_mcg(fewest if least else most)
    word = "as little as" if least else "as much as"
    return f"{word} {shown} ({format_mcg(fewest)} to {format_mcg(most)} by servings)"


def join(items: Iterable[str], conjunction: str = "and") -> str:
    """``a``, ``a and b``, ``a, b and c`` (or another conjunction: ``a, b or c``).

    >>> join(["warfarin"]), join(["MK-7", "natto"]), join(["a", "b", "c"], "or")
    ('warfarin', 'MK-7 and natto', 'a, b or c')
    """
    words = list(items)
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}"
