"""Health conditions and medicines that call for a doctor's advice, and entries not screened."""

from __future__ import annotations

from typing import TYPE_CHECKING

from k2safety._text import fold
from k2safety.rules._hit import Hit, join, trigger

if TYPE_CHECKING:
    from k2safety._normalized import MedicationList, VitaminK

__all__ = ["conditions_or_medications", "incomplete_screen", "not_screened"]


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


def _planned(vitamin_k: VitaminK) -> bool:
    """Whether vitamin K is planned: a supplement of a vitamin K form, dose stated or not, or a
    food that is a notable source of it."""
    return bool(vitamin_k.totals or vitamin_k.not_stated or vitamin_k.foods)


def not_screened(
    vitamin_k: VitaminK, medications: MedicationList, unrecognized_foods: tuple[str, ...]
) -> Hit | None:
    """Fires when a food, or (with no vitamin K planned) a medication, could not be matched to
    anything in the vocabulary. With vitamin K planned, an unrecognized medication is left to
    K2-INCOMPLETE-SCREEN, which warns.

    Entries that differ only in case or separators (the folding every lookup uses) are one
    entry, listed once: the first of them in the sorted profile ('Aspirin' before 'aspirin').
    Notes: the medications (``medications``) and the foods (``foods``), each in its own words.
    """
    unknown_medications = () if _planned(vitamin_k) else _once(medications.unrecognized)
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


def incomplete_screen(vitamin_k: VitaminK, medications: MedicationList) -> Hit | None:
    """Fires when vitamin K is planned (any vitamin K form as a supplement, dose stated or not,
    or a food that is a notable source of it) and any medication could not be matched to
    anything in the vocabulary, so the screen is incomplete: it names each such medication once
    (folded as K2-UNRECOGNIZED does) and the vitamin K planned."""
    if not _planned(vitamin_k):
        return None
    unknown = _once(medications.unrecognized)
    if not unknown:
        return None
    intake = [*vitamin_k.labels, *(food.id for food in vitamin_k.foods)]
    return Hit(
        values={
            "medications": join(f"'{given}'" for given in unknown),
            "pronoun": "it was" if len(unknown) == 1 else "they were",
            "any": "it is" if len(unknown) == 1 else "any of them is",
            "intake": join(intake),
        },
        triggers=(
            *(trigger("medications", given) for given in unknown),
            *vitamin_k.triggers.values(),
            *(trigger("foods", food.id) for food in vitamin_k.foods),
        ),
    )
