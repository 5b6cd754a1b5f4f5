"""Every cache in k2safety: bounded memos of pure functions of text, sized by one policy.

Why only text: people write the same dose ("180 mcg"), unit ("mcg/day") and medication name
("warfarin 5 mg") again and again, while whole profiles rarely repeat. Remembering what a text
means is cheap and always correct; remembering anything built from several inputs is neither.

Why not :func:`functools.lru_cache`: its entries are linked objects that the garbage collector
walks on every full pass. A memo here is one ordered dict (whose links are not Python objects)
keyed by text, with values that are small tuples of text and numbers, which the collector stops
tracking, so a full memo adds about one object to a collection, not thousands. When a memo is
full its oldest entry goes.

Only successful results are remembered: an invalid text raises again each time, and nobody can
fill a memo with error messages. Texts longer than :data:`LONGEST_KEY` are worked out afresh.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["CAPACITY", "LONGEST_KEY", "TextMemo", "clear_all", "memos", "text_memo"]

CAPACITY = 2048
"""The most entries any one memo holds."""
LONGEST_KEY = 256
"""The longest text a memo remembers."""

Value = TypeVar("Value")


class TextMemo(Generic[Value]):
    """A pure function of one text, remembering up to :data:`CAPACITY` results."""

    __slots__ = ("_entries", "_function", "name")

    def __init__(self, name: str, function: Callable[[str], Value]) -> None:
        self.name = name
        self._function = function
        self._entries: OrderedDict[str, Value] = OrderedDict()

    def __call__(self, text: str) -> Value:
        entries = self._entries
        if text in entries:
            return entries[text]
        value = self._function(text)
        if len(text) <= LONGEST_KEY:
            if len(entries) >= CAPACITY:
                # Not contextlib.suppress: it builds an object on every eviction, and on text
                # that never repeats every call evicts.
                try:  # noqa: SIM105
                    entries.popitem(last=False)
                except KeyError:  # another thread emptied it meanwhile
                    pass
            entries[text] = value
        return value

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        """Forget every entry."""
        self._entries.clear()


_MEMOS: list[TextMemo[object]] = []


def text_memo(name: str, function: Callable[[str], Value]) -> TextMemo[Value]:
    """A :class:`TextMemo` of ``function``, registered so that :func:`clear_all` reaches it."""
    memo = TextMemo(name, function)
    _MEMOS.append(memo)  # type: ignore[arg-type]
    return memo


def memos() -> tuple[TextMemo[object], ...]:
    """Every memo in the package."""
    return tuple(_MEMOS)


def clear_all() -> None:
    """Forget everything every memo holds (tests use it to meet every function afresh)."""
    for memo in _MEMOS:
        memo.clear()
