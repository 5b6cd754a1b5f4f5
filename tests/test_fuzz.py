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

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import k2safety
from k2safety import ProfileError, Report
from k2safety import strategies as k2st

JSON = dict[str, Any]
EXAMPLES = settings.default.max_examples
FIELDS = ("medications", "supplements", "foods", "goals", "conditions", "medical_supervision")

numbers = st.one_of(
    st.integers(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(),  # NaN, infinities, subnormals, -0.0, 1e308
    st.sampled_from((2**63, -(2**63) - 1, 1e308, 5e-324)),
    # More digits than Python turns into text by default.
    st.integers(4300, 4400).map(lambda digits: 10**digits),
)
texts = st.one_of(
    st.text(),
    st.text(st.characters(codec="utf-8"), max_size=300),
    st.sampled_from(
        (
            "",
            " ",
            "\x00",
            "\u200b",
            "\U0001d7cf\U0001d7d6\U0001d7ce \u338d",  # bold digits 180, the square µg sign
            "\u0661\u0668\u0660 mcg",  # Arabic-Indic digits 180
            "\uff2d\uff2b\uff0d\uff17",  # fullwidth MK-7
            "B01AA03",
            "11289",
        )
    ),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, texts)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5), st.dictionaries(texts, children, max_size=5)
    ),
    max_leaves=25,
)


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


supplement_like = st.fixed_dictionaries(
    {},
    optional={
        "ingredient": st.one_of(json_values, st.sampled_from(("MK-7", "d3", "k2", "mk 4"))),
        "dose": st.one_of(
            json_values,
            st.fixed_dictionaries({}, optional={"value": json_values, "unit": json_values}),
            st.builds(
                lambda n, u: f"{n} {u}",
                st.one_of(st.integers(), st.floats()),
                st.sampled_from(("mcg", "mg", "IU", "")),
            ),
        ),
        "per": st.one_of(json_values, st.sampled_from(("day", "week"))),
    },
)
medication_like = st.one_of(
    texts,
    st.fixed_dictionaries({}, optional={"name": json_values, "atc": texts, "rxnorm": json_values}),
)
profile_like = st.fixed_dictionaries(
    {},
    optional={
        "medications": st.one_of(json_values, st.lists(medication_like, max_size=4)),
        "supplements": st.one_of(json_values, st.lists(supplement_like, max_size=4)),
        "foods": st.one_of(json_values, st.lists(texts, max_size=4)),
        "goals": st.one_of(json_values, st.lists(st.one_of(texts, json_values), max_size=5)),
        "conditions": st.one_of(json_values, st.lists(texts, max_size=4)),
        "medical_supervision": json_values,
    },
)


@given(profile_like)
def test_json_values_in_profile_fields_are_screened_or_refused(value: JSON) -> None:
    screen(value)


# --- Valid profiles with one hostile value ------------------------------------------------------


def _deeply_nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


hostile = st.one_of(
    json_values,
    numbers,
    st.sampled_from((math.nan, math.inf, -math.inf, -1, 0, -0.0, 10**1000, 1e308, -1e308)),
    texts,
    st.integers(1, 60).map(_deeply_nested),
    st.builds(lambda v, n: [v] * n, scalars, st.integers(90, 130)),
)


def _paths(value: object, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*path, index))
    return found


def _replaced(value: Any, path: tuple[Any, ...], new: object) -> Any:
    if not path:
        return new
    head, *rest = path
    if isinstance(value, dict):
        return {**value, head: _replaced(value[head], tuple(rest), new)}
    copied = list(value)
    copied[head] = _replaced(copied[head], tuple(rest), new)
    return copied


@given(k2st.profiles(max_medications=5, max_supplements=5), st.data())
def test_valid_profiles_with_one_hostile_value_are_screened_or_refused(
    profile: JSON, data: st.DataObject
) -> None:
    path = data.draw(st.sampled_from(_paths(profile)), label="path")
    mutated = _replaced(profile, path, data.draw(hostile, label="new value"))
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

DEEP = _deeply_nested(5000)
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
def test_absurdly_large_doses_are_screened(form: str) -> None:
    report = k2safety.check({"supplements": [{"ingredient": form, "dose": "1e300 kg/(3 day)"}]})
    assert report.findings


def test_a_number_too_long_to_read_is_refused_as_out_of_range() -> None:
    dose = {"value": 10**5000, "unit": "mcg"}
    with pytest.raises(ProfileError) as refused:
        k2safety.check({"supplements": [{"ingredient": "MK-7", "dose": dose}]})
    assert "out of range" in str(refused.value)
    assert "sys.set_int_max_str_digits" not in str(refused.value)
