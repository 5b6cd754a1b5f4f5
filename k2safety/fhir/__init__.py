"""Read a patient's medications from FHIR: a Bundle, resources, NDJSON or a CDS Hooks request.

>>> from k2safety.fhir import read_fhir
>>> order = {
...     "resourceType": "MedicationRequest",
...     "id": "w1",
...     "status": "active",
...     "subject": {"reference": "Patient/p1"},
...     "medicationCodeableConcept": {
...         "coding": [
...             {
...                 "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
...                 "code": "855332",
...                 "display": "Warfarin Sodium 5 MG Oral Tablet",
...             }
...         ]
...     },
... }
>>> reading = read_fhir([order])
>>> reading.profile.medications[0].name, reading.profile.medications[0].rxnorm
('Warfarin Sodium 5 MG Oral Tablet', '855332')

:func:`read_fhir` returns a :class:`FhirReading`: the :class:`~k2safety.Profile` to screen, and
an account of every medication resource that was set aside (:class:`SetAside`, with its reason)
or read with an assumption (:class:`Note`). :func:`profile_from_fhir` returns the profile alone.
Nothing passes silently: a medication that counts but cannot be read (named only by a SNOMED CT
code, say), and medications the input shows it lacks (a failed prefetch, a search cut short),
are listed as medications not recognized, so that the screen does not read complete.

How the package is laid out: ``_input`` finds the resources in what was handed in, and the gaps
it shows (a failed prefetch, a search cut short); ``_concepts``
reads what a resource's medication is (every coding, contained and referenced Medications);
``_vitamins`` recognizes vitamin K and D products as a medication's text is read;
``_dosage`` reads their exact amount a day; ``_references`` finds what references point at and
which patient the input is about (and, given ``references=``, Medications kept outside the
input, as a bulk export keeps them); ``_bulk`` groups a bulk export's lines by patient, for
``k2safety batch --fhir`` and :func:`k2safety.dask.screen_fhir`; ``_read`` decides by status
what counts as taken and builds the profile; ``_reading`` holds what comes back.
:func:`patient_of` gives the patient a single resource is about, to group the lines of a bulk
export before reading each group.

It reads plain JSON with type checks, not a FHIR model library: the four resource types are read
in the shapes of four FHIR versions at once, through a few dozen fields, and a full model of each
version would cost more to import and to validate than the whole screening does.
"""

from k2safety.fhir._read import MEDICATION_RESOURCES, profile_from_fhir, read_fhir
from k2safety.fhir._reading import FhirReading, Note, SetAside
from k2safety.fhir._references import patient_of

__all__ = [
    "MEDICATION_RESOURCES",
    "FhirReading",
    "Note",
    "SetAside",
    "patient_of",
    "profile_from_fhir",
    "read_fhir",
]
