"""Screening with Dask, for cohorts that outgrow one machine (``pip install 'k2safety[dask]'``).

Two functions, each lazy like Dask itself:

* :func:`screen` adds three columns to a Dask DataFrame whose ``column`` holds profiles (as
  mappings, or as JSON text such as a Parquet string column), or turns a Dask Bag of profiles
  into a Dask DataFrame of those three columns, one row per profile, in order:

  - ``max_severity``: ``"critical"``, ``"warning"`` or ``"info"``; missing when the profile has
    no findings or could not be screened;
  - ``codes``: the finding codes, most severe first, separated by spaces (``""`` if none);
  - ``error``: missing, or the :class:`~k2safety.ProfileError` message when the profile could
    not be screened.

* :func:`reports` maps a Bag of profiles to the full results: a
  :class:`~k2safety.Report` or the :class:`~k2safety.ProfileError` for each profile.

* :func:`screen_fhir` screens a Bag of the lines of a FHIR bulk export (NDJSON text, or
  resources as mappings): it groups the medication resources by patient
  (:func:`k2safety.fhir.patient_of`), reads each patient's with :func:`k2safety.fhir.read_fhir`,
  and gives a Dask DataFrame of :data:`FHIR_COLUMNS`, ``patient`` and the three above, one row per
  patient, in no particular order. Medication and Substance lines anywhere in the Bag, and
  ``references``, are what ``medicationReference`` may point at. A line that cannot be read,
  or a medication resource that names no patient, is a row with no ``patient`` and an ``error``.

Each partition is screened in the worker that holds it; a worker process loads the knowledge
base once, on first use. A profile given as text that is not JSON counts as invalid, and so does
JSON that gives a key twice in an object. Any other exception is a bug in k2safety and fails the
computation, as Dask does for any task.

A column of mappings works under Dask's default configuration too. There, Dask converts every
column of Python objects to pyarrow strings (``dataframe.convert-string``), writing each mapping
as ``str(mapping)``: Python's text of it, not JSON. Text that is not JSON but is a mapping written
that way (literals only: text, numbers, ``True``, ``False``, ``None``, lists, tuples and
mappings) is read back as the mapping it was, so the profiles arrive as they were given.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any, cast

try:
    import dask.bag
    import dask.dataframe
except ImportError as error:  # pragma: no cover - the message is what matters
    raise ImportError(
        "k2safety.dask needs Dask: pip install 'k2safety[dask]'", name=error.name
    ) from error

from k2safety._batch import Result
from k2safety._batch import screen as screen_one
from k2safety._errors import FieldProblem, ProfileError
from k2safety._json import loads_refusing_duplicates

__all__ = ["COLUMNS", "FHIR_COLUMNS", "reports", "screen", "screen_fhir"]

COLUMNS = ("max_severity", "codes", "error")
"""The columns :func:`screen` adds."""

FHIR_COLUMNS = ("patient", *COLUMNS)
"""The columns of :func:`screen_fhir`: the patient, then :data:`COLUMNS`."""

# pandas' nullable text: missing is <NA> whatever the row, and Parquet stores it as text.
_DTYPES = dict.fromkeys(COLUMNS, "string")
_FHIR_DTYPES = dict.fromkeys(FHIR_COLUMNS, "string")


def screen(
    collection: dask.dataframe.DataFrame | dask.bag.Bag, column: str | None = None
) -> dask.dataframe.DataFrame:
    """The screening columns for each profile in ``collection``.

    A DataFrame must name the ``column`` that holds the profiles; the result is the DataFrame
    with :data:`COLUMNS` added (a name it already has is an error). A Bag holds profiles as its
    elements; the result has only :data:`COLUMNS`, one row per element, in order.
    """
    if isinstance(collection, dask.bag.Bag):
        if column is not None:
            raise TypeError("a Bag holds profiles as its elements: give no column")
        bag: Any = collection  # Dask's collections are not fully typed
        rows = bag.map_partitions(_screen_bag_partition)
        frame = rows.to_dataframe(meta=dict.fromkeys(COLUMNS, "object")).astype(_DTYPES)
        return cast("dask.dataframe.DataFrame", frame)
    if isinstance(collection, dask.dataframe.DataFrame):
        if column is None:
            raise TypeError("name the column that holds the profiles: screen(frame, 'profile')")
        clash = [name for name in COLUMNS if name in collection.columns]
        if clash:
            raise ValueError(f"the DataFrame already has columns named {clash}")
        # Dask needs the shape of the result before computing it: the same function on no rows.
        meta = _screen_frame_partition(collection._meta, column)
        profiles: Any = collection
        screened = profiles.map_partitions(_screen_frame_partition, column, meta=meta)
        return cast("dask.dataframe.DataFrame", screened)
    raise TypeError(f"expected a Dask DataFrame or Bag, got {type(collection).__name__}")


def reports(profiles: dask.bag.Bag) -> dask.bag.Bag:
    """A Bag of the :class:`~k2safety.Report` or :class:`~k2safety.ProfileError` per profile."""
    bag: Any = profiles
    return cast("dask.bag.Bag", bag.map_partitions(_results))


def _results(partition: Iterable[Any]) -> list[Result]:
    return [_result(value) for value in partition]


def _result(value: Any) -> Result:
    """A profile's result; a profile given as text (JSON, or Python's text of a mapping) is read
    first."""
    if isinstance(value, str | bytes):
        try:
            value = loads_refusing_duplicates(value)
        except ProfileError as error:
            return error
        except (ValueError, RecursionError) as error:
            mapping = _python_mapping(value)
            if mapping is None:
                return ProfileError([("", f"not valid JSON: {error}")])
            if isinstance(mapping, ProfileError):
                return mapping
            value = mapping
    return screen_one(value)


def _python_mapping(text: str | bytes) -> object:
    """The mapping ``text`` is Python's text of (as Dask's default string conversion writes a
    column of mappings), a :class:`ProfileError` if it gives a key twice, or ``None`` if it is
    not a mapping written with literals only."""
    import ast

    if not isinstance(text, str) or not text.lstrip().startswith("{"):
        return None
    try:
        tree = ast.parse(text.strip(), mode="eval")
        duplicated = _duplicated_keys(tree.body)
        if duplicated:
            return ProfileError(duplicated)
        # Literals only: nothing in the text is ever run.
        mapping = ast.literal_eval(tree)
    except (SyntaxError, ValueError, TypeError, RecursionError, MemoryError):
        return None
    return mapping if isinstance(mapping, dict) else None


def _duplicated_keys(node: Any) -> list[FieldProblem]:
    """Each key given twice in a mapping of the literal ``node``, by its path, as JSON's are."""
    import ast

    problems: list[FieldProblem] = []
    stack: list[tuple[str, Any]] = [("", node)]
    while stack:
        path, node = stack.pop()
        children: list[tuple[str, Any]] = []
        if isinstance(node, ast.Dict):
            keys = [key.value if isinstance(key, ast.Constant) else None for key in node.keys]
            # A key is named as a field is: text as it is, anything else as Python writes it.
            names = [f"{path}.{key}" if path else key for key in map(_key_text, keys)]
            for key, count in Counter(keys).items():
                if key is not None and count > 1:
                    problems.append(
                        (
                            names[keys.index(key)],
                            f"is given {count} times; a field may be given only once",
                        )
                    )
            children = list(zip(names, node.values, strict=True))
        elif isinstance(node, ast.List | ast.Tuple):
            children = [(f"{path}[{index}]", item) for index, item in enumerate(node.elts)]
        stack.extend(reversed(children))
    return problems


