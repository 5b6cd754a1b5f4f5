"""Vitamin K2 and vitamin D3 taken together."""

from __future__ import annotations

from typing import TYPE_CHECKING

from k2safety._terms import Form
from k2safety.rules._hit import Hit

if TYPE_CHECKING:
    from k2safety._normalized import SupplementTotals

__all__ = ["k2_without_d3"]


def k2_without_d3(supplements: SupplementTotals) -> Hit | None:
    """Fires when vitamin K2 is planned (any form) and no vitamin D3 supplement is."""
    if not supplements.k2_totals or Form.D3 in supplements.totals:
        return None
    return Hit(triggers=tuple(supplements.triggers[form] for form in supplements.k2_totals))
