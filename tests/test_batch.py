"""check_many(): one result per row, in order, in this process or over worker processes."""

from __future__ import annotations

import itertools
import multiprocessing
import os
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import k2safety
from k2safety._batch import WorkerDied, check_many, screen_rows
from k2safety._knowledge import knowledge

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "rules" / "fixtures"

MK7 = {"ingredient": "MK-7", "dose": "180 mcg"}
NOT_PROFILES: list[Any] = [
    {"supplements": [{"ingredient": "MK-7", "dose": "180"}]},  # no unit
    {"nonsense": True},
    None,
    42,
    "warfarin",
    [{"supplements": [MK7]}],
]


def _fixture_profiles() -> list[dict[str, Any]]:
    """Every profile of the rule fixtures: every rule fires in some of them."""
    profiles = []
    for path in sorted(FIXTURES.glob("*.toml")):
        examples = tomllib.loads(path.read_text("utf-8"))
        profiles += [example["profile"] for kind in ("fires", "ok") for example in examples[kind]]
    return profiles


PROFILES = _fixture_profiles()
# An invalid row after every second valid one, so that errors land in every position of a chunk.
_INVALID_ROWS = itertools.cycle(NOT_PROFILES)
MIXED = [
    row
    for index, profile in enumerate(PROFILES)
    for row in ([profile, next(_INVALID_ROWS)] if index % 2 else [profile])
]


def expected(row: Any) -> k2safety.Report | k2safety.ProfileError:
    try:
        return k2safety.check(row)
    except k2safety.ProfileError as error:
        return error


def assert_same(
    got: k2safety.Report | k2safety.ProfileError, want: k2safety.Report | k2safety.ProfileError
) -> None:
    assert type(got) is type(want)
    if isinstance(want, k2safety.ProfileError):
        assert isinstance(got, k2safety.ProfileError)
        assert got.problems == want.problems
        assert str(got) == str(want)
    else:
        assert got == want


def test_the_fixtures_cover_every_rule_and_both_kinds_of_result() -> None:
    codes = {code for row in PROFILES for code in k2safety.check(row).codes}
    assert codes == set(knowledge().rules)
    invalid = sum(isinstance(expected(row), k2safety.ProfileError) for row in MIXED)
    assert invalid == len(PROFILES) // 2 > len(NOT_PROFILES)


def test_each_row_gives_its_report_or_its_profile_error_in_order() -> None:
    results = list(check_many(MIXED))
    assert len(results) == len(MIXED)
    for got, row in zip(results, MIXED, strict=True):
        assert_same(got, expected(row))


def test_a_row_that_is_not_a_mapping_gives_a_profile_error() -> None:
    (result,) = check_many(["warfarin"])
    assert isinstance(result, k2safety.ProfileError)
    assert result.problems == (("", "a profile must be a JSON object (a mapping of fields)"),)


def test_validated_profiles_are_screened_as_they_are() -> None:
    profile = k2safety.Profile.model_validate({"medications": ["warfarin"], "supplements": [MK7]})
    (report,) = check_many([profile])
    assert isinstance(report, k2safety.Report)
    assert report.codes[0] == "K2-VKA"


@pytest.mark.parametrize("chunksize", [1, 5, 64])
def test_worker_processes_give_the_same_results_in_the_same_order(chunksize: int) -> None:
    results = list(check_many(MIXED, processes=2, chunksize=chunksize))
    assert len(results) == len(MIXED)
    for got, row in zip(results, MIXED, strict=True):
        assert_same(got, expected(row))


def test_the_work_is_spread_over_the_worker_processes() -> None:
    pids = set(screen_rows(range(200), _pid, processes=2, chunksize=10))
    assert len(pids) == 2
    assert os.getpid() not in pids


def _pid(_: object) -> int:
    return os.getpid()


def test_a_generator_is_read_only_as_fast_as_results_are_taken() -> None:
    read: list[int] = []

    def rows() -> Iterator[dict[str, Any]]:
        for number in itertools.count():
            read.append(number)
            yield {"supplements": [MK7]}

    in_process = check_many(rows())
    next(in_process)
    assert len(read) == 1
    in_process.close()

    read.clear()
    workers = check_many(rows(), processes=2, chunksize=4)
    for _ in range(10):
        next(workers)
    # At most two chunks per worker in flight, plus the chunk being read.
    assert len(read) <= 10 + 2 * 2 * 4 + 4
    workers.close()
    assert not multiprocessing.active_children()


def test_stopping_early_ends_the_workers() -> None:
    for _ in check_many(PROFILES, processes=2, chunksize=2):
        break
    assert not multiprocessing.active_children()


def test_an_unexpected_error_comes_after_the_earlier_results_and_names_the_row() -> None:
    results = screen_rows([1, 2, 0, 4], _reciprocal)
    assert [next(results), next(results)] == [1.0, 0.5]
    with pytest.raises(ZeroDivisionError) as raised:
        next(results)
    assert "while screening row 2 (0-based) of the batch" in raised.value.__notes__


