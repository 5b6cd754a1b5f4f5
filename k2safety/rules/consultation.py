"""Health conditions and medicines that call for a doctor's advice, and entries not screened."""

from __future__ import annotations

from typing import TYPE_CHECKING

from k2safety.rules._hit import Hit, join, trigger

if TYPE_CHECKING:
    from k2safety._normalized import MedicationList


def conditions_or_medications(
    conditions: tuple[str, ...], medications: MedicationList
) -> Hit | None:
    """Fires when any health condition or any medication (recognized or not) is listed."""
    if not conditions and not medications.resolved:
        return None
    listed = []
    if conditions:
        listed.append(f"health conditions ({', '.join(conditions)})")
    if medications.resolved:
        listed.append(f"medications ({', '.join(m.given for m in medications.resolved)})")
    triggers = [trigger("conditions", condition) for condition in conditions]
    triggers += [trigger("medications", m.given) for m in medications.resolved]
    return Hit(values={"what": join(listed)}, triggers=tuple(triggers))


def not_screened(medications: MedicationList, unrecognized_foods: tuple[str, ...]) -> Hit | None:
    """Fires when a medication or a food could not be matched to anything in the vocabulary."""
    triggers = [trigger("medications", given) for given in medications.unrecognized]
    triggers += [trigger("foods", food) for food in unrecognized_foods]
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
