"""Health conditions and medicines that call for a doctor's advice, and entries not screened."""

from __future__ import annotations

from typing import TYPE_CHECKING

from k2safety._text import fold
from k2safety.rules._hit import Hit, join, trigger

if TYPE_CHECKING:
    from k2safety._normalized import MedicationList

__all__ = ["conditions_or_medications", "not_screened"]


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
    """Fires when a medication or a food could not be matched to anything in the vocabulary.

    Entries that differ only in case or separators (the folding every lookup uses) are one
    entry, listed once: the first of them in the sorted profile ('Aspirin' before 'aspirin').
    Notes: the medications (``medications``) and the foods (``foods``), each in its own words.
    """
    unknown_medications = _once(medications.unrecognized)
    unknown_foods = _once(unrecognized_foods)
    if not unknown_medications and not unknown_foods:
        return None
    triggers = [trigger("medications", given) for given in unknown_medications]
    triggers += [trigger("foods", food) for food in unknown_foods]
    notes = [
        note
        for note, applies in (("medications", unknown_medications), ("foods", unknown_foods))
        if applies
    ]
    return Hit(
        values={
            "names": join(f"'{trigger.value}'" for trigger in triggers),
            "pronoun": "it was" if len(triggers) == 1 else "they were",
            "medications": join((f"'{given}'" for given in unknown_medications), "or"),
            "foods": join((f"'{food}'" for food in unknown_foods), "or"),
            "foods_pronoun": "it" if len(unknown_foods) == 1 else "them",
        },
        triggers=tuple(triggers),
        notes=tuple(notes),
    )


def _once(entries: tuple[str, ...]) -> tuple[str, ...]:
    """Each entry once, by its folded text, keeping the first as given (entries are sorted)."""
    if len(entries) < 2:
        return entries
    first: dict[str, str] = {}
    for entry in entries:
        first.setdefault(fold(entry), entry)
    return tuple(first.values())
