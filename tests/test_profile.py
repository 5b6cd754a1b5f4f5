"""Profile validation: what is accepted, what is refused, and how the refusal reads."""

from __future__ import annotations

import json
import pickle
from fractions import Fraction
from typing import Any

import pydantic
import pytest

import k2safety
from k2safety import Profile, ProfileError, check
from k2safety._knowledge import knowledge
from k2safety._profile import Form, Goal

ISSUE_EXAMPLE: dict[str, Any] = {
    "medications": [
        "warfarin sodium 5 mg",
        {"name": "Eliquis"},
        {"atc": "B01AA03"},
        {"rxnorm": "11289"},
    ],
    "supplements": [
        {"ingredient": "MK-7", "dose": "180 mcg"},
        {"ingredient": "MK-7", "dose": "1.26 mg", "per": "week"},
        {"ingredient": "MK-4", "dose": "45 mg/day"},
        {"ingredient": "D3", "dose": "2000 IU"},
        {"ingredient": "MK-7", "dose": {"value": 90, "unit": "ug"}},
    ],
    "foods": ["natto"],
    "goals": ["reverse_calcification"],
    "conditions": ["coronary artery calcification"],
    "medical_supervision": False,
}


def test_the_documented_example_validates_to_exact_daily_amounts() -> None:
    profile = Profile.model_validate(ISSUE_EXAMPLE)
    amounts = [(s.ingredient, s.mcg_per_day) for s in profile.supplements]
    assert amounts == [
        (Form.MK7, 180),
        (Form.MK7, 180),
        (Form.MK4, 45_000),
        (Form.D3, 50),  # 2000 IU / 40 IU per mcg
        (Form.MK7, 90),
    ]
    assert [m.matches[0].substance for m in profile.medications] == [
        "warfarin",
        "apixaban",
        "warfarin",
        "warfarin",
    ]


def test_an_empty_profile_is_valid() -> None:
    profile = Profile.model_validate({})
    assert profile.medications == ()
    assert profile.supplements == ()
    assert profile.medical_supervision is False


def test_json_text_validates_like_the_dict() -> None:
    assert Profile.model_validate_json(json.dumps(ISSUE_EXAMPLE)) == Profile.model_validate(
        ISSUE_EXAMPLE
    )


def test_dumped_form_is_valid_input_and_round_trips() -> None:
    profile = Profile.model_validate(ISSUE_EXAMPLE)
    dumped = profile.model_dump(mode="json")
    assert Profile.model_validate(dumped) == profile
    assert Profile.model_validate_json(json.dumps(dumped)) == profile


def test_profile_pickles() -> None:
    profile = Profile.model_validate(ISSUE_EXAMPLE)
    restored = pickle.loads(pickle.dumps(profile))
    assert restored == profile
    assert [s.mcg_per_day for s in restored.supplements] == [180, 180, 45_000, 50, 90]


def test_profile_is_immutable() -> None:
    profile = Profile.model_validate(ISSUE_EXAMPLE)
    with pytest.raises(pydantic.ValidationError):
        profile.medical_supervision = True  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError):
        profile.supplements[0].dose = "1 mg"  # type: ignore[misc]
    assert isinstance(profile.medications, tuple)


def test_keyword_construction_validates_too() -> None:
    profile = Profile(supplements=[{"ingredient": "mk7", "dose": "180 mcg"}])  # type: ignore[list-item]
    assert profile.supplements[0].mcg_per_day == Fraction(180)
    with pytest.raises(ProfileError, match="medication"):
        Profile(medication=["warfarin"])  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("given", "form"),
    [
        ("MK-7", Form.MK7),
        ("mk7", Form.MK7),
        ("MK7", Form.MK7),
        ("Menaquinone-7", Form.MK7),
        ("menaquinone 7", Form.MK7),
        ("MK-4", Form.MK4),
        ("mk_4", Form.MK4),
        ("Menatetrenone", Form.MK4),
        ("k2", Form.K2),
        ("Vitamin K2", Form.K2),
        ("menaquinone", Form.K2),
        ("K1", Form.K1),
        ("phylloquinone", Form.K1),
        ("Phytonadione", Form.K1),
        ("D3", Form.D3),
        ("vitamin d3", Form.D3),
        ("Cholecalciferol", Form.D3),
        ("colecalciferol", Form.D3),
        ("  MK-7  ", Form.MK7),
    ],
)
def test_ingredient_aliases(given: str, form: Form) -> None:
    profile = Profile.model_validate({"supplements": [{"ingredient": given, "dose": "1 mcg"}]})
    assert profile.supplements[0].ingredient is form
    assert profile.model_dump(mode="json")["supplements"][0]["ingredient"] == form.value


