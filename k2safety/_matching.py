"""Resolves a medication, as a person or a system wrote it, to substances in the vocabulary.

Names are found inside free text ("Warfarin Sodium 5 mg tablet", "coumadin 2.5mg", "варфарин"):
the text is split into folded words (:func:`k2safety._text.words`), and each word (and each pair
of words, for names such as "dabigatran etexilate") is looked up among generic names, synonyms and
brands. Arabic words are compared without their vowel marks and the article "ال". Chinese and
Japanese names, which are written without spaces ("ワルファリンカリウム錠"), are found as parts
of the text, longest first, so that "依诺肝素" is enoxaparin and not also heparin ("肝素").

Codes are found too: ATC codes ("B01AA03") and RxNorm codes after "RxNorm", "RxCUI" or
"rxcui:" ("RxNorm 855332") resolve as codes. An RxNorm code resolves through the vocabulary's
ingredient codes and then through the roll-up table ``data/rxnorm.tsv`` (clinical and branded
drugs, packs, forms, groups, brand names, retired codes), which is read the first time a code is
looked up, not when k2safety is imported.

A misspelling is considered only when no word names an anticoagulant exactly, and only an
anticoagulant is guessed: a word of five letters or more that is within one edit (two for words
of nine letters or more; a swap of two neighbouring letters counts as one) of a name in a class
whose ``misspellings`` is true. Medicines screened as having no vitamin K concern are matched
exactly only, so a guess can err toward caution but never toward a clean pass. That bound was
chosen against a list of commonly prescribed drugs that must never match an anticoagulant
(tests/data/common_drugs.txt).

The index is built once from the packaged knowledge base; its matches are built then too, so a
recognized name costs dictionary lookups. rapidfuzz is imported only for the first misspelling.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict

from k2safety._caches import text_memo
from k2safety._data import read_data
from k2safety._knowledge import Knowledge, Substance, knowledge
from k2safety._text import words

__all__ = [
    "Match",
    "MatchedBy",
    "RxNormRow",
    "match_atc",
    "match_medication",
    "match_name",
    "match_rxnorm",
    "read_rxnorm_table",
    "rxnorm_forms",
    "rxnorm_rows",
]

MatchedBy = Literal["name", "brand", "atc", "rxnorm", "approximate"]

_MIN_FUZZY_LENGTH = 5
TERM_TYPES = frozenset(
    {"IN", "PIN", "MIN", "BN", "SCD", "SBD", "SCDC", "SBDC", "SCDF", "SBDF", "SCDG", "SBDG"}
    | {"GPCK", "BPCK"}
)
"""The RxNorm term types a row of the roll-up table may have."""
FORM_PREFIX = "form:"
"""A roll-up target that is a supplement form of terms.toml (vitamin K/D), not a substance."""


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


# --- Scripts ----------------------------------------------------------------------------------

_CJK_RANGES = (
    (0x3040, 0x30FF),  # hiragana, katakana
    (0x31F0, 0x31FF),  # katakana phonetic extensions
    (0x3400, 0x4DBF),  # CJK unified ideographs, extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFF66, 0xFF9F),  # half-width katakana
)


def _has_cjk(text: str) -> bool:
    """Whether ``text`` has a Chinese or Japanese character. Compared by code point, not with a
    regular expression: compiling a character class this wide cost a fresh process 3 ms."""
    if text.isascii():
        return False
    for char in text:
        point = ord(char)
        if point >= 0x3040:
            for low, high in _CJK_RANGES:
                if low <= point <= high:
                    return True
    return False


_ARABIC = re.compile(r"[\u0600-\u06ff]")
_ARABIC_MARKS = re.compile(r"[\u0640\u064b-\u065f\u0670]")


def _arabic_key(word: str) -> str:
    """An Arabic word without vowel marks, tatweel and a leading article ("الوارفارين")."""
    bare = _ARABIC_MARKS.sub("", word)
    return bare[2:] if bare.startswith("ال") and len(bare) > 4 else bare


def _key(word: str) -> str:
    return _arabic_key(word) if _ARABIC.search(word) else word


def _term_key(term: str) -> str:
    return " ".join(_key(word) for word in words(term))


def _cjk_key(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


# --- The index --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Index:
    kb: Knowledge
    terms: dict[str, Match]
    """Each folded name, synonym and brand (Arabic words as :func:`_arabic_key`), to its match."""
    cjk_terms: tuple[tuple[str, Match], ...]
    """Names written in Chinese or Japanese, longest first, found as parts of a text."""
    fuzzy_terms: tuple[str, ...]
    """One-word names a misspelling may be read as: those of classes with ``misspellings``."""
    cautious: frozenset[str]
    """The classes whose names may be guessed from a misspelling (the anticoagulants)."""
    atc: dict[str, Substance]
    """Each substance's ATC codes, to it (its :class:`Match` is made when a code is looked up:
    most checks look up none, and making one for each of the codes cost a cold start 2 ms)."""
    rxnorm: dict[str, Substance]
    """Each substance's RxNorm ingredient codes, to it."""
    widths: dict[str, int]
    """Each word a name starts with, and the most words of a name that starts with it."""


