"""Medication entries: every way of writing a vocabulary substance, and medicines outside it.

The names, codes and drug classes come from the packaged knowledge base. The medicines outside
the vocabulary, the salts and the strengths are listed here: they are what the vocabulary must
not match, so the vocabulary cannot supply them.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from functools import cache
from typing import Literal

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from rapidfuzz.distance import OSA

from k2safety._knowledge import Substance, knowledge
from k2safety.strategies._variants import EDGE_SPACES, JSON, written

__all__ = ["DrugKind", "medications", "vka_medications"]

DrugKind = Literal["vka", "other_anticoagulant", "anticoagulant", "unrelated"]

# Medicines outside the vocabulary (from tests/data/common_drugs.txt): they must match nothing.
# The vocabulary also knows many common medicines (class "screened"), so only the candidates that
# match nothing today are drawn (see _unrelated_candidates).
_UNRELATED_DRUGS = (
    "metformin",
    "atorvastatin",
    "lisinopril",
    "amlodipine",
    "levothyroxine",
    "omeprazole",
    "simvastatin",
    "losartan",
    "metoprolol",
    "sertraline",
    "gabapentin",
    "prednisone",
    "ibuprofen",
    "paracetamol",
    "aspirin",
    "clopidogrel",
    "furosemide",
    "hydrochlorothiazide",
    "alendronate",
    "allopurinol",
    "citalopram",
    "pantoprazole",
    "montelukast",
    "tamsulosin",
    "insulin",
    "chlorthalidone",
    "torsemide",
    "bumetanide",
    "liothyronine",
    "methimazole",
    "docusate",
    "divalproex",
    "penicillin",
    "tenofovir",
    "febuxostat",
    "anastrozole",
    "letrozole",
    "mirabegron",
    "ustekinumab",
    "omalizumab",
    "dupilumab",
)
# ATC codes outside group B01A and RxNorm ids not in the vocabulary.
_UNRELATED_ATC = ("A10BA02", "C10AA05", "C09AA03", "N02BA01", "A02BC01", "A10AB01", "L02BG04")
_UNRELATED_RXNORM = ("6809", "83367", "29046", "1191", "7646", "999999901", "999999902")
# Words found next to a drug name on labels; none of them is, or is close to, a vocabulary name.
_SALTS = ("sodium", "potassium", "calcium")
_STRENGTHS = ("5 mg", "2.5mg", "1 mg", "3 mg tablet", "10 mg tablets", "40mg/0.4ml", "100 mg")


# --- Vocabulary -------------------------------------------------------------------------------


@cache
def _substances() -> tuple[Substance, ...]:
    return tuple(knowledge().substances.values())


def _names_of(substance: Substance) -> tuple[str, ...]:
    return (substance.name, *substance.synonyms, *substance.brands)


@cache
def _fuzzy_terms() -> tuple[tuple[str, str], ...]:
    """Every one-word name a misspelling may be read as (the anticoagulants'), lower case, with
    the substance it names."""
    classes = knowledge().classes
    return tuple(
        (name.lower(), substance.id)
        for substance in _substances()
        if classes[substance.drug_class].misspellings
        for name in _names_of(substance)
        if name.isalpha()
    )


@cache
def _all_names() -> frozenset[str]:
    """Every vocabulary name, lower case: a misspelling must not be one of them."""
    return frozenset(name.lower() for s in _substances() for name in _names_of(s))


def _misspelling_resolves_to(word: str, substance_id: str) -> bool:
    """True if ``word`` is a misspelling the documented rule must resolve to ``substance_id``.

    The rule (k2safety._matching): a word of five letters or more within one edit (two from
    nine letters) of a known name, where swapping two neighbouring letters counts as one edit.
    The word must be closer to this substance's names than to any other substance's, and not be
    a name itself.
    """
    if len(word) < 5 or word in _all_names():
        return False
    distances = [(OSA.distance(word, term), owner) for term, owner in _fuzzy_terms()]
    best = min(distance for distance, _ in distances)
    owners = {owner for distance, owner in distances if distance == best}
    return 0 < best <= (2 if len(word) >= 9 else 1) and owners == {substance_id}


def _substances_of(kind: DrugKind | None) -> tuple[Substance, ...]:
    if kind is None:
        return _substances()
    if kind == "anticoagulant":  # the classes of an ATC group (B01...), not "screened"
        classes = knowledge().classes
        return tuple(s for s in _substances() if classes[s.drug_class].atc_prefixes)
    return tuple(s for s in _substances() if s.drug_class == kind)


# --- Ways of writing a name -------------------------------------------------------------------


@st.composite
def _one_edit(draw: st.DrawFn, word: str) -> str:
    """``word`` with one letter swapped with its neighbour, dropped, replaced or added."""
    operation = draw(st.sampled_from(("swap", "drop", "replace", "add")))
    letter = draw(st.sampled_from(string.ascii_lowercase))
    if operation == "swap":
        i = draw(st.integers(0, len(word) - 2))
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if operation == "drop":
        i = draw(st.integers(0, len(word) - 1))
        return word[:i] + word[i + 1 :]
    if operation == "replace":
        i = draw(st.integers(0, len(word) - 1))
        return word[:i] + letter + word[i + 1 :]
    i = draw(st.integers(0, len(word)))
    return word[:i] + letter + word[i:]


def _misspellings(substance: Substance) -> st.SearchStrategy[str] | None:
    # Only anticoagulants are guessed from misspellings (DrugClass.misspellings), and only
    # Latin-script names are misspelled here (an inserted letter is a Latin one).
    if not knowledge().classes[substance.drug_class].misspellings:
        return None
    words = [
        name.lower()
        for name in _names_of(substance)
        if name.isascii() and name.isalpha() and len(name) >= 5
    ]
    if not words:
        return None
    return (
        st.sampled_from(words)
        .flatmap(_one_edit)
        .filter(lambda word: _misspelling_resolves_to(word, substance.id))
    )


def _decorated(names: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A name alone, or with a salt and/or a strength as on a label ("warfarin sodium 5 mg")."""
    return st.tuples(
        names,
        st.sampled_from(("", *(f" {salt}" for salt in _SALTS))),
        st.sampled_from(("", *(f" {strength}" for strength in _STRENGTHS))),
    ).map("".join)


def _entry(name: st.SearchStrategy[str]) -> st.SearchStrategy[str | JSON]:
    """A name as plain text or as ``{"name": ...}``; shrinks toward plain text."""
    return name.flatmap(lambda text: st.sampled_from((text, {"name": text})))


def _codes(atc: Sequence[str], rxnorm: Sequence[str]) -> list[st.SearchStrategy[str | JSON]]:
    options: list[st.SearchStrategy[str | JSON]] = []
    if atc:
        options.append(st.sampled_from(atc).flatmap(written).map(lambda code: {"atc": code}))
    if rxnorm:
        options.append(
            st.tuples(st.sampled_from(EDGE_SPACES[:3]), st.sampled_from(rxnorm)).map(
                lambda pair: {"rxnorm": pair[0] + pair[1]}
            )
        )
    return options


def _writings_of(substance: Substance, *, misspellings: bool) -> st.SearchStrategy[str | JSON]:
    names = st.sampled_from(_names_of(substance))
    # The plain name comes first and costs one draw, so shrinking settles on it.
    options = [names, _entry(_decorated(names).flatmap(written))]
    options += _codes(substance.atc, substance.rxnorm)
    if substance.atc:
        both = st.tuples(_decorated(names), st.sampled_from(substance.atc))
        options.append(both.map(lambda pair: {"name": pair[0], "atc": pair[1]}))
    typo = _misspellings(substance) if misspellings else None
    if typo is not None:
        options.append(_entry(_decorated(typo).flatmap(written)))
    return st.one_of(options)


@cache
def _unrelated() -> st.SearchStrategy[str | JSON]:
    drugs, atc, rxnorm = _unrelated_candidates()
    names = _decorated(st.sampled_from(drugs)).flatmap(written)
    return st.one_of(_entry(names), *_codes(atc, rxnorm))


@cache
def _unrelated_candidates() -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """The medicines, ATC codes and RxNorm codes above that the vocabulary does not know."""
    from k2safety._matching import match_atc, match_name, match_rxnorm

    return (
        tuple(drug for drug in _UNRELATED_DRUGS if not match_name(drug)),
        tuple(code for code in _UNRELATED_ATC if not match_atc(code)),
        tuple(code for code in _UNRELATED_RXNORM if not match_rxnorm(code)),
    )


# --- The public strategies --------------------------------------------------------------------


def medications(
    *,
    kind: DrugKind | None = None,
    substance: str | None = None,
    misspellings: bool = True,
) -> st.SearchStrategy[str | JSON]:
    """Medication entries as a profile accepts them: text, or ``{"name", "atc", "rxnorm"}``.

    Generates generic names, synonyms and brands from the vocabulary, alone or with a salt and a
    strength ("Warfarin Sodium 5 mg"), in any case and with extra whitespace; ATC and RxNorm
    codes; a name together with its ATC code; misspellings the matcher must still resolve (one
    edit away from a single name, closer to it than to any other); and, unless narrowed,
    medicines outside the vocabulary that must match nothing (insulin, letrozole, ...).

    ``kind`` narrows to ``"vka"``, ``"other_anticoagulant"``, ``"anticoagulant"`` (either) or
    ``"unrelated"``; ``substance`` (a vocabulary id such as ``"warfarin"``) to the ways of writing
    that one substance, each of which resolves to it alone. ``misspellings=False`` leaves out the
    misspelled names. With ``kind="vka"`` the ATC group code (``B01AA``) is generated as well.

    Shrinks toward the generic name of the first substance as plain text.
    """
    if substance is not None and substance not in knowledge().substances:
        raise InvalidArgument(f"substance={substance!r} is not a vocabulary id")
    return _medications(kind, substance, misspellings)


# Strategies are built once per set of arguments: building one walks the whole vocabulary.
@cache
def _medications(
    kind: DrugKind | None, substance: str | None, misspellings: bool
) -> st.SearchStrategy[str | JSON]:
    if substance is not None:
        return _writings_of(knowledge().substances[substance], misspellings=misspellings)
    if kind == "unrelated":
        return _unrelated()
    options = [_writings_of(s, misspellings=misspellings) for s in _substances_of(kind)]
    if kind is not None:
        groups = [
            prefix
            for class_id, drug_class in knowledge().classes.items()
            if kind in {class_id, "anticoagulant"}
            for prefix in drug_class.atc_prefixes
        ]
        options += _codes(groups, ())
        return st.one_of(options)
    # Anticoagulants, screened medicines and unknown medicines each about a third of the time,
    # however many medicines the vocabulary screens (hypothesis flattens nested one_of into one
    # list of branches, which the hundreds of screened medicines would crowd). Anticoagulants
    # come first, so that shrinking settles on warfarin.
    classes = knowledge().classes
    cautious = [
        option
        for s, option in zip(_substances_of(None), options, strict=True)
        if classes[s.drug_class].atc_prefixes
    ]
    screened = [option for option in options if option not in cautious]
    # The anticoagulants' writings stay branches of the one one_of (so that shrinking settles on
    # warfarin's name); screened and unknown medicines are whole branches, wrapped so that they
    # are not flattened, and repeated to weigh as much as the anticoagulants' branches do.
    weight = max(len(st.one_of(cautious).branches) // 2, 1)
    others = [st.one_of(group) for group in (screened,) if group] + [_unrelated()]
    return st.one_of(
        *cautious, *(st.builds(_same, o, st.just(copy)) for o in others for copy in range(weight))
    )


def _same(entry: str | JSON, copy: int) -> str | JSON:
    """An entry as drawn: wrapping a branch in builds() keeps hypothesis from flattening it, and
    the copy number keeps it from merging the copies into one branch."""
    return entry


def vka_medications(*, misspellings: bool = True) -> st.SearchStrategy[str | JSON]:
    """Entries naming a vitamin K antagonist: ``medications(kind="vka")``.

    Every entry resolves to a substance (or the ATC group) of the vitamin K antagonist class.
    Shrinks toward "warfarin" as plain text.
    """
    return medications(kind="vka", misspellings=misspellings)