def test_goals_accept_hyphen_and_space_variants() -> None:
    profile = Profile.model_validate(
        {"goals": ["Reverse-Calcification", "arterial health", "BONE_HEALTH"]}
    )
    assert profile.goals == (Goal.REVERSE_CALCIFICATION, Goal.ARTERIAL_HEALTH, Goal.BONE_HEALTH)


# The largest daily dose: more is a slip of the number or the unit (issue 11, item 16).

LARGEST = knowledge().threshold("largest_daily_dose")


def test_the_largest_daily_dose_is_an_editorial_threshold_of_1_g_a_day() -> None:
    threshold = knowledge().thresholds["largest_daily_dose"]
    assert (threshold.value, threshold.unit, threshold.origin) == (10**6, "mcg/day", "editorial")
    assert "45 mg" in threshold.reason


@pytest.mark.parametrize(
    ("supplement", "written"),
    [
        ({"ingredient": "MK-7", "dose": "1e300 kg"}, "'1e300 kg'"),
        ({"ingredient": "MK-7", "dose": "180 g"}, "'180 g'"),
        ({"ingredient": "MK-7", "dose": "1.000001 g"}, "'1.000001 g'"),
        ({"ingredient": "MK-7", "dose": "1000001 mcg/day"}, "'1000001 mcg/day'"),
        ({"ingredient": "MK-4", "dose": " 7.000007 g ", "per": "week"}, "'7.000007 g' a week"),
        ({"ingredient": "MK-7", "dose": {"value": 1e300, "unit": "kg"}}, "'1e+300 kg'"),
        ({"ingredient": "MK-7", "dose": {"value": 2, "unit": "g"}}, "'2 g'"),
        ({"ingredient": "D3", "dose": "40000001 IU"}, "'40000001 IU'"),
    ],
)
def test_amounts_above_the_largest_daily_dose_are_refused(
    supplement: dict[str, Any], written: str
) -> None:
    with pytest.raises(ProfileError) as raised:
        Profile.model_validate({"supplements": [supplement]})
    assert raised.value.problems == (
        (
            "supplements[0].dose",
            f"{written} is more than 1000000 mcg (1 g) a day, the most k2safety accepts of one "
            "supplement and far more than any supplement or medicine; check the number and the "
            "unit",
        ),
    )
    with pytest.raises(ProfileError) as by_check:
        check({"supplements": [supplement]})
    assert by_check.value.problems == raised.value.problems


@pytest.mark.parametrize(
    ("supplement", "mcg_per_day"),
    [
        ({"ingredient": "MK-7", "dose": f"{LARGEST} mcg"}, LARGEST),
        ({"ingredient": "MK-7", "dose": f"{LARGEST / 1000} mg/day"}, LARGEST),
        ({"ingredient": "MK-4", "dose": f"{LARGEST * 7 / 1000} mg", "per": "week"}, LARGEST),
        ({"ingredient": "D3", "dose": f"{LARGEST * 40} IU"}, LARGEST),
        ({"ingredient": "MK-4", "dose": "45 mg"}, 45_000),  # the prescription dose in Japan
    ],
)
def test_the_largest_daily_dose_itself_is_accepted(
    supplement: dict[str, Any], mcg_per_day: Fraction
) -> None:
    profile = Profile.model_validate({"supplements": [supplement]})
    assert profile.supplements[0].mcg_per_day == mcg_per_day


def test_a_prefix_on_a_prefixed_unit_is_a_profile_error() -> None:
    with pytest.raises(ProfileError) as raised:
        check({"supplements": [{"ingredient": "MK-7", "dose": "100 kmcg"}]})
    ((path, problem),) = raised.value.problems
    assert path == "supplements[0].dose"
    assert "puts the prefix 'k' on 'mcg', which has a prefix already" in problem


# Numbers no JSON reader gives: numpy's, read as the numbers they are.


