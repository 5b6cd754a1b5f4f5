"""Tests written for mutants that survived scripts/mutation.sh and would matter if they shipped.

Each test pins what a surviving mutant changed: the misspelling bound of the matcher (one edit
below nine letters, two from nine), the edges of the dose ranges and of the exponent range, the
vitamin K1 note and the triggers of the anticoagulant findings. See docs/mutation.md.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

import k2safety
from k2safety._knowledge import knowledge
from k2safety._matching import match_name


def _substances(text: str) -> list[str | None]:
    return [match.substance for match in match_name(text)]


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("heparxn", ["heparin"]),  # 7 letters, one edit
        ("warfxrxn", []),  # 8 letters, two edits: beyond the bound below nine letters
        ("coumxdxne", ["warfarin"]),  # 9 letters, two edits: within the bound from nine
        ("cxumxdxne", []),  # 9 letters, three edits
        ("phenprxcxumon", ["phenprocoumon"]),  # 13 letters, two edits
    ],
)
def test_the_misspelling_bound_is_one_edit_below_nine_letters_and_two_from_nine(
    word: str, expected: list[str]
) -> None:
    assert _substances(word) == expected


def _mk7_codes(mcg_per_day: Fraction) -> set[str]:
    dose = {"value": float(mcg_per_day), "unit": "mcg"}
    assert Fraction(dose["value"]) == mcg_per_day
    return set(k2safety.check({"supplements": [{"ingredient": "MK-7", "dose": dose}]}).codes)


@pytest.mark.parametrize("step", [Fraction(1, 1024), Fraction(1)])
def test_the_typical_mk7_range_is_closed_at_both_ends(step: Fraction) -> None:
    low = knowledge().threshold("mk7_typical_min")
    high = knowledge().threshold("mk7_typical_max")
    assert "K2-MK7-DOSE-LOW" in _mk7_codes(low - step)
    assert not {"K2-MK7-DOSE-LOW", "K2-MK7-DOSE-HIGH"} & _mk7_codes(low)
    assert not {"K2-MK7-DOSE-LOW", "K2-MK7-DOSE-HIGH"} & _mk7_codes(high)
    assert "K2-MK7-DOSE-HIGH" in _mk7_codes(high + step)


@pytest.mark.parametrize("step", [Fraction(1, 1024), Fraction(1)])
def test_the_mk4_pharmacological_line_includes_the_threshold(step: Fraction) -> None:
    line = knowledge().threshold("mk4_pharmacological")

    def codes(amount: Fraction) -> tuple[str, ...]:
        dose = {"value": float(amount), "unit": "mcg"}
        return k2safety.check({"supplements": [{"ingredient": "MK-4", "dose": dose}]}).codes

    assert "K2-MK4-HIGH-DOSE" not in codes(line - step)
    assert "K2-MK4-HIGH-DOSE" in codes(line)


@pytest.mark.parametrize(
    ("dose", "accepted"),
    [("1e-300 mcg", True), ("1e-301 mcg", False), ("1e300 mcg", True), ("1e301 mcg", False)],
)
def test_the_exponent_range_includes_its_ends(dose: str, accepted: bool) -> None:
    profile = {"supplements": [{"ingredient": "D3", "dose": dose}]}
    if accepted:
        k2safety.check(profile)
    else:
        with pytest.raises(k2safety.ProfileError, match="out of range"):
            k2safety.check(profile)


def _finding(profile: dict[str, object], code: str) -> k2safety.Finding:
    return next(f for f in k2safety.check(profile).findings if f.code == code)


def test_the_k1_note_is_for_vitamin_k_antagonists_only() -> None:
    k1 = [{"ingredient": "K1", "dose": "100 mcg"}]
    vka = _finding({"medications": ["warfarin"], "supplements": k1}, "K2-VKA")
    other = _finding({"medications": ["apixaban"], "supplements": k1}, "K2-ANTICOAGULANT")
    antidote = knowledge().rules["K2-VKA"].notes["k1"]
    assert antidote in vka.message
    assert antidote not in other.message


def test_anticoagulant_findings_name_the_medication_and_the_supplement() -> None:
    profile = {
        "medications": ["warfarin"],
        "supplements": [{"ingredient": "MK-7", "dose": "90 mcg"}],
    }
    fields = [trigger.field for trigger in _finding(profile, "K2-VKA").triggers]
    assert fields == ["medications", "supplements"]
