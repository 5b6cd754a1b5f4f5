"""Label records of the DSLD (API v9) as product entries (issue 13, part 3).

The records in tests/data/dsld/ are written for these tests in the shape DSLD API v9 returns
(ingredientRows with forms, quantity and nestedRows; servingSizes with min/max daily servings).
"""

from __future__ import annotations

import copy
import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

import k2safety
from k2safety import Form, Profile
from k2safety.labels import LabelError, from_dsld

DSLD = Path(__file__).resolve().parent / "data" / "dsld"


def record(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DSLD / f"{name}.json").read_text())
    return loaded


def test_a_label_becomes_a_product_entry_with_its_id_and_name() -> None:
    entry = from_dsld(record("k2_d3_softgels"))
    assert entry == {
        "product": "Vitamin K2 + D3 Softgels",
        "label_id": "DSLD 900101",
        "servings_per_day": {"min": 1, "max": 2},
        "per_serving": [
            {"ingredient": "Vitamin D3 (as Cholecalciferol)", "amount": "125 mcg"},
            {
                "ingredient": "Vitamin K2 (as MenaQ7 Menaquinone-7) (from Chickpea)",
                "amount": "90 mcg",
            },
            {"ingredient": "Calcium (as Calcium Carbonate)", "amount": None},
        ],
    }
    report = k2safety.check({"medications": ["warfarin"], "supplements": [entry]})
    assert report.profile.mcg_per_day == {Form.MK7: Fraction(180), Form.D3: Fraction(250)}
    assert report.profile.mcg_per_day_min == {Form.MK7: Fraction(90), Form.D3: Fraction(125)}
    assert report.profile.other_ingredients == (
        "Calcium (as Calcium Carbonate) (Vitamin K2 + D3 Softgels (DSLD 900101))",
    )
    vka = report.findings[0]
    assert vka.code == "K2-VKA"
    assert "Vitamin K2 + D3 Softgels (DSLD 900101)" in vka.message


def test_percent_daily_value_is_ignored() -> None:
    label = record("k2_d3_softgels")
    changed = copy.deepcopy(label)
    for row in changed["ingredientRows"]:
        for quantity in row["quantity"]:
            quantity["dailyValueTargetGroup"] = []
    assert from_dsld(changed) == from_dsld(label)


def test_parent_and_nested_rows_are_never_added_twice() -> None:
    entry = from_dsld(record("bone_blend_nested"))
    assert entry["per_serving"] == [
        {"ingredient": "Vitamin K1 (as Phytonadione)", "amount": "60 mcg"},
        {"ingredient": "Vitamin K2 (as Menatetrenone)", "amount": "45 mcg"},
        {"ingredient": "Vitamin K2 (as Menaquinone-7) (from natto)", "amount": None},
        {"ingredient": "Horsetail", "amount": None},
    ]
    report = k2safety.check({"supplements": [entry]})
    assert report.profile.mcg_per_day == {Form.MK4: Fraction(90), Form.K1: Fraction(120)}
    assert report.profile.dose_not_stated == (Form.MK7,)
    assert "K2-DOSE-NOT-STATED" in report.codes


def test_a_parent_with_a_stated_amount_stands_for_its_nested_rows() -> None:
    label = record("bone_blend_nested")
    parent = label["ingredientRows"][0]
    parent["quantity"][0].update({"quantity": 105, "unit": "mcg"})
    entry = from_dsld(label)
    assert entry["per_serving"][0] == {"ingredient": "Vitamin K", "amount": "105 mcg"}
    assert [row["ingredient"] for row in entry["per_serving"]].count(
        "Vitamin K1 (as Phytonadione)"
    ) == 0


def test_np_is_null_and_operators_are_kept_and_said() -> None:
    entry = from_dsld(record("k2_drops_bound"))
    # Two "as" forms under one amount: the name alone; min and max given the wrong way round.
    assert entry["per_serving"] == [{"ingredient": "Vitamin K2", "amount": "< 150 mcg"}]
    assert entry["servings_per_day"] == {"min": 1, "max": 3}
    report = k2safety.check({"supplements": [entry]})
    assert report.profile.label_bounds == (
        "K2: less than 150 mcg per serving (K2 Liquid Drops (DSLD 900303))",
    )
    assert "K2-FORM-UNSPECIFIED-HIGH" in report.codes


def test_each_entry_validates_with_pydantic_and_the_schema_alike() -> None:
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(Profile.model_json_schema())
    for path in sorted(DSLD.glob("*.json")):
        profile = {"supplements": [from_dsld(json.loads(path.read_text()))]}
        Profile.model_validate(profile)
        assert validator.is_valid(profile), path.name
        assert k2safety.check(profile) == k2safety.check(Profile.model_validate(profile))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda label: label.pop("servingSizes"), "no serving size"),
        (
            lambda label: label["servingSizes"][0].update(
                minDailyServings=None, maxDailyServings=None
            ),
            "servings a day",
        ),
        (lambda label: label.update(ingredientRows=[]), "ingredientRows"),
        (lambda label: label.update(fullName=None, brandName=None), "fullName"),
    ],
)
def test_a_label_that_cannot_be_read_says_why(change: Any, message: str) -> None:
    label = record("k2_d3_softgels")
    change(label)
    with pytest.raises(LabelError, match=message):
        from_dsld(label)