def test_numpy_numbers_are_accepted_and_dump_as_json_numbers() -> None:
    numpy = pytest.importorskip("numpy")
    given = {
        "supplements": [
            {"ingredient": "MK-7", "dose": {"value": numpy.int64(180), "unit": "mcg"}},
            {"ingredient": "MK-7", "dose": {"value": numpy.float64(0.09), "unit": "mg"}},
        ]
    }
    plain = {
        "supplements": [
            {"ingredient": "MK-7", "dose": {"value": 180, "unit": "mcg"}},
            {"ingredient": "MK-7", "dose": {"value": 0.09, "unit": "mg"}},
        ]
    }
    profile = Profile.model_validate(given)
    assert profile == Profile.model_validate(plain)
    assert [s.mcg_per_day for s in profile.supplements] == [180, 90]
    dumped = json.loads(profile.model_dump_json())
    assert dumped["supplements"][0]["dose"] == {"value": 180, "unit": "mcg"}
    assert check(given) == check(plain)


def test_a_numpy_float32_is_refused_saying_what_to_do() -> None:
    numpy = pytest.importorskip("numpy")
    dose = {"value": numpy.float32(0.1), "unit": "mg"}
    with pytest.raises(ProfileError) as raised:
        check({"supplements": [{"ingredient": "MK-7", "dose": dose}]})
    ((path, problem),) = raised.value.problems
    assert path == "supplements[0].dose"
    assert "got float32; convert it first" in problem


# Numbers too long for Python to print (issue 11, item 2): refused, naming the field.

TOO_LONG = "9" * 4301


def test_a_dose_value_too_long_to_print_is_refused_naming_the_field() -> None:
    dose = {"value": 10**4301 - 1, "unit": "mcg"}
    for validate in (check, Profile.model_validate):
        with pytest.raises(ProfileError) as raised:
            validate({"supplements": [{"ingredient": "MK-7", "dose": dose}]})  # type: ignore[operator]
        assert raised.value.problems == (
            (
                "supplements[0].dose",
                "'value' is out of range; write an ordinary amount such as 180",
            ),
        )
        str(raised.value)


def test_json_with_a_number_too_long_for_python_names_the_field() -> None:
    dose = f'{{"value": {TOO_LONG}, "unit": "mcg"}}'
    text = f'{{"supplements": [{{"ingredient": "MK-7", "dose": {dose}}}], "foods": [{TOO_LONG}]}}'
    with pytest.raises(ProfileError) as raised:
        Profile.model_validate_json(text)
    assert [path for path, _ in raised.value.problems] == [
        "supplements[0].dose.value",
        "foods[0]",
    ]
    assert "4,301 digits" in raised.value.problems[0][1]
    assert raised.value.__context__ is None  # see test_profile_error_pickles_under_tblib_...


def test_json_numbers_too_large_for_a_float_are_out_of_range() -> None:
    text = '{"supplements": [{"ingredient": "MK-7", "dose": {"value": 1e400, "unit": "mcg"}}]}'
    with pytest.raises(ProfileError) as raised:
        Profile.model_validate_json(text)
    ((path, problem),) = raised.value.problems
    assert path == "supplements[0].dose"
    assert problem.startswith("'value' is out of range")


def test_invalid_json_with_a_long_number_is_still_invalid_json() -> None:
    with pytest.raises(ProfileError, match="not valid JSON"):
        Profile.model_validate_json(f'{{"foods": [{TOO_LONG}, }}')


def test_atc_codes_are_ascii() -> None:
    for code in ("B\u0660\u0661AA\u0660\u0663", "\u0131\u0660\u0661", "\uff22\uff10\uff11"):
        with pytest.raises(ProfileError, match="not an ATC code"):
            Profile.model_validate({"medications": [{"atc": code}]})
    profile = Profile.model_validate({"medications": [{"atc": " b01aa03 "}]})
    assert profile.medications[0].atc == "B01AA03"


def test_d3_may_be_given_in_iu_and_is_stored_in_micrograms() -> None:
    profile = Profile.model_validate({"supplements": [{"ingredient": "D3", "dose": "1000 IU"}]})
    assert profile.supplements[0].mcg_per_day == 25


