"""What :func:`~k2safety.fhir.read_fhir` returns: the profile, and an account of every resource."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from k2safety._profile import Profile

__all__ = ["FhirReading", "Note", "SetAside"]


@dataclass(frozen=True, slots=True)
class SetAside:
    """A medication resource of the patient that does not count as taken, and why."""

    resource_type: str
    id: str | None
    """The resource's ``id``; draft orders in CDS Hooks requests often have none."""
    index: int
    """Its position among all resources of the input, from 0."""
    location: str
    """Where it is in the input, e.g. ``entry[4].resource`` or ``line 7``."""
    reason: str
    """Why it does not count, e.g. ``status stopped``; the same words for the same reason."""
    medication: str | None
    """What it names (its first name or code), or ``None`` when it names nothing readable."""


@dataclass(frozen=True, slots=True)
class Note:
    """Something the reader assumed or could not express about a resource it counted, or about
    the input: a gap it shows (a failed prefetch, a search cut short), an entry skipped.

    A note about what is not among the resources (a Bundle, a request's wrapped item) has as its
    ``index`` the position the next resource found after its start takes (for a Bundle, its
    first entry's resource), or would take.
    """

    resource_type: str
    id: str | None
    index: int
    location: str
    text: str


@dataclass(frozen=True, slots=True)
class FhirReading:
    """A patient's medications read from FHIR: the profile to screen, and what was left out.

    ``counted`` medication resources went into ``profile``; each one of the patient's that did
    not is in ``set_aside`` with its reason. Resources about other patients (when ``patient``
    was chosen) are only counted, in ``other_patients``, and resources of other types in
    ``other_resources``: neither is read.
    """

    profile: Profile
    set_aside: tuple[SetAside, ...]
    notes: tuple[Note, ...]
    counted: int
    """How many medication resources count as taken."""
    other_patients: int
    """How many medication resources are about patients other than ``patient``."""
    other_resources: int
    """How many resources are of types other than the four medication resources."""
    patient: str | None
    """The patient read: the id (or ``urn:uuid:`` reference) the resources' subjects name."""

    @property
    def set_aside_reasons(self) -> dict[str, int]:
        """How many resources were set aside for each reason, the most frequent first."""
        return dict(Counter(entry.reason for entry in self.set_aside).most_common())
