"""Which vitamin K or D3 forms a product's name names, by the profile's own ingredient words.

A FHIR record names a product ("Vitamin D3 Capsule 4000 iu", "phytonadione 10 MG/ML Injectable
Solution", "Vitamin K2 (MK-7) 100 mcg"), not an ingredient, so a name is searched for the
ingredient names and aliases of ``terms.toml`` (the words a profile's ``ingredient`` accepts), as
runs of words and digits: the longest run wins at each place, so "vitamin k2 mk-7" is MK-7, not
K2 and MK-7. Nothing else is recognized: ergocalciferol (vitamin D2) and a bare "vitamin K" are
not forms the profile knows, so such products stay medications.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from k2safety._caches import text_memo
from k2safety._knowledge import knowledge
from k2safety._terms import Form
from k2safety._text import fold

__all__ = ["forms_named"]

_TOKENS = re.compile(r"[^\W_]+")
_table: tuple[dict[tuple[str, ...], str], int] | None = None


def _terms() -> tuple[dict[tuple[str, ...], str], int]:
    """Each ingredient term as a run of words, to its form; and the longest run's length."""
    global _table
    if _table is None:
        terms = {
            tuple(_TOKENS.findall(term)): ingredient.form.value
            for term, ingredient in knowledge().ingredient_terms.items()
        }
        _table = terms, max(map(len, terms))
    return _table


def _forms_uncached(name: str) -> tuple[str, ...]:
    terms, longest = _terms()
    tokens = _TOKENS.findall(fold(name))
    found: dict[str, None] = {}
    start = 0
    while start < len(tokens):
        for size in range(min(longest, len(tokens) - start), 0, -1):
            form = terms.get(tuple(tokens[start : start + size]))
            if form is not None:
                found[form] = None
                start += size
                break
        else:
            start += 1
    return tuple(found)


_forms = text_memo("vitamin forms named in a product name", _forms_uncached)


def forms_named(names: Iterable[str]) -> tuple[Form, ...]:
    """Every form named in any of ``names``, each once, in the order first named."""
    found: dict[str, None] = {}
    for name in names:
        forms = _forms(name)
        if forms:  # most names name none
            found.update(dict.fromkeys(forms))
    return tuple(map(Form, found)) if found else ()
