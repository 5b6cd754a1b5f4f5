"""Only ProfileError ever escapes check(): whatever the input, a report or a clear refusal.

Three kinds of input: arbitrary JSON-like values (anywhere, and in the places a profile has
fields), valid profiles with one value replaced by something hostile (wrong type, huge,
negative, NaN or infinite number, unusual unicode, deep nesting, long list), and hand-picked
extremes (very deep nesting at every position, very long lists in every field).

The suite found five bugs in the core this way (a RecursionError from repr() of deeply nested
values, an OverflowError formatting huge totals, a TypeError for keys that are not text, an error
message from Python's integer-to-text limit, and report order depending on input order); each
has a regression test below or in test_invariants.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from hostile_values import (
    JSON,
    deeply_nested,
    hostile,
    json_values,
    paths,
    profile_like,
    replaced,
)
from hypothesis import given, settings
from hypothesis import strategies as st

import k2safety
from k2safety import ProfileError, Report
from k2safety import strategies as k2st

EXAMPLES = settings.default.max_examples
FIELDS = ("medications", "supplements", "foods", "goals", "conditions", "medical_supervision")


def screen(value: object) -> None:
    """check(value) returns a report or raises ProfileError, and nothing else escapes."""
    refused: ProfileError | None = None
    try:
        report = k2safety.check(value)  # type: ignore[arg-type]
    except ProfileError as error:
        refused = error
    if refused is not None:
        assert refused.problems
        assert all(isinstance(path, str) and text for path, text in refused.problems)
        assert str(refused).startswith("invalid profile")
    else:
        assert isinstance(report, Report)


@given(json_values)
def test_arbitrary_json_values_are_screened_or_refused(value: object) -> None:
    screen(value)


@given(profile_like)
def test_json_values_in_profile_fields_are_screened_or_refused(value: JSON) -> None:
    screen(value)


# --- Valid profiles with one hostile value ------------------------------------------------------


@given(k2st.profiles(max_medications=5, max_supplements=5), st.data())
def test_valid_profiles_with_one_hostile_value_are_screened_or_refused(
    profile: JSON, data: st.DataObject
) -> None:
    path = data.draw(st.sampled_from(paths(profile)), label="path")
    mutated = replaced(profile, path, data.draw(hostile, label="new value"))
    screen(mutated)


@given(k2st.profiles(), st.sampled_from((*FIELDS, "medication", "dose")), hostile)
def test_hostile_values_in_any_field_are_screened_or_refused(
    profile: JSON, field: str, value: object
) -> None:
    screen({**profile, field: value})


@pytest.mark.parametrize("key", [0, None, ("medications",)])
def test_a_mapping_with_a_key_that_is_not_text_is_refused(key: object) -> None:
    with pytest.raises(ProfileError):
        k2safety.check({key: None})  # type: ignore[dict-item]


# --- Extremes at every position ----------------------------------------------------------------

DEEP = deeply_nested(5000)
DEEP_POSITIONS: dict[str, JSON | list[Any]] = {
    "the profile itself": DEEP,
    "an unknown field": {"notes": DEEP},
    "medications": {"medications": DEEP},
    "medications[0]": {"medications": [DEEP]},
    "medications[0].name": {"medications": [{"name": DEEP}]},
    "medications[0].atc": {"medications": [{"atc": DEEP}]},
    "medications[0].rxnorm": {"medications": [{"rxnorm": DEEP}]},
    "supplements[0]": {"supplements": [DEEP]},
    "supplements[0].ingredient": {"supplements": [{"ingredient": DEEP, "dose": "1 mcg"}]},
    "supplements[0].dose": {"supplements": [{"ingredient": "MK-7", "dose": DEEP}]},
    "supplements[0].dose.value": {
        "supplements": [{"ingredient": "MK-7", "dose": {"value": DEEP, "unit": "mcg"}}]
    },
    "supplements[0].dose.unit": {
        "supplements": [{"ingredient": "MK-7", "dose": {"value": 1, "unit": DEEP}}]
    },
    "supplements[0].per": {"supplements": [{"ingredient": "MK-7", "dose": "1 mcg", "per": DEEP}]},
    "foods[0]": {"foods": [DEEP]},
    "goals[0]": {"goals": [DEEP]},
    "conditions[0]": {"conditions": [DEEP]},
    "medical_supervision": {"medical_supervision": DEEP},
}


@pytest.mark.parametrize("position", DEEP_POSITIONS)
def test_deep_nesting_is_refused(position: str) -> None:
    with pytest.raises(ProfileError):
        k2safety.check(DEEP_POSITIONS[position])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("field", "entry"),
    [
        ("medications", "warfarin"),
        ("medications", {"atc": "B01AA03"}),
        ("supplements", {"ingredient": "MK-7", "dose": "90 mcg"}),
        ("foods", "natto"),
        ("goals", "bone_health"),
        ("conditions", "osteoporosis"),
    ],
)
def test_very_long_lists_are_refused_naming_the_field(field: str, entry: object) -> None:
    with pytest.raises(ProfileError) as refused:
        k2safety.check({field: [entry] * 100_000})
    assert refused.value.problems[0][0] == field
    assert "too many entries" in refused.value.problems[0][1]


@pytest.mark.parametrize("form", ["MK-7", "MK-4", "K2"])
def test_absurdly_large_doses_are_refused_naming_the_dose(form: str) -> None:
    with pytest.raises(ProfileError) as refused:
        k2safety.check({"supplements": [{"ingredient": form, "dose": "1e300 kg/(3 day)"}]})
    assert refused.value.problems[0][0] == "supplements[0].dose"


@pytest.mark.parametrize("form", ["MK-7", "MK-4", "K2"])
def test_the_largest_daily_dose_is_screened(form: str) -> None:
    report = k2safety.check({"supplements": [{"ingredient": form, "dose": "3 g/(3 day)"}]})
    assert report.findings


def test_a_number_too_long_to_read_is_refused_as_out_of_range() -> None:
    dose = {"value": 10**5000, "unit": "mcg"}
    with pytest.raises(ProfileError) as refused:
        k2safety.check({"supplements": [{"ingredient": "MK-7", "dose": dose}]})
    assert "out of range" in str(refused.value)
    assert "sys.set_int_max_str_digits" not in str(refused.value)
