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
from k2safety._errors import FieldProblem, ProfileError
from k2safety._json import loads_refusing_duplicates

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
