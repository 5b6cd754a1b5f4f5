"""Hostile and arbitrary JSON-like values, shared by the fuzz suites."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import strategies as st

JSON = dict[str, Any]

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


def deeply_nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


hostile = st.one_of(
    json_values,
    numbers,
    st.sampled_from((math.nan, math.inf, -math.inf, -1, 0, -0.0, 10**1000, 1e308, -1e308)),
    texts,
    st.integers(1, 60).map(deeply_nested),
    st.builds(lambda v, n: [v] * n, scalars, st.integers(90, 130)),
)


def paths(value: object, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += paths(child, (*path, index))
    return found


def replaced(value: Any, path: tuple[Any, ...], new: object) -> Any:
    if not path:
        return new
    head, *rest = path
    if isinstance(value, dict):
        return {**value, head: replaced(value[head], tuple(rest), new)}
    copied = list(value)
    copied[head] = replaced(copied[head], tuple(rest), new)
    return copied
