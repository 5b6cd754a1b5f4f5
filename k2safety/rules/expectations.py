"""What the person hopes K2 will do, against what the evidence shows."""

from __future__ import annotations

from functools import cache

from k2safety._knowledge import Knowledge
from k2safety._normalized import NormalizedProfile
from k2safety._profile import Goal
from k2safety.rules._registry import Hit, join, rule, trigger

_LONG_TERM_GOALS = (Goal.ARTERIAL_HEALTH, Goal.PREVENT_CALCIFICATION)


@cache
def _goal_labels(kb: Knowledge) -> dict[str, str]:
    return {goal.id: goal.label for goal in kb.goals}


@rule("K2-REVERSAL-CLAIM")
def reversal_expected(profile: NormalizedProfile, kb: Knowledge) -> Hit | None:
    if Goal.REVERSE_CALCIFICATION not in profile.goals:
        return None
    return Hit(triggers=(trigger("goals", Goal.REVERSE_CALCIFICATION.value),))


@rule("K2-TIME-TO-EFFECT")
def quick_arterial_effect_expected(profile: NormalizedProfile, kb: Knowledge) -> Hit | None:
    goals = [goal for goal in _LONG_TERM_GOALS if goal in profile.goals]
    if not goals:
        return None
    return Hit(
        values={"goals": join(_goal_labels(kb)[goal] for goal in goals)},
        triggers=tuple(trigger("goals", goal.value) for goal in goals),
    )
