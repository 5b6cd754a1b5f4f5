"""Medication resolution: names in free text, brands, codes, misspellings, and no false alarms."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from k2safety import _matching
from k2safety._knowledge import knowledge
from k2safety._matching import _closest_term, match_atc, match_name, match_rxnorm
from k2safety._text import words

COMMON_DRUGS = [
    line.strip()
    for line in (Path(__file__).parent / "data" / "common_drugs.txt")
    .read_text("utf-8")
    .splitlines()
    if line.strip() and not line.startswith("#")
]


def _resolved(text: str) -> list[tuple[str | None, str]]:
    return [(match.substance, match.matched_by) for match in match_name(text)]


@pytest.mark.parametrize(
    ("text", "substance", "matched_by"),
    [
        ("warfarin", "warfarin", "name"),
        ("Warfarin Sodium 5 mg tablet", "warfarin", "name"),
        ("  WARFARIN  ", "warfarin", "name"),
        ("coumadin 2.5mg", "warfarin", "brand"),
        ("Jantoven", "warfarin", "brand"),
        ("Marevan 1mg", "warfarin", "brand"),
        ("Sintrom", "acenocoumarol", "brand"),
        ("acenocoumarol 4 mg", "acenocoumarol", "name"),
        ("nicoumalone", "acenocoumarol", "name"),
        ("Marcoumar", "phenprocoumon", "brand"),
        ("Marcumar 3 mg", "phenprocoumon", "brand"),
        ("Previscan 20 mg", "fluindione", "brand"),
        ("phenindione", "phenindione", "name"),
        ("dicumarol", "dicoumarol", "name"),
        ("Eliquis 5 mg twice daily", "apixaban", "brand"),
        ("Xarelto 20mg", "rivaroxaban", "brand"),
        ("Pradaxa 150 mg capsule", "dabigatran", "brand"),
        ("dabigatran etexilate mesylate", "dabigatran", "name"),
        ("Savaysa", "edoxaban", "brand"),
        ("Lixiana", "edoxaban", "brand"),
        ("heparin sodium 5000 units", "heparin", "name"),
        ("Lovenox 40 mg injection", "enoxaparin", "brand"),
        ("Fragmin", "dalteparin", "brand"),
        ("Arixtra 2.5 mg", "fondaparinux", "brand"),
    ],
)
def test_names_brands_and_salts_in_free_text(text: str, substance: str, matched_by: str) -> None:
    assert _resolved(text) == [(substance, matched_by)]


@pytest.mark.parametrize(
    ("text", "substance"),
    [
        ("warfrin", "warfarin"),
        ("wafarin", "warfarin"),
        ("warfarim 5mg", "warfarin"),
        ("wrafarin", "warfarin"),
        ("Coumadn", "warfarin"),
        ("acenocoumarl", "acenocoumarol"),
        ("rivaroxiban", "rivaroxaban"),
        ("apixiban", "apixaban"),
        ("Xareltoo", "rivaroxaban"),
        ("heparinn", "heparin"),
    ],
)
def test_misspellings_resolve_and_are_marked_approximate(text: str, substance: str) -> None:
    assert _resolved(text) == [(substance, "approximate")]


def test_coumadine_is_a_brand_not_a_misspelling() -> None:
    # Coumadine is warfarin's French brand name, so it matches exactly (vocabulary.toml).
    assert _resolved("Coumadine") == [("warfarin", "brand")]


def test_two_substances_in_one_entry_are_both_found() -> None:
    assert sorted(_resolved("warfarin and heparin bridging")) == [
        ("heparin", "name"),
        ("warfarin", "name"),
    ]


def test_an_exact_match_suppresses_fuzzy_guesses() -> None:
    assert _resolved("warfarin, previously warfrin") == [("warfarin", "name")]


ANTICOAGULANT_CLASSES = {"vka", "other_anticoagulant"}


@pytest.mark.parametrize("drug", COMMON_DRUGS)
def test_common_drugs_that_are_not_anticoagulants_never_match_an_anticoagulant(drug: str) -> None:
    assert not {m.drug_class for m in match_name(drug)} & ANTICOAGULANT_CLASSES, drug
    # As strict as before screened medicines were known: no word of a common drug is within the
    # misspelling bound of an anticoagulant name, even where the drug itself is recognized.
    for word in words(drug):
        if len(word) >= 5:
            assert _closest_term(word) is None, (drug, word)


def test_most_common_drugs_are_recognized_as_screened() -> None:
    screened = [drug for drug in COMMON_DRUGS if match_name(drug)]
    assert len(screened) >= 300, len(screened)
    for drug in screened:
        assert {m.drug_class for m in match_name(drug)} == {"screened"}, drug


def test_the_common_drug_list_is_long_enough_to_mean_something() -> None:
    assert len(COMMON_DRUGS) >= 300
    assert {"atorvastatin", "metformin", "lisinopril", "levothyroxine", "aspirin"} <= set(
        COMMON_DRUGS
    )


@pytest.mark.parametrize("text", ["", "5 mg", "tablet", "once daily with food", "vitamin"])
def test_text_without_a_drug_name_matches_nothing(text: str) -> None:
    assert match_name(text) == ()


def test_every_vocabulary_term_resolves_exactly_to_its_substance() -> None:
    for substance in knowledge().substances.values():
        for term in (substance.name, *substance.brands, *substance.synonyms):
            (first, *_) = _resolved(term)
            assert first[0] == substance.id, term
            assert first[1] in {"name", "brand"}, term


def test_atc_codes() -> None:
    (warfarin,) = match_atc("B01AA03")
    assert (warfarin.substance, warfarin.drug_class, warfarin.matched_by) == (
        "warfarin",
        "vka",
        "atc",
    )
    (unknown_vka,) = match_atc("B01AA99")
    assert (unknown_vka.substance, unknown_vka.drug_class) == (None, "vka")
    (heparin_group,) = match_atc("B01AB")
    assert (heparin_group.substance, heparin_group.drug_class) == (None, "other_anticoagulant")
    (fondaparinux,) = match_atc("B01AX05")
    assert fondaparinux.substance == "fondaparinux"
    (clopidogrel,) = match_atc("B01AC04")  # an antiplatelet: screened, never an anticoagulant
    assert (clopidogrel.substance, clopidogrel.drug_class) == ("clopidogrel", "screened")
    assert match_atc("B01AC99") == ()  # the screened class has no ATC group
    assert match_atc("B01A") == ()  # the whole antithrombotic group is too broad to place
    assert match_atc("C10AA05")[0].drug_class == "screened"  # atorvastatin


def test_rxnorm_ids() -> None:
    (warfarin,) = match_rxnorm("11289")
    assert (warfarin.substance, warfarin.matched_by) == ("warfarin", "rxnorm")
    assert match_rxnorm("1364430")[0].substance == "apixaban"
    assert match_rxnorm("83367")[0].drug_class == "screened"  # atorvastatin
    assert match_rxnorm("999999999") == ()


def test_every_vka_and_doac_has_an_rxnorm_id_where_the_vocabulary_gives_one() -> None:
    substances = knowledge().substances
    for name in ("warfarin", "apixaban", "rivaroxaban", "dabigatran", "edoxaban"):
        assert substances[name].rxnorm, name


def test_five_letter_words_are_the_shortest_read_as_misspellings() -> None:
    # "Acova" (argatroban) is the shortest name in the vocabulary: five letters.
    assert _resolved("Acvoa") == [("argatroban", "approximate")]
    assert _resolved("Acov") == []


def test_a_substance_named_twice_in_one_entry_is_found_once_as_first_written() -> None:
    assert _resolved("Coumadin (warfarin) 5 mg") == [("warfarin", "brand")]
    assert _resolved("warfarin (Coumadin) 5 mg") == [("warfarin", "name")]


def test_two_misspelled_substances_in_one_entry_are_both_found() -> None:
    assert sorted(_resolved("warfrin, then apixiban")) == [
        ("apixaban", "approximate"),
        ("warfarin", "approximate"),
    ]


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("heparxn", [("heparin", "approximate")]),  # 7 letters, one edit
        ("warfxrxn", []),  # 8 letters, two edits: beyond the bound below nine letters
        ("coumxdxne", [("warfarin", "approximate")]),  # 9 letters, two edits: within the bound
        ("cxumxdxne", []),  # 9 letters, three edits
        ("phenprxcxumon", [("phenprocoumon", "approximate")]),  # 13 letters, two edits
    ],
)
def test_the_misspelling_bound_is_one_edit_below_nine_letters_and_two_from_nine(
    word: str, expected: list[tuple[str, str]]
) -> None:
    assert _resolved(word) == expected


def _classes(text: str) -> list[tuple[str | None, str]]:
    return [(match.substance, match.drug_class) for match in match_name(text)]


@pytest.mark.parametrize(
    ("text", "substance"),
    [
        ("варфарин 5 мг", "warfarin"),  # Russian INN
        ("ワルファリンカリウム錠1mg", "warfarin"),  # Japanese, no spaces: found as a part
        ("ワーファリン錠", "warfarin"),  # Japanese brand
        ("ﾜﾙﾌｧﾘﾝ", "warfarin"),  # half-width katakana, compatibility-normalized
        ("华法林钠片 2.5mg", "warfarin"),  # Chinese
        ("依诺肝素钠注射液", "enoxaparin"),  # the longest name wins: not also heparin (肝素)
        ("الوارفارين", "warfarin"),  # Arabic, with the article
        ("وارفارين", "warfarin"),
        ("acénocoumarol 4 mg", "acenocoumarol"),  # French INN
        ("warfarina sódica", "warfarin"),  # Spanish INN
        ("Aldocumar 5 mg", "warfarin"),  # Spain
        ("Orfarin", "warfarin"),  # Finland, Thailand
        ("Sinthrome 1 mg", "acenocoumarol"),  # UK
        ("Acitrom 2", "acenocoumarol"),  # India
        ("Falithrom", "phenprocoumon"),  # Germany
        ("Inhixa 40 mg", "enoxaparin"),  # EU biosimilar
        ("Iprivask", "desirudin"),
        ("Bevyxxa 80 mg", "betrixaban"),
        ("Mono-Embolex", "certoparin"),
        ("bemiparin", "bemiparin"),
        ("tinzaparin", "tinzaparin"),
        ("danaparoid", "danaparoid"),
        ("lepirudin", "lepirudin"),
    ],
)
def test_anticoagulants_are_found_in_their_names_worldwide(text: str, substance: str) -> None:
    assert [m.substance for m in match_name(text)] == [substance], text


@pytest.mark.parametrize(
    ("text", "substance"),
    [
        ("RxNorm 855332", "warfarin"),  # a clinical drug (SCD), through the roll-up table
        ("rxcui:11289", "warfarin"),
        ("RXCUI 11289", "warfarin"),
        ("RxNorm code: 1364447", "apixaban"),  # a branded drug (SBD)
        ("B01AA03", "warfarin"),
        ("ATC b01af01", "rivaroxaban"),
    ],
)
def test_codes_written_in_text_resolve_as_codes(text: str, substance: str) -> None:
    (match,) = match_name(text)
    assert match.substance == substance
    assert match.matched_by in {"rxnorm", "atc"}


def test_a_number_alone_is_not_read_as_a_code() -> None:
    assert match_name("855332") == ()
    assert match_name("take 11289 mg") == ()


def test_a_two_word_name_is_one_match_not_also_its_first_word() -> None:
    assert _classes("isosorbide dinitrate 10 mg") == [("isosorbide_dinitrate", "screened")]
    assert _classes("dabigatran etexilate mesylate") == [("dabigatran", "other_anticoagulant")]


def test_screened_medicines_are_recognized_but_never_guessed() -> None:
    assert _classes("metformin 500 mg") == [("metformin", "screened")]
    assert _classes("Lipitor 20") == [("atorvastatin", "screened")]
    assert _classes("paracetamol") == [("acetaminophen", "screened")]
    assert match_name("metformim") == ()  # a misspelled screened drug stays unrecognized


def test_a_screened_medicine_does_not_hide_a_misspelled_anticoagulant() -> None:
    assert sorted(_classes("metformin, warfrin")) == [
        ("metformin", "screened"),
        ("warfarin", "vka"),
    ]


def test_antiplatelets_are_screened_not_anticoagulants() -> None:
    for text in ("aspirin 81 mg", "clopidogrel", "Plavix", "Brilinta 90 mg", "prasugrel"):
        assert {m.drug_class for m in match_name(text)} == {"screened"}, text


def test_arabic_in_presentation_forms_is_read_as_the_letters_it_stands_for() -> None:
    # The isolated presentation forms (U+FExx) of "الوارفارين": NFKC turns them into the
    # letters, so the Arabic key (article and marks dropped) must be taken after folding.
    isolated = "\ufe8d\ufedd\ufeed\ufe8d\ufead\ufed1\ufe8d\ufead\ufef1\ufee5"
    assert [m.substance for m in match_name(f"{isolated} 5 mg")] == ["warfarin"]


# The scripts that were a character class before: told apart by code point now, the same way.
CJK_BLOCKS = [
    (0x3040, 0x30FF), (0x31F0, 0x31FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF),
    (0xFF66, 0xFF9F),
]  # fmt: skip
_CJK_CLASS = re.compile("[" + "".join(f"{chr(low)}-{chr(high)}" for low, high in CJK_BLOCKS) + "]")


@pytest.mark.parametrize(
    "point",
    sorted(
        {edge + step for block in CJK_BLOCKS for edge in block for step in (-1, 0, 1)}
        | {0x41, 0xE9, 0x627, 0x2FFF, 0xFFFF, 0x1F600}
    ),
)
def test_chinese_and_japanese_are_told_by_code_point_as_the_character_class_would(
    point: int,
) -> None:
    text = f"warfarin {chr(point)}"
    assert _matching._has_cjk(text) is (_CJK_CLASS.search(text) is not None)
