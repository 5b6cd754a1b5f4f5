"""What the person hopes K2 will do, against what the evidence shows."""

from __future__ import annotations

from collections.abc import Mapping

from k2safety._terms import Goal
from k2safety.rules._hit import Hit, join, trigger

__all__ = ["quick_arterial_effect_expected", "reversal_expected"]

_LONG_TERM_GOALS = (Goal.ARTERIAL_HEALTH, Goal.PREVENT_CALCIFICATION)


def reversal_expected(goals: Mapping[Goal, str]) -> Hit | None:
    """Fires when the goal is to reverse calcification."""
    if Goal.REVERSE_CALCIFICATION not in goals:
        return None
    return Hit(triggers=(trigger("goals", Goal.REVERSE_CALCIFICATION.value),))


def quick_arterial_effect_expected(goals: Mapping[Goal, str]) -> Hit | None:
    """Fires when the goal is arterial health or preventing calcification, which take years."""
    expected = [goal for goal in _LONG_TERM_GOALS if goal in goals]
    if not expected:
        return None
    return Hit(
        values={"goals": join(goals[goal] for goal in expected)},
        triggers=tuple(trigger("goals", goal.value) for goal in expected),
    )
