"""Bulk exports: NDJSON lines grouped by patient, and each patient's resources read as one input.

A FHIR bulk export writes one resource a line, a file per resource type. :class:`BulkReader`
turns its lines into one :class:`PatientLines` per patient, which :func:`read_patient` reads with
:func:`~k2safety.fhir.read_fhir`; a line that cannot be read becomes a :class:`BadLine` instead.

- A patient is the one :func:`~k2safety.fhir.patient_of` names for a medication resource (the
  four types :func:`read_fhir` reads). Lines of other types (Patient, Encounter, ...) are only
  counted; a medication resource that names no patient is a :class:`BadLine`.
- Medication and Substance lines are about no patient: they are held, by ``Type/id``, for the
  ``medicationReference`` of later lines to point at (a dict as large as those lines). A
  patient's group carries the ones its resources refer to.
- :meth:`BulkReader.grouped` reads lines in one pass, in memory for one patient's lines at a
  time: a patient's lines end where another patient's begin. A patient whose lines come back
  after another's (interleaved input) gets a group for each run, marked ``continued``, and is
  listed in :attr:`BulkReader.interleaved`; only the patients' ids are remembered.
- :meth:`BulkReader.any_order` reads lines in any order: every line of a patient goes to a
  temporary SQLite database on disk first, and each patient's lines come out together, the
  patients in the order they first appear, once the input has been read. Memory stays that of
  one patient; the disk holds about the input's size until the reading ends.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from k2safety._errors import FieldProblem, ProfileError, json_type
from k2safety._json import loads_refusing_duplicates
from k2safety.fhir._concepts import reference_tail
from k2safety.fhir._read import MEDICATION_RESOURCES, read_fhir
from k2safety.fhir._reading import FhirReading
from k2safety.fhir._references import patient_of

__all__ = [
    "REFERABLE",
    "BadLine",
    "BulkReader",
    "PatientLines",
    "parse_line",
    "read_patient",
    "referable_key",
    "references_of",
]

REFERABLE = frozenset({"Medication", "Substance"})
"""The resource types a medication resource may refer to, held for the lines that follow."""
_PARSED = MEDICATION_RESOURCES | REFERABLE
"""The resource types whose lines are parsed; the others are only counted."""


@dataclass(frozen=True, slots=True)
class PatientLines:
    """One patient's medication resources: a run of consecutive lines, or all of them."""

    patient: str
    resources: list[Mapping[str, Any]]
    lines: list[int]
    """The line number of each resource (from 1), or its position when there are no lines."""
    references: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    """The Medications and Substances the resources refer to, by ``Type/id``, as far as known."""
    continued: bool = False
    """Whether the patient's lines came back after another patient's (interleaved input)."""


@dataclass(frozen=True, slots=True)
class BadLine:
    """A line that is not a resource that can be screened: ``kind`` names why."""

    line: int
    kind: str
    """``not_json`` (not UTF-8, not JSON, a key given twice), ``not_a_resource``,
    ``no_patient`` (a medication resource that names no patient) or ``bundle`` (a Bundle, whose
    entries could hold medications: a bulk export holds one resource a line)."""
    message: str


