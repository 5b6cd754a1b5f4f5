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
from k2safety.fhir._reading import Note

__all__ = ["MAX_NESTING", "Found", "Gap", "Input", "gather"]

MAX_NESTING = 64
"""How deep bundles, CDS Hooks wrappers and lists may nest in one another; deeper input is
refused as JSON text nested too deeply to parse is, never with a RecursionError."""


@dataclass(slots=True)
class Found:
    """One resource of the input, and where it was."""

    resource: Mapping[str, Any]
    location: str
    index: int
    full_url: str | None


@dataclass(slots=True)
class Gap:
    """Medications the input shows it does not hold: a failed prefetch, a search cut short.

    ``place`` is the OperationOutcome, Bundle or request wrapper that shows it, as a note names
    it: its type, id, position and location. A Bundle or a wrapper is not among the resources:
    its position is the one its first resource takes, or would take. ``what`` says what is
    missing in the input's own words (a prefetch key, a resource type, an issue code),
    ``plain`` the same without them (for when those words name a medicine), and ``note`` says it
    at length.
    """

    place: Note
    what: str
    plain: str


@dataclass(slots=True)
class Input:
    """Every resource found, in the order of the input, and what a CDS Hooks request says."""

    resources: list[Found] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    """What the input shows it does not hold."""
    notes: list[Note] = field(default_factory=list)
    """What was skipped or only noted: a bundle entry without a resource, a search's outcome
    that is only information."""
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
        _resource(document, location, None, found, 0)
        if not location and document["resourceType"] == "OperationOutcome":
            _failed(found.resources[-1], "the input", "the input", found)
    elif "hook" in document or "context" in document or "prefetch" in document:
        _cds_hooks(document, location, found)
    else:
        where = location or "(input)"
        raise ProfileError(
            [(where, "has no resourceType: not a FHIR resource, Bundle or CDS Hooks request")]
        )


def _resource(
    resource: Mapping[str, Any], location: str, full_url: str | None, found: Input, depth: int
) -> str:
    """Adds the resource (or a Bundle's) to ``found``; gives its type."""
    kind = resource.get("resourceType")
    if not isinstance(kind, str):
        raise ProfileError(
            [(_join(location, "resourceType"), f"must be text, got {json_type(kind)}")]
        )
    if kind == "Bundle":
        _bundle(resource, location, found, depth + 1)
        return kind
    found.resources.append(Found(resource, location, len(found.resources), full_url))
    return kind


def _too_deep(location: str) -> ProfileError:
    return ProfileError([(location or "(input)", "is nested too deeply to read")])


def _bundle(bundle: Mapping[str, Any], location: str, found: Input, depth: int) -> None:
    if depth > MAX_NESTING:
        raise _too_deep(location)
    entries = bundle.get("entry", [])
    where = _join(location, "entry")
    if not isinstance(entries, list):
        raise ProfileError([(where, f"must be a list, got {json_type(entries)}")])
    first = len(found.resources)
    search = bundle.get("type") == "searchset"
    answers = bundle.get("type") in ("batch-response", "transaction-response")
    resource: Mapping[str, Any] | None
    for number, entry in enumerate(entries):
        at = f"{where}[{number}]"
        if not isinstance(entry, dict):
            raise ProfileError([(at, f"must be an object, got {json_type(entry)}")])
        if answers and _failed_response(entry, at, found):
            continue
        if "resourceType" in entry:
            # Early CDS Hooks drafts put resources straight into entry, without "resource".
            resource = entry
            at_resource = at
            full_url = None
        else:
            resource = entry.get("resource")
            if resource is None:  # e.g. a transaction's DELETE
                found.notes.append(_no_resource(bundle, location, entry, at, len(found.resources)))
                continue
            if not isinstance(resource, dict):
                raise ProfileError(
                    [(f"{at}.resource", f"must be an object, got {json_type(resource)}")]
                )
            full_url = entry.get("fullUrl")
            if full_url is not None and not isinstance(full_url, str):
                raise ProfileError([(f"{at}.fullUrl", f"must be text, got {json_type(full_url)}")])
            at_resource = f"{at}.resource"
        kind = _resource(resource, at_resource, full_url, found, depth)
        if kind == "OperationOutcome" and (search or _search_mode(entry) == "outcome"):
            _outcome_entry(found.resources[-1], location, found)
    if "total" in bundle or "link" in bundle:
        _cut_short(bundle, location, entries, first, found)


def _note(resource: Mapping[str, Any], location: str, index: int, text: str) -> Note:
    """A note about ``resource``, which need not be among the resources found (a Bundle)."""
    kind, given = resource.get("resourceType"), resource.get("id")
    return Note(
        kind if isinstance(kind, str) else "(not a resource)",
        given if isinstance(given, str) else None,
        index,
        location,
        text,
    )


