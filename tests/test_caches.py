"""The memos: bounded, text keys only, nothing remembered that failed, and little for the GC."""

from __future__ import annotations

import gc

import pytest

import k2safety
from k2safety import _caches
from k2safety._caches import CAPACITY, LONGEST_KEY, TextMemo, memos


def test_a_memo_remembers_each_text_once_and_forgets_the_oldest_when_full() -> None:
    calls: list[str] = []

    def length(text: str) -> int:
        calls.append(text)
        return len(text)

    memo = TextMemo("test", length)
    assert memo("abc") == 3
    assert memo("abc") == 3
    assert calls == ["abc"]
    for number in range(CAPACITY + 10):
        memo(str(number))
    assert len(memo) == CAPACITY
    memo("abc")  # the oldest entries were dropped, this one among them
    assert calls.count("abc") == 2


def test_a_memo_skips_long_texts_and_failures() -> None:
    def refuse(text: str) -> int:
        raise ValueError(text)

    memo = TextMemo("test", refuse)
    with pytest.raises(ValueError, match="x"):
        memo("x")
    assert len(memo) == 0
    counted = TextMemo("test", len)
    counted("y" * (LONGEST_KEY + 1))
    assert len(counted) == 0
    counted("y" * LONGEST_KEY)
    assert len(counted) == 1


def test_checking_fills_only_the_registered_memos() -> None:
    _caches.clear_all()
    k2safety.check(
        {
            "medications": ["warfrin 5 mg", "metformin"],
            "supplements": [{"ingredient": "MK-7", "dose": "180 mcg"}],
        }
    )
    filled = {memo.name: len(memo) for memo in memos() if len(memo)}
    assert filled, "a check with a dose and a misspelling remembers something"
    _caches.clear_all()
    assert all(len(memo) == 0 for memo in memos())


def test_full_memos_give_the_garbage_collector_little_to_walk() -> None:
    _caches.clear_all()
    gc.collect()
    before = len(gc.get_objects())
    for number in range(CAPACITY + 100):
        k2safety.check(
            {
                "medications": [f"drugname{number} {number} mg"],
                "supplements": [{"ingredient": "MK-7", "dose": f"{number + 1}.5 mcg"}],
            }
        )
    gc.collect()
    added = len(gc.get_objects()) - before
    # Memo entries are text keys and tuples of numbers and text, which the collector stops
    # tracking: full memos add a handful of objects, not one or more per entry.
    assert added < CAPACITY // 4, added
