"""Which form of K2 is planned, and how many products."""

from __future__ import annotations

from typing import TYPE_CHECKING

from k2safety._terms import Form
from k2safety.rules._hit import Hit, format_mcg

if TYPE_CHECKING:
    from k2safety._normalized import SupplementTotals


def mk4_planned(supplements: SupplementTotals) -> Hit | None:
    """Fires when MK-4 is among the planned supplements, at any dose."""
    total = supplements.totals.get(Form.MK4)
    if total is None:
        return None
    return Hit(triggers=(supplements.triggers[Form.MK4],))


def k2_form_not_given(supplements: SupplementTotals) -> Hit | None:
    """Fires when a supplement is vitamin K2 without a form (not said to be MK-7 or MK-4)."""
    total = supplements.totals.get(Form.K2)
    if total is None:
        return None
    return Hit(values={"total": format_mcg(total)}, triggers=(supplements.triggers[Form.K2],))


def several_k2_products(supplements: SupplementTotals) -> Hit | None:
    """Fires when more than one planned supplement is vitamin K2, whatever their forms."""
    if supplements.k2_entries < 2:
        return None
    totals = supplements.k2_totals
    described = ", ".join(
        f"{form.value} {format_mcg(amount)} mcg a day" for form, amount in totals.items()
    )
    return Hit(
        values={"count": str(supplements.k2_entries), "totals": described},
        triggers=tuple(supplements.triggers[form] for form in totals),
    )