def parse_line(raw: bytes | str, number: int) -> Mapping[str, Any] | BadLine | None:
    """The resource on line ``number`` (from 1); ``None`` for a blank line."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            return BadLine(number, "not_json", "not UTF-8 text; a line is a FHIR resource")
    if number == 1:
        raw = raw.removeprefix("\ufeff")
    if not raw or raw.isspace():  # not raw.strip(), which would copy every line
        return None
    try:
        resource = loads_refusing_duplicates(raw)
    except json.JSONDecodeError as error:
        return BadLine(number, "not_json", f"not valid JSON: {error.msg} (column {error.colno})")
    except ProfileError as error:
        path, problem = error.problems[0]
        return BadLine(number, "not_json", f"{path}: {problem}")
    except RecursionError:
        return BadLine(number, "not_json", "not valid JSON: nested too deeply")
    if not isinstance(resource, dict):
        what = json_type(resource)
        return BadLine(number, "not_a_resource", f"must be a FHIR resource (an object), got {what}")
    if not isinstance(resource.get("resourceType"), str):
        return BadLine(number, "not_a_resource", "has no resourceType: not a FHIR resource")
    return resource


# A line that begins with its resourceType, as bulk exports write them: `{"resourceType":"X"`.
# The value has letters only (no escapes), so it is exactly the text between the quotes.
_LEADING_TYPE_TEXT = re.compile(
    r'[ \t\n\r]*\{[ \t\n\r]*"resourceType"[ \t\n\r]*:[ \t\n\r]*"([A-Za-z]+)"'
)
_LEADING_TYPE_BYTES = re.compile(_LEADING_TYPE_TEXT.pattern.encode("ascii"))


def _leading_type(raw: bytes | str) -> str | None:
    """The resourceType a line begins with, read without parsing the line; ``None`` when the
    line does not begin so (then it is parsed to know)."""
    if isinstance(raw, bytes):
        # Exactly what the pattern finds when the line begins as bulk exports write it, at a
        # fraction of the cost.
        if raw.startswith(b'{"resourceType":"'):
            end = raw.find(b'"', 17)
            kind = raw[17:end]
            if end > 17 and kind.isalpha():  # bytes: ASCII letters only
                return kind.decode("ascii")
        found = _LEADING_TYPE_BYTES.match(raw)
        return None if found is None else found[1].decode("ascii")
    match = _LEADING_TYPE_TEXT.match(raw)
    return None if match is None else match[1]


def _bundle_line(number: int) -> BadLine:
    # Its entries may be any patient's medications: never only counted as another type.
    return BadLine(
        number,
        "bundle",
        "a Bundle: a bulk export holds one resource a line, so its entries are not read here; "
        "screen a bundle with `k2safety check --fhir`",
    )


def referable_key(resource: Mapping[str, Any]) -> str | None:
    """``Type/id`` of a Medication or Substance, as references point at it; else ``None``."""
    kind, given = resource.get("resourceType"), resource.get("id")
    if kind in REFERABLE and isinstance(given, str):
        return f"{kind}/{given}"
    return None


def references_of(resource: Mapping[str, Any]) -> Iterator[str]:
    """The references to a Medication that ``resource`` makes, as written (R4 and R5 shapes)."""
    value = resource.get("medicationReference")
    if isinstance(value, dict) and isinstance(value.get("reference"), str):
        yield value["reference"]
    value = resource.get("medication")
    if isinstance(value, dict):
        inner = value.get("reference")
        if isinstance(inner, dict) and isinstance(inner.get("reference"), str):
            yield inner["reference"]


def _needed(
    resources: Iterable[Mapping[str, Any]], held: Mapping[str, Mapping[str, Any]]
) -> dict[str, Mapping[str, Any]]:
    found: dict[str, Mapping[str, Any]] = {}
    if not held:
        return found
    for resource in resources:
        for reference in references_of(resource):
            key = reference if reference in held else reference_tail(reference)
            if key is not None and key in held:
                found[key] = held[key]
    return found


@dataclass
class BulkReader:
    """Groups bulk-export lines by patient; counts what it saw on the way."""

    references: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    """Medications and Substances by ``Type/id``: given, and those found on the lines."""
    lines: int = 0
    medication_resources: int = 0
    other_resources: int = 0
    held: int = 0
    """How many Medication and Substance lines were held for references."""
    interleaved: dict[str, int] = field(default_factory=dict)
    """Each patient whose lines came back after another's, and the line where they first did."""
    any_order_used: bool = False
    """Whether :meth:`any_order` read the lines."""
    _seen: set[str] = field(default_factory=set)

    def _classify(
        self, raw: bytes | str, number: int
    ) -> tuple[str, Mapping[str, Any]] | BadLine | None:
        """A line's patient and resource; a bad line; or ``None`` when it is not a patient's."""
        self.lines = number
        kind = _leading_type(raw)
        if kind == "Bundle":
            return _bundle_line(number)
        if kind is not None and kind not in _PARSED:
            # Only counted: not parsed (a Synthea Patient line is some 10 KB of JSON).
            self.other_resources += 1
            return None
        resource = parse_line(raw, number)
        if resource is None or isinstance(resource, BadLine):
            return resource
        kind = resource["resourceType"]
        if kind == "Bundle":
            return _bundle_line(number)
        if kind not in MEDICATION_RESOURCES:
            key = referable_key(resource)
            if key is not None:
                self.references.setdefault(key, resource)
                self.held += 1
            else:
                self.other_resources += 1
            return None
        self.medication_resources += 1
        patient = patient_of(resource)
        if patient is None:
            return BadLine(
                number,
                "no_patient",
                f"a {kind} without a readable subject (or patient) reference: a bulk export's "
                "resources are screened per patient",
            )
        return patient, resource

    def grouped(self, lines: Iterable[tuple[int, bytes | str]]) -> Iterator[PatientLines | BadLine]:
        """One group per run of a patient's consecutive lines, in one pass."""
        patient: str | None = None
        resources: list[Mapping[str, Any]] = []
        numbers: list[int] = []
        continued = False
        classify = self._classify
        # Not through _medication_lines: a generator between the lines and this one costs a
        # resumption a line, for the line text that only any_order keeps.
        for number, raw in lines:
            item = classify(raw, number)
            if item is None:
                continue
            if isinstance(item, BadLine):
                yield item
                continue
            subject, resource = item
            if subject != patient:
                if patient is not None:
                    yield self._group(patient, resources, numbers, continued)
                patient, resources, numbers = subject, [], []
                continued = subject in self._seen
                if continued:
                    self.interleaved.setdefault(subject, number)
                self._seen.add(subject)
            resources.append(resource)
            numbers.append(number)
        if patient is not None:
            yield self._group(patient, resources, numbers, continued)

    def _medication_lines(
        self, lines: Iterable[tuple[int, bytes | str]]
    ) -> Iterator[tuple[int, bytes | str, str, Mapping[str, Any]] | BadLine]:
        """Each line that is a medication resource, with its number, text and patient, and each
        bad line; other lines are only counted (by :meth:`_classify`)."""
        for number, raw in lines:
            item = self._classify(raw, number)
            if isinstance(item, BadLine):
                yield item
            elif item is not None:
                subject, resource = item
                yield number, raw, subject, resource

    def _group(
        self,
        patient: str,
        resources: list[Mapping[str, Any]],
        numbers: list[int],
        continued: bool,
    ) -> PatientLines:
        needed = _needed(resources, self.references)
        return PatientLines(patient, resources, numbers, needed, continued)

    def any_order(
        self, lines: Iterable[tuple[int, bytes | str]], directory: str | None = None
    ) -> Iterator[PatientLines | BadLine]:
        """One group per patient, whatever the order of the lines: spilled to SQLite first.

        Bad lines come first, as they are found; then the patients, in the order they first
        appear, each with every line of theirs in input order.
        """
        import os
        import sqlite3
        import tempfile

        self.any_order_used = True
        handle, path = tempfile.mkstemp(prefix="k2safety-fhir-", suffix=".sqlite", dir=directory)
        os.close(handle)
        database = sqlite3.connect(path)
        try:
            database.executescript(
                "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
                "CREATE TABLE patient (rank INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL);"
                "CREATE TABLE line (rank INTEGER NOT NULL, number INTEGER NOT NULL, "
                "text BLOB NOT NULL);"
            )
            ranks: dict[str, int] = {}
            for item in self._medication_lines(lines):
                if isinstance(item, BadLine):
                    yield item
                    continue
                number, raw, subject, _ = item
                rank = ranks.get(subject)
                if rank is None:
                    # Only the current patient's rank is kept in memory; the rest are on disk.
                    row = database.execute(
                        "SELECT rank FROM patient WHERE id = ?", (subject,)
                    ).fetchone()
                    if row is None:
                        cursor = database.execute("INSERT INTO patient (id) VALUES (?)", (subject,))
                        rank = cursor.lastrowid or 0
                    else:
                        rank = row[0]
                    ranks = {subject: rank}
                text = raw if isinstance(raw, bytes) else raw.encode("utf-8")
                database.execute("INSERT INTO line VALUES (?, ?, ?)", (rank, number, text))
            database.execute("CREATE INDEX by_patient ON line (rank, number)")
            database.commit()
            yield from self._spilled(database)
        finally:
            database.close()
            os.unlink(path)

    def _spilled(self, database: Any) -> Iterator[PatientLines]:
        rows = database.execute(
            "SELECT patient.id, line.number, line.text FROM line "
            "JOIN patient ON patient.rank = line.rank ORDER BY line.rank, line.number"
        )
        patient: str | None = None
        resources: list[Mapping[str, Any]] = []
        numbers: list[int] = []
        for subject, number, text in rows:
            if subject != patient:
                if patient is not None:
                    yield self._group(patient, resources, numbers, False)
                patient, resources, numbers = subject, [], []
            resource = parse_line(text, number)
            assert isinstance(resource, dict), "a line read once reads again"
            resources.append(resource)
            numbers.append(number)
        if patient is not None:
            yield self._group(patient, resources, numbers, False)


_POSITION = re.compile(r"\[(\d+)\]")


def read_patient(group: PatientLines) -> FhirReading | ProfileError:
    """One patient's reading, or the :class:`ProfileError` of their resources, naming lines."""
    try:
        return read_fhir(group.resources, references=group.references)
    except ProfileError as error:
        error.__traceback__ = None
        return ProfileError([_on_line(problem, group.lines) for problem in error.problems])


def _on_line(problem: FieldProblem, lines: list[int]) -> FieldProblem:
    """``[3].status`` (the resource's position in the group) as ``line 17.status``."""
    path, text = problem
    match = _POSITION.match(path)
    if match is None:
        return problem
    return f"line {lines[int(match[1])]}{path[match.end() :]}", text
