"""Turns pydantic's validation errors into one :class:`ProfileError` a person can act on."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from k2safety._errors import ProfileError, json_type

__all__ = ["describe", "profile_error"]

_FIELDS_BY_PARENT = {
    "": "medications, supplements, foods, goals, conditions, medical_supervision",
    "medications": "name, atc, rxnorm",
    "supplements": "ingredient, dose, per (or, for a product: product, servings_per_day, "
    "per_serving, label_id)",
    "per_serving": "ingredient, amount",
    "servings_per_day": "min, max",
    "dose": "value, unit",
}

_LIST_FIELDS = {"medications", "supplements", "foods", "goals", "conditions"}


def profile_error(error: ValidationError) -> ProfileError:
    """One ``ProfileError`` listing every problem in ``error`` by field path."""
    problems: dict[str, str] = {}
    for detail in error.errors(include_url=False):
        raised = (detail.get("ctx") or {}).get("error")
        if isinstance(raised, ProfileError):
            # Profile.__init__ runs inside pydantic's validation and has already explained.
            return raised
        path, parent = _path(detail)
        problems.setdefault(path, _explain(detail, path, parent))
    return ProfileError(list(problems.items()))


def _path(detail: ErrorDetails) -> tuple[str, str]:
    path = ""
    parent = ""
    parts = [part for part in detail["loc"] if not _is_tag(part)]
    context: dict[str, Any] = dict(detail.get("ctx") or {})
    if "field" in context:
        parts.append(str(context["field"]))
    for index, part in enumerate(parts):
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
            if index < len(parts) - 1:
                parent = str(part)
    return path, parent


def _is_tag(part: int | str) -> bool:
    # Union members and validator wrappers show up in pydantic's locations; a person needs
    # only the field names and list positions.
    return isinstance(part, str) and (
        part in {"str", "DoseObject", "Medication", "Supplement", "Product"} or "[" in part
    )


def _explain(detail: ErrorDetails, path: str, parent: str) -> str:
    kind = detail["type"]
    given = detail.get("input")
    field = path.rsplit(".", 1)[-1].split("[")[0]
    if kind == "k2_invalid":
        return str(detail["msg"])
    if kind == "extra_forbidden":
        accepted = _FIELDS_BY_PARENT.get(parent, "")
        hint = f"; accepted fields here: {accepted}" if accepted else ""
        return f"{describe(field)} is not a known field{hint}"
    if kind == "missing":
        return "is required"
    if kind in {"tuple_type", "list_type"}:
        return f"must be a list, got {json_type(given)}"
    if kind == "bool_type":
        return f"must be true or false, got {json_type(given)}"
    if kind == "string_type":
        return f"must be non-empty text, got {json_type(given)}"
    if kind == "string_too_short":
        return "must be non-empty text, got an empty string"
    if kind == "string_too_long":
        longest = detail.get("ctx", {}).get("max_length")
        return f"is too long; at most {longest} characters are accepted"
    if kind == "too_long":
        return (
            f"has too many entries; at most {detail.get('ctx', {}).get('max_length')} are accepted"
        )
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        return f"must be an object, got {json_type(given)}"
    if kind == "literal_error":
        return f"must be one of {detail.get('ctx', {}).get('expected')}, got {describe(given)}"
    if kind == "json_invalid":
        return f"is not valid JSON: {detail.get('ctx', {}).get('error')}"
    if field in _LIST_FIELDS:
        return f"must be a list: {detail['msg']}"
    return str(detail["msg"])


def describe(value: object) -> str:
    """A short, safe description of a rejected value: text quoted and cut short, else its type.

    Never ``repr()`` of the whole value: a list nested thousands deep would recurse without end.

    >>> describe("x" * 100)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'"
    >>> describe([[[]]])
    'a list'
    """
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:38] + "...")
    return json_type(value)
