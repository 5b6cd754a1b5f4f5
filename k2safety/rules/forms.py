"""Which form of K2 is planned, and how many products."""

from __future__ import annotations

from k2safety._knowledge import Knowledge
from k2safety._normalized import NormalizedProfile
from k2safety._profile import Form
from k2safety.rules._registry import Hit, format_mcg, rule, supplement_trigger


@rule("K2-MK4-HALF-LIFE")
def mk4_short_half_life(profile: NormalizedProfile, kb: Knowledge) -> Hit | None:
    total = profile.mcg_per_day.get(Form.MK4)
    if total is None:
        return None
    return Hit(triggers=(supplement_trigger(Form.MK4, total),))


@rule("K2-FORM-UNSPECIFIED")
def k2_form_not_given(profile: NormalizedProfile, kb: Knowledge) -> Hit | None:
    total = profile.mcg_per_day.get(Form.K2)
    if total is None:
        return None
    return Hit(values={"total": format_mcg(total)}, triggers=(supplement_trigger(Form.K2, total),))


@rule("K2-MULTIPLE-SOURCES")
def several_k2_products(profile: NormalizedProfile, kb: Knowledge) -> Hit | None:
    if profile.k2_entries < 2:
        return None
    totals = profile.k2_totals
    described = ", ".join(
        f"{form.value} {format_mcg(amount)} mcg a day" for form, amount in totals.items()
    )
    return Hit(
        values={"count": str(profile.k2_entries), "totals": described},
        triggers=tuple(supplement_trigger(form, amount) for form, amount in totals.items()),
    )
