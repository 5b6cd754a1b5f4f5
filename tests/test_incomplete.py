"""Issue 12, parts 3 to 5: no unscreened pass, vitamins and anticoagulants wherever they are
written, and medication texts as long as real records carry them.

The rules' wording is in their fixtures (tests/rules/fixtures/K2-INCOMPLETE-SCREEN.toml and
the K2-VKA, K2-ANTICOAGULANT, K2-DOSE-NOT-STATED and K2-UNRECOGNIZED examples); this file tests
what a program relies on: severities, exit statuses, the report's fields, and both readers (plain
JSON and the pydantic model) agreeing.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from fractions import Fraction
from typing import Any

import pytest
from pydantic import ValidationError

import k2safety
from k2safety import Form, Profile, ProfileError, Report, _profile
from k2safety._profile import (
    MAX_MEDICATION_TEXT,
    MAX_TEXT,
    medication_vitamins,
    unrecognized_parts,
)

MK7 = {"ingredient": "MK-7", "dose": "180 mcg"}
# A pack name as long as the longest RxNorm pack names (273 characters), in their style.
PACK = (
    "{21 (apixaban 5 MG Oral Tablet [Eliquis]) / 21 (apixaban 2.5 MG Oral Tablet [Eliquis]) / "
    "14 (apixaban 10 MG Oral Tablet [Eliquis]) / 7 (apixaban 5 MG Oral Tablet [Eliquis]) / "
    "30 (apixaban 2.5 MG Oral Tablet [Eliquis]) } Pack [Eliquis Starter Pack for Treatment]"
)


def both_ways(profile: dict[str, Any]) -> Report:
    """The report from the plain reader, checked equal to the one from the pydantic model."""
    report = k2safety.check(profile)
    assert k2safety.check(Profile.model_validate(profile)) == report
    return report


def cli(profile: dict[str, Any], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "k2safety", "check", "-", *args],
        input=json.dumps(profile),
        capture_output=True,
        text=True,
        check=False,
    )


# --- Part 3: an unrecognized medication with vitamin K planned is not a pass ---------------------


@pytest.mark.parametrize(
    "planned",
    [
        {"supplements": [MK7]},
        {"supplements": [{"ingredient": "vitamin K1", "dose": "90 mcg"}]},
        {"foods": ["natto"]},
        {
            "supplements": [
                {"product": "Blend", "servings_per_day": 1, "per_serving": [{"ingredient": "MK-7"}]}
            ]
        },
        {"medications": ["phytonadione 5 mg tablet"]},
    ],
    ids=["supplement", "K1", "food", "dose not stated", "among medications"],
)
def test_vitamin_k_planned_with_an_unknown_medication_warns(planned: dict[str, Any]) -> None:
    profile = {**planned, "medications": [*planned.get("medications", []), "Dolvexin"]}
    report = both_ways(profile)
    assert report.max_severity is k2safety.Severity.WARNING
    finding = next(f for f in report.findings if f.code == "K2-INCOMPLETE-SCREEN")
    assert finding.severity is k2safety.Severity.WARNING
    assert "incomplete" in finding.message
    assert "'Dolvexin'" in finding.message
    assert k2safety.Trigger("medications", "Dolvexin") in finding.triggers
    assert {claim.id for claim in finding.claims} == {
        "art.anticoagulant-consult",
        "art.consult-before-supplements",
    }
    assert "K2-UNRECOGNIZED" not in report.codes  # named once, by the warning
    assert report.screening_complete is False


def test_without_vitamin_k_an_unknown_medication_stays_information() -> None:
    report = both_ways(
        {"medications": ["Dolvexin"], "supplements": [{"ingredient": "D3", "dose": "1000 IU"}]}
    )
    assert report.max_severity is k2safety.Severity.INFO
    assert "K2-UNRECOGNIZED" in report.codes
    assert "K2-INCOMPLETE-SCREEN" not in report.codes
    assert report.screening_complete is False


def test_each_unscreened_entry_is_named() -> None:
    report = both_ways(
        {
            "medications": ["Dolvexin", "Zentravix 10 mg", {"rxnorm": "99999999"}, "warfarin"],
            "foods": ["natto"],
        }
    )
    finding = next(f for f in report.findings if f.code == "K2-INCOMPLETE-SCREEN")
    for shown in ("'Dolvexin'", "'Zentravix 10 mg'", "'RxNorm 99999999'"):
        assert shown in finding.message
    assert "warfarin" not in finding.message.split("planned")[0]


def test_the_command_line_exits_with_the_warning_status() -> None:
    incomplete = cli({"medications": ["Dolvexin"], "supplements": [MK7]}, "--fail-on", "warning")
    assert incomplete.returncode == 1, incomplete.stderr
    assert "K2-INCOMPLETE-SCREEN" in incomplete.stdout
    info_only = cli({"medications": ["Dolvexin"]}, "--fail-on", "warning")
    assert info_only.returncode == 0, info_only.stderr


def test_screening_complete_is_in_the_output_and_round_trips() -> None:
    for profile, complete in (
        ({"medications": ["warfarin 5 mg"], "supplements": [MK7]}, True),
        ({"medications": ["Dolvexin"], "supplements": [MK7]}, False),
        ({"foods": ["gouda"]}, False),
        ({}, True),
    ):
        report = k2safety.check(profile)
        assert report.screening_complete is complete
        assert report.model_dump()["screening_complete"] is complete
        assert json.loads(report.model_dump_json())["screening_complete"] is complete
        assert Report.model_validate_json(report.model_dump_json()) == report
        assert Report.model_validate(report.model_dump()) == report
        assert pickle.loads(pickle.dumps(report)) == report


def test_a_report_claiming_the_wrong_completeness_is_refused() -> None:
    report = k2safety.check({"medications": ["Dolvexin"], "supplements": [MK7]})
    dumped = report.model_dump(mode="json")
    dumped["screening_complete"] = True
    with pytest.raises(ValidationError, match="screening_complete"):
        Report.model_validate(dumped)
    dumped.pop("screening_complete")
    assert Report.model_validate(dumped) == report  # derived when not given


def test_the_json_schema_of_a_report_has_screening_complete() -> None:
    properties = Report.model_json_schema(mode="serialization")["properties"]
    assert properties["screening_complete"]["type"] == "boolean"


# --- Part 4: vitamins among the medications, anticoagulants among the conditions ---------------


@pytest.mark.parametrize(
    ("text", "form", "amount"),
    [
        ("Vitamin K2 (MK-7) 100 mcg", Form.MK7, Fraction(100)),
        ("phytonadione 5 mg tablet", Form.K1, Fraction(5000)),
        ("cholecalciferol 1000 IU", Form.D3, Fraction(25)),
        ("Vitamin K2 (as menaquinone-7) 90 mcg daily", Form.MK7, Fraction(90)),
        ("MK-7 0.7 mg weekly", Form.MK7, Fraction(100)),
        ("Vitamin D3 1000 IU (25 mcg) softgel", Form.D3, Fraction(25)),
        ("Vitamin D3 25 mcg (1000 IU)", Form.D3, Fraction(25)),  # one amount, written twice
        ("MK-7 100 mcg/d", Form.MK7, Fraction(100)),  # "d" is a day here, not vitamin D
        # Words after the amount that leave it as it is.
        ("MK-7 100 mcg, once daily", Form.MK7, Fraction(100)),
        ("MK-7 100 mcg (with food)", Form.MK7, Fraction(100)),
        ("vit. D3 1000 IU", Form.D3, Fraction(25)),
        ("Vit K 100 mcg", Form.K, Fraction(100)),
    ],
)
def test_a_vitamin_among_the_medications_is_planned_with_its_dose(
    text: str, form: Form, amount: Fraction
) -> None:
    report = both_ways({"medications": [text]})
    assert report.profile.mcg_per_day == {form: amount}
    assert report.profile.dose_not_stated == ()
    (medication,) = report.profile.medications
    assert medication.given == text
    assert [(m.drug_class, m.substance) for m in medication.matches] == [("vitamin", None)]
    assert report.profile.unrecognized_medications == ()
    assert report.screening_complete


@pytest.mark.parametrize(
    ("entry", "forms"),
    [
        ("Mephyton tablets phytonadione", (Form.K1,)),
        ("phytonadione 10 MG/ML Injectable Solution", (Form.K1,)),
        ("Vitamin K2 1,000 mcg", (Form.K2,)),  # a comma could be either separator: not read
        ("Vitamin D3 + K2 (MK-7) 1000 IU / 100 mcg", (Form.MK7, Form.D3)),
        ({"rxnorm": "2418"}, (Form.D3,)),
        ({"name": "Vitamin D", "rxnorm": "2418"}, (Form.D3,)),
        ("vitamin K", (Form.K,)),
        ("Vitamin K2 mk7 5 mcg/ml", (Form.MK7,)),
        ("menaquinone-7 90 IU", (Form.MK7,)),  # vitamin K has no IU: not a dose
        # Another ingredient's amount, a count or a frequency beside the amount: reading any
        # one amount would be a guess.
        ("MK-7 600 mcg, selenium 55 mcg", (Form.MK7,)),
        ("K2 MK-7 90 mcg, Calcium 600 mg", (Form.MK7,)),
        ("Vitamin D3 25 mcg (2000 IU)", (Form.D3,)),  # two amounts that disagree
        ("MK-7 150 mcg tid", (Form.MK7,)),
        ("MK-7 100 mcg, 2 capsules daily", (Form.MK7,)),
        ("Vitamin K2 90 mcg softgel, take 4", (Form.K2,)),
        ("MK-7 100 mcg x 2", (Form.MK7,)),
        ("MK-7 500 mcg per 5 days", (Form.MK7,)),
        # The number that completes the vitamin's name is not also its amount.
        ("vitamin K 2 mg", (Form.K2,)),
        ("vitamin K 1 mg", (Form.K1,)),
        # A word before the amount that changes how much a day it is.
        ("Twice daily MK-7 200 mcg", (Form.MK7,)),
        ("Half tablet phytonadione 5 mg", (Form.K1,)),
        ("Weekly MK-4 45 mg", (Form.MK4,)),
        ("q12h MK-7 100 mcg", (Form.MK7,)),
        ("Quarter tablet phytonadione 5 mg", (Form.K1,)),
        # An amount in another part of the list, or beside another name, is not the vitamin's.
        ("MK-7; warfarin 5 mg", (Form.MK7,)),
        ("Vitamin K2 + magnesium 400 mg", (Form.K2,)),
        ("MK-7 (Dolvexin 100 mcg)", (Form.MK7,)),
        ("Vitamin D3 B12 1000 mcg", (Form.D3,)),
    ],
)
def test_a_vitamin_without_a_readable_dose_is_dose_not_stated(
    entry: object, forms: tuple[Form, ...]
) -> None:
    report = both_ways({"medications": [entry]})
    assert report.profile.mcg_per_day == {}
    assert set(report.profile.dose_not_stated) == set(forms)
    assert report.profile.products == ()  # a medication is not a product's label
    (medication,) = report.profile.medications
    assert medication.matches
    # Only another ingredient listed beside the vitamin may be reported, never the entry.
    assert report.profile.unrecognized_medications == medication.unrecognized_parts


def test_vitamin_k_among_the_medications_fires_the_anticoagulant_rule_and_is_named() -> None:
    report = both_ways({"medications": ["warfarin 5 mg", "phytonadione tablets"]})
    assert report.findings[0].code == "K2-VKA"
    assert "phytonadione tablets" in report.findings[0].message
    assert k2safety.Trigger("supplements", "K1 dose not stated (phytonadione tablets)") in (
        report.findings[0].triggers
    )
    assert "K2-DOSE-NOT-STATED" in report.codes
    assert [m.given for m in report.profile.medications] == [
        "phytonadione tablets",
        "warfarin 5 mg",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "warfarin (vitamin K antagonist)",
        "Vitamin K antagonists",
        "metformin 500 mg",
        "Vitamin C 500 mg",
        "Dolvexin 100 mcg",
        # A bare K or D is potassium or a brand as often as a vitamin.
        "K-Dur 20 mEq",
        "K-Tab 10 mEq",
        "potassium chloride (K) 20 mEq",
        "Calcium + D 600 mg",
    ],
)
def test_text_that_names_no_vitamin_plans_none(text: str) -> None:
    assert medication_vitamins(text, None, text) == ((), ())
    assert both_ways({"medications": [text]}).profile.mcg_per_day == {}


def test_another_ingredients_amount_is_not_the_vitamin_s_and_the_ingredient_is_reported() -> None:
    report = both_ways({"medications": ["Vitamin K2 MK-7 500 mcg + magnesium 50 mcg"]})
    assert report.profile.mcg_per_day == {}
    assert report.profile.dose_not_stated == (Form.MK7,)
    assert report.profile.unrecognized_medications == ("magnesium 50 mcg",)
    assert not report.screening_complete


# --- An entry written as a list: each part screened (outside review, item 3) -------------------


@pytest.mark.parametrize(
    ("entry", "unknown"),
    [
        ("metformin + Dolvexin", ("Dolvexin",)),
        ("warfarin, Dolvexin 5 mg", ("Dolvexin 5 mg",)),
        ("metformin; foobarzol", ("foobarzol",)),
        ("apixaban & Dolvexin", ("Dolvexin",)),
        ("Dolvexin (warfarin)", ()),  # parentheses are no list
        ("warfarin, Dolvexin, foobarzol 1 mg", ("Dolvexin", "foobarzol 1 mg")),
        ("calcium 600 mg + vitamin D3 400 IU", ("calcium 600 mg",)),
        ("MK-7 600 mcg, selenium 55 mcg", ("selenium 55 mcg",)),
        ("Dolvexin with vitamin K2 90 mcg", ("Dolvexin",)),
        # Every word must say how the medicine is taken, not only the first (outside review 2).
        ("warfarin, take Dolvexin 10 mg", ("take Dolvexin 10 mg",)),
        ("warfarin 5 mg, then Dolvexin 10 mg", ("then Dolvexin 10 mg",)),
        ("warfarin; Liquid Dolvexin", ("Liquid Dolvexin",)),
        # Short words, and words with digits, are not passed over unexplained.
        ("warfarin, ASA 81 mg", ("ASA 81 mg",)),
        ("warfarin, St John's wort", ("St John's wort",)),
        ("warfarin + CoQ10 100 mg", ("CoQ10 100 mg",)),
        ("warfarin, B12", ("B12",)),
        # More marks: a line break and the full-width comma.
        ("warfarin\nDolvexin 5 mg", ("Dolvexin 5 mg",)),
        ("warfarin\uff0cDolvexin", ("Dolvexin",)),
        # Third review: a word that can name a product, a unit with no number, a first word
        # that is no reason or time, digits with letters that are no unit, more marks, and
        # brackets that do not balance.
        ("warfarin, nasal spray", ("nasal spray",)),
        ("warfarin, water pill", ("water pill",)),
        ("warfarin, Mg 400 mg", ("Mg 400 mg",)),
        ("warfarin; on Dolvexin 5 mg daily", ("on Dolvexin 5 mg daily",)),
        ("warfarin, 5FU", ("5FU",)),
        ("warfarin, \uff12\uff26\uff35", ("\uff12\uff26\uff35",)),
        ("warfarin \u2028Dolvexin", ("Dolvexin",)),
        ("warfarin w/ Dolvexin", ("Dolvexin",)),
        ("warfarin plus Dolvexin", ("Dolvexin",)),
        ("warfarin | Dolvexin", ("Dolvexin",)),
        ("warfarin\u060c Dolvexin", ("Dolvexin",)),
        ("warfarin ( , Dolvexin", ("Dolvexin",)),
        ("warfarin (+ Dolvexin)", ("Dolvexin",)),  # a "+" adds a medicine even in parentheses
    ],
)
def test_a_part_of_a_list_that_names_nothing_known_is_reported(
    entry: str, unknown: tuple[str, ...]
) -> None:
    report = both_ways({"medications": [entry], "supplements": [MK7]})
    assert report.profile.unrecognized_medications == unknown
    assert report.screening_complete is not unknown
    assert ("K2-INCOMPLETE-SCREEN" in report.codes) is bool(unknown)
    (medication,) = report.profile.medications
    assert medication.unrecognized_parts == unknown


@pytest.mark.parametrize(
    "entry",
    [
        "Eliquis 5 mg, twice daily",
        "Metformin ER 500 mg, take with meals",
        "warfarin 5 mg; at bedtime",
        "warfarin 5 mg, 1 tablet",
        "Vitamin D3 1,000 IU",
        "lisinopril 10 mg, as needed",
        "Metformin 500 mg with meals",
        "Levothyroxine 50 mcg, empty stomach",
        "Aspirin 81 mg, enteric coated",
        "Warfarin 5 mg, Monday Wednesday Friday",
        "Heparin 5000 units, subcutaneous every 8 hours",
        "Lisinopril 10 mg; Disp: 90 tablet; Refills: 3",
        "Atorvastatin 20 mg, for cholesterol",
        "Albuterol, Inhale 2 puffs every 4 hours as needed",
        "Aspirin 81 mg, 2x daily",
        "Insulin glargine 20 units, at bedtime",
        "hydrochlorothiazide (MICROZIDE,HYDRODIURIL) 25 mg tablet",  # a list inside parentheses
        "warfarin 5 mg WITH dinner",
        "Vitamin D3 + K2 (MK-7) 1000 IU / 100 mcg",
    ],
)
def test_a_part_that_says_how_to_take_a_medicine_is_not_reported(entry: str) -> None:
    report = both_ways({"medications": [entry], "supplements": [MK7]})
    assert report.profile.unrecognized_medications == ()
    assert report.screening_complete


def test_with_separates_parts_only_as_a_word_of_its_own() -> None:
    assert unrecognized_parts("warfarin Withania 300 mg") == ()
    assert unrecognized_parts("warfarin with Withania 300 mg") == ("Withania 300 mg",)


def test_an_unknown_entry_is_reported_whole_not_by_its_parts() -> None:
    report = both_ways({"medications": ["Dolvexin, Foobarzol"], "supplements": [MK7]})
    assert report.profile.unrecognized_medications == ("Dolvexin, Foobarzol",)


def test_potassium_with_warfarin_is_no_vitamin_k() -> None:
    report = both_ways({"medications": ["warfarin 5 mg", "K-Dur 20 mEq"], "supplements": []})
    assert "K2-VKA" not in report.codes
    assert report.profile.unrecognized_medications == ("K-Dur 20 mEq",)


def test_a_vitamin_code_and_a_name_are_both_read() -> None:
    matches, planned = medication_vitamins("cholecalciferol 1000 IU", "2418", "x")
    assert [m.matched_by for m in matches] == ["name"]
    assert planned == ((Form.D3, Fraction(25)),)
    matches, planned = medication_vitamins(None, "2418", "RxNorm 2418")
    assert [(m.matched_by, m.matched_text) for m in matches] == [("rxnorm", "2418")]
    assert [entry.form for entry in planned] == [Form.D3]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("condition", "code"),
    [
        ("on warfarin", "K2-VKA"),
        ("takes Eliquis", "K2-ANTICOAGULANT"),
        ("Atrial fibrillation, on apixaban 5 mg twice daily", "K2-ANTICOAGULANT"),
    ],
)
def test_an_anticoagulant_in_the_conditions_is_taken(condition: str, code: str) -> None:
    report = both_ways({"conditions": [condition], "supplements": [MK7]})
    finding = next(f for f in report.findings if f.code == code)
    assert k2safety.Trigger("conditions", condition) in finding.triggers
    assert report.profile.medications == ()  # it stays a condition
    assert report.profile.conditions == (condition,)


def test_a_screened_medicine_in_the_conditions_is_not_taken_from_it() -> None:
    report = both_ways({"conditions": ["on metformin", "heart failure"], "supplements": [MK7]})
    assert report.max_severity is k2safety.Severity.INFO
    assert "K2-INCOMPLETE-SCREEN" not in report.codes


# --- Part 5: medication texts of up to 1,000 characters ------------------------------------------


def test_a_long_pack_name_no_longer_hides_the_warfarin_next_to_it() -> None:
    assert len(PACK) > MAX_TEXT
    report = both_ways({"medications": [PACK, "warfarin 5 mg"], "supplements": [MK7]})
    assert {"K2-VKA", "K2-ANTICOAGULANT"} <= set(report.codes)
    assert PACK in [medication.given for medication in report.profile.medications]


def test_the_medication_limit_is_1000_characters_and_others_keep_theirs() -> None:
    longest = "x" * (MAX_MEDICATION_TEXT - 9) + " warfarin"
    assert len(longest) == MAX_MEDICATION_TEXT
    report = both_ways({"medications": [longest]})
    assert [m.substance for m in report.profile.medications[0].matches] == ["warfarin"]
    both_ways({"medications": [{"name": "y" * MAX_MEDICATION_TEXT}]})
    for profile, field in (
        ({"medications": ["x" * (MAX_MEDICATION_TEXT + 1)]}, "medications[0].name"),
        ({"medications": [{"name": "x" * (MAX_MEDICATION_TEXT + 1)}]}, "medications[0].name"),
        ({"foods": ["x" * (MAX_TEXT + 1)]}, "foods[0]"),
        ({"conditions": ["x" * (MAX_TEXT + 1)]}, "conditions[0]"),
    ):
        with pytest.raises(ProfileError) as raised:
            k2safety.check(profile)
        assert [where for where, _ in raised.value.problems] == [field]


def test_the_schema_follows_the_medication_limit() -> None:
    import jsonschema

    validator = jsonschema.Draft202012Validator(json.loads(json.dumps(Profile.model_json_schema())))
    assert validator.is_valid({"medications": [PACK]})
    assert validator.is_valid({"medications": [{"name": "x" * MAX_MEDICATION_TEXT}]})
    assert not validator.is_valid({"medications": ["x" * (MAX_MEDICATION_TEXT + 1)]})
    assert not validator.is_valid({"foods": ["x" * (MAX_TEXT + 1)]})


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("a, b", ["a", " b"]),
        ("a (b, c) d; e", ["a (b, c) d", " e"]),
        ("a (b + c) d", ["a (b ", " c) d"]),
        ("a [b, c], d", ["a [b, c]", " d"]),
        ("a with b", ["a", "b"]),
        ("a\nb\uff0cc\u3001d", ["a", "b", "c", "d"]),
        ("a) b, c", ["a) b", " c"]),  # a closing parenthesis alone opens nothing
    ],
)
def test_a_list_is_cut_at_its_marks_outside_parentheses(text: str, parts: list[str]) -> None:
    assert _profile._parts(text) == parts
