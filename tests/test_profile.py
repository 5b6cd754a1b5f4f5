"""Profile validation: what is accepted, what is refused, and how the refusal reads."""

from __future__ import annotations

import json
import pickle
from fractions import Fraction
from typing import Any

import pydantic
import pytest

from k2safety import Profile, ProfileError
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
        supplement["ingredient"]["enum"]
    )
    assert supplement["per"]["anyOf"][0]["enum"] == ["day", "week"]
    assert schema["$defs"]["Goal"]["enum"] == [goal.value for goal in Goal]
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
