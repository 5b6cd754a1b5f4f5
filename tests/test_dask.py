"""k2safety.dask on a local cluster of worker processes: reports and errors arrive intact."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

import k2safety

# Without the `dask` extra (dask, distributed, pandas) this module is skipped, not failed.
for _module in ("dask", "distributed", "pandas"):
    pytest.importorskip(_module, reason="needs the dask extra: pip install 'k2safety[dask]'")

import dask.bag as db  # noqa: E402
import dask.dataframe as dd  # noqa: E402
import pandas as pd  # noqa: E402
from distributed import Client, LocalCluster  # noqa: E402

from k2safety.dask import COLUMNS, reports, screen  # noqa: E402

MK7 = {"ingredient": "MK-7", "dose": "180 mcg"}
D3 = {"ingredient": "D3", "dose": "25 mcg"}
ROWS: list[Any] = [
    {"medications": ["warfarin"], "supplements": [MK7, D3]},
    {"supplements": [MK7]},
    {"supplements": [{"ingredient": "MK-7", "dose": "180"}]},  # no unit
    {"supplements": [{"ingredient": "MK-7", "dose": "500 mcg"}, D3]},
    {},
    42,  # not a mapping (text would be read as JSON)
    {"medications": ["Eliquis 5 mg"], "supplements": [MK7], "medical_supervision": True},
    None,
]


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    """Two single-threaded worker processes: every result crosses a process boundary."""
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def local(row: Any) -> k2safety.Report | k2safety.ProfileError:
    try:
        return k2safety.check(row)
    except k2safety.ProfileError as error:
        return error


def expected_columns(row: Any) -> tuple[str | None, str, str | None]:
    result = local(json.loads(row) if isinstance(row, str) else row)
    if isinstance(result, k2safety.ProfileError):
        return None, "", str(result)
    severity = result.max_severity.value if result.max_severity else None
    return severity, " ".join(result.codes), None


def as_tuples(frame: pd.DataFrame) -> list[tuple[str | None, str, str | None]]:
    return [
        tuple(None if pd.isna(value) else value for value in row)  # type: ignore[misc]
        for row in frame[list(COLUMNS)].itertuples(index=False)
    ]


def test_reports_and_errors_cross_worker_processes_intact(client: Client) -> None:
    bag = db.from_sequence(ROWS, npartitions=4)
    worker_pids = set(client.run(os.getpid).values())
    assert len(worker_pids) == 2
    assert os.getpid() not in worker_pids
    assert set(bag.map(lambda _: os.getpid()).compute()) <= worker_pids
    results = reports(bag).compute()
    assert len(results) == len(ROWS)
    for got, row in zip(results, ROWS, strict=True):
        want = local(row)
        assert type(got) is type(want)
        if isinstance(want, k2safety.ProfileError):
            assert isinstance(got, k2safety.ProfileError)
            assert got.problems == want.problems
        else:
            assert got == want  # deep: findings with their claims and sources, the profile


def test_a_bag_screens_into_three_columns_in_order(client: Client) -> None:
    frame = screen(db.from_sequence(ROWS, npartitions=3)).compute()
    assert list(frame.columns) == list(COLUMNS)
    assert as_tuples(frame) == [expected_columns(row) for row in ROWS]
    assert as_tuples(frame)[0] == ("critical", "K2-VKA K2-CONSULT", None)
    assert all(str(dtype) == "string" for dtype in frame.dtypes)


def test_a_dataframe_column_of_json_text_gets_the_columns_added(client: Client) -> None:
    texts = [json.dumps(row) for row in ROWS]
    texts[5] = "{not json"
    pandas_frame = pd.DataFrame({"id": range(len(texts)), "profile": texts})
    frame = dd.from_pandas(pandas_frame, npartitions=3)
    screened = screen(frame, "profile")
    assert list(screened.columns) == ["id", "profile", *COLUMNS]
    result = screened.compute()
    assert list(result["id"]) == list(range(len(texts)))
    rows = as_tuples(result)
    for index, text in enumerate(texts):
        if index == 5:
            assert rows[index][:2] == (None, "")
            assert rows[index][2] is not None
            assert rows[index][2].startswith("invalid profile: (profile): not valid JSON:")
        else:
            assert rows[index] == expected_columns(text)


def test_a_dataframe_column_of_mappings_under_dask_s_default_configuration(
    client: Client,
) -> None:
    """Item 3: Dask's default string conversion wrote each mapping as its repr, and every row
    came out "not valid JSON", critical ones included."""
    import dask.config
    from dask.dataframe.utils import pyarrow_strings_enabled

    # Dask's defaults, as a new user has them: object columns become pyarrow strings.
    assert dask.config.get("dataframe.convert-string") is None
    assert pyarrow_strings_enabled()
    rows = [
        *ROWS,
        {"medications": ("warfarin",), "supplements": [MK7], "medical_supervision": True},
        {"medications": ["Coumadin\u00ae 5 mg \"x\" 'y' \\"], "supplements": [MK7, D3]},
    ]
    frame = dd.from_pandas(pd.DataFrame({"id": range(len(rows)), "profile": rows}), npartitions=3)
    assert str(frame.dtypes["profile"]) == "string"  # the mappings are text in the frame
    assert isinstance(frame["profile"].compute().iloc[0], str)
    result = screen(frame, "profile").compute()
    assert as_tuples(result) == [expected_columns(row) for row in rows]
    critical = result[result["max_severity"] == "critical"]
    assert list(critical["id"]) == [0, len(rows) - 1]


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('{"medications": ["warfarin"], "medications": []}', "medications"),
        ("{'medications': ['warfarin'], 'medications': []}", "medications"),
        ('{"supplements": [{"dose": "1 mg", "dose": "2 mg"}]}', "supplements[0].dose"),
        ("{'supplements': [{'dose': '1 mg', 'dose': '2 mg'}]}", "supplements[0].dose"),
    ],
)
def test_a_key_given_twice_in_text_is_refused(text: str, field: str) -> None:
    """Item 6: the first of two equal keys was dropped without a word."""
    frame = dd.from_pandas(pd.DataFrame({"profile": [text]}), npartitions=1)
    (row,) = as_tuples(screen(frame, "profile").compute(scheduler="sync"))
    assert row == (
        None,
        "",
        f"invalid profile: {field}: is given 2 times; a field may be given only once",
    )


def test_text_that_is_neither_json_nor_a_mapping_is_not_valid_json() -> None:
    texts = ["{not json", "{'a': __import__('os')}", "{1, 2}", "['a']", "{'a': 1" + "}" * 2]
    frame = dd.from_pandas(pd.DataFrame({"profile": texts}), npartitions=1)
    errors = [row[2] for row in as_tuples(screen(frame, "profile").compute(scheduler="sync"))]
    assert all(e.startswith("invalid profile: (profile): not valid JSON:") for e in errors)


def test_misuse_is_refused_before_anything_runs() -> None:
    frame = dd.from_pandas(pd.DataFrame({"profile": ["{}"], "codes": ["x"]}), npartitions=1)
    with pytest.raises(TypeError, match="name the column"):
        screen(frame)
    with pytest.raises(ValueError, match=r"already has columns named \['codes'\]"):
        screen(frame, "profile")
    with pytest.raises(TypeError, match="give no column"):
        screen(db.from_sequence([{}]), "profile")
    with pytest.raises(TypeError, match="expected a Dask DataFrame or Bag, got list"):
        screen([{}])  # type: ignore[arg-type]


def test_without_dask_the_import_says_what_to_install() -> None:
    code = "import sys; sys.modules['dask'] = None; import k2safety.dask"
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 1
    assert "ImportError: k2safety.dask needs Dask: pip install 'k2safety[dask]'" in (
        completed.stderr
    )


def _bulk_lines() -> list[str]:
    def order(patient: str, **medication: Any) -> dict[str, Any]:
        return {
            "resourceType": "MedicationRequest",
            "status": "active",
            "subject": {"reference": f"Patient/{patient}"},
            **medication,
        }

    resources: list[dict[str, Any]] = [
        {"resourceType": "Patient", "id": "a"},
        order("a", medicationReference={"reference": "Medication/w"}),
        order("b", medicationCodeableConcept={"text": "apixaban 5 mg"}),
        order("a", medicationCodeableConcept={"text": "Vitamin K2 MK-7 capsule"}),  # interleaved
        order("c", medicationCodeableConcept={"text": "metformin"}),
        {"resourceType": "Medication", "id": "w", "code": {"text": "warfarin 5 mg"}},  # last
        {"resourceType": "MedicationRequest", "status": "active"},  # no patient
        {"resourceType": "Bundle", "type": "collection", "entry": []},  # never only counted
    ]
    return [*map(json.dumps, resources), "{not json"]


_SCREEN_FHIR = """
import json, sys
import dask, dask.bag as db
assert dask.config.get("scheduler", None) is None  # Dask's defaults: no client, nothing set
from k2safety.dask import FHIR_COLUMNS, screen_fhir
frame = screen_fhir(db.from_sequence(json.loads(sys.stdin.read()), npartitions=3)).compute()
assert list(frame.columns) == list(FHIR_COLUMNS), frame.columns
assert all(str(dtype) == "string" for dtype in frame.dtypes), frame.dtypes
rows = [[None if value is None or value != value else value for value in row]
        for row in frame.astype(object).where(frame.notna(), None).itertuples(index=False)]
print(json.dumps(rows))
"""


def test_a_bag_of_bulk_export_lines_screens_one_row_per_patient() -> None:
    """Under Dask's default configuration and its default scheduler for a Bag (local
    processes), in a fresh interpreter so that no client of another test is the default."""
    completed = subprocess.run(
        [sys.executable, "-c", _SCREEN_FHIR],
        input=json.dumps(_bulk_lines()),
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    rows = json.loads(completed.stdout)
    by_patient = {row[0]: tuple(row[1:]) for row in rows if row[0] is not None}
    # a's warfarin (a Medication given after it) meets a's vitamin K from another partition.
    assert by_patient == {
        "a": ("critical", "K2-VKA K2-CONSULT K2-DOSE-NOT-STATED", None),
        "b": ("info", "K2-CONSULT", None),
        "c": ("info", "K2-CONSULT", None),
    }
    assert sorted(row[3] for row in rows if row[0] is None) == [
        "a Bundle: a bulk export holds one resource a line",
        "a MedicationRequest without a readable subject reference",
        "not valid JSON: Expecting property name enclosed in double quotes (column 2)",
    ]
