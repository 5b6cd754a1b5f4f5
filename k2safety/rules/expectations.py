"""What the person hopes K2 will do, against what the evidence shows."""

from __future__ import annotations

from k2safety._knowledge import Knowledge
from k2safety._profile import Goal
from k2safety.rules._registry import Hit, join, rule, trigger

_LONG_TERM_GOALS = (Goal.ARTERIAL_HEALTH, Goal.PREVENT_CALCIFICATION)


@rule("K2-REVERSAL-CLAIM")
def reversal_expected(goals: frozenset[Goal]) -> Hit | None:
    if Goal.REVERSE_CALCIFICATION not in goals:
        return None
    return Hit(triggers=(trigger("goals", Goal.REVERSE_CALCIFICATION.value),))


@rule("K2-TIME-TO-EFFECT")
def quick_arterial_effect_expected(goals: frozenset[Goal], kb: Knowledge) -> Hit | None:
    expected = [goal for goal in _LONG_TERM_GOALS if goal in goals]
    if not expected:
        return None
    labels = {goal.id: goal.label for goal in kb.goals}
    return Hit(
        values={"goals": join(labels[goal] for goal in expected)},
        triggers=tuple(trigger("goals", goal.value) for goal in expected),
    )
