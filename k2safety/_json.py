"""JSON text to Python values, refusing what :func:`json.loads` would silently lose or crash on.

``json.loads`` keeps the last of two equal keys in an object and drops the first without a
word: ``{"medications": ["warfarin"], "medications": []}`` reads as no medications at all. It
also raises a bare ``ValueError`` for a whole number longer than Python converts from text
(:func:`sys.get_int_max_str_digits`, 4,300 digits by default). :func:`loads_refusing_duplicates`
reads JSON as ``json.loads`` does, but turns both into a :class:`ProfileError` naming the field.

The common case costs one reading: only text with a problem is read a second time, to find where
the problem is.
"""

from __future__ import annotations

import json
from typing import Any

from k2safety._errors import FieldProblem, ProfileError

__all__ = ["loads_refusing_duplicates"]


class _Lossy(Exception):
    """The first reading met a duplicated key or a number too long: read again to say where."""


def loads_refusing_duplicates(text: str | bytes | bytearray) -> object:
    """``json.loads(text)``, except that an object with a key given twice, or a whole number
    with more digits than Python reads, raises :class:`ProfileError` naming each such field.

    Text that is not JSON raises :class:`json.JSONDecodeError` as ``json.loads`` does, and
    nesting deeper than Python's recursion limit raises :class:`RecursionError`.

    >>> loads_refusing_duplicates('{"medications": ["warfarin"], "age": 40}')
    {'medications': ['warfarin'], 'age': 40}
    >>> loads_refusing_duplicates('{"medications": ["warfarin"], "medications": []}')
    Traceback (most recent call last):
    ...
    k2safety._errors.ProfileError: invalid profile: medications: is given 2 times; a field may be given only once
    >>> loads_refusing_duplicates('{"supplements": [{"dose": "1 mg", "dose": "2 mg"}]}')
    Traceback (most recent call last):
    ...
    k2safety._errors.ProfileError: invalid profile: supplements[0].dose: is given 2 times; a field may be given only once
    """  # noqa: E501
    # json.loads(text, **hooks), without building a decoder for each call (a third of the cost
    # of a short line): the same checks of the text, then the one decoder made below.
    if isinstance(text, str):
        if text.startswith("\ufeff"):
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        decoded = text
    elif isinstance(text, bytes | bytearray):
        decoded = text.decode(json.detect_encoding(text), "surrogatepass")
    else:
        return json.loads(text)  # raises json.loads's own TypeError
    try:
        return _DECODER.decode(decoded)
    except _Lossy:
        pass
    found = json.loads(text, object_pairs_hook=_Pairs, parse_int=_NumberText.read)
    raise ProfileError(_problems(found))


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # A plain dict, as json.loads gives: check() reads plain dicts fastest.
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise _Lossy
    return obj


def _whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:  # more digits than sys.get_int_max_str_digits()
        raise _Lossy from None


_DECODER = json.JSONDecoder(object_pairs_hook=_unique, parse_int=_whole_number)


class _Pairs(list[tuple[str, Any]]):
    """An object as all its key-value pairs, equal keys included (the second reading)."""


class _NumberText:
    """A whole number as it was given (the second reading): too long to read, or fine."""

    def __init__(self, text: str) -> None:
        self.digits = len(text.lstrip("-"))
        self.readable = True
        try:
            int(text)
        except ValueError:
            self.readable = False

    @classmethod
    def read(cls, text: str) -> _NumberText:
        return cls(text)


def _problems(document: object) -> list[FieldProblem]:
    """Each duplicated key and each number too long, by path, in the order of the text."""
    import sys

    problems: list[FieldProblem] = []
    # Depth first, without recursion: the text may nest as deep as json.loads allows.
    stack: list[tuple[str, object]] = [("", document)]
    while stack:
        path, value = stack.pop()
        children: list[tuple[str, object]] = []
        if isinstance(value, _Pairs):
            counts: dict[str, int] = {}
            for key, _ in value:
                counts[key] = counts.get(key, 0) + 1
            for key, count in counts.items():
                if count > 1:
                    where = f"{path}.{key}" if path else key
                    problems.append(
                        (where, f"is given {count} times; a field may be given only once")
                    )
            children = [(f"{path}.{key}" if path else key, item) for key, item in value]
        elif isinstance(value, list):
            children = [(f"{path}[{index}]", item) for index, item in enumerate(value)]
        elif isinstance(value, _NumberText) and not value.readable:
            limit = sys.get_int_max_str_digits()
            problems.append(
                (
                    path,
                    f"is a number with {value.digits:,} digits; at most {limit:,} digits are "
                    "accepted",
                )
            )
        stack.extend(reversed(children))
    return problems
