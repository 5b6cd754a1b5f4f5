"""read_fhir(): the patient's medication resources, each counted or set aside, into one profile.

The steps: find the resources (``_input``); choose the patient by the resources' ``subject``;
decide for each of the patient's medication resources whether it counts as taken (its status,
by resource type); read what it names (``_concepts``); a vitamin K or D3 product with a stated
dose (``_vitamins``, ``_dosage``) becomes a supplement, anything else a medication; the same
entry from several resources (an order and its dispenses) is kept once. The profile is then
validated as any profile is, by :meth:`Profile.model_validate`.

No silent pass: a resource that counts as taken but names no medication k2safety can read (only
a SNOMED CT or NDC code, a reference to nothing, nothing at all) becomes a medication entry named
by what it does say (``SNOMED CT 372756006``), which nothing matches, so that it is reported as
not recognized; so does each gap the input shows (a failed prefetch, a search cut short:
``medications not read: …``). An entry's name is checked not to match any medicine or vitamin
(an id or a URL could spell one); one that would is replaced by a plain one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from k2safety._errors import FieldProblem, ProfileError, json_type
from k2safety._knowledge import knowledge
from k2safety._matching import match_medication
from k2safety._profile import MAX_ENTRIES, MAX_TEXT, Profile, forms_in_text
from k2safety._terms import Form
from k2safety.fhir._concepts import Bad, Product, Source, code_label, field_path, product_of
from k2safety.fhir._dosage import daily_dose, dose_text
from k2safety.fhir._input import Found, Gap, gather
from k2safety.fhir._reading import FhirReading, Note, SetAside
from k2safety.fhir._references import Resolver, choose_patient
from k2safety.fhir._vitamins import forms_named

__all__ = ["MEDICATION_RESOURCES", "read_fhir"]

MEDICATION_RESOURCES = frozenset(
    {"MedicationRequest", "MedicationStatement", "MedicationDispense", "MedicationAdministration"}
)
_ORDERS = frozenset({"MedicationRequest", "MedicationStatement"})

# Issue 14's rule. Orders and statements count unless they are over or void; dispenses and
# administrations are events, evidence of current therapy unless the event did not happen.
_NOT_TAKEN = {
    "orders": frozenset(
        {"stopped", "completed", "cancelled", "entered-in-error", "not-taken", "ended"}
    ),
    "events": frozenset({"cancelled", "entered-in-error", "stopped", "declined", "not-done"}),
}
_KNOWN = {
    "orders": frozenset({"active", "on-hold", "draft", "intended", "unknown", "recorded"}),
    "events": frozenset({"preparation", "in-progress", "on-hold", "completed", "unknown"}),
}
# STU3 said some of the same with a field instead of a status.
_NOT_HAPPENED = {
    "MedicationRequest": ("doNotPerform", True, "doNotPerform"),
    "MedicationStatement": ("taken", "n", "taken n"),
    "MedicationDispense": ("notDone", True, "notDone"),
    "MedicationAdministration": ("notGiven", True, "notGiven"),
}
# The three above by resource type, looked up once per resource.
_STATUS_RULES = {
    kind: (
        _NOT_TAKEN["orders" if kind in _ORDERS else "events"],
        _KNOWN["orders" if kind in _ORDERS else "events"],
        *_NOT_HAPPENED[kind],
    )
    for kind in MEDICATION_RESOURCES
}


def read_fhir(
    data: object,
    *,
    patient: str | None = None,
    references: Mapping[str, Mapping[str, Any]] | None = None,
) -> FhirReading:
    """Read one patient's medications from FHIR into a profile, and account for every resource.

    ``data`` is a Bundle, a resource, a list of resources, NDJSON lines (an iterable of text,
    or one text), or a CDS Hooks request body. ``patient`` chooses the patient when the input
    is about several (an id, ``Patient/id`` or a bundle entry's ``urn:uuid:`` URL).
    ``references`` holds resources kept outside ``data`` that a ``medicationReference`` may
    point at, by ``Type/id`` (``{"Medication/m1": {...}}``), such as the lines of a bulk
    export's ``Medication.ndjson``; a resource of ``data`` itself wins over one given here.
    Invalid input raises :class:`~k2safety.ProfileError` naming the resource and the field.
    """
    if references is not None and not isinstance(references, Mapping):
        raise ProfileError(
            [
                (
                    "(references)",
                    f"must be an object of resources by 'Type/id', got {json_type(references)}",
                )
            ]
        )
    found = gather(data)
    resolver = Resolver(found, references)
    medication_resources: list[tuple[Found, str | None]] = []
    problems: list[FieldProblem] = []
    other_resources = 0
    for item in found.resources:
        kind = item.resource["resourceType"]
        if kind not in MEDICATION_RESOURCES:
            other_resources += 1
            continue
        try:
            medication_resources.append((item, resolver.subject(item.resource)))
        except Bad as bad:
            problems.append(_problem(item, bad))
    _raise(problems)
    chosen = choose_patient(found, resolver, medication_resources, patient)
    screen = _Screen()
    other_patients = 0
    for item, subject in medication_resources:
        if chosen is not None and subject is not None and subject != chosen:
            other_patients += 1
            continue
        try:
            screen.add(item, resolver, no_subject=subject is None and chosen is not None)
        except Bad as bad:
            problems.append(_problem(item, bad))
    _raise(problems)
    if found.gaps or found.notes:  # about the input as a whole, whichever patient is read
        screen.notes.extend(found.notes)
        for gap in found.gaps:
            screen.gap(gap)
    return FhirReading(
        profile=screen.profile(),
        set_aside=tuple(screen.set_aside),
        notes=tuple(screen.notes),
        counted=screen.counted,
        other_patients=other_patients,
        other_resources=other_resources,
        patient=chosen,
    )


def profile_from_fhir(
    data: object,
    *,
    patient: str | None = None,
    references: Mapping[str, Mapping[str, Any]] | None = None,
) -> Profile:
    """One patient's medications in FHIR as a profile: ``read_fhir(...).profile``."""
    return read_fhir(data, patient=patient, references=references).profile


def _raise(problems: list[FieldProblem]) -> None:
    if problems:
        raise ProfileError(problems)


def _who(item: Found) -> str:
    kind = item.resource["resourceType"]
    given = item.resource.get("id")
    name = f"{kind}/{given}" if isinstance(given, str) else f"{kind} without an id"
    return f"{name}, resource {item.index}"


def _problem(item: Found, bad: Bad) -> FieldProblem:
    path = f"{item.location}.{bad.field}" if item.location else bad.field
    return path, f"{bad.message} ({_who(item)})"


_ENTRY = re.compile(r"(medications|supplements)\[(\d+)\](?:\.(\w+))?.*")

Origin = tuple[Found, dict[str, Source]]
"""The resource an entry came from, and the field each of the entry's values came from."""


class _Screen:
    """The patient's resources so far: the profile's entries, and the account of the rest."""

    def __init__(self) -> None:
        self.medications: dict[tuple[str | None, ...], tuple[dict[str, str], Origin]] = {}
        self.supplements: dict[tuple[Form, str, Fraction], tuple[dict[str, str], Origin]] = {}
        self.products: dict[tuple[str, tuple[Form, ...]], tuple[dict[str, Any], Origin]] = {}
        self.set_aside: list[SetAside] = []
        self.notes: list[Note] = []
        self.counted = 0

    def add(self, item: Found, resolve: Resolver, *, no_subject: bool) -> None:
        resource = item.resource
        kind: str = resource["resourceType"]
        given = resource.get("id")
        if given is not None and not isinstance(given, str):
            raise Bad("id", f"must be text, got {json_type(given)}")
        reason = self._not_taken(item, kind)
        product = product_of(resource, resolve)
        if reason is None and product.absent and not (product.identified or product.other):
            # Only the IPS "no information" code: anything else beside it is a medication.
            reason = "says there is no information"
        if reason is not None:
            self.set_aside.append(
                SetAside(kind, given, item.index, item.location, reason, product.label)
            )
            return
        self.counted += 1
        if no_subject:
            self._note(item, "has no subject: counted as the chosen patient's")
        for text in product.notes:
            self._note(item, text)
        if product.identified:
            self._entries(item, kind, product)
        else:
            self._unread(item, kind, given, product)

    def _unread(self, item: Found, kind: str, given: str | None, product: Product) -> None:
        """A resource that counts but names no medication k2safety reads: an entry named by what
        it does say, which nothing matches, so that the report lists it as not recognized."""
        plain = f"{kind} (medication not read)"
        if product.other is not None:
            label = code_label(*product.other)
            why = f"names its medication only by {label}, a code k2safety does not read"
        elif product.unresolved is not None:
            label = f"{product.unresolved} (not in the input)"
            why = (
                f"names its medication only by a reference to {product.unresolved!r}, which "
                "points at nothing in the input"
            )
        else:
            plain = f"{kind} (no medication named)"
            label = f"{kind} {given} (no medication named)" if given else plain
            why = "names no medication: no code, text, display or reference that can be read"
        label = _unmatched(label, plain)
        source: Source = ("medication[x]", None, "")
        self._unrecognized(label, (item, {"name": source}))
        self._note(
            item,
            f"{why}: listed as the medication {label!r}, which is not recognized, so the "
            "screen is not complete",
        )

    def gap(self, gap: Gap) -> None:
        """What the input shows it does not hold, listed as a medication not recognized."""
        place = gap.place
        label = _unmatched(
            f"medications not read: {gap.what}", f"medications not read: {gap.plain}"
        )
        where = Found(
            {"resourceType": place.resource_type, "id": place.id}, place.location, place.index, None
        )
        self._unrecognized(label, (where, {"name": ("(input)", None, "")}))
        self.notes.append(place)

    def _unrecognized(self, label: str, origin: Origin) -> None:
        self.medications.setdefault((label, None, None), ({"name": label}, origin))

    def _not_taken(self, item: Found, kind: str) -> str | None:
        resource = item.resource
        not_taken, known, field, value, reason = _STATUS_RULES[kind]
        status = resource.get("status")
        if status is not None and not isinstance(status, str):
            raise Bad("status", f"must be text, got {json_type(status)}")
        if status in not_taken:
            return f"status {status}"
        if status is not None and status not in known:
            self._note(item, f"status {status!r} is not known for a {kind}: counted, to be safe")
        flag = resource.get(field)
        if flag is not None and not isinstance(flag, type(value)):
            raise Bad(field, f"must be {'true or false' if value is True else 'text'}")
        return reason if flag == value else None

    def _entries(self, item: Found, kind: str, product: Product) -> None:
        medications = product.entries()
        forms = forms_named(product.names)
        if len(forms) == 1:
            form = forms[0]
            dose = daily_dose(item.resource, kind)
            if dose.per_day is not None and dose.unit is not None:
                entry = {"ingredient": form.value, "dose": dose_text(dose.per_day, dose.unit)}
                source: Source = (dose.where, None, "")
                origin = (item, {"dose": source, "ingredient": source})
                self.supplements.setdefault((form, dose.unit, dose.per_day), (entry, origin))
                for note in dose.notes:
                    self._note(item, note)
                # The product is a supplement; it is a medication too only if it names one.
                medications = [pair for pair in medications if _names_a_medication(pair[0])]
            else:
                label = knowledge().ingredient_of[form].label
                self._product(
                    item, product, forms, f"{product.label} is {label}, but {dose.why_not}"
                )
                medications = [pair for pair in medications if _names_a_medication(pair[0])]
        elif forms:
            labels = " and ".join(knowledge().ingredient_of[form].label for form in forms)
            self._product(
                item,
                product,
                forms,
                f"{product.label} names {labels}, and one dose cannot be given to each",
            )
            medications = [pair for pair in medications if _names_a_medication(pair[0])]
        for entry, fields in medications:
            key = (entry.get("name"), entry.get("atc"), entry.get("rxnorm"))
            self.medications.setdefault(key, (entry, (item, fields)))

    def _product(self, item: Found, product: Product, forms: tuple[Form, ...], why: str) -> None:
        """A vitamin product without a usable dose: a product entry whose amounts are not
        stated, so that the rules count it as the vitamin ("dose not stated")."""
        name = product.label or " and ".join(form.value for form in forms)
        entry: dict[str, Any] = {
            "product": name,
            # Servings only multiply an amount; with none stated, one serving says nothing more.
            "servings_per_day": 1,
            "per_serving": [{"ingredient": form.value, "amount": None} for form in forms],
        }
        source: Source = ("medication[x]", None, "")
        key = (name, tuple(forms))
        self.products.setdefault(key, (entry, (item, {"product": source})))
        self._note(
            item,
            f"{why}: listed as a product of which no amount is stated (dose not stated), so "
            "the rules count it as the vitamin without a dose",
        )

    def _note(self, item: Found, text: str) -> None:
        given = item.resource.get("id")
        self.notes.append(
            Note(
                item.resource["resourceType"],
                given if isinstance(given, str) else None,
                item.index,
                item.location,
                text,
            )
        )

    def profile(self) -> Profile:
        medications = list(self.medications.values())
        supplements: list[tuple[dict[str, Any], Origin]] = [
            *self.supplements.values(),
            *self.products.values(),
        ]
        if len(medications) > MAX_ENTRIES:
            raise ProfileError(
                [
                    (
                        "medications",
                        f"{len(medications)} different medications are taken; a profile holds "
                        f"at most {MAX_ENTRIES}",
                    )
                ]
            )
        data = {
            "medications": [entry for entry, _ in medications],
            "supplements": [entry for entry, _ in supplements],
        }
        try:
            # No two entries are the same medication once validated: their keys differ, and each
            # value is already as validation leaves it (stripped, codes read by rxnorm_id() and
            # atc_code(), which give back what they are given).
            return Profile.model_validate(data)
        except ProfileError as error:
            origins = {"medications": medications, "supplements": supplements}
            problems = [_in_resource(problem, origins) for problem in error.problems]
        raise ProfileError(problems)


def _in_resource(
    problem: FieldProblem, origins: Mapping[str, list[tuple[dict[str, Any], Origin]]]
) -> FieldProblem:
    """A problem the profile found in an entry, told as a problem of the resource it came from."""
    path, text = problem
    match = _ENTRY.fullmatch(path)
    if match is None:
        return problem
    listed, number, name = match.groups()
    _, (item, fields) = origins[listed][int(number)]
    source = fields.get(name or "") or next(iter(fields.values()), ("medication[x]", None, ""))
    return _problem(item, Bad(field_path(source), text))


def _unmatched(label: str, plain: str) -> str:
    """``label``, unless it is too long or names a medicine or a vitamin (an id, a URL or a
    code of the input may spell one): then ``plain``, which holds no text of the input. White
    space is read as in a name: each run of it as one space."""
    label = " ".join(label.split())
    if len(label) > MAX_TEXT or match_medication(label, None, None) or forms_in_text(label):
        return plain
    return label


def _names_a_medication(entry: Mapping[str, str]) -> bool:
    return bool(match_medication(entry.get("name"), entry.get("atc"), entry.get("rxnorm")))
