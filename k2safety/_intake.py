"""Validating a profile from its JSON form, quickly when its entries have been seen before.

People share medications and products, so a screening service validates "warfarin 5 mg" and
``{"ingredient": "MK-7", "dose": "180 mcg"}`` thousands of times. Here each entry is validated
by pydantic once, through :meth:`Profile.model_validate` on a profile holding only that entry,
and the result is remembered by the entry's exact value and types. A profile whose entries are
all remembered is assembled from them without validating again.

Anything unusual (a field name that is not plain text, a list that is too long, a type other
than list or tuple, a value that is not plain JSON, an entry that failed) goes to
:meth:`Profile.model_validate` whole, so every error is the one pydantic reports and the fast
path never decides what is valid.
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
        if type(field) is not str:
            return None
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
                entries.append(_validated(field, _key(entry)))
            except (_Unusual, _Invalid):
                return None
        values[field] = tuple(entries)
    profile = construct(Profile, **values)
    object.__setattr__(profile, "__pydantic_fields_set__", set(data))
    return profile


class _Invalid(Exception):
    """The entry is invalid: validate the profile in full, which says why."""


# The key keeps each value's exact type: 1, 1.0 and True are equal in Python, yet not equally
# valid (a dose value must be a number, not a boolean). Keys are tuples and text stays text, so
# a key always reads back as the entry it came from. Only small entries are remembered (valid
# ones only): a cache of long texts or huge numbers would be memory held for whoever sent them.
def _key(value: object) -> object:
    if type(value) is str:
        if len(value) <= _MOST_TEXT:
            return value
        raise _Unusual
    key, text = _sized_key(value, depth=0)
    if text > _MOST_TEXT:
        raise _Unusual
    return key


def _sized_key(value: object, depth: int) -> tuple[object, int]:
    """The key of ``value``, and how many characters of text it holds."""
    if value is None:
        return None, 0
    if type(value) is str:
        return value, len(value)
    if type(value) is dict and depth < 2 and len(value) <= _MOST_KEYS:
        items = []
        text = 0
        for name, item in value.items():
            if type(name) is not str:
                raise _Unusual
            key, item_text = _sized_key(item, depth + 1)
            items.append((name, key))
            text += len(name) + item_text
        return ("dict", tuple(items)), text
    if type(value) is int and -_LARGEST_INT < value < _LARGEST_INT:
        return ("int", value), 0
    if type(value) is float or type(value) is bool:
        return (type(value).__name__, value), 0
    raise _Unusual


_MOST_TEXT = 512
_MOST_KEYS = 8
_LARGEST_INT = 2**64


def _entry(key: object) -> object:
    if type(key) is not tuple:
        return key
    kind, content = key
    if kind == "dict":
        return {name: _entry(item) for name, item in content}
    return content


@lru_cache(maxsize=8192)
def _validated(field: str, key: object) -> object:
    """The entry validated as pydantic validates it inside a profile; raises _Invalid if not."""
    try:
        profile = Profile.model_validate({field: [_entry(key)]})
    except ProfileError:
        raise _Invalid from None
    validated: tuple[object, ...] = getattr(profile, field)
    return validated[0]
