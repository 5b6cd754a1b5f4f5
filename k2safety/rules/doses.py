"""Planned amounts against the typical and pharmacological ranges."""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

from k2safety._terms import Form
from k2safety.rules._hit import Hit, format_mcg, join, total_text, trigger

if TYPE_CHECKING:
    from k2safety._normalized import SupplementTotals, VitaminK

__all__ = [
    "food_mk7_on_top_of_supplements",
    "mk4_pharmacological",
    "mk7_above_typical",
    "mk7_below_typical",
    "vitamin_k_dose_not_stated",
]


def mk7_below_typical(supplements: SupplementTotals, *, mk7_typical_min: Fraction) -> Hit | None:
    """Fires when the MK-7 supplements add up to less than the typical range (its lower end is
    in range)."""
    if Form.MK7 not in supplements.totals or Form.MK7 in supplements.not_stated:
        return None  # with an amount not stated, the total is not known to be low
    least = supplements.least.get(Form.MK7, supplements.totals[Form.MK7])
    if least >= mk7_typical_min:
        return None
    return _mk7_total(supplements, least=True)


def mk7_above_typical(supplements: SupplementTotals, *, mk7_typical_max: Fraction) -> Hit | None:
    """Fires when the MK-7 supplements add up to more than the typical range (its upper end is
    in range)."""
    total = supplements.totals.get(Form.MK7)
    if total is None or total <= mk7_typical_max:
        return None
    return _mk7_total(supplements, least=False)


def _mk7_total(supplements: SupplementTotals, *, least: bool) -> Hit:
    """MK-7's total for a dose message (the smallest, with ``least``), and the note of a label
    that gives the amount only as a bound, when one does."""
    values = {"total": total_text(supplements, Form.MK7, least=least)}
    bound = supplements.bounds.get(Form.MK7)
    if bound is None:
        return Hit(values=values, triggers=(supplements.triggers[Form.MK7],))
    values["bound"] = bound
    return Hit(values=values, triggers=(supplements.triggers[Form.MK7],), notes=("bound",))


def mk4_pharmacological(
    supplements: SupplementTotals, *, mk4_pharmacological: Fraction
) -> Hit | None:
    """Fires when the MK-4 supplements add up to the pharmacological line or more."""
    total = supplements.totals.get(Form.MK4)
    if total is None or total < mk4_pharmacological:
        return None
    least = supplements.least.get(Form.MK4)
    shown = format_mcg(total / 1000)
    if least is not None:
        shown = f"as much as {shown} ({format_mcg(least / 1000)} to {shown} by servings)"
    return Hit(
        values={"total_mg": shown},
        triggers=(supplements.triggers[Form.MK4],),
    )


def food_mk7_on_top_of_supplements(vitamin_k: VitaminK) -> Hit | None:
    """Fires when MK-7 is planned as a supplement and a food rich in MK-7 is eaten."""
    total = vitamin_k.totals.get(Form.MK7)
    foods = [food for food in vitamin_k.foods if food.supplies is Form.MK7]
    if total is None or not foods:
        return None
    return Hit(
        values={
            "total": format_mcg(total),
            "foods": ", ".join(food.id for food in foods),
            "food_notes": " ".join(food.note for food in foods if food.note),
        },
        triggers=(
            vitamin_k.triggers[Form.MK7],
            *(trigger("foods", food.id) for food in foods),
        ),
    )


def vitamin_k_dose_not_stated(supplements: SupplementTotals, vitamin_k: VitaminK) -> Hit | None:
    """Fires when a product's label names a form of vitamin K without stating its amount (a
    blend), so that no dose rule can check it."""
    forms = vitamin_k.not_stated
    if not forms:
        return None
    products = sorted({product for form in forms for product in supplements.not_stated[form]})
    return Hit(
        values={
            "products": join(products),
            "forms": join(form.value for form in forms),
        },
        triggers=tuple(vitamin_k.triggers[form] for form in forms),
    )
