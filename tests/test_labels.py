"""Label records of the DSLD (API v9) as product entries (issue 13, part 3).

The records in tests/data/dsld/ are written for these tests in the shape DSLD API v9 returns
(ingredientRows with forms, quantity and nestedRows; servingSizes with min/max daily servings).
"""

from __future__ import annotations

import copy
import json
import math
import pickle
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hostile_values import hostile, paths, replaced
from hypothesis import given
from hypothesis import strategies as st

import k2safety
from k2safety import Form, Profile, ProfileError
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


# --- Refusals name the field in the DSLD record (outside review) ----------------------------


def refusal(label: object) -> tuple[str, str]:
    """The one problem from_dsld(label) is refused for: its path and its explanation."""
    with pytest.raises(ProfileError) as raised:
        from_dsld(label)  # type: ignore[arg-type]
    assert isinstance(raised.value, LabelError)
    assert isinstance(raised.value, ValueError)
    assert len(raised.value.problems) == 1
    path, text = raised.value.problems[0]
    assert str(raised.value) == f"invalid DSLD label: {path}: {text}"
    return path, text


def test_a_label_error_is_a_profile_error_with_the_field_path() -> None:
    label = record("k2_d3_softgels")
    label.pop("servingSizes")
    assert refusal(label) == (
        "servingSizes",
        "the label gives no serving size; give servings_per_day yourself",
    )
    assert refusal([label]) == ("(label)", "a DSLD label must be a JSON object, got a list")
    label = record("k2_d3_softgels")
    label["servingSizes"][0]["maxDailyServings"] = -2
    path, text = refusal(label)
    assert path == "servingSizes[0].maxDailyServings"
    assert "more than 0 and at most 100" in text
    assert "got -2" in text
    label = record("k2_d3_softgels")
    label["ingredientRows"][2]["name"] = 7
    assert refusal(label) == (
        "ingredientRows[2].name",
        "must be text naming the ingredient, got a number",
    )


def test_a_label_error_survives_pickling() -> None:
    with pytest.raises(LabelError) as raised:
        from_dsld({"fullName": "X", "servingSizes": [], "ingredientRows": []})
    copied = pickle.loads(pickle.dumps(raised.value))
    assert type(copied) is LabelError
    assert copied.problems == raised.value.problems
    assert str(copied) == str(raised.value)


def test_serving_size_orders_of_mixed_types_are_refused() -> None:
    label = record("k2_d3_softgels")
    second = dict(label["servingSizes"][0], order="2", minDailyServings=3, maxDailyServings=3)
    label["servingSizes"].append(second)
    path, text = refusal(label)
    assert path == "servingSizes[1].order"
    assert text == "must be a whole number, e.g. 1, got '2'"


def test_several_serving_sizes_each_need_an_order() -> None:
    label = record("k2_d3_softgels")
    label["servingSizes"].insert(0, {"minDailyServings": 4, "maxDailyServings": 4})
    path, text = refusal(label)
    assert path == "servingSizes[0].order"
    assert "several serving sizes" in text


def test_the_first_serving_size_is_the_lowest_order_and_its_amounts_are_read() -> None:
    label = record("k2_drops_bound")
    label["servingSizes"] = [
        {"order": 2, "minDailyServings": 1, "maxDailyServings": 1},
        {"order": 1, "minDailyServings": 2, "maxDailyServings": 2},
    ]
    entry = from_dsld(label)
    assert entry["servings_per_day"] == 2
    assert entry["per_serving"] == [{"ingredient": "Vitamin K2", "amount": "< 150 mcg"}]
    label["servingSizes"] = [{"order": 2, "minDailyServings": 1, "maxDailyServings": 1}]
    assert from_dsld(label)["per_serving"] == [{"ingredient": "Vitamin K2", "amount": "< 300 mcg"}]
    label["servingSizes"] = [{"order": 3, "minDailyServings": 1, "maxDailyServings": 1}]
    path, text = refusal(label)
    assert path == "ingredientRows[0].quantity"
    assert "servingSizeOrder 3" in text


@pytest.mark.parametrize("child", ["MK-4 1 mg", 7, None, ["Vitamin K2"]])
def test_a_nested_row_that_is_not_an_object_is_refused_like_a_row(child: object) -> None:
    label = record("bone_blend_nested")
    label["ingredientRows"][1]["nestedRows"].append(child)
    path, text = refusal(label)
    assert path == "ingredientRows[1].nestedRows[2]"
    assert text.startswith("must be an object (an ingredient row), got ")
    label = record("bone_blend_nested")
    label["ingredientRows"].append(child)
    assert refusal(label) == ("ingredientRows[2]", text)


