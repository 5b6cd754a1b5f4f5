"""Planned amounts against the typical and pharmacological ranges."""

from __future__ import annotations

from k2safety._knowledge import Knowledge
from k2safety._normalized import SupplementFacts
from k2safety._profile import Form
from k2safety.rules._registry import Hit, format_mcg, rule, trigger


@rule("K2-MK7-DOSE-LOW")
def mk7_below_typical(supplements: SupplementFacts, kb: Knowledge) -> Hit | None:
    total = supplements.totals.get(Form.MK7)
    if total is None or total >= kb.threshold("mk7_typical_min"):
        return None
    return Hit(values={"total": format_mcg(total)}, triggers=(supplements.triggers[Form.MK7],))


@rule("K2-MK7-DOSE-HIGH")
def mk7_above_typical(supplements: SupplementFacts, kb: Knowledge) -> Hit | None:
    total = supplements.totals.get(Form.MK7)
    if total is None or total <= kb.threshold("mk7_typical_max"):
        return None
    return Hit(values={"total": format_mcg(total)}, triggers=(supplements.triggers[Form.MK7],))


@rule("K2-MK4-HIGH-DOSE")
def mk4_pharmacological(supplements: SupplementFacts, kb: Knowledge) -> Hit | None:
    total = supplements.totals.get(Form.MK4)
    if total is None or total < kb.threshold("mk4_pharmacological"):
        return None
    return Hit(
        values={"total_mg": format_mcg(total / 1000)},
        triggers=(supplements.triggers[Form.MK4],),
    )


@rule("K2-DIETARY-MK7")
def natto_on_top_of_mk7(supplements: SupplementFacts, foods: frozenset[str]) -> Hit | None:
    total = supplements.totals.get(Form.MK7)
    if total is None or "natto" not in foods:
        return None
    return Hit(
        values={"total": format_mcg(total)},
        triggers=(supplements.triggers[Form.MK7], trigger("foods", "natto")),
    )
