"""Health conditions and medicines that call for a doctor's advice, and entries not screened."""

from __future__ import annotations

from k2safety._knowledge import Knowledge
from k2safety._normalized import NormalizedProfile
from k2safety.rules._registry import Hit, join, rule, trigger


@rule("K2-CONSULT")
def conditions_or_medications(profile: NormalizedProfile, kb: Knowledge) -> Hit | None:
    conditions = profile.conditions
    medications = tuple(medication.given for medication in profile.medications)
    if not conditions and not medications:
        return None
    listed = []
    if conditions:
        listed.append(f"health conditions ({', '.join(conditions)})")
    if medications:
        listed.append(f"medications ({', '.join(medications)})")
    triggers = [trigger("conditions", condition) for condition in conditions]
    triggers += [trigger("medications", medication) for medication in medications]
    return Hit(values={"what": join(listed)}, triggers=tuple(triggers))


@rule("K2-UNRECOGNIZED")
def not_screened(profile: NormalizedProfile, kb: Knowledge) -> Hit | None:
    triggers = [trigger("medications", name) for name in profile.unrecognized_medications]
    triggers += [trigger("foods", name) for name in profile.unrecognized_foods]
    if not triggers:
        return None
    return Hit(
        values={
            "names": join(f"'{trigger.value}'" for trigger in triggers),
            "pronoun": "it was" if len(triggers) == 1 else "they were",
            "which": "it is" if len(triggers) == 1 else "any of them is",
        },
        triggers=tuple(triggers),
    )
