"""Vitamin K planned alongside an anticoagulant."""

from __future__ import annotations

from k2safety._knowledge import DrugClassId, Knowledge
from k2safety._normalized import NormalizedProfile
from k2safety._profile import Form
from k2safety.rules._registry import Hit, join, rule, supplement_trigger, trigger

_FORM_WORDS = {
    Form.MK7: "MK-7 (vitamin K2)",
    Form.MK4: "MK-4 (vitamin K2)",
    Form.K2: "vitamin K2",
    Form.K1: "vitamin K1",
}


@rule("K2-VKA")
def vitamin_k_with_vka(profile: NormalizedProfile, kb: Knowledge) -> Hit | None:
    return _vitamin_k_with(profile, "vka")


@rule("K2-ANTICOAGULANT")
def vitamin_k_with_other_anticoagulant(profile: NormalizedProfile, kb: Knowledge) -> Hit | None:
    return _vitamin_k_with(profile, "other_anticoagulant")


def _vitamin_k_with(profile: NormalizedProfile, drug_class: DrugClassId) -> Hit | None:
    if not profile.medications:
        return None
    forms = profile.vitamin_k_forms
    natto = "natto" in profile.foods
    if not (forms or natto):
        return None
    taken = profile.matches_in_class(drug_class)
    if not taken:
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
    triggers += [supplement_trigger(form, profile.mcg_per_day[form]) for form in forms]
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