# Each rejected input, the field path the message must name, and a phrase it must contain.
REJECTED: list[tuple[Any, str, str]] = [
    ({"medication": ["warfarin"]}, "medication", "not a known field"),
    ({"medications": "warfarin"}, "medications", "must be a list"),
    ({"medications": [5]}, "medications[0]", "'name', 'atc' or 'rxnorm'"),
    ({"medications": [{}]}, "medications[0]", "at least one of"),
    ({"medications": [""]}, "medications[0].name", "non-empty text"),
    ({"medications": [{"name": "x", "dose": "5 mg"}]}, "medications[0].dose", "name, atc, rxnorm"),
    ({"medications": [{"atc": "warfarin"}]}, "medications[0].atc", "not an ATC code"),
    ({"medications": [{"rxnorm": 11289}]}, "medications[0].rxnorm", "digits"),
    ({"medications": [{"rxnorm": "RX11289"}]}, "medications[0].rxnorm", "not an RxNorm id"),
    ({"supplements": {"ingredient": "MK-7"}}, "supplements", "must be a list"),
    ({"supplements": [None]}, "supplements[0]", "must be an object"),
    ({"supplements": [{"ingredient": "MK-7"}]}, "supplements[0].dose", "required"),
    ({"supplements": [{"dose": "1 mg"}]}, "supplements[0].ingredient", "required"),
    (
        {"supplements": [{"ingredient": "K3", "dose": "1 mg"}]},
        "supplements[0].ingredient",
        "MK-7, MK-4, K2, K1, D3",
    ),
    ({"supplements": [{"ingredient": 7, "dose": "1 mg"}]}, "supplements[0].ingredient", "text"),
    ({"supplements": [{"ingredient": "MK-7", "dose": "180"}]}, "supplements[0].dose", "no unit"),
    ({"supplements": [{"ingredient": "MK-7", "dose": "mcg"}]}, "supplements[0].dose", "number"),
    ({"supplements": [{"ingredient": "MK-7", "dose": 180}]}, "supplements[0].dose", "'180 mcg'"),
    ({"supplements": [{"ingredient": "MK-7", "dose": True}]}, "supplements[0].dose", "'180 mcg'"),
    ({"supplements": [{"ingredient": "MK-7", "dose": ""}]}, "supplements[0].dose", "empty"),
    ({"supplements": [{"ingredient": "MK-7", "dose": "180 mL"}]}, "supplements[0].dose", "volume"),
    ({"supplements": [{"ingredient": "MK-7", "dose": "1,5 mg"}]}, "supplements[0].dose", "comma"),
    ({"supplements": [{"ingredient": "MK-7", "dose": "180 IU"}]}, "supplements[0].dose", "no int"),
    ({"supplements": [{"ingredient": "K1", "dose": "180 IU"}]}, "supplements[0].dose", "D3 only"),
    (
        {"supplements": [{"ingredient": "MK-7", "dose": "180 mcg/day", "per": "day"}]},
        "supplements[0].per",
        "already a rate",
    ),
    (
        {"supplements": [{"ingredient": "MK-7", "dose": "180 mcg", "per": "month"}]},
        "supplements[0].per",
        "'day' or 'week'",
    ),
    (
        {"supplements": [{"ingredient": "MK-7", "dose": {"value": "90", "unit": "ug"}}]},
        "supplements[0].dose",
        "must be a number",
    ),
    (
        {"supplements": [{"ingredient": "MK-7", "dose": {"value": 0, "unit": "ug"}}]},
        "supplements[0].dose",
        "more than zero",
    ),
    (
        {"supplements": [{"ingredient": "MK-7", "dose": {"value": 1e308, "unit": "g"}}]},
        "supplements[0].dose",
        "out of range",
    ),
    ({"foods": ["natto", ""]}, "foods[1]", "non-empty text"),
    ({"foods": "natto"}, "foods", "must be a list"),
    ({"goals": ["get_rich"]}, "goals[0]", "reverse_calcification"),
    ({"conditions": [None]}, "conditions[0]", "text"),
    ({"medical_supervision": "yes"}, "medical_supervision", "true or false"),
    ({"medical_supervision": 1}, "medical_supervision", "true or false"),
    ({"medications": ["x"] * 101}, "medications", "at most 100"),
    ({"conditions": ["x" * 201]}, "conditions[0]", "at most 200"),
    ({"medications": ["x" * 1001]}, "medications[0].name", "at most 1000 characters"),
    ({"medications": [{"name": "x" * 1001}]}, "medications[0].name", "at most 1000 characters"),
]


