"""Vitamin K2 and vitamin D3 taken together."""

from __future__ import annotations

from k2safety._knowledge import Knowledge
from k2safety._normalized import NormalizedProfile
from k2safety._profile import Form
from k2safety.rules._registry import Hit, rule, supplement_trigger


@rule("K2-D3-PAIRING")
def k2_without_d3(profile: NormalizedProfile, kb: Knowledge) -> Hit | None:
    if not profile.k2_planned or Form.D3 in profile.mcg_per_day:
        return None
    return Hit(
        triggers=tuple(
            supplement_trigger(form, amount) for form, amount in profile.k2_totals.items()
        )
    )
