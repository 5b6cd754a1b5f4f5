"""Health conditions and medicines that call for a doctor's advice, and entries not screened."""

from __future__ import annotations

from k2safety._normalized import MedicationFacts
from k2safety.rules._registry import Hit, Trigger, join, rule, trigger


@rule("K2-CONSULT")
def conditions_or_medications(
    conditions: tuple[str, ...], medications: MedicationFacts
) -> Hit | None:
    if not conditions and not medications.resolved:
        return None
    listed = []
    triggers: tuple[Trigger, ...] = ()
    if conditions:
        listed.append(f"health conditions ({', '.join(conditions)})")
        triggers = tuple(trigger("conditions", condition) for condition in conditions)
    if medications.resolved:
        listed.append(f"medications ({', '.join(m.given for m in medications.resolved)})")
    return Hit(values={"what": join(listed)}, triggers=(*triggers, *medications.triggers))


@rule("K2-UNRECOGNIZED")
def not_screened(
    medications: MedicationFacts, unrecognized_foods: tuple[Trigger, ...]
) -> Hit | None:
    triggers = medications.unrecognized_triggers + unrecognized_foods
    if not triggers:
        return None
    return Hit(
        values={
            "names": join(f"'{trigger.value}'" for trigger in triggers),
            "pronoun": "it was" if len(triggers) == 1 else "they were",
            "which": "it is" if len(triggers) == 1 else "any of them is",
        },
        triggers=triggers,
    )
