"""Vitamin K2 and vitamin D3 taken together."""

from __future__ import annotations

from k2safety._normalized import SupplementFacts
from k2safety._profile import Form
from k2safety.rules._registry import Hit, rule


@rule("K2-D3-PAIRING")
def k2_without_d3(supplements: SupplementFacts) -> Hit | None:
    if not supplements.k2_totals or Form.D3 in supplements.totals:
        return None
    return Hit(triggers=tuple(supplements.triggers[form] for form in supplements.k2_totals))
