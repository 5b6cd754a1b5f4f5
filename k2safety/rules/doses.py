"""Planned amounts against the typical and pharmacological ranges."""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

from k2safety._terms import Form
from k2safety.rules._hit import Hit, format_mcg, trigger

if TYPE_CHECKING:
    from k2safety._normalized import SupplementTotals, VitaminK


def mk7_below_typical(supplements: SupplementTotals, *, mk7_typical_min: Fraction) -> Hit | None:
    """Fires when the MK-7 supplements add up to less than the typical range (its lower end is
    in range)."""
    total = supplements.totals.get(Form.MK7)
    if total is None or total >= mk7_typical_min:
        return None
    return Hit(values={"total": format_mcg(total)}, triggers=(supplements.triggers[Form.MK7],))


def mk7_above_typical(supplements: SupplementTotals, *, mk7_typical_max: Fraction) -> Hit | None:
    """Fires when the MK-7 supplements add up to more than the typical range (its upper end is
    in range)."""
    total = supplements.totals.get(Form.MK7)
    if total is None or total <= mk7_typical_max:
        return None
    return Hit(values={"total": format_mcg(total)}, triggers=(supplements.triggers[Form.MK7],))


def mk4_pharmacological(
    supplements: SupplementTotals, *, mk4_pharmacological: Fraction
) -> Hit | None:
    """Fires when the MK-4 supplements add up to the pharmacological line or more."""
    total = supplements.totals.get(Form.MK4)
    if total is None or total < mk4_pharmacological:
        return None
    return Hit(
        values={"total_mg": format_mcg(total / 1000)},
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
            "food_notes": " ".join(food.note or "" for food in foods),
        },
        triggers=(
            vitamin_k.triggers[Form.MK7],
            *(trigger("foods", food.id) for food in foods),
        ),
    )