def test_nested_rows_are_read_even_when_the_parent_stands_for_them() -> None:
    label = record("bone_blend_nested")
    label["ingredientRows"][0]["quantity"][0].update({"quantity": 105, "unit": "mcg"})
    label["ingredientRows"][0]["nestedRows"][1]["quantity"][0]["operator"] = "~"
    assert refusal(label)[0] == "ingredientRows[0].nestedRows[1].quantity[0].operator"


@pytest.mark.parametrize("nested", ["MK-4 1 mg", {"name": "MK-4"}, 1])
def test_nested_rows_that_are_not_a_list_are_refused(nested: object) -> None:
    label = record("bone_blend_nested")
    label["ingredientRows"][1]["nestedRows"] = nested
    path, text = refusal(label)
    assert path == "ingredientRows[1].nestedRows"
    assert text.startswith("must be a list, got ")


def test_nested_rows_too_deep_are_refused() -> None:
    row: dict[str, Any] = {"name": "Horsetail", "quantity": [], "nestedRows": []}
    for _ in range(40):
        row = {"name": "Blend", "quantity": [], "nestedRows": [row]}
    label = record("k2_d3_softgels")
    label["ingredientRows"] = [row]
    path, text = refusal(label)
    assert path == "ingredientRows[0]" + ".nestedRows[0]" * 10 + ".nestedRows"
    assert text == "is nested too deeply; at most 10 levels are read"


@pytest.mark.parametrize("operator", ["~", "", "==", "lt", ["<"], 1, True, {"op": "<"}])
def test_an_unknown_operator_is_refused(operator: object) -> None:
    label = record("k2_d3_softgels")
    label["ingredientRows"][1]["quantity"][0]["operator"] = operator
    path, text = refusal(label)
    assert path == "ingredientRows[1].quantity[0].operator"
    assert text.startswith("must be one of '=', '<', '>', '<=', '>=', '≤', '≥', got ")


@pytest.mark.parametrize(
    ("operator", "amount"),
    [
        ("=", "90 mcg"),
        (None, "90 mcg"),
        (" < ", "< 90 mcg"),
        (">", "> 90 mcg"),
        ("<=", "≤ 90 mcg"),
        (">=", "≥ 90 mcg"),
        ("≤", "≤ 90 mcg"),
        ("≥", "≥ 90 mcg"),
    ],
)
def test_the_known_operators_are_kept_in_front_of_the_amount(operator: object, amount: str) -> None:
    label = record("k2_d3_softgels")
    label["ingredientRows"][1]["quantity"][0]["operator"] = operator
    entry = from_dsld(label)
    assert entry["per_serving"][1]["amount"] == amount
    k2safety.check({"supplements": [entry]})  # each is an amount a profile accepts


def test_no_operator_means_exact() -> None:
    label = record("k2_d3_softgels")
    del label["ingredientRows"][1]["quantity"][0]["operator"]
    assert from_dsld(label) == from_dsld(record("k2_d3_softgels"))


@pytest.mark.parametrize(
    ("quantity", "got"),
    [
        (-90, "got -90"),
        (-0.5, "got -0.5"),
        ("90", "got '90'"),
        ("", "got ''"),
        (True, "got a boolean"),
        (False, "got a boolean"),
        (math.nan, "got NaN"),
        (math.inf, "got infinity"),
        (-math.inf, "got infinity"),
        (10**400, "got a number too large"),
        ([90], "got a list"),
        ({"value": 90}, "got an object"),
    ],
)
def test_a_quantity_that_is_not_an_amount_is_refused(quantity: object, got: str) -> None:
    for row in (1, 2):  # a vitamin k2safety screens, and calcium, outside its scope
        label = record("k2_d3_softgels")
        label["ingredientRows"][row]["quantity"][0]["quantity"] = quantity
        path, text = refusal(label)
        assert path == f"ingredientRows[{row}].quantity[0].quantity"
        assert text.startswith("must be a number, the amount in one serving, more than 0")
        assert text.endswith(got)


def test_a_stated_zero_of_a_screened_vitamin_is_refused() -> None:
    label = record("k2_d3_softgels")
    label["ingredientRows"][1]["quantity"][0]["quantity"] = 0
    path, text = refusal(label)
    assert path == "ingredientRows[1].quantity[0].quantity"
    assert text.startswith("is 0 mcg, which is not a dose")
    label["ingredientRows"][1]["quantity"][0]["quantity"] = 0.0
    assert refusal(label)[0] == "ingredientRows[1].quantity[0].quantity"