def _failed_response(entry: Mapping[str, Any], at: str, found: Input) -> bool:
    """Whether an entry of a batch's or transaction's response failed (its status is not 2xx):
    then what it answered, which may be a patient's medications, is a gap."""
    answer = _response_status(entry)
    if answer is None or answer[0]:
        return False
    _gap(entry, at, found, f"failed ({answer[1]})", "failed")
    return True


def _response_status(value: object) -> tuple[bool, str] | None:
    """Of a value with a ``response`` object (a request's wrapped item, a response Bundle's
    entry): whether its status is a success (2xx), and the status as a note shows it."""
    response = value.get("response") if isinstance(value, dict) else None
    if not isinstance(response, dict):
        return None
    status = response.get("status")
    shown = str(status) if isinstance(status, str | int) else "no status"
    return shown.strip().startswith("2"), shown if len(shown) <= 60 else f"{shown[:60]}…"


def _no_resource(
    bundle: Mapping[str, Any], location: str, entry: Mapping[str, Any], at: str, index: int
) -> Note:
    request = entry.get("request")
    method = request.get("method") if isinstance(request, dict) else None
    doing = f" (a {method} request)" if isinstance(method, str) and len(method) <= 10 else ""
    return _note(bundle, location, index, f"{at} holds no resource{doing}: skipped")


def _search_mode(entry: Mapping[str, Any]) -> object:
    search = entry.get("search")
    return search.get("mode") if isinstance(search, dict) else None


def _issues(outcome: Mapping[str, Any]) -> tuple[list[str], list[str], str | None]:
    """An OperationOutcome's issue codes, severities and first diagnostics, as far as readable."""
    codes: list[str] = []
    severities: list[str] = []
    diagnostics: str | None = None
    issues = outcome.get("issue")
    for issue in issues if isinstance(issues, list) else ():
        if not isinstance(issue, dict):
            continue
        code, severity, text = issue.get("code"), issue.get("severity"), issue.get("diagnostics")
        if isinstance(code, str) and code.strip() and code not in codes:
            codes.append(code.strip())
        severities.append(severity if isinstance(severity, str) else "")
        if diagnostics is None and isinstance(text, str) and text.strip():
            diagnostics = text.strip()
    return codes, severities, diagnostics


def _said(codes: list[str], diagnostics: str | None) -> str:
    """What an OperationOutcome says, for a note: its codes and its first diagnostics."""
    said = f" ({', '.join(codes[:5])})" if codes else ""
    if diagnostics is not None:
        cut = diagnostics if len(diagnostics) <= 200 else f"{diagnostics[:200]}…"
        said += f": {cut!r}"
    return said


def _failed(outcome: Found, what: str, plain: str, found: Input) -> None:
    """An OperationOutcome where data was expected (a failed prefetch, or the whole input)."""
    codes, _, diagnostics = _issues(outcome.resource)
    code = f" ({codes[0]})" if codes else ""
    note = (
        f"{what} is an OperationOutcome{_said(codes, diagnostics)}, not the data asked for: "
        "the medications it stands for are not read"
    )
    found.gaps.append(
        Gap(
            _note(outcome.resource, outcome.location, outcome.index, note),
            f"{what} is an OperationOutcome{code}",
            f"{plain} is an OperationOutcome",
        )
    )


def _outcome_entry(outcome: Found, location: str, found: Input) -> None:
    """An OperationOutcome among a search's entries: the search had a problem, unless every
    issue is only information."""
    codes, severities, diagnostics = _issues(outcome.resource)
    said = _said(codes, diagnostics)
    if severities and all(severity == "information" for severity in severities):
        text = f"the search reports{said} as information only"
        found.notes.append(_note(outcome.resource, outcome.location, outcome.index, text))
        return
    bundle = f"the bundle at {location}" if location else "the bundle"
    code = f" ({codes[0]})" if codes else ""
    note = (
        f"{bundle} is a search that reports a problem{said}: its medications may not all be there"
    )
    found.gaps.append(
        Gap(
            _note(outcome.resource, outcome.location, outcome.index, note),
            f"{bundle} reports a problem with its search{code}",
            "a search bundle reports a problem with its search",
        )
    )


