"""Vitamin K planned alongside an anticoagulant."""

from __future__ import annotations

from k2safety._knowledge import DrugClassId
from k2safety._normalized import DrugClassFacts, VitaminKFacts
from k2safety._profile import Form
from k2safety.rules._registry import Hit, join, rule, trigger

_FORM_WORDS = {
    Form.MK7: "MK-7 (vitamin K2)",
    Form.MK4: "MK-4 (vitamin K2)",
    Form.K2: "vitamin K2",
    Form.K1: "vitamin K1",
}


@rule("K2-VKA")
def vitamin_k_with_vka(
    drug_classes: DrugClassFacts, vitamin_k: VitaminKFacts, foods: frozenset[str]
) -> Hit | None:
    return _vitamin_k_with("vka", drug_classes, vitamin_k, foods)


@rule("K2-ANTICOAGULANT")
def vitamin_k_with_other_anticoagulant(
    drug_classes: DrugClassFacts, vitamin_k: VitaminKFacts, foods: frozenset[str]
) -> Hit | None:
    return _vitamin_k_with("other_anticoagulant", drug_classes, vitamin_k, foods)


def _vitamin_k_with(
    drug_class: DrugClassId,
    drug_classes: DrugClassFacts,
    vitamin_k: VitaminKFacts,
    foods: frozenset[str],
) -> Hit | None:
    taken = drug_classes.taken.get(drug_class)
    if not taken:
        return None
    forms = vitamin_k.forms
    natto = "natto" in foods
    if not (forms or natto):
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
            ("natto", natto),
            ("k1", drug_class == "vka" and Form.K1 in forms),
            ("approximate", approximate),
        )
        if applies
    ]
    triggers = [trigger("medications", m.given) for m in dict.fromkeys(m for m, _ in taken)]
    triggers += vitamin_k.triggers
    triggers += [trigger("foods", "natto")] if natto else []
    planned = [_FORM_WORDS[form] for form in forms] + (["natto"] if natto else [])
    return Hit(
        values={
            "drugs": join(sorted({match.name for _, match in taken})),
            "vitamin_k": join(planned),
            "approximate": join(approximate),
        },
        triggers=tuple(triggers),
        notes=tuple(notes),
    )