def _build_index(kb: Knowledge) -> _Index:
    terms: dict[str, Match] = {}
    cjk: dict[str, Match] = {}
    atc: dict[str, Substance] = {}
    rxnorm: dict[str, Substance] = {}
    cautious = frozenset(class_id for class_id, c in kb.classes.items() if c.misspellings)
    fuzzy: list[str] = []
    for substance in kb.substances.values():

        def match(matched_by: MatchedBy, text: str) -> Match:
            return Match(
                substance=substance.id,  # noqa: B023 - called at once, inside the loop
                name=substance.name,  # noqa: B023
                drug_class=substance.drug_class,  # noqa: B023
                matched_by=matched_by,
                matched_text=text,
            )

        named = [(term, "name") for term in (substance.name, *substance.synonyms)]
        named += [(term, "brand") for term in substance.brands]
        for term, kind in named:
            matched_by: MatchedBy = "name" if kind == "name" else "brand"
            if _has_cjk(term):
                key = _cjk_key(term)
                cjk[key] = match(matched_by, key)
                continue
            key = _term_key(term)
            terms[key] = match(matched_by, key)
            if (
                substance.drug_class in cautious
                and " " not in key
                and len(key) >= _MIN_FUZZY_LENGTH
            ):
                fuzzy.append(key)
        atc.update(dict.fromkeys(substance.atc, substance))
        rxnorm.update(dict.fromkeys(substance.rxnorm, substance))
    return _Index(
        kb=kb,
        terms=terms,
        cjk_terms=tuple(sorted(cjk.items(), key=lambda item: -len(item[0]))),
        fuzzy_terms=tuple(dict.fromkeys(fuzzy)),
        cautious=cautious,
        atc=atc,
        rxnorm=rxnorm,
        widths=_widths(terms),
    )


def _widths(terms: Iterable[str]) -> dict[str, int]:
    widths: dict[str, int] = {}
    for key in terms:
        first, *rest = key.split(" ")
        widths[first] = max(widths.get(first, 0), 1 + len(rest))
    return widths


_lock = threading.Lock()
_built: _Index | None = None


def _index() -> _Index:
    global _built
    if _built is None:
        with _lock:
            if _built is None:
                _built = _build_index(knowledge())
    return _built


# --- The RxNorm roll-up table -----------------------------------------------------------------


class RxNormRow(NamedTuple):
    """One row of ``data/rxnorm.tsv``: an RxNorm concept and what it contains."""

    rxcui: str
    tty: str
    """RxNorm's term type (SCD, SBD, BPCK, ...)."""
    targets: tuple[str, ...]
    """Vocabulary substance ids, or ``form:<FORM>`` for a supplement form of terms.toml."""
    sources: tuple[str, ...]
    """Keys of the table's ``#@source`` lines."""
    name: str


def read_rxnorm_table(text: str) -> tuple[dict[str, str], tuple[RxNormRow, ...]]:
    """The ``#@source`` descriptions by key, and the rows, of a roll-up table's text.

    Raises ``ValueError`` naming the line of a malformed row.
    """
    sources: dict[str, str] = {}
    rows: list[RxNormRow] = []
    header_seen = False
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("#@source "):
            key, _, description = line[len("#@source ") :].partition("\t")
            sources[key] = description
            continue
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if not header_seen:
            if fields != ["rxcui", "tty", "substances", "sources", "name"]:
                raise ValueError(f"line {number}: expected the column header, got {line!r}")
            header_seen = True
            continue
        if len(fields) != 5:
            raise ValueError(f"line {number}: expected 5 tab-separated fields, got {len(fields)}")
        rxcui, tty, targets, row_sources, name = fields
        if not rxcui.isdigit() or tty not in TERM_TYPES or not targets or not row_sources:
            raise ValueError(f"line {number}: malformed row {line!r}")
        rows.append(
            RxNormRow(rxcui, tty, tuple(targets.split(",")), tuple(row_sources.split(",")), name)
        )
    return sources, tuple(rows)


_table_lock = threading.Lock()
_table: dict[str, RxNormRow] | None = None


def rxnorm_rows() -> Mapping[str, RxNormRow]:
    """The packaged roll-up table by RXCUI, read once, the first time a code is looked up."""
    global _table
    if _table is None:
        with _table_lock:
            if _table is None:
                _, rows = read_rxnorm_table(read_data("rxnorm.tsv"))
                _table = {row.rxcui: row for row in rows}
    return _table


