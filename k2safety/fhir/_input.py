"""Finds the resources in what a caller hands in: a Bundle, a list, NDJSON lines, a CDS Hooks body.

Everything is plain JSON (dicts, lists, text, numbers) or text of it. Each resource found is kept
with where it was (``entry[3].resource``, ``line 4``, ``prefetch.item2.entry[0].resource``), its
position among all resources found, and the ``fullUrl`` of its bundle entry, by which other
entries may refer to it. Bundles inside bundles, lists or requests are opened; resources
contained in other resources are not listed here (their container refers to them by ``#id``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from k2safety._errors import ProfileError, json_type
from k2safety._json import loads_refusing_duplicates

__all__ = ["Found", "Input", "gather"]


@dataclass(slots=True)
class Found:
    """One resource of the input, and where it was."""

    resource: Mapping[str, Any]
    location: str
    index: int
    full_url: str | None


@dataclass(slots=True)
class Input:
    """Every resource found, in the order of the input, and what a CDS Hooks request says."""

    resources: list[Found] = field(default_factory=list)
    cds_hooks: bool = False
    """Whether the input is a CDS Hooks request, which is about one patient by definition."""
    cds_patient: str | None = None
    """The request's ``context.patientId`` (or its ``patient``), if it names one."""


def gather(data: object) -> Input:
    """The resources in ``data``; raises :class:`ProfileError` for input of no known shape."""
    found = Input()
    if isinstance(data, str | bytes | bytearray):
        _text(data, found)
    elif isinstance(data, Mapping):
        _document(data, "", found)
    elif isinstance(data, Iterable):
        _items(data, found)
    else:
        raise _shape_error(data)
    return found


def _shape_error(data: object) -> ProfileError:
    return ProfileError(
        [
            (
                "(input)",
                "FHIR input must be a Bundle, a resource, a list of resources, lines of NDJSON "
                f"or a CDS Hooks request, got {json_type(data)}",
            )
        ]
    )


def _text(text: str | bytes | bytearray, found: Input) -> None:
    """JSON text: one document, else NDJSON (one resource a line)."""
    document = _parse(text, "")
    if document is _SEVERAL:
        _items(text.splitlines(), found)
    elif isinstance(document, list):
        _items(document, found)
    elif isinstance(document, dict):
        _document(document, "", found)
    else:
        raise _shape_error(document)


_SEVERAL = object()
"""What :func:`_parse` gives for text of several documents, as NDJSON is."""


def _parse(text: str | bytes | bytearray, location: str) -> object:
    """One JSON document (at ``location``, or the whole input when it is empty)."""
    # Each ProfileError is raised after the except block, so that it carries no __context__.
    problem: ProfileError
    try:
        return loads_refusing_duplicates(text)
    except json.JSONDecodeError as error:
        if not location and error.msg == "Extra data":
            return _SEVERAL
        problem = _not_json(error, location)
    except ProfileError as error:
        where = f"{location}: " if location else ""
        problem = ProfileError([(f"{where}{path}", why) for path, why in error.problems])
    except RecursionError:
        problem = ProfileError([(location or "(input)", "is nested too deeply to read")])
    raise problem


def _not_json(error: json.JSONDecodeError, location: str) -> ProfileError:
    where = f"line {error.lineno}, column {error.colno}"
    return ProfileError([(location or "(input)", f"is not JSON: {error.msg} ({where})")])


_TEXT = (str, bytes, bytearray)
"""For isinstance() on every item: a tuple of types is checked faster than a union."""


def _items(items: Iterable[object], found: Input) -> None:
    """A list of resources or of NDJSON lines (text), or a mix."""
    for number, item in enumerate(items):
        if isinstance(item, _TEXT):
            location = f"line {number + 1}"
            if not item.strip():
                continue
            item = _parse(item, location)
        else:
            location = f"[{number}]"
        if not isinstance(item, dict):
            raise ProfileError(
                [(location, f"must be a FHIR resource (an object), got {json_type(item)}")]
            )
        _document(item, location, found)


