"""Which vitamin K or D forms a product's name names: the same reading as a medication's text.

A FHIR record names a product ("Vitamin D3 Capsule 4000 iu", "phytonadione 10 MG/ML Injectable
Solution", "Vitamin K2 (MK-7) 100 mcg"), not an ingredient. Its name is read exactly as the text
of a medication in a profile is (:func:`k2safety._profile.medication_vitamins`): the ingredient
names and aliases of ``terms.toml`` as runs of words, the longest run winning at each place (so
"vitamin k2 mk-7" is MK-7, not K2 and MK-7), no bare "K" or "D", and no vitamin in "vitamin K
antagonist". One reading, so that a profile written as FHIR reads back as the same profile.
"""

from __future__ import annotations

from collections.abc import Iterable

from k2safety._profile import forms_in_text
from k2safety._terms import Form

__all__ = ["forms_named"]


def forms_named(names: Iterable[str]) -> tuple[Form, ...]:
    """Every form named in any of ``names``, each once, in the order first named."""
    found: dict[Form, None] = {}
    for name in names:
        forms = forms_in_text(name)
        if forms:  # most names name none
            found.update(dict.fromkeys(forms))
    return tuple(found) if found else ()