def _key_text(key: object) -> str:
    return key if isinstance(key, str) else repr(key)


def _columns(values: Iterable[Any]) -> list[tuple[str | None, str, str | None]]:
    rows: list[tuple[str | None, str, str | None]] = []
    for value in values:
        result = _result(value)
        if isinstance(result, ProfileError):
            rows.append((None, "", str(result)))
        else:
            severity = None if result.max_severity is None else result.max_severity.value
            rows.append((severity, " ".join(result.codes), None))
    return rows


def _screen_bag_partition(partition: Iterable[Any]) -> list[dict[str, str | None]]:
    return [dict(zip(COLUMNS, row, strict=True)) for row in _columns(partition)]


def _screen_frame_partition(partition: Any, column: str) -> Any:
    rows = _columns(partition[column])
    columns = {name: [row[i] for row in rows] for i, name in enumerate(COLUMNS)}
    return partition.assign(**columns).astype(_DTYPES)


# --- FHIR bulk exports -------------------------------------------------------------------------


def screen_fhir(
    lines: dask.bag.Bag, *, references: Mapping[str, Mapping[str, Any]] | None = None
) -> dask.dataframe.DataFrame:
    """One row of :data:`FHIR_COLUMNS` per patient of a Bag of bulk-export lines.

    Each element is a line of NDJSON (text) or a resource (a mapping). The medication resources
    are grouped by patient with a task-based shuffle, which needs no disk and runs on any
    scheduler; each group is read as one input, as ``k2safety batch --fhir --any-order`` reads
    a patient's lines. ``references`` adds Medications (and Substances) by ``Type/id`` to those
    the Bag holds. The rows come in no particular order: sort by ``patient`` to compare.
    """
    if not isinstance(lines, dask.bag.Bag):
        raise TypeError(f"expected a Dask Bag of NDJSON lines, got {type(lines).__name__}")
    bag: Any = lines
    parsed = bag.map_partitions(_parse_partition)
    held = parsed.reduction(_held_partition, _merge_held)
    by_patient = parsed.filter(_has_patient).groupby(_patient_key, shuffle="tasks")
    rows = by_patient.map(_screen_patient, held, dict(references or {}))
    bad = parsed.filter(_is_bad).map(_bad_row)
    concat: Any = dask.bag.concat  # untyped
    frame = concat([rows, bad]).to_dataframe(meta=dict.fromkeys(FHIR_COLUMNS, "object"))
    return cast("dask.dataframe.DataFrame", frame.astype(_FHIR_DTYPES))


