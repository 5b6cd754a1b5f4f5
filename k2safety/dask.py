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

Each partition is screened in the worker that holds it; a worker process loads the knowledge
base once, on first use. A profile given as text that is not JSON counts as invalid. Any other
exception is a bug in k2safety and fails the computation, as Dask does for any task.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
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
from k2safety._errors import ProfileError

__all__ = ["COLUMNS", "reports", "screen"]

COLUMNS = ("max_severity", "codes", "error")
"""The columns :func:`screen` adds."""

# pandas' nullable text: missing is <NA> whatever the row, and Parquet stores it as text.
_DTYPES = dict.fromkeys(COLUMNS, "string")


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
    """A profile's result; a profile given as JSON text is read first."""
    if isinstance(value, str | bytes):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError) as error:
            return ProfileError([("", f"not valid JSON: {error}")])
    return screen_one(value)


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