def _document(document: Mapping[str, Any], location: str, found: Input) -> None:
    if "resourceType" in document:
        _resource(document, location, None, found)
    elif "hook" in document or "context" in document or "prefetch" in document:
        _cds_hooks(document, location, found)
    else:
        where = location or "(input)"
        raise ProfileError(
            [(where, "has no resourceType: not a FHIR resource, Bundle or CDS Hooks request")]
        )


def _resource(
    resource: Mapping[str, Any], location: str, full_url: str | None, found: Input
) -> None:
    kind = resource.get("resourceType")
    if not isinstance(kind, str):
        raise ProfileError(
            [(_join(location, "resourceType"), f"must be text, got {json_type(kind)}")]
        )
    if kind == "Bundle":
        _bundle(resource, location, found)
        return
    found.resources.append(Found(resource, location, len(found.resources), full_url))


def _bundle(bundle: Mapping[str, Any], location: str, found: Input) -> None:
    entries = bundle.get("entry", [])
    where = _join(location, "entry")
    if not isinstance(entries, list):
        raise ProfileError([(where, f"must be a list, got {json_type(entries)}")])
    for number, entry in enumerate(entries):
        at = f"{where}[{number}]"
        if not isinstance(entry, dict):
            raise ProfileError([(at, f"must be an object, got {json_type(entry)}")])
        if "resourceType" in entry:
            # Early CDS Hooks drafts put resources straight into entry, without "resource".
            _resource(entry, at, None, found)
            continue
        resource = entry.get("resource")
        if resource is None:
            continue  # e.g. a transaction's DELETE
        if not isinstance(resource, dict):
            raise ProfileError(
                [(f"{at}.resource", f"must be an object, got {json_type(resource)}")]
            )
        full_url = entry.get("fullUrl")
        if full_url is not None and not isinstance(full_url, str):
            raise ProfileError([(f"{at}.fullUrl", f"must be text, got {json_type(full_url)}")])
        _resource(resource, f"{at}.resource", full_url, found)


def _cds_hooks(request: Mapping[str, Any], location: str, found: Input) -> None:
    """Resources wherever a CDS Hooks request puts them.

    ``context.draftOrders`` (order-select, order-sign), ``context.medications`` (STU3
    medication-prescribe), the ``prefetch`` items, and, as some requests do, prefetch items
    inside ``context`` or beside ``context.prefetch``. A prefetch item is a resource, a Bundle,
    or ``{"response": ..., "resource": ...}`` as in CDS Hooks 1.0 drafts.
    """
    found.cds_hooks = True
    context = request.get("context", {})
    if not isinstance(context, dict):
        raise ProfileError(
            [(_join(location, "context"), f"must be an object, got {json_type(context)}")]
        )
    patient = context.get("patientId", request.get("patient"))
    if patient is not None and not isinstance(patient, str):
        raise ProfileError(
            [(_join(location, "context.patientId"), f"must be text, got {json_type(patient)}")]
        )
    found.cds_patient = patient
    for name, value in context.items():
        where = _join(location, f"context.{name}")
        if name == "prefetch" and isinstance(value, dict) and "resourceType" not in value:
            _prefetch(value, where, found)
        else:
            _item(value, where, found)
    prefetch = request.get("prefetch", {})
    if prefetch is not None:
        if not isinstance(prefetch, dict):
            raise ProfileError(
                [(_join(location, "prefetch"), f"must be an object, got {json_type(prefetch)}")]
            )
        _prefetch(prefetch, _join(location, "prefetch"), found)


def _prefetch(items: Mapping[str, Any], location: str, found: Input) -> None:
    for name, value in items.items():
        _item(value, f"{location}.{name}", found)


def _item(value: object, location: str, found: Input) -> None:
    """A value of a request's context or prefetch: a resource, a Bundle, a wrapped one, or else
    something that is not FHIR (an id, a list of selections), which is not ours to read."""
    if isinstance(value, list):  # early drafts: context.medications as a list of resources
        for number, item in enumerate(value):
            _item(item, f"{location}[{number}]", found)
        return
    if not isinstance(value, dict):
        return
    if "resourceType" in value:
        _resource(value, location, None, found)
    elif isinstance(value.get("resource"), dict):
        _item(value["resource"], f"{location}.resource", found)


def _join(location: str, name: str) -> str:
    return f"{location}.{name}" if location else name
