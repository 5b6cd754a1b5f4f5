"""Validating a profile from its JSON form, quickly when its entries have been seen before.

People share medications and products, so a screening service validates "warfarin 5 mg" and
``{"ingredient": "MK-7", "dose": "180 mcg"}`` thousands of times. Here each entry is validated
by pydantic once, through :meth:`Profile.model_validate` on a profile holding only that entry,
and the result is remembered by the entry's exact value and types. A profile whose entries are
all remembered is assembled from them without validating again.

Anything unusual (a list that is too long, a type other than list or tuple, a value that is not
plain JSON, an entry that failed) goes to :meth:`Profile.model_validate` whole, so every error
is the one pydantic reports and the fast path never decides what is valid.
tests/test_intake.py holds the two paths to equal results.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from k2safety._construct import construct
from k2safety._errors import ProfileError
from k2safety._profile import MAX_ENTRIES, Goal, Profile

__all__ = ["profile_from"]

_LIST_FIELDS = {
    "medications": MAX_ENTRIES,
    "supplements": MAX_ENTRIES,
    "foods": MAX_ENTRIES,
    "goals": len(Goal),
    "conditions": MAX_ENTRIES,
}
_DEFAULTS: dict[str, object] = {name: field.default for name, field in Profile.model_fields.items()}
_SEQUENCES = (list, tuple)


class _Unusual(Exception):
    """The entry is not plain JSON of exact built-in types: validate the profile in full."""


def profile_from(profile: Profile | Mapping[str, Any]) -> Profile:
    """``profile`` itself if validated already, else validated (raises :class:`ProfileError`)."""
    if isinstance(profile, Profile):
        return profile
    if type(profile) is dict:
        assembled = _from_known_entries(profile)
        if assembled is not None:
            return assembled
    return Profile.model_validate(profile)


def _from_known_entries(data: dict[Any, Any]) -> Profile | None:
    values = dict(_DEFAULTS)
    for field, raw in data.items():
        limit = _LIST_FIELDS.get(field)
        if limit is None:
            if field != "medical_supervision" or type(raw) is not bool:
                return None
            values[field] = raw
            continue
        if type(raw) not in _SEQUENCES or len(raw) > limit:
            return None
        entries = []
        for entry in raw:
            try:
                validated = _validated(field, _key(entry))
            except _Unusual:
                return None
            if validated is None:
                return None
            entries.append(validated)
        values[field] = tuple(entries)
    profile = construct(Profile, **values)
    object.__setattr__(profile, "__pydantic_fields_set__", set(data))
    return profile


# The key keeps each value's exact type: 1, 1.0 and True are equal in Python, yet not equally
# valid (a dose value must be a number, not a boolean). Keys are tuples and text stays text, so
# a key always reads back as the entry it came from. Only small entries are remembered: a cache
# of huge texts or numbers would be memory held for whoever sent them.
def _key(value: object, depth: int = 0) -> object:
    if value is None or (type(value) is str and len(value) <= _LONGEST_TEXT):
        return value
    if type(value) is dict and depth < 2 and len(value) <= _MOST_KEYS:
        if all(type(name) is str and len(name) <= _LONGEST_TEXT for name in value):
            return ("dict", tuple((name, _key(item, depth + 1)) for name, item in value.items()))
    elif type(value) is int and -_LARGEST_INT < value < _LARGEST_INT:
        return ("int", value)
    elif type(value) is float or type(value) is bool:
        return (type(value).__name__, value)
    raise _Unusual


_LONGEST_TEXT = 256
_MOST_KEYS = 8
_LARGEST_INT = 2**64


def _entry(key: object) -> object:
    if type(key) is not tuple:
        return key
    kind, content = key
    if kind == "dict":
        return {name: _entry(item) for name, item in content}
    return content


@lru_cache(maxsize=16384)
def _validated(field: str, key: object) -> object | None:
    """The entry validated as pydantic validates it inside a profile; ``None`` if invalid."""
    try:
        profile = Profile.model_validate({field: [_entry(key)]})
    except ProfileError:
        return None
    validated: tuple[object, ...] = getattr(profile, field)
    return validated[0]
