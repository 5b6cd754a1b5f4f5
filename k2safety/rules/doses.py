"""Planned amounts against the typical and pharmacological ranges."""

from __future__ import annotations

from k2safety._knowledge import Knowledge
from k2safety._normalized import NormalizedProfile
from k2safety._profile import Form
from k2safety.rules._registry import Hit, format_mcg, rule, supplement_trigger, trigger


@rule("K2-MK7-DOSE-LOW")
def mk7_below_typical(profile: NormalizedProfile, kb: Knowledge) -> Hit | None:
    total = profile.mcg_per_day.get(Form.MK7)
    if total is None or total >= kb.threshold("mk7_typical_min"):
        return None
    return Hit(values={"total": format_mcg(total)}, triggers=(supplement_trigger(Form.MK7, total),))


@rule("K2-MK7-DOSE-HIGH")
def mk7_above_typical(profile: NormalizedProfile, kb: Knowledge) -> Hit | None:
    total = profile.mcg_per_day.get(Form.MK7)
    if total is None or total <= kb.threshold("mk7_typical_max"):
        return None
    return Hit(values={"total": format_mcg(total)}, triggers=(supplement_trigger(Form.MK7, total),))


@rule("K2-MK4-HIGH-DOSE")
def mk4_pharmacological(profile: NormalizedProfile, kb: Knowledge) -> Hit | None:
    total = profile.mcg_per_day.get(Form.MK4)
    if total is None or total < kb.threshold("mk4_pharmacological"):
        return None
    return Hit(
        values={"total_mg": format_mcg(total / 1000)},
        triggers=(supplement_trigger(Form.MK4, total),),
    )


@rule("K2-DIETARY-MK7")
def natto_on_top_of_mk7(profile: NormalizedProfile, kb: Knowledge) -> Hit | None:
    total = profile.mcg_per_day.get(Form.MK7)
    if total is None or "natto" not in profile.foods:
        return None
    return Hit(
        values={"total": format_mcg(total)},
        triggers=(supplement_trigger(Form.MK7, total), trigger("foods", "natto")),
    )
