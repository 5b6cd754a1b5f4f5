"""The text helpers findings are written with: amounts (format_mcg) and lists (join)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from k2safety._triggers import format_mcg
from k2safety.rules._hit import join


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Fraction(180), "180"),
        (Fraction(0), "0"),
        (Fraction(1, 2), "0.5"),
        (Fraction(5, 4), "1.25"),
        (Fraction(1, 100), "0.01"),
        (Fraction(1000, 7), "about 142.86"),
        (Fraction(200, 3), "about 66.67"),
        (Fraction(1, 3), "about 0.33"),
        (Fraction(1, 8), "about 0.13"),
        (Fraction(1, 300), "about 0.00333"),
        (Fraction(1, 1000), "0.001"),
        (Fraction(100_001, 1000), "about 100"),
        (Fraction(1, 7 * 10**300), "about 1.43e-301"),
    ],
)
def test_amounts_are_shown_exactly_or_marked_as_rounded(amount: Fraction, shown: str) -> None:
    assert format_mcg(amount) == shown


def test_huge_amounts_are_shown_without_a_float() -> None:
    shown = format_mcg(Fraction(10**309, 3))
    assert shown.startswith("about 3333")
    assert shown.endswith("333.33")


@pytest.mark.parametrize(
    ("items", "joined"),
    [([], ""), (["a"], "a"), (["a", "b"], "a and b"), (["a", "b", "c"], "a, b and c")],
)
def test_lists_read_as_prose(items: list[str], joined: str) -> None:
    assert join(items) == joined