def test_zero_with_unit_np_is_not_stated_as_dsld_records_it() -> None:
    """DSLD writes an amount the label does not state as quantity 0, unit "NP" (see
    bone_blend_nested.json); that stays "not stated", as does no quantity and no unit."""
    for quantity in ({"quantity": 0, "unit": "NP"}, {"quantity": None, "unit": "np"}, {}):
        label = record("k2_d3_softgels")
        entry = label["ingredientRows"][1]["quantity"][0]
        for field in ("quantity", "unit"):
            entry.pop(field)
        entry.update(quantity)
        read = from_dsld(label)["per_serving"][1]
        assert read == {
            "ingredient": "Vitamin K2 (as MenaQ7 Menaquinone-7) (from Chickpea)",
            "amount": None,
        }
    label = record("k2_d3_softgels")
    label["ingredientRows"][1]["quantity"] = None
    assert from_dsld(label)["per_serving"][1]["amount"] is None


def test_a_stated_zero_outside_the_scope_is_accepted_and_left_out() -> None:
    label = record("k2_d3_softgels")
    label["ingredientRows"][2]["quantity"][0].update({"quantity": 0, "unit": "g"})
    assert from_dsld(label) == from_dsld(record("k2_d3_softgels"))


def test_an_amount_needs_its_unit_and_a_unit_its_amount() -> None:
    label = record("k2_d3_softgels")
    label["ingredientRows"][1]["quantity"][0].pop("unit")
    assert refusal(label) == (
        "ingredientRows[1].quantity[0].unit",
        "is missing; an amount needs its unit, e.g. 'mcg'",
    )
    label["ingredientRows"][1]["quantity"][0]["unit"] = 5
    assert refusal(label)[0] == "ingredientRows[1].quantity[0].unit"
    label = record("k2_d3_softgels")
    label["ingredientRows"][1]["quantity"][0]["quantity"] = None
    path, text = refusal(label)
    assert path == "ingredientRows[1].quantity[0].quantity"
    assert text.startswith("is missing with unit 'mcg'")


def test_the_label_id_is_a_whole_number_or_text() -> None:
    label = record("k2_d3_softgels")
    for value, said in ((900101.0, "DSLD 900101"), (" 900101 ", "DSLD 900101")):
        label["id"] = value
        assert from_dsld(label)["label_id"] == said
    for wrong, got in ((1.5, "got 1.5"), ("", "got ''"), ({"id": 1}, "got an object")):
        label["id"] = wrong
        path, text = refusal(label)
        assert (path, text) == ("id", f"must be the label's DSLD id, a whole number, {got}")


def test_decimal_quantities_are_written_as_labels_print_them() -> None:
    label = record("k2_d3_softgels")
    for quantity, amount in ((2.5, "2.5 mcg"), (90.0, "90 mcg"), (0.00001, "0.00001 mcg")):
        label["ingredientRows"][1]["quantity"][0]["quantity"] = quantity
        assert from_dsld(label)["per_serving"][1]["amount"] == amount


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda label: label.update(ingredientRows="Vitamin K2"), "ingredientRows"),
        (lambda label: label.update(servingSizes="1 softgel"), "servingSizes"),
        (lambda label: label["servingSizes"].__setitem__(0, "1 softgel"), "servingSizes[0]"),
        (lambda label: label["ingredientRows"][1].update(forms="MK-7"), "ingredientRows[1].forms"),
        (
            lambda label: label["ingredientRows"][1]["forms"].append("MK-4"),
            "ingredientRows[1].forms[2]",
        ),
        (
            lambda label: label["ingredientRows"][1]["forms"][1].update(order="2"),
            "ingredientRows[1].forms[1].order",
        ),
        (
            lambda label: label["ingredientRows"][1]["forms"][0].update(name=None),
            "ingredientRows[1].forms[0].name",
        ),
        (
            lambda label: label["ingredientRows"][1]["forms"][0].update(prefix=1),
            "ingredientRows[1].forms[0].prefix",
        ),
        (
            lambda label: label["ingredientRows"][1]["quantity"].append("90 mcg"),
            "ingredientRows[1].quantity[1]",
        ),
        (
            lambda label: label["ingredientRows"][1]["quantity"][0].update(servingSizeOrder="1"),
            "ingredientRows[1].quantity[0].servingSizeOrder",
        ),
        (lambda label: label.update(id=True), "id"),
        (lambda label: label.update(fullName=["K2"]), "fullName"),
    ],
)
def test_nothing_unrecognized_is_dropped(change: Any, path: str) -> None:
    label = record("k2_d3_softgels")
    change(label)
    assert refusal(label)[0] == path


