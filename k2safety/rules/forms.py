"""Which form of K2 is planned, and how many products."""

from __future__ import annotations

from k2safety._normalized import SupplementFacts
from k2safety._profile import Form
from k2safety.rules._registry import Hit, format_mcg, rule


@rule("K2-MK4-HALF-LIFE")
def mk4_short_half_life(supplements: SupplementFacts) -> Hit | None:
    if Form.MK4 not in supplements.totals:
        return None
    return Hit(triggers=(supplements.triggers[Form.MK4],))


@rule("K2-FORM-UNSPECIFIED")
def k2_form_not_given(supplements: SupplementFacts) -> Hit | None:
    total = supplements.totals.get(Form.K2)
    if total is None:
        return None
    return Hit(values={"total": format_mcg(total)}, triggers=(supplements.triggers[Form.K2],))


@rule("K2-MULTIPLE-SOURCES")
def several_k2_products(supplements: SupplementFacts) -> Hit | None:
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