@pytest.mark.parametrize(("given", "path", "phrase"), REJECTED)
def test_rejections_name_the_field_and_what_is_accepted(given: Any, path: str, phrase: str) -> None:
    with pytest.raises(ProfileError) as raised:
        Profile.model_validate(given)
    paths = [problem_path for problem_path, _ in raised.value.problems]
    assert path in paths, raised.value
    assert phrase in dict(raised.value.problems)[path]
    assert path in str(raised.value)


@pytest.mark.parametrize("given", REJECTED, ids=lambda case: str(case)[:40])
def test_json_input_is_rejected_the_same_way(given: tuple[Any, str, str]) -> None:
    data, path, _ = given
    with pytest.raises(ProfileError) as raised:
        Profile.model_validate_json(json.dumps(data))
    assert path in str(raised.value)


@pytest.mark.parametrize("given", [None, [], "profile", 3, b"{}"])
def test_a_profile_must_be_an_object(given: Any) -> None:
    with pytest.raises(ProfileError, match="JSON object"):
        Profile.model_validate(given)


def test_invalid_json_text_is_a_profile_error() -> None:
    with pytest.raises(ProfileError, match="not valid JSON"):
        Profile.model_validate_json("{medications: [}")


def test_profile_error_is_a_value_error_and_lists_every_problem() -> None:
    with pytest.raises(ValueError, match="invalid profile") as raised:
        Profile.model_validate(
            {"medical_supervision": "no", "supplements": [{"ingredient": "MK-7", "dose": "9"}]}
        )
    assert isinstance(raised.value, ProfileError)
    assert {path for path, _ in raised.value.problems} == {
        "medical_supervision",
        "supplements[0].dose",
    }


def test_profile_error_pickles_with_its_problems() -> None:
    with pytest.raises(ProfileError) as raised:
        Profile.model_validate({"goals": ["x"]})
    restored = pickle.loads(pickle.dumps(raised.value))
    assert restored.problems == raised.value.problems
    assert str(restored) == str(raised.value)


def test_json_schema_describes_the_json_form() -> None:
    schema = Profile.model_json_schema()
    assert schema["additionalProperties"] is False
    assert set(schema["properties"]) == {
        "medications",
        "supplements",
        "foods",
        "goals",
        "conditions",
        "medical_supervision",
    }
    supplement = schema["$defs"]["Supplement"]["properties"]
    assert {"MK-7", "mk7", "menatetrenone", "D3", "cholecalciferol"} <= set(
        supplement["ingredient"]["examples"]
    )
    assert supplement["per"]["anyOf"][0]["enum"] == ["day", "week"]
    goals = schema["properties"]["goals"]["items"]
    assert goals["examples"] == [goal.value for goal in Goal]
    dose_object = schema["$defs"]["DoseObject"]
    assert [
        member["exclusiveMinimum"] for member in dose_object["properties"]["value"]["anyOf"]
    ] == [
        0,
        0,
    ]
    json.dumps(schema)


def test_profile_error_pickles_under_tblib_exception_reducers() -> None:
    # Dask installs tblib's reducers process-wide; they follow __context__, so a ProfileError
    # must not carry the pydantic error it replaced (which refers back to it).
    pickling_support = pytest.importorskip("tblib.pickling_support")
    pickling_support.install()
    with pytest.raises(ProfileError) as raised:
        Profile.model_validate({"goals": ["x"]})
    assert raised.value.__context__ is None
    assert pickle.loads(pickle.dumps(raised.value)).problems == raised.value.problems


# --- Issue 13: names as labels print them, products with servings ----------------------------

