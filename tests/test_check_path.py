"""check() reads plain JSON itself and leaves everything else to pydantic: both give one answer.

The reader (k2safety._reader) and the pydantic Profile decide what an entry means through the
same functions; these tests hold the two ways in to the same report, or the same ProfileError,
on valid, arbitrary and hostile input, and on look-alikes that are equal in Python but not
equally valid.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

import pytest
from hostile_values import JSON, hostile, paths, profile_like, replaced
from hypothesis import given
from hypothesis import strategies as st

from k2safety import Profile, ProfileError, check
from k2safety import strategies as k2st
from k2safety._reader import NotPlain, entries_of_json


def by_check(value: object) -> tuple[str, object]:
    try:
        report = check(value)  # type: ignore[arg-type]
    except ProfileError as error:
        return "refused", error.problems
    return "valid", report.model_dump(mode="json")


def by_pydantic(value: object) -> tuple[str, object]:
    try:
        profile = Profile.model_validate(value)
    except ProfileError as error:
        return "refused", error.problems
    return "valid", check(profile).model_dump(mode="json")


def assert_one_answer(value: object) -> None:
    assert by_check(value) == by_pydantic(value)


@given(k2st.profiles(max_medications=5, max_supplements=5, max_products=2))
def test_valid_profiles_are_read_without_pydantic_and_alike(profile: JSON) -> None:
    entries_of_json(profile)  # the plain reader takes it: no NotPlain
    assert_one_answer(profile)


@given(profile_like)
def test_arbitrary_values_in_profile_fields_give_one_answer(value: JSON) -> None:
    assert_one_answer(value)


@given(k2st.profiles(max_medications=3, max_supplements=3, max_products=1), st.data())
def test_profiles_with_one_hostile_value_give_one_answer(
    profile: JSON, data: st.DataObject
) -> None:
    path = data.draw(st.sampled_from(paths(profile)), label="path")
    assert_one_answer(replaced(profile, path, data.draw(hostile, label="new value")))


MK7 = {"ingredient": "MK-7", "dose": "90 mcg"}


class Text(str):
    pass


class LooksLikeMedications:
    """A key that hashes and compares like 'medications' but is not text."""

    def __hash__(self) -> int:
        return hash("medications")

    def __eq__(self, other: object) -> bool:
        return other == "medications"


@pytest.mark.parametrize(
    "value",
    [
        # Equal in Python, not equally valid.
        {"supplements": [{"ingredient": "MK-7", "dose": {"value": 1, "unit": "mg"}}]},
        {"supplements": [{"ingredient": "MK-7", "dose": {"value": True, "unit": "mg"}}]},
        {"supplements": [{"ingredient": "MK-7", "dose": {"value": 1.0, "unit": "mg"}}]},
        {"medical_supervision": True},
        {"medical_supervision": 1},
        {"medical_supervision": "true"},
        {"medications": [{"rxnorm": "11289"}]},
        {"medications": [{"rxnorm": 11289}]},
        {"medications": [{"atc": 1}]},
        {"medications": [Text("warfarin")]},
        {Text("medications"): ["warfarin"]},
        {LooksLikeMedications(): ["warfarin"]},
        # Shapes only pydantic reads, and the limits.
        {"medications": ("warfarin",)},
        {"medications": {"warfarin"}},
        {"supplements": [MK7] * 100},
        {"supplements": [MK7] * 101},
        {"goals": ["bone_health"] * 4},
        {"goals": ["bone_health"] * 5},
        {"foods": ["  natto  "]},
        {"foods": ["\u2003natto"]},
        {"foods": ["natto\x1f"]},
        {"foods": ["x" * 201]},
        {"conditions": ["x" * 200]},
        {"notes": "extra field"},
        {"supplements": [{**MK7, "extra": 1}]},
        {"supplements": [{"ingredient": "MK-7"}]},
        {"supplements": [{**MK7, "per": "month"}]},
        {"medications": [{"name": "warfarin", "atc": None}]},
        {"medications": [{}]},
        {"supplements": [{"ingredient": "MK-7", "dose": {"value": 2**70, "unit": "ng"}}]},
        {"supplements": [{"ingredient": "MK-7", "dose": {"value": 90, "unit": "x" * 33}}]},
        MappingProxyType({"medications": ["warfarin"]}),
        ["not", "a", "profile"],
    ],
)
def test_lookalike_entries_give_one_answer(value: Any) -> None:
    assert_one_answer(value)


@pytest.mark.parametrize(
    "value",
    [{"medications": {"warfarin"}}, {Text("medications"): []}, [], {"foods": [" " * 3]}],
)
def test_the_reader_leaves_what_is_not_plain_json_to_pydantic(value: Any) -> None:
    with pytest.raises(NotPlain):
        entries_of_json(value)


def test_a_validated_profile_is_screened_as_it_is() -> None:
    profile = Profile.model_validate({"medications": ["warfarin"], "supplements": [MK7]})
    assert check(profile) == check({"medications": ["warfarin"], "supplements": [MK7]})
