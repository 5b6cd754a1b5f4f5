"""Vitamin K planned alongside an anticoagulant."""

from __future__ import annotations

from typing import TYPE_CHECKING

from k2safety._terms import Form
from k2safety.rules._hit import Hit, join, trigger

if TYPE_CHECKING:
    from k2safety._knowledge import DrugClass
    from k2safety._normalized import DrugClasses, VitaminK

__all__ = ["vitamin_k_with_anticoagulant"]


def vitamin_k_with_anticoagulant(
    drug_classes: DrugClasses,
    vitamin_k: VitaminK,
    medical_supervision: bool,
    *,
    drug_class: DrugClass,
) -> Hit | None:
    """Fires when a medication of ``drug_class`` is taken and vitamin K is planned.

    A medication is taken when it is listed, or when a health condition names it ("on
    warfarin"); its trigger says which field it was found in.

    Vitamin K is any supplement of a form in the vitamin K family (vitamin K of unstated form
    too), at any dose, stated or not (the source sets no safe amount), or a food the
    vocabulary lists as a notable source of it.

    Notes, in the order the message shows them: with a supplement, what the source asks of it
    (``supplement``), or, when a doctor supervises the person, what applies to them
    (``supervised``); with foods only, why a food matters (``food_only``); the foods that counted
    (``food``); vitamin K1 with a class that K1 reverses (``k1``); medications read as
    misspellings (``approximate``).
    """
    taken = drug_classes.get(drug_class.id)
    if not taken or not (vitamin_k.totals or vitamin_k.not_stated or vitamin_k.foods):
        return None
    approximate = sorted(
        {
            f"'{match.matched_text}' as {match.name}"
            for _, match in taken
            if match.matched_by == "approximate"
        }
    )
    supplements, foods = vitamin_k.labels, vitamin_k.foods
    notes = [
        note
        for note, applies in (
            ("supplement", supplements and not medical_supervision),
            ("supervised", supplements and medical_supervision),
            ("food_only", not supplements),
            ("food", foods),
            ("k1", drug_class.reversed_by_vitamin_k1 and Form.K1 in vitamin_k.labels_forms),
            ("approximate", approximate),
        )
        if applies
    ]
    triggers = [trigger(m.field, m.given) for m in dict.fromkeys(m for m, _ in taken)]
    triggers += vitamin_k.triggers.values()
    triggers += [trigger("foods", food.id) for food in foods]
    food_names = join(food.id for food in foods)
    # The verbs tell a supplement planned from a food eaten; with both, the supplements are
    # named again where the message speaks of taking them, so no food is read into "it".
    intake = [f"plan {join(supplements)}"] if supplements else []
    intake += [f"eat {food_names}"] if foods else []
    pronoun = "it" if len(supplements) == 1 else "them"
    supplement_words = join(supplements) if foods else pronoun
    return Hit(
        values={
            "drugs": join(sorted({match.name for _, match in taken})),
            "intake": (", and " if len(supplements) > 1 else " and ").join(intake),
            "supplements": supplement_words,
            "foods": "it" if len(foods) == 1 else "them",
            "approximate": join(approximate),
            "food_notes": " ".join(food.note for food in foods if food.note),
        },
        triggers=tuple(triggers),
        notes=tuple(notes),
    )
