"""Which form of K2 is planned, and how many products."""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

from k2safety._terms import Form
from k2safety.rules._hit import Hit, join, total_text

if TYPE_CHECKING:
    from k2safety._normalized import SupplementTotals

__all__ = [
    "k2_form_not_given",
    "mk4_planned",
    "several_k2_products",
    "unstated_form_above_mk7_range",
]


def mk4_planned(supplements: SupplementTotals) -> Hit | None:
    """Fires when MK-4 is among the planned supplements, at any dose."""
    total = supplements.totals.get(Form.MK4)
    if total is None:
        return None
    return Hit(triggers=(supplements.triggers[Form.MK4],))


_UNSTATED = {
    Form.K2: ("vitamin K2", "MK-7 or MK-4"),
    Form.K: ("vitamin K", "K1, or K2 such as MK-7 or MK-4"),
}
"""The forms that say only which vitamin they are: how a message names each, and its forms."""


def _unstated(
    supplements: SupplementTotals, mk7_typical_max: Fraction, *, above: bool
) -> Hit | None:
    forms = [
        form
        for form in _UNSTATED
        if form in supplements.totals and (supplements.totals[form] > mk7_typical_max) is above
    ]
    if not forms:
        return None
    described = join(
        f"{_UNSTATED[form][0]} ({total_text(supplements, form)} mcg a day)" for form in forms
    )
    return Hit(
        values={
            "supplements": described,
            "choices": join((_UNSTATED[form][1] for form in forms), "or"),
            "pronoun": "it is" if len(forms) == 1 else "they are",
            "verb": "does" if len(forms) == 1 else "do",
        },
        triggers=tuple(supplements.triggers[form] for form in forms),
    )


def k2_form_not_given(supplements: SupplementTotals, *, mk7_typical_max: Fraction) -> Hit | None:
    """Fires when a supplement is vitamin K2 or vitamin K without a form (not said to be MK-7,
    MK-4 or K1) and adds up to no more than the top of the typical MK-7 range (above it,
    K2-FORM-UNSPECIFIED-HIGH fires instead)."""
    return _unstated(supplements, mk7_typical_max, above=False)


def unstated_form_above_mk7_range(
    supplements: SupplementTotals, *, mk7_typical_max: Fraction
) -> Hit | None:
    """Fires when vitamin K2 or vitamin K without a form adds up to more than the top of the
    typical MK-7 range (the most a day, with products taken a range of servings)."""
    return _unstated(supplements, mk7_typical_max, above=True)


def several_k2_products(supplements: SupplementTotals) -> Hit | None:
    """Fires when more than one planned supplement is vitamin K2, whatever their forms."""
    if supplements.k2_entries < 2:
        return None
    totals = supplements.k2_totals
    described = ", ".join(
        f"{form.value} {total_text(supplements, form)} mcg a day" for form in totals
    )
    return Hit(
        values={"count": str(supplements.k2_entries), "totals": described},
        triggers=tuple(supplements.triggers[form] for form in totals),
    )