@pytest.mark.parametrize("chunksize", [1, 3])
def test_an_unexpected_error_in_a_worker_comes_back_with_its_row(chunksize: int) -> None:
    rows = [1, 2, 4, 5, 8, 0, 10]
    results = screen_rows(rows, _reciprocal, processes=2, chunksize=chunksize)
    assert list(itertools.islice(results, 5)) == [1.0, 0.5, 0.25, 0.2, 0.125]
    with pytest.raises(ZeroDivisionError) as raised:
        next(results)
    notes = raised.value.__notes__
    assert "while screening row 5 (0-based) of the batch" in notes
    assert any("traceback in the worker process" in note for note in notes)
    assert not multiprocessing.active_children()


def _reciprocal(number: int) -> float:
    return 1 / number


def test_an_error_that_cannot_be_pickled_still_reaches_the_caller() -> None:
    results = screen_rows([1, 2], _unpicklable_error, processes=1)
    assert next(results) == 1
    with pytest.raises(RuntimeError, match=r"_Unpicklable: row 2") as raised:
        next(results)
    assert "while screening row 1 (0-based) of the batch" in raised.value.__notes__


class _Unpicklable(Exception):
    def __init__(self, message: str, callback: object) -> None:
        super().__init__(message)
        self.callback = callback  # a lambda: pickle refuses it


def _unpicklable_error(number: int) -> int:
    if number == 2:
        raise _Unpicklable(f"row {number}", lambda: None)
    return number


def test_a_worker_that_dies_is_reported_not_waited_for() -> None:
    results = screen_rows([1, 2, -1, 4], _exit_on_negative, processes=2, chunksize=1)
    with pytest.raises(WorkerDied, match=r"exit code 3"):
        list(results)
    assert not multiprocessing.active_children()


def _exit_on_negative(number: int) -> int:
    if number < 0:
        os._exit(3)
    return number


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"processes": 0}, "processes must be at least 1, got 0"),
        ({"chunksize": 0}, "chunksize must be at least 1, got 0"),
    ],
)
def test_bad_options_are_refused_at_once(options: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_many([], **options)


def test_nothing_in_gives_nothing_out() -> None:
    assert list(check_many([])) == []
    assert list(check_many([], processes=2)) == []


# --- one bad row costs one result, in every mode (issue 11, item 4) ----------------------------


class _Unloadable:
    """Pickles, but cannot be rebuilt from its pickle (as a class a worker cannot import)."""

    def __reduce__(self) -> tuple[Any, tuple[()]]:
        return (_refuse_to_load, ())


def _refuse_to_load() -> None:
    raise AttributeError("Can't get attribute 'Profile' on <module '__main__'>")


def _rows_with_bad_ones() -> list[Any]:
    """Fresh rows (a generator can be screened once): valid ones around rows that cannot be
    pickled or unpickled, each in a different position of a chunk."""
    valid = [row for row in MIXED if not isinstance(expected(row), k2safety.ProfileError)][:9]
    return [
        valid[0],
        lambda: None,  # not a mapping, and not picklable
        valid[1],
        valid[2],
        {"supplements": [MK7], "foods": (food for food in ["natto"])},  # valid, not picklable
        valid[3],
        _Unloadable(),
        valid[4],
        {"medications": [lambda: "warfarin"]},  # invalid, not picklable
        *valid[5:],
    ]


@pytest.mark.parametrize("chunksize", [1, 2, 3, 64])
def test_a_row_that_cannot_travel_to_a_worker_costs_only_its_own_result(chunksize: int) -> None:
    in_process = list(check_many(_rows_with_bad_ones()))
    with_workers = list(check_many(_rows_with_bad_ones(), processes=2, chunksize=chunksize))
    rows = _rows_with_bad_ones()
    assert len(in_process) == len(with_workers) == len(rows)
    for got, want in zip(with_workers, in_process, strict=True):
        assert_same(got, want)
    errors = [
        i for i, result in enumerate(with_workers) if isinstance(result, k2safety.ProfileError)
    ]
    # The lambda, the object that cannot be unpickled and the lambda as a medication: each
    # gives its own error; every valid row, and the valid row holding a generator, its report.
    assert errors == [1, 6, 8]
    assert isinstance(with_workers[4], k2safety.Report)
    assert with_workers[4].profile.foods == ("natto",)
    assert not multiprocessing.active_children()


@pytest.mark.parametrize(("processes", "chunksize"), [(None, 64), (2, 1), (2, 3), (2, 64)])
def test_an_iterator_that_raises_gives_every_earlier_result_then_its_error(
    processes: int | None, chunksize: int
) -> None:
    def rows() -> Iterator[Any]:
        yield from MIXED[:10]
        raise OSError("the source broke")

    results: list[Any] = []
    screened = check_many(rows(), processes=processes, chunksize=chunksize)
    with pytest.raises(OSError, match="the source broke") as raised:
        results.extend(screened)  # list.extend keeps what came before the error
    assert len(results) == 10
    for got, row in zip(results, MIXED[:10], strict=True):
        assert_same(got, expected(row))
    assert (
        "while reading row 10 (0-based) of the batch from the iterator of the rows; every row "
        "before it was screened" in raised.value.__notes__
    )
    assert not multiprocessing.active_children()


def test_an_iterator_that_raises_at_once_gives_its_error_in_every_mode() -> None:
    def rows() -> Iterator[Any]:
        raise ValueError("no rows at all")
        yield  # pragma: no cover - makes this a generator

    for processes in (None, 2):
        with pytest.raises(ValueError, match="no rows at all") as raised:
            list(check_many(rows(), processes=processes))
        assert any("while reading row 0 (0-based)" in note for note in raised.value.__notes__)