# --- Public lookups ---------------------------------------------------------------------------


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
    """Every substance named in ``text``, by name or by a code written in it; misspellings only
    when no anticoagulant is named exactly.

    >>> [(m.substance, m.matched_by) for m in match_name("Warfarin Sodium 5 mg tablet")]
    [('warfarin', 'name')]
    >>> [(m.substance, m.matched_by, m.matched_text) for m in match_name("warfrin")]
    [('warfarin', 'approximate', 'warfrin')]
    >>> [(m.substance, m.drug_class) for m in match_name("atorvastatin 20 mg")]
    [('atorvastatin', 'screened')]
    >>> [(m.substance, m.matched_by) for m in match_name("RxNorm 855332")]
    [('warfarin', 'rxnorm')]
    """
    return _name_matches(text)


_RXNORM_IN_TEXT = re.compile(
    r"(?<![^\W_])(?:rx\s*norm|rx\s*cui)(?:\s*(?:code|id|cui))?\s*[:#=]?\s*(\d{1,9})(?!\d)",
    re.IGNORECASE,
)
_ATC_IN_TEXT = re.compile(
    r"(?<![^\W_])([A-Z]\d\d[A-Z][A-Z](?:\d\d)?)(?![^\W_])", re.IGNORECASE | re.ASCII
)


def _codes_in(text: str) -> list[Match]:
    found: list[Match] = []
    if "rx" in text.lower():  # how every spelling _RXNORM_IN_TEXT reads starts
        for code in _RXNORM_IN_TEXT.finditer(text):
            found += match_rxnorm(code[1])
    if _ATC_IN_TEXT.search(text) is not None:  # rarely: one search is cheaper than finditer
        for code in _ATC_IN_TEXT.finditer(text):
            found += match_atc(code[1].upper())
    return found


def _name_matches_uncached(text: str) -> tuple[Match, ...]:
    index = _index()
    found_words = words(text)
    if not text.isascii() and _ARABIC.search("".join(found_words)):  # after NFKC, as _key sees
        found_words = [_key(word) for word in found_words]
    found: dict[str | None, Match] = {}
    exact: set[str] = set()
    position, count = 0, len(found_words)
    while position < count:  # at each word, the longest name that starts there
        width, hit = 1, None
        for width in range(
            min(index.widths.get(found_words[position], 1), count - position), 0, -1
        ):
            hit = index.terms.get(" ".join(found_words[position : position + width]))
            if hit is not None:
                break
        if hit is not None:
            exact.update(found_words[position : position + width])
            found.setdefault(hit.substance, hit)
        position += width
    if index.cjk_terms and _has_cjk(text):
        rest = _cjk_key(text)
        for key, hit in index.cjk_terms:
            if key in rest:
                rest = rest.replace(key, " ")
                found.setdefault(hit.substance, hit)
    for hit in _codes_in(text):
        found.setdefault(hit.substance or hit.name, hit)
    cautious = index.cautious
    for hit in found.values():
        if hit.drug_class in cautious:
            return tuple(found.values())
    for word in found_words:
        if len(word) < _MIN_FUZZY_LENGTH or word in exact:
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
    """The anticoagulant name within the allowed edits of ``word``, if any."""
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
        return (_code_match(known, "atc", code),)
    for class_id, drug_class in index.kb.classes.items():
        if drug_class.atc_prefixes and code.startswith(drug_class.atc_prefixes):
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
    """The substances of this RxNorm concept: an ingredient code of the vocabulary, or any code
    of the roll-up table (clinical and branded drugs, packs, forms, brands, retired codes)."""
    return _rxnorm_matches(rxcui.strip())


def _rxnorm_uncached(rxcui: str) -> tuple[Match, ...]:
    index = _index()
    known = index.rxnorm.get(rxcui)
    if known is not None:
        return (_code_match(known, "rxnorm", rxcui),)
    row = rxnorm_rows().get(rxcui)
    if row is None:
        return ()
    substances = index.kb.substances
    return tuple(
        _code_match(substances[target], "rxnorm", rxcui)
        for target in row.targets
        if target in substances
    )


def _code_match(substance: Substance, matched_by: MatchedBy, code: str) -> Match:
    return Match(
        substance=substance.id,
        name=substance.name,
        drug_class=substance.drug_class,
        matched_by=matched_by,
        matched_text=code,
    )


_rxnorm_matches = text_memo("RxNorm code", _rxnorm_uncached)


def rxnorm_forms(rxcui: str) -> tuple[str, ...]:
    """The supplement forms (terms.toml, e.g. ``D3``) an RxNorm concept is a product of."""
    row = rxnorm_rows().get(rxcui.strip())
    if row is None:
        return ()
    return tuple(t[len(FORM_PREFIX) :] for t in row.targets if t.startswith(FORM_PREFIX))
