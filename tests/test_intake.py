"""Validation from remembered entries gives exactly what full validation gives, or defers to it."""

from __future__ import annotations

from typing import Any

import pytest
from hostile_values import JSON, hostile, paths, profile_like, replaced
from hypothesis import given
from hypothesis import strategies as st

from k2safety import Profile, ProfileError
from k2safety import strategies as k2st
from k2safety._intake import _from_known_entries, _validated, profile_from


def outcome(validate: Any, value: object) -> tuple[str, object]:
    try:
        profile = validate(value)
    except ProfileError as error:
        return "refused", error.problems
    return "valid", (profile, profile.model_fields_set, profile.model_dump(mode="json"))


def assert_same_as_full_validation(value: object) -> None:
    full = outcome(Profile.model_validate, value)
    assert outcome(profile_from, value) == full
    assert outcome(profile_from, value) == full  # again, now from remembered entries


@given(k2st.profiles(max_medications=5, max_supplements=5))
def test_valid_profiles_validate_alike(profile: JSON) -> None:
    assert_same_as_full_validation(profile)
    assert _from_known_entries(profile) is not None  # the fast path did take it


@given(profile_like)
def test_arbitrary_values_in_profile_fields_validate_alike(value: JSON) -> None:
    assert_same_as_full_validation(value)


@given(k2st.profiles(max_medications=3, max_supplements=3), st.data())
def test_profiles_with_one_hostile_value_validate_alike(profile: JSON, data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(paths(profile)), label="path")
    assert_same_as_full_validation(replaced(profile, path, data.draw(hostile, label="new value")))


MK7 = {"ingredient": "MK-7", "dose": "90 mcg"}


@pytest.mark.parametrize(
    "value",
    [
        # Equal in Python, not equally valid: the remembered entry must not stand in for these.
        {"supplements": [{"ingredient": "MK-7", "dose": {"value": 1, "unit": "mg"}}]},
        {"supplements": [{"ingredient": "MK-7", "dose": {"value": True, "unit": "mg"}}]},
        {"supplements": [{"ingredient": "MK-7", "dose": {"value": 1.0, "unit": "mg"}}]},
        {"medical_supervision": True},
        {"medical_supervision": 1},
        {"medical_supervision": "true"},
        {"medications": [{"rxnorm": "11289"}]},
        {"medications": [{"rxnorm": 11289}]},
        # Shapes the fast path leaves to full validation.
        {"medications": ("warfarin",)},
        {"medications": {"warfarin"}},
        {"supplements": [MK7] * 100},
        {"supplements": [MK7] * 101},
        {"goals": ["bone_health"] * 4},
        {"goals": ["bone_health"] * 5},
        {"foods": ["  natto  "]},
        {"foods": ["x" * 201]},
        {"conditions": ["x" * 200]},
        {"notes": "extra field"},
        {"supplements": [{**MK7, "extra": 1}]},
        {"medications": [{"name": "warfarin", "atc": None}]},
        {"supplements": [{"ingredient": "MK-7", "dose": {"value": 2**70, "unit": "ng"}}]},
    ],
)
def test_lookalike_entries_validate_alike(value: JSON) -> None:
    assert_same_as_full_validation(value)


def test_a_text_subclass_is_validated_in_full() -> None:
    value = {"medications": [Text("warfarin")]}
    assert _from_known_entries(value) is None
    assert_same_as_full_validation(value)


def test_a_mapping_that_is_not_a_dict_is_validated_in_full() -> None:
    from types import MappingProxyType

    assert_same_as_full_validation(MappingProxyType({"medications": ["warfarin"]}))


def test_only_small_entries_are_remembered() -> None:
    _validated.cache_clear()
    profile_from({"conditions": ["a" * 200], "medications": [{"name": "n" * 200}]})
    assert _validated.cache_info().currsize == 2
    for huge in (
        {"conditions": ["a" * 100_000]},
        {"supplements": [{"ingredient": "MK-7", "dose": {"value": 10**400, "unit": "ng"}}]},
    ):
        with pytest.raises(ProfileError):
            profile_from(huge)
    assert _validated.cache_info().currsize == 2


def test_invalid_entries_are_not_remembered() -> None:
    _validated.cache_clear()
    for _ in range(3):
        with pytest.raises(ProfileError):
            profile_from({"medications": [{"name": "warfarin", "junk": "x" * 200}]})
    assert _validated.cache_info().currsize == 0


class LooksLikeMedications:
    """A key that hashes and compares like 'medications' but is not text."""

    def __hash__(self) -> int:
        return hash("medications")

    def __eq__(self, other: object) -> bool:
        return other == "medications"


class Text(str):
    pass


@pytest.mark.parametrize("key", [LooksLikeMedications(), Text("medications")])
def test_field_names_that_are_not_plain_text_are_validated_in_full(key: object) -> None:
    value = {key: ["warfarin"]}
    assert _from_known_entries(value) is None
    assert_same_as_full_validation(value)


def test_entries_are_shared_between_profiles() -> None:
    first = profile_from({"supplements": [MK7], "medications": ["warfarin"]})
    second = profile_from({"supplements": [dict(MK7)], "medications": ["warfarin"]})
    assert first.supplements[0] is second.supplements[0]
    assert first.medications[0] is second.medications[0]


def test_a_profile_is_returned_as_it_is() -> None:
    profile = Profile.model_validate({"medications": ["warfarin"]})
    assert profile_from(profile) is profile