def _cut_short(
    bundle: Mapping[str, Any],
    location: str,
    entries: list[Any],
    first: int,
    found: Input,
) -> None:
    """A search Bundle that shows it holds less than its search found: a ``total`` above the
    matches it holds, or a ``next`` page."""
    links = bundle.get("link")
    if links is not None and not isinstance(links, list):
        raise ProfileError([(_join(location, "link"), f"must be a list, got {json_type(links)}")])
    following = next(
        (
            link.get("url")
            for link in links or ()
            if isinstance(link, dict)
            and isinstance(link.get("relation"), str)
            and link["relation"].strip().casefold() == "next"  # relations ignore case
        ),
        False,
    )
    total = bundle.get("total")
    if total is not None and (type(total) is not int or total < 0):
        raise ProfileError(
            [
                (
                    _join(location, "total"),
                    f"must be a whole number of matches, got {json_type(total)}",
                )
            ]
        )
    missing = matches = 0
    kinds: set[object] = set()
    if total:
        for entry in entries:
            mode = _search_mode(entry)
            resource = entry.get("resource", entry) if isinstance(entry, dict) else None
            if mode in ("include", "outcome") or (
                mode != "match" and isinstance(resource, dict)
                and resource.get("resourceType") in ("Medication", "Substance")
            ):  # fmt: skip
                continue  # what an order refers to, included beside the matches
            matches += 1
            resource = entry.get("resource", entry)
            kinds.add(resource.get("resourceType") if isinstance(resource, dict) else None)
        missing = total - matches
    if missing <= 0 and following is False:
        return
    bundle_is = f"the bundle at {location}" if location else "the bundle"
    kind = next(iter(kinds)) if len(kinds) == 1 else None
    if missing > 0:
        if isinstance(kind, str):
            what = f"{missing} more {kind}{'s' if missing > 1 else ''} than {bundle_is} holds"
        else:
            what = f"{missing} more search matches than {bundle_is} holds"
        plain = f"{missing} more search matches than a bundle holds"
        note = f"{bundle_is} is a search of total {total}; it holds {matches} of them"
        if following is not False:
            note += ", and links to a next page"
    else:
        what = f"{bundle_is} has a next page of search results"
        plain = "a search bundle has a next page of search results"
        note = f"{bundle_is} is one page of a search and links to the next"
    if isinstance(following, str) and len(following) <= 200:
        note += f" ({following!r})"
    note += ": the medications not in it are not read"
    found.gaps.append(Gap(_note(bundle, location, first, note), what, plain))


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
            _item(value, where, found, 0)
    prefetch = request.get("prefetch", {})
    if prefetch is not None:
        if not isinstance(prefetch, dict):
            raise ProfileError(
                [(_join(location, "prefetch"), f"must be an object, got {json_type(prefetch)}")]
            )
        _prefetch(prefetch, _join(location, "prefetch"), found)


def _prefetch(items: Mapping[str, Any], location: str, found: Input) -> None:
    for name, value in items.items():
        if value is not None:  # null: the client has no such data
            _item(value, f"{location}.{name}", found, 0, fhir_only=True)


def _item(
    value: object, location: str, found: Input, depth: int, *, fhir_only: bool = False
) -> None:
    """A value of a request's context or prefetch: a resource, a Bundle, a wrapped one, a list
    of them, or else something that is not FHIR. In the context that is an id or a list of
    selections, not ours to read; a prefetch value (``fhir_only``) must be FHIR data, so anything
    else there is a gap: the medications it stands for are unknown.

    An OperationOutcome there is a prefetch that failed (CDS Hooks sends one in place of the
    data it could not get), as is a wrapped item whose ``response.status`` is not a success.
    A wrapper that answered with entries of its own instead of a resource (as the HL7 PDDI
    guide's examples do) has those entries read."""
    if depth > MAX_NESTING:
        raise _too_deep(location)
    if isinstance(value, list):  # early drafts: context.medications as a list of resources
        for number, item in enumerate(value):
            _item(item, f"{location}[{number}]", found, depth + 1, fhir_only=fhir_only)
        return
    if isinstance(value, dict) and "resourceType" in value:
        _resource(value, location, None, found, depth)
        if value["resourceType"] == "OperationOutcome":
            _failed(found.resources[-1], location, "an item of the request", found)
        return
    answer = _response_status(value)
    if answer is not None and not answer[0]:
        _gap(value, location, found, f"failed ({answer[1]})", "failed")
    elif isinstance(value, dict) and isinstance(value.get("resource"), dict):
        _item(value["resource"], f"{location}.resource", found, depth + 1, fhir_only=True)
    elif answer is not None and isinstance(value, dict) and value.get("entry"):
        entries = value["entry"]
        for number, entry in enumerate(entries if isinstance(entries, list) else [entries]):
            held = entry.get("resource", entry) if isinstance(entry, dict) else entry
            _item(held, f"{location}.entry[{number}]", found, depth + 1, fhir_only=True)
    elif answer is not None:
        _gap(value, location, found, f"holds no resource ({answer[1]})", "holds no resource")
    elif fhir_only:
        _gap(value, location, found, "is not a FHIR resource", "is not a FHIR resource")


def _gap(value: object, location: str, found: Input, what: str, plain: str) -> None:
    """An item of the request whose medications are not read: listed, with a note."""
    note = f"{location} {what}: the medications it stands for are not read"
    place = value if isinstance(value, Mapping) else {}
    found.gaps.append(
        Gap(
            _note(place, location, len(found.resources), note),
            f"{location} {what}",
            f"an item of the request {plain}",
        )
    )


def _join(location: str, name: str) -> str:
    return f"{location}.{name}" if location else name
