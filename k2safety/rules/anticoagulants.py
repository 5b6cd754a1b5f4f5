"""Vitamin K planned alongside an anticoagulant."""

from __future__ import annotations

from typing import TYPE_CHECKING

from k2safety._terms import Form
from k2safety.rules._hit import Hit, join, trigger

if TYPE_CHECKING:
    from k2safety._knowledge import DrugClass
    from k2safety._normalized import DrugClasses, VitaminK


def vitamin_k_with_anticoagulant(
    drug_classes: DrugClasses, vitamin_k: VitaminK, *, drug_class: DrugClass
) -> Hit | None:
    """Fires when a medication of ``drug_class`` is taken and vitamin K is planned.

    Vitamin K is any supplement of a form in the vitamin K family, at any dose (the source sets
    no safe amount), or a food the vocabulary lists as a notable source of it. Notes: the foods
    that counted; vitamin K1 with a class that K1 reverses; medications read as misspellings.
    """
    taken = drug_classes.get(drug_class.id)
    if not taken or not (vitamin_k.totals or vitamin_k.foods):
        return None
    approximate = sorted(
        {
            f"'{match.matched_text}' as {match.name}"
            for _, match in taken
            if match.matched_by == "approximate"
        }
    )
    notes = [
        note
        for note, applies in (
            ("food", vitamin_k.foods),
            ("k1", drug_class.reversed_by_vitamin_k1 and Form.K1 in vitamin_k.totals),
            ("approximate", approximate),
        )
        if applies
    ]
    triggers = [trigger("medications", m.given) for m in dict.fromkeys(m for m, _ in taken)]
    triggers += vitamin_k.triggers.values()
    triggers += [trigger("foods", food.id) for food in vitamin_k.foods]
    planned = [*vitamin_k.labels, *(food.id for food in vitamin_k.foods)]
    return Hit(
        values={
            "drugs": join(sorted({match.name for _, match in taken})),
            "vitamin_k": join(planned),
            "approximate": join(approximate),
            "food_notes": " ".join(food.note or "" for food in vitamin_k.foods),
        },
        triggers=tuple(triggers),
        notes=tuple(notes),
    )