@given(st.data())
def test_any_value_anywhere_in_a_label_is_read_or_refused(data: st.DataObject) -> None:
    """Whatever replaces one value of a label, from_dsld gives an entry or a LabelError, and
    the entry is screened or refused as a profile: nothing else escapes."""
    label = record(data.draw(st.sampled_from(sorted(path.stem for path in DSLD.glob("*.json")))))
    at = data.draw(st.sampled_from(paths(label)))
    changed = replaced(label, at, data.draw(hostile))
    refused: ProfileError | None = None
    entry: dict[str, Any] | None = None
    try:
        entry = from_dsld(changed)
    except LabelError as error:
        refused = error
    if entry is not None:
        try:
            k2safety.check({"supplements": [entry]})
        except ProfileError as error:
            refused = error
    if refused is not None:
        assert refused.problems
        assert all(isinstance(path, str) and path and text for path, text in refused.problems)


# What a profile would refuse is refused by from_dsld, naming the DSLD field (outside review 4).

_K2_LABEL: dict[str, Any] = {
    "id": 900101,
    "fullName": "Vitamin K2 Softgels",
    "servingSizes": [{"order": 1, "minDailyServings": 1, "maxDailyServings": 1}],
    "ingredientRows": [
        {
            "name": "Vitamin K2",
            "forms": [{"prefix": "as", "name": "MK-7"}],
            "quantity": [{"servingSizeOrder": 1, "operator": "=", "quantity": 90, "unit": "mcg"}],
        }
    ],
}


def _quantity(**changes: Any) -> Any:
    return lambda label: label["ingredientRows"][0]["quantity"][0].update(changes)


@pytest.mark.parametrize(
    ("change", "path", "phrase"),
    [
        (_quantity(unit="IU"), "ingredientRows[0].quantity", "cannot be dosed in IU"),
        (_quantity(unit="Gram(s)"), "ingredientRows[0].quantity", "not understood"),
        (_quantity(quantity=1e-300), "ingredientRows[0].quantity", "longer than 64"),
        (_quantity(quantity=10**14), "ingredientRows[0].quantity", "more than 1000000 mcg"),
        (_quantity(quantity=100, unit="NP"), "ingredientRows[0].quantity[0].quantity", "'NP'"),
        (
            lambda label: label["ingredientRows"][0].update(name="x" * 250),
            "ingredientRows[0].name",
            "at most 200 characters",
        ),
        (lambda label: label.update(fullName="x" * 250), "fullName", "at most 200 characters"),
        (
            lambda label: label["ingredientRows"].extend({"name": f"Herb {n}"} for n in range(100)),
            "ingredientRows",
            "at most 100",
        ),
    ],
)
def test_a_label_a_profile_would_refuse_is_refused_naming_the_dsld_field(
    change: Any, path: str, phrase: str
) -> None:
    label = copy.deepcopy(_K2_LABEL)
    change(label)
    with pytest.raises(LabelError) as raised:
        from_dsld(label)
    assert [problem_path for problem_path, _ in raised.value.problems] == [path]
    assert phrase in raised.value.problems[0][1]


def test_the_label_a_profile_accepts_is_read() -> None:
    entry = from_dsld(copy.deepcopy(_K2_LABEL))
    assert k2safety.check({"supplements": [entry]}).profile.mcg_per_day == {Form.MK7: 90}


def test_another_vitamin_nested_under_a_row_with_its_amount_is_kept() -> None:
    """A parent's amount stands for its own vitamin's forms (MK-7 under K2 counts once), not
    for vitamin D3 nested under it, whose absence would fire K2-D3-PAIRING falsely."""
    label = copy.deepcopy(_K2_LABEL)
    label["ingredientRows"][0]["nestedRows"] = [
        {
            "name": "Vitamin D3",
            "quantity": [{"servingSizeOrder": 1, "quantity": 25, "unit": "mcg"}],
        },
        {"name": "MK-7", "quantity": [{"servingSizeOrder": 1, "quantity": 90, "unit": "mcg"}]},
    ]
    entry = from_dsld(label)
    assert [row["ingredient"] for row in entry["per_serving"]] == [
        "Vitamin K2 (as MK-7)",
        "Vitamin D3",
    ]
    report = k2safety.check({"supplements": [entry]})
    assert report.profile.mcg_per_day == {Form.MK7: 90, Form.D3: 25}
    assert "K2-D3-PAIRING" not in report.codes
