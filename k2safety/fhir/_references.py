"""What references point at: Medications and Substances by ``#id``, ``Type/id`` or ``fullUrl``,
and patients, however a reference spells them; and which patient an input is about.

A patient is one text: a Patient resource's ``id`` (or, without one, its entry's ``fullUrl``),
reached from ``Patient/id``, ``http://server/fhir/Patient/id/_history/2`` or the ``urn:uuid:``
``fullUrl`` of its bundle entry alike.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from k2safety._errors import ProfileError, json_type
from k2safety.fhir._concepts import Bad, reference_tail
from k2safety.fhir._input import Found, Input

__all__ = ["Resolver", "choose_patient", "patient_of"]

_PATIENT = re.compile(r"(?:^|/)Patient/([^/]+)(?:/_history/[^/]*)?$")


class Resolver:
    """Finds what references point at: Medications and Substances, and patients."""

    def __init__(
        self, found: Input, references: Mapping[str, Mapping[str, Any]] | None = None
    ) -> None:
        self.targets: dict[str, Mapping[str, Any]] = {}
        self.references: Mapping[str, Mapping[str, Any]] = references or {}
        """Resources kept outside the input, by ``Type/id``: consulted after the input's own."""
        self.patient_urls: dict[str, str] = {}
        self.patients: list[str] = []
        for item in found.resources:
            resource = item.resource
            kind, given = resource["resourceType"], resource.get("id")
            key = given if isinstance(given, str) else None
            if kind in ("Medication", "Substance"):
                if key is not None:
                    self.targets.setdefault(f"{kind}/{key}", resource)
                if item.full_url is not None:
                    self.targets.setdefault(item.full_url, resource)
            elif kind == "Patient":
                key = key or item.full_url
                if key is not None:
                    self.patients.append(key)
                    if item.full_url is not None:
                        self.patient_urls[item.full_url] = key

    def __call__(self, reference: str, holder: Mapping[str, Any]) -> Mapping[str, Any] | None:
        if reference.startswith("#"):
            contained = holder.get("contained", [])
            if not isinstance(contained, list):
                raise Bad("contained", f"must be a list, got {json_type(contained)}")
            for number, resource in enumerate(contained):
                if not isinstance(resource, dict):
                    raise Bad(
                        f"contained[{number}]", f"must be an object, got {json_type(resource)}"
                    )
                if resource.get("id") == reference[1:]:
                    return resource
            return None
        found = self.targets.get(reference)
        if found is None:
            tail = reference_tail(reference)
            found = None if tail is None else self.targets.get(tail)
            if found is None and self.references:
                found = self.references.get(reference)
                if found is None and tail is not None:
                    found = self.references.get(tail)
                if found is not None and not isinstance(found, Mapping):
                    raise Bad(
                        "medicationReference",
                        f"{reference!r} refers to a value that is not a resource",
                    )
        return found

    def patient_key(self, reference: str) -> str:
        """One text per patient, however a reference spells it."""
        if reference in self.patient_urls:
            return self.patient_urls[reference]
        if reference.startswith("Patient/"):  # as most are written: what _PATIENT would find
            given = reference[8:]
            if given and "/" not in given:
                return given
        match = _PATIENT.search(reference)
        return reference if match is None else match[1]

    def subject(self, resource: Mapping[str, Any]) -> str | None:
        for name in ("subject", "patient"):
            if name in resource:
                reference = resource[name]
                if not isinstance(reference, dict):
                    raise Bad(name, f"must be an object (a Reference), got {json_type(reference)}")
                target = reference.get("reference")
                if target is None:
                    return None
                if not isinstance(target, str):
                    raise Bad(f"{name}.reference", f"must be text, got {json_type(target)}")
                return self.patient_key(target)
        return None


def choose_patient(
    found: Input,
    resolver: Resolver,
    resources: list[tuple[Found, str | None]],
    patient: str | None,
) -> str | None:
    """The patient whose resources are read; ``None`` when the input names none."""
    if patient is not None and not isinstance(patient, str):
        raise ProfileError([("(patient)", f"must be text, got {json_type(patient)}")])
    wanted = None if patient is None else resolver.patient_key(patient)
    if found.cds_hooks:
        # A request is about its patient by definition; some real requests spell the subjects
        # of their prefetched resources differently, so subjects are not compared.
        named = None if found.cds_patient is None else resolver.patient_key(found.cds_patient)
        if wanted is not None and named is not None and wanted != named:
            raise ProfileError(
                [("context.patientId", f"the request is about {named!r}, not {wanted!r}")]
            )
        return None
    subjects = list(dict.fromkeys(subject for _, subject in resources if subject is not None))
    if wanted is None:
        if len(subjects) > 1:
            listed = ", ".join(subjects)
            raise ProfileError(
                [
                    (
                        "(input)",
                        f"is about {len(subjects)} patients ({listed}); choose one with patient=",
                    )
                ]
            )
        return subjects[0] if subjects else None
    known = dict.fromkeys([*subjects, *resolver.patients])
    if wanted not in known:
        listed = ", ".join(known) or "none"
        raise ProfileError([("(patient)", f"{patient!r} is not in the input; patients: {listed}")])
    return wanted


def patient_of(resource: Mapping[str, Any]) -> str | None:
    """The patient a resource is about, as :func:`read_fhir`'s ``patient`` takes it.

    A Patient's own ``id``; the patient a resource's ``subject`` (or STU3 ``patient``) refers
    to; ``None`` for a resource about no patient (a Medication). Meant for grouping the lines of
    a bulk export by patient before reading each group; a ``urn:uuid:`` reference stays as it
    is, since a line of NDJSON has no bundle to look it up in.

    >>> patient_of({"resourceType": "MedicationRequest", "subject": {"reference": "Patient/7"}})
    '7'
    >>> patient_of({"resourceType": "Patient", "id": "7"})
    '7'
    >>> patient_of({"resourceType": "Medication", "id": "m"}) is None
    True
    """
    if resource.get("resourceType") == "Patient":
        given = resource.get("id")
        return given if isinstance(given, str) else None
    try:
        return _NOTHING.subject(resource)
    except Bad:
        return None


_NOTHING = Resolver(Input())
"""A resolver of an empty input (never changed): reads a subject as it is written."""
