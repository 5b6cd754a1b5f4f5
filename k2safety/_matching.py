"""Resolves a medication, as a person or a system wrote it, to substances in the vocabulary.

Names are found inside free text ("Warfarin Sodium 5 mg tablet", "coumadin 2.5mg"): the text is
lower-cased and split into words, and each word (and each pair of words, for names such as
"dabigatran etexilate") is looked up among generic names, synonyms and brands. Only when no word
matches exactly is a misspelling considered: a word of five letters or more that is within one
edit (two for words of nine letters or more; a swap of two neighbouring letters counts as one) of
a known name. That bound was chosen against a list of commonly prescribed drugs that must never
match (tests/data/common_drugs.txt).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Literal

from pydantic import ConfigDict
from rapidfuzz import process
from rapidfuzz.distance import OSA

from k2safety._construct import Lightly
from k2safety._knowledge import DrugClassId, Knowledge, knowledge

__all__ = ["Match", "MatchedBy", "match_atc", "match_name", "match_rxnorm"]

MatchedBy = Literal["name", "brand", "atc", "rxnorm", "approximate"]

_WORDS = re.compile(r"[^\W\d_]+")
_MIN_FUZZY_LENGTH = 5


class Match(Lightly):
    """One substance (or, for an ATC group code, one drug class) found in a medication entry."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    substance: str | None
    """The vocabulary id of the substance; ``None`` when only the class is known (ATC group)."""
    name: str
    drug_class: DrugClassId
    matched_by: MatchedBy
    matched_text: str
    """The word or code in the entry that matched."""


@dataclass(frozen=True, slots=True)
class _Index:
    terms: dict[str, tuple[str, MatchedBy]]
    fuzzy_terms: tuple[str, ...]
    atc: dict[str, str]
    rxnorm: dict[str, str]


@cache
def _index(kb: Knowledge) -> _Index:
    terms: dict[str, tuple[str, MatchedBy]] = {}
    atc: dict[str, str] = {}
    rxnorm: dict[str, str] = {}
    for substance in kb.substances.values():
        for term in (substance.name, *substance.synonyms):
            terms[_fold(term)] = (substance.id, "name")
        for term in substance.brands:
            terms[_fold(term)] = (substance.id, "brand")
        atc.update(dict.fromkeys(substance.atc, substance.id))
        rxnorm.update(dict.fromkeys(substance.rxnorm, substance.id))
    fuzzy = tuple(term for term in terms if " " not in term and len(term) >= _MIN_FUZZY_LENGTH)
    return _Index(terms=terms, fuzzy_terms=fuzzy, atc=atc, rxnorm=rxnorm)


def _fold(text: str) -> str:
    return " ".join(_WORDS.findall(unicodedata.normalize("NFKC", text).casefold()))


def _match(kb: Knowledge, substance_id: str, matched_by: MatchedBy, text: str) -> Match:
    substance = kb.substances[substance_id]
    return Match(
        substance=substance_id,
        name=substance.name,
        drug_class=substance.drug_class,
        matched_by=matched_by,
        matched_text=text,
    )


@lru_cache(maxsize=4096)
def match_name(text: str) -> tuple[Match, ...]:
    """Every substance named in ``text``; misspellings only when nothing matches exactly.

    >>> [(m.substance, m.matched_by) for m in match_name("Warfarin Sodium 5 mg tablet")]
    [('warfarin', 'name')]
    >>> [(m.substance, m.matched_by, m.matched_text) for m in match_name("warfrin")]
    [('warfarin', 'approximate', 'warfrin')]
    >>> match_name("atorvastatin 20 mg")
    ()
    """
    kb = knowledge()
    index = _index(kb)
    words = _fold(text).split()
    found: dict[str, Match] = {}
    candidates = [*words, *(f"{a} {b}" for a, b in itertools.pairwise(words))]
    for candidate in candidates:
        hit = index.terms.get(candidate)
        if hit is not None and hit[0] not in found:
            found[hit[0]] = _match(kb, hit[0], hit[1], candidate)
    if found:
        return tuple(found.values())
    for word in words:
        if len(word) < _MIN_FUZZY_LENGTH:
            continue
        best = process.extractOne(
            word, index.fuzzy_terms, scorer=OSA.distance, score_cutoff=_max_edits(word)
        )
        if best is not None:
            substance_id = index.terms[best[0]][0]
            found.setdefault(substance_id, _match(kb, substance_id, "approximate", word))
    return tuple(found.values())


def _max_edits(word: str) -> int:
    return 2 if len(word) >= 9 else 1


def match_atc(code: str) -> tuple[Match, ...]:
    """The substance with this ATC code, or the class whose ATC group contains it."""
    kb = knowledge()
    substance_id = _index(kb).atc.get(code)
    if substance_id is not None:
        return (_match(kb, substance_id, "atc", code),)
    for class_id, drug_class in kb.classes.items():
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
    kb = knowledge()
    substance_id = _index(kb).rxnorm.get(rxcui)
    return () if substance_id is None else (_match(kb, substance_id, "rxnorm", rxcui),)