# A parsed element: ("patient", patient, resource), ("held", key, resource), ("bad", message)
# or None (a blank line, or a resource that is neither the patient's nor referable).
_Parsed = tuple[str, str | None, Any] | None


def _parse_partition(partition: Iterable[Any]) -> list[_Parsed]:
    from k2safety.fhir import MEDICATION_RESOURCES, patient_of
    from k2safety.fhir._bulk import BadLine, parse_line, referable_key

    parsed: list[_Parsed] = []
    for value in partition:
        if isinstance(value, str | bytes):
            # Line numbers are not known in a Bag; 0 never strips a byte order mark.
            resource = parse_line(value, 0)
        elif isinstance(value, Mapping) and isinstance(value.get("resourceType"), str):
            resource = value
        else:
            resource = BadLine(0, "not_a_resource", "must be a FHIR resource (an object)")
        if resource is None:
            continue
        if isinstance(resource, BadLine):
            parsed.append(("bad", None, resource.message))
        elif resource["resourceType"] in MEDICATION_RESOURCES:
            patient = patient_of(resource)
            if patient is None:
                kind = resource["resourceType"]
                parsed.append(("bad", None, f"a {kind} without a readable subject reference"))
            else:
                parsed.append(("patient", patient, resource))
        elif (key := referable_key(resource)) is not None:
            parsed.append(("held", key, resource))
        elif resource["resourceType"] == "Bundle":  # its entries could be medications
            parsed.append(("bad", None, "a Bundle: a bulk export holds one resource a line"))
    return parsed


def _held_partition(partition: Iterable[_Parsed]) -> dict[str, Any]:
    return {
        item[1]: item[2]
        for item in partition
        if item is not None and item[0] == "held" and item[1] is not None
    }


def _merge_held(parts: Iterable[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for part in parts:
        for key, resource in part.items():
            merged.setdefault(key, resource)
    return merged


def _has_patient(item: _Parsed) -> bool:
    return item is not None and item[0] == "patient"


def _is_bad(item: _Parsed) -> bool:
    return item is not None and item[0] == "bad"


def _patient_key(item: _Parsed) -> str | None:
    return None if item is None else item[1]


def _bad_row(item: _Parsed) -> dict[str, str | None]:
    assert item is not None
    return {"patient": None, "max_severity": None, "codes": "", "error": item[2]}


def _screen_patient(
    group: tuple[str, list[_Parsed]],
    held: dict[str, Any],
    references: dict[str, Any],
) -> dict[str, str | None]:
    from k2safety.fhir._bulk import PatientLines, read_patient

    patient, items = group
    resources = [item[2] for item in items if item is not None]
    known = {**references, **held} if references else held
    reading = read_patient(
        PatientLines(patient, resources, list(range(len(resources))), dict(known))
    )
    if isinstance(reading, ProfileError):
        return {"patient": patient, "max_severity": None, "codes": "", "error": str(reading)}
    result = screen_one(reading.profile)
    if isinstance(result, ProfileError):
        return {"patient": patient, "max_severity": None, "codes": "", "error": str(result)}
    severity = None if result.max_severity is None else result.max_severity.value
    return {
        "patient": patient,
        "max_severity": severity,
        "codes": " ".join(result.codes),
        "error": None,
    }
