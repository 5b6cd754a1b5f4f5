"""What findings say: the numbers, lists and triggers filled into each rule's message."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

import k2safety
from k2safety._triggers import format_mcg
from k2safety.rules._registry import join


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


def _finding(profile: dict[str, Any], code: str) -> k2safety.Finding:
    (finding,) = [f for f in k2safety.check(profile).findings if f.code == code]
    return finding


def _triggers(finding: k2safety.Finding) -> list[tuple[str, str]]:
    return [(trigger.field, trigger.value) for trigger in finding.triggers]


def test_mk4_message_gives_the_total_in_mg() -> None:
    finding = _finding(
        {"supplements": [{"ingredient": "MK-4", "dose": "1.5 mg"}]}, "K2-MK4-HIGH-DOSE"
    )
    assert finding.message.startswith("Your MK-4 adds up to 1.5 mg a day.")
    assert _triggers(finding) == [("supplements", "MK-4 1500 mcg/day")]


def test_mk7_messages_give_the_total() -> None:
    low = _finding({"supplements": [{"ingredient": "MK-7", "dose": "45 mcg"}]}, "K2-MK7-DOSE-LOW")
    assert low.message.startswith("Your MK-7 adds up to 45 mcg a day")
    high = _finding({"supplements": [{"ingredient": "MK-7", "dose": "0.5 mg"}]}, "K2-MK7-DOSE-HIGH")
    assert high.message.startswith("Your MK-7 adds up to 500 mcg a day")


def test_dietary_mk7_names_the_supplement_total_and_natto() -> None:
    finding = _finding(
        {"foods": ["Natto"], "supplements": [{"ingredient": "MK-7", "dose": "100 mcg"}]},
        "K2-DIETARY-MK7",
    )
    assert "(100 mcg a day)" in finding.message
    assert _triggers(finding) == [("supplements", "MK-7 100 mcg/day"), ("foods", "natto")]


def test_consult_lists_conditions_and_medications() -> None:
    finding = _finding(
        {"conditions": ["osteoporosis", "diabetes"], "medications": ["metformin", "aspirin"]},
        "K2-CONSULT",
    )
    assert "health conditions (diabetes, osteoporosis)" in finding.message
    assert "medications (aspirin, metformin)" in finding.message
    assert _triggers(finding) == [
        ("conditions", "diabetes"),
        ("conditions", "osteoporosis"),
        ("medications", "aspirin"),
        ("medications", "metformin"),
    ]


def test_multiple_sources_gives_each_total() -> None:
    finding = _finding(
        {
            "supplements": [
                {"ingredient": "MK-7", "dose": "100 mcg"},
                {"ingredient": "MK-7", "dose": "0.1 mg"},
                {"ingredient": "MK-4", "dose": "50 mcg"},
            ]
        },
        "K2-MULTIPLE-SOURCES",
    )
    assert finding.message.startswith("You plan 3 vitamin K2 supplements.")
    assert finding.message.endswith("MK-7 200 mcg a day, MK-4 50 mcg a day.")


def test_time_to_effect_names_each_goal() -> None:
    finding = _finding({"goals": ["prevent_calcification", "arterial_health"]}, "K2-TIME-TO-EFFECT")
    assert finding.message.startswith("Your goal is arterial health and preventing calcification.")


def test_unrecognized_names_every_entry_with_the_right_grammar() -> None:
    one = _finding({"medications": ["Brilinta"]}, "K2-UNRECOGNIZED")
    assert one.message.startswith("We did not recognize 'Brilinta', so it was not screened. If it")
    two = _finding({"medications": ["Brilinta"], "foods": ["gouda"]}, "K2-UNRECOGNIZED")
    assert "'Brilinta' and 'gouda', so they were not screened. If any of them" in two.message
    assert _triggers(two) == [("medications", "Brilinta"), ("foods", "gouda")]


def test_vka_message_lists_every_vitamin_k_and_the_k1_note() -> None:
    finding = _finding(
        {
            "medications": ["warfarin"],
            "supplements": [
                {"ingredient": "MK-7", "dose": "100 mcg"},
                {"ingredient": "K1", "dose": "100 mcg"},
            ],
            "foods": ["natto"],
        },
        "K2-VKA",
    )
    assert "plan MK-7 (vitamin K2), vitamin K1 and natto." in finding.message
    assert "antidote" in finding.message
    assert "Natto is a rich source" in finding.message
    assert _triggers(finding) == [
        ("medications", "warfarin"),
        ("supplements", "MK-7 100 mcg/day"),
        ("supplements", "K1 100 mcg/day"),
        ("foods", "natto"),
    ]


def test_a_rule_code_cannot_be_registered_twice() -> None:
    from k2safety.rules._registry import REGISTRY, rule

    existing = REGISTRY["K2-CONSULT"]
    with pytest.raises(ValueError, match="K2-CONSULT is registered twice"):
        rule("K2-CONSULT")(existing)
    assert REGISTRY["K2-CONSULT"] is existing


def test_vka_message_names_natto_only_when_it_is_eaten() -> None:
    finding = _finding(
        {"medications": ["warfarin"], "supplements": [{"ingredient": "MK-7", "dose": "90 mcg"}]},
        "K2-VKA",
    )
    assert "plan MK-7 (vitamin K2)." in finding.message
    assert "natto" not in finding.message.lower()
    assert "antidote" not in finding.message
