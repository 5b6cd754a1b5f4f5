"""Resolves a medication, as a person or a system wrote it, to substances in the vocabulary.

Names are found inside free text ("Warfarin Sodium 5 mg tablet", "coumadin 2.5mg"): the text is
split into folded words (:func:`k2safety._text.words`), and each word (and each pair of words,
for names such as "dabigatran etexilate") is looked up among generic names, synonyms and brands.
Only when no word matches exactly is a misspelling considered: a word of five letters or more
that is within one edit (two for words of nine letters or more; a swap of two neighbouring
letters counts as one) of a known name. That bound was chosen against a list of commonly
prescribed drugs that must never match (tests/data/common_drugs.txt).

The index is built once from the packaged knowledge base; its matches are built then too, so a
recognized name costs dictionary lookups. rapidfuzz is imported only for the first misspelling.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

from k2safety._caches import text_memo
from k2safety._knowledge import Knowledge, knowledge
from k2safety._text import words

__all__ = ["Match", "MatchedBy", "match_atc", "match_medication", "match_name", "match_rxnorm"]

MatchedBy = Literal["name", "brand", "atc", "rxnorm", "approximate"]

_MIN_FUZZY_LENGTH = 5


class Match(BaseModel):
    """One substance (or, for an ATC group code, one drug class) found in a medication entry."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    substance: str | None
    """The vocabulary id of the substance; ``None`` when only the class is known (ATC group)."""
    name: str
    drug_class: str
    """The id of its drug class in the vocabulary, e.g. ``vka``."""
    matched_by: MatchedBy
    matched_text: str
    """The word or code in the entry that matched."""


@dataclass(frozen=True, slots=True)
class _Index:
    kb: Knowledge
    terms: dict[str, Match]
    """Each folded name, synonym and brand, to its match."""
    fuzzy_terms: tuple[str, ...]
    atc: dict[str, Match]
    rxnorm: dict[str, Match]


def _build_index(kb: Knowledge) -> _Index:
    terms: dict[str, Match] = {}
    atc: dict[str, Match] = {}
    rxnorm: dict[str, Match] = {}
    for substance in kb.substances.values():

        def match(matched_by: MatchedBy, text: str) -> Match:
            return Match(
                substance=substance.id,  # noqa: B023 - called at once, inside the loop
                name=substance.name,  # noqa: B023
                drug_class=substance.drug_class,  # noqa: B023
                matched_by=matched_by,
                matched_text=text,
            )

        for term in (substance.name, *substance.synonyms):
            folded = " ".join(words(term))
            terms[folded] = match("name", folded)
        for term in substance.brands:
            folded = " ".join(words(term))
            terms[folded] = match("brand", folded)
        atc.update({code: match("atc", code) for code in substance.atc})
        rxnorm.update({code: match("rxnorm", code) for code in substance.rxnorm})
    fuzzy = tuple(term for term in terms if " " not in term and len(term) >= _MIN_FUZZY_LENGTH)
    return _Index(kb=kb, terms=terms, fuzzy_terms=fuzzy, atc=atc, rxnorm=rxnorm)


_lock = threading.Lock()
_built: _Index | None = None


def _index() -> _Index:
    global _built
    if _built is None:
        with _lock:
            if _built is None:
                _built = _build_index(knowledge())
    return _built


def match_medication(name: str | None, atc: str | None, rxnorm: str | None) -> tuple[Match, ...]:
    """Every substance an entry names by its codes and its text, each substance once."""
    found: dict[str | None, Match] = {}
    for matches in (
        match_atc(atc) if atc else (),
        match_rxnorm(rxnorm) if rxnorm else (),
        match_name(name) if name else (),
    ):
        for match in matches:
            found.setdefault(match.substance or match.name, match)
    return tuple(found.values())


def match_name(text: str) -> tuple[Match, ...]:
    """Every substance named in ``text``; misspellings only when nothing matches exactly.

    >>> [(m.substance, m.matched_by) for m in match_name("Warfarin Sodium 5 mg tablet")]
    [('warfarin', 'name')]
    >>> [(m.substance, m.matched_by, m.matched_text) for m in match_name("warfrin")]
    [('warfarin', 'approximate', 'warfrin')]
    >>> match_name("atorvastatin 20 mg")
    ()
    """
    return _name_matches(text)


def _name_matches_uncached(text: str) -> tuple[Match, ...]:
    index = _index()
    found_words = words(text)
    found: dict[str | None, Match] = {}
    for candidate in (*found_words, *map(" ".join, itertools.pairwise(found_words))):
        hit = index.terms.get(candidate)
        if hit is not None and hit.substance not in found:
            found[hit.substance] = hit
    if found:
        return tuple(found.values())
    for word in found_words:
        if len(word) < _MIN_FUZZY_LENGTH:
            continue
        closest = _closest_term(word)
        if closest is None:
            continue
        known = index.terms[closest]
        if known.substance not in found:
            found[known.substance] = known.model_copy(
                update={"matched_by": "approximate", "matched_text": word}
            )
    return tuple(found.values())


def _closest_uncached(word: str) -> str | None:
    """The known name within the allowed edits of ``word``, if any."""
    from rapidfuzz import process
    from rapidfuzz.distance import OSA

    best = process.extractOne(
        word, _index().fuzzy_terms, scorer=OSA.distance, score_cutoff=_max_edits(word)
    )
    return None if best is None else best[0]


_name_matches = text_memo("medication name", _name_matches_uncached)
_closest_term = text_memo("closest known name to a word", _closest_uncached)


def _max_edits(word: str) -> int:
    return 2 if len(word) >= 9 else 1


def match_atc(code: str) -> tuple[Match, ...]:
    """The substance with this ATC code, or the class whose ATC group contains it."""
    index = _index()
    known = index.atc.get(code)
    if known is not None:
        return (known,)
    for class_id, drug_class in index.kb.classes.items():
        if code.startswith(drug_class.atc_prefixes):
            return (
                Match(
                    substance=None,
                    name=f"{drug_class.label} (ATC {code})",
                    drug_class=class_id,
                    matched_by="atc",
                    matched_text=code,
                ),
            )
    return ()


def match_rxnorm(rxcui: str) -> tuple[Match, ...]:
    """The substance with this RxNorm ingredient id."""
    known = _index().rxnorm.get(rxcui)
    return () if known is None else (known,)