LABEL_NAMES = [
    ("Vitamin K2 (as menaquinone-7)", "MK-7"),
    ("Vitamin K2 (as MK-7) (from natto)", "MK-7"),
    ("Vitamin K (as MenaQ7\u00ae Menaquinone-7)", "MK-7"),
    ("Vitamin K-2", "K2"),
    ("K2-7", "MK-7"),
    ("MenaQ7", "MK-7"),
    ("MK\u20117", "MK-7"),
    ("mk\u20137", "MK-7"),
    ("MK\u20147", "MK-7"),
    ("Vitamin K2\u2122 (MK-4)", "MK-4"),
    ("Vitamin K2 (as menatetrenone)", "MK-4"),
    ("Vitamin K1 (as phytonadione)", "K1"),
    ("Vitamin K (as phylloquinone)", "K1"),
    ("Vitamin D3 (as cholecalciferol)", "D3"),
    ("Vitamin D (as cholecalciferol (D3))", "D3"),
    ("Vitamin K", "K"),
    ("VITAMIN K", "K"),
    ("Vitamin D", "D"),
    ("Vitamin D2 (as ergocalciferol)", "D2"),
    ("ergocalciferol", "D2"),
]


@pytest.mark.parametrize(("name", "form"), LABEL_NAMES)
def test_ingredient_names_as_labels_print_them(name: str, form: str) -> None:
    profile = Profile.model_validate({"supplements": [{"ingredient": name, "dose": "100 mcg"}]})
    assert profile.supplements[0].ingredient.value == form  # type: ignore[union-attr]
    report = k2safety.check({"supplements": [{"ingredient": name, "dose": "100 mcg"}]})
    assert list(report.profile.mcg_per_day) == [Form(form)]


@pytest.mark.parametrize(
    "name",
    [
        "Vitamin K1 (as MK-7)",
        "Vitamin D3 (as ergocalciferol)",
        "Vitamin K3",
        "Vitamin K2 (as MK-7",
        "(as MK-7)",
        "Vitamin K2 (as)",
        "Calcium (as calcium carbonate)",
    ],
)
def test_other_names_are_refused_listing_what_is_accepted(name: str) -> None:
    with pytest.raises(ProfileError) as caught:
        Profile.model_validate({"supplements": [{"ingredient": name, "dose": "100 mcg"}]})
    ((path, message),) = caught.value.problems
    assert path == "supplements[0].ingredient"
    assert "MK-7, MK-4, K2, K1, D3, K, D2, D" in message


def test_iu_is_accepted_for_every_form_of_vitamin_d_and_kept_apart() -> None:
    report = k2safety.check(
        {
            "supplements": [
                {"ingredient": "Vitamin D", "dose": "400 IU"},
                {"ingredient": "Vitamin D2", "dose": "800 IU"},
                {"ingredient": "Vitamin D3", "dose": "1000 IU"},
            ]
        }
    )
    assert report.profile.mcg_per_day == {
        Form.D3: Fraction(25),
        Form.D2: Fraction(20),
        Form.D: Fraction(10),
    }


def test_vitamin_d2_does_not_count_as_d3_for_the_pairing() -> None:
    report = k2safety.check(
        {
            "supplements": [
                {"ingredient": "MK-7", "dose": "100 mcg"},
                {"ingredient": "D2", "dose": "10 mcg"},
            ]
        }
    )
    assert "K2-D3-PAIRING" in report.codes


PRODUCT = {
    "product": "K2 + D3 softgels",
    "servings_per_day": 2,
    "per_serving": [
        {"ingredient": "Vitamin K2 (as menaquinone-7)", "amount": "100 mcg"},
        {"ingredient": "Vitamin D3 (as cholecalciferol)", "amount": {"value": 50, "unit": "mcg"}},
        {"ingredient": "Calcium (as calcium carbonate)", "amount": "200 mg"},
    ],
}


def test_a_product_is_read_per_serving_times_servings() -> None:
    report = k2safety.check({"supplements": [PRODUCT]})
    assert report.profile.mcg_per_day == {Form.MK7: Fraction(200), Form.D3: Fraction(100)}
    assert report.profile.mcg_per_day_min == {}
    assert report.profile.products == ("K2 + D3 softgels",)
    assert report.profile.other_ingredients == (
        "Calcium (as calcium carbonate) (K2 + D3 softgels)",
    )
    assert Profile.model_validate({"supplements": [PRODUCT]}).model_dump(mode="json")[
        "supplements"
    ] == [{**PRODUCT, "label_id": None}]


@pytest.mark.parametrize(
    ("amount", "servings", "most", "least", "codes_absent"),
    [
        ("45 mcg", 2, 90, None, {"K2-MK7-DOSE-LOW", "K2-MK7-DOSE-HIGH"}),
        ("120 mcg", {"min": 1, "max": 3}, 360, 120, {"K2-MK7-DOSE-LOW", "K2-MK7-DOSE-HIGH"}),
        ("0.045 mg", 2.0, 90, None, {"K2-MK7-DOSE-LOW"}),
        ("30 mcg", {"min": 1.5, "max": 12}, 360, 45, {"K2-MK7-DOSE-HIGH"}),
    ],
)
def test_servings_are_exact_at_the_ends_of_the_range(
    amount: str, servings: object, most: int, least: int | None, codes_absent: set[str]
) -> None:
    product = {
        "product": "MK-7",
        "servings_per_day": servings,
        "per_serving": [{"ingredient": "MK-7", "amount": amount}],
    }
    report = k2safety.check({"supplements": [product]})
    assert report.profile.mcg_per_day == {Form.MK7: Fraction(most)}
    assert report.profile.mcg_per_day_min == ({} if least is None else {Form.MK7: Fraction(least)})
    assert not codes_absent & set(report.codes)


def test_a_range_of_servings_is_stated_in_the_findings() -> None:
    product = {
        "product": "MK-7 caps",
        "servings_per_day": {"min": 1, "max": 3},
        "per_serving": [{"ingredient": "MK-7", "amount": "150 mcg"}],
    }
    report = k2safety.check({"supplements": [product]})
    high = next(f for f in report.findings if f.code == "K2-MK7-DOSE-HIGH")
    assert "as much as 450 (150 to 450 by servings)" in high.message
    assert high.triggers[0].value == "MK-7 150-450 mcg/day"


def test_a_vitamin_k_with_no_stated_amount_still_fires_the_anticoagulant_rules() -> None:
    product = {
        "product": "Blend",
        "servings_per_day": 1,
        "per_serving": [{"ingredient": "Vitamin K2 (as MK-7)", "amount": None}],
    }
    report = k2safety.check({"medications": ["apixaban"], "supplements": [product]})
    assert {"K2-ANTICOAGULANT", "K2-DOSE-NOT-STATED"} <= set(report.codes)
    assert report.profile.dose_not_stated == (Form.MK7,)
    assert report.profile.mcg_per_day == {}


@pytest.mark.parametrize(
    ("product", "path", "fragment"),
    [
        ({"servings_per_day": 0}, "supplements[0].servings_per_day", "more than 0"),
        (
            {"servings_per_day": {"min": 3, "max": 1}},
            "supplements[0].servings_per_day",
            "more than 'max'",
        ),
        ({"servings_per_day": True}, "supplements[0].servings_per_day", "number"),
        ({"per_serving": []}, "supplements[0].per_serving", ""),
        (
            {"per_serving": [{"ingredient": "Vitamin K3", "amount": "1 mg"}]},
            "supplements[0].per_serving[0].ingredient",
            "not a known ingredient",
        ),
        (
            {"per_serving": [{"ingredient": "MK-7", "amount": "100 mcg/day"}]},
            "supplements[0].per_serving[0].amount",
            "a row gives the amount in one serving",
        ),
        (
            {"per_serving": [{"ingredient": "MK-7", "amount": "2 softgels"}]},
            "supplements[0].per_serving[0].amount",
            "strength is needed",
        ),
        (
            {"per_serving": [{"ingredient": "MK-7", "amount": "1 g"}], "servings_per_day": 2},
            "supplements[0].per_serving[0].amount",
            "servings a day make more than",
        ),
        ({"colour": "red"}, "supplements[0].colour", "not a known field"),
    ],
)
def test_a_bad_product_names_the_field(product: dict[str, Any], path: str, fragment: str) -> None:
    given = {
        "product": "P",
        "servings_per_day": 1,
        "per_serving": [{"ingredient": "MK-7", "amount": "90 mcg"}],
        **product,
    }
    with pytest.raises(ProfileError) as caught:
        k2safety.check({"supplements": [given]})
    paths = dict(caught.value.problems)
    assert path in paths, caught.value.problems
    assert fragment in paths[path]


def test_json_text_with_a_key_given_twice_is_refused_naming_it() -> None:
    text = '{"medications": ["warfarin"], "medications": []}'
    with pytest.raises(ProfileError) as refused:
        Profile.model_validate_json(text)
    assert refused.value.problems == (
        ("medications", "is given 2 times; a field may be given only once"),
    )
