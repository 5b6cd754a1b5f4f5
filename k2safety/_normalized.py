"""The normalized profile the rules read: exact totals per day per form and resolved names.

It is also what a :class:`~k2safety.Report` shows as the inputs the rules saw. Everything in it is
sorted, so the order of the lists in a profile never changes a report.
"""

from __future__ import annotations

from fractions import Fraction
from functools import cache, lru_cache

from pydantic import BaseModel, ConfigDict

from k2safety._construct import construct
from k2safety._knowledge import Knowledge
from k2safety._matching import Match
from k2safety._profile import Form, Goal, Medication, Profile, Supplement

__all__ = ["NormalizedProfile", "ResolvedMedication", "normalize"]

_FORM_ORDER = tuple(Form)
_VITAMIN_K = frozenset({Form.MK7, Form.MK4, Form.K2, Form.K1})
_K2 = frozenset({Form.MK7, Form.MK4, Form.K2})


class ResolvedMedication(BaseModel):
    """A medication as given, and what it resolved to (nothing, if not recognized)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    given: str
    matches: tuple[Match, ...]


class NormalizedProfile(BaseModel):
    """The profile as the rules see it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    mcg_per_day: dict[Form, Fraction]
    """Exact total per day of each planned form, in micrograms; forms not planned are absent."""
    k2_entries: int
    """How many supplements are vitamin K2 (MK-7, MK-4 or K2 with no form)."""
    medications: tuple[ResolvedMedication, ...]
    foods: tuple[str, ...]
    """Recognized foods, by vocabulary id."""
    unrecognized_medications: tuple[str, ...]
    unrecognized_foods: tuple[str, ...]
    goals: tuple[Goal, ...]
    conditions: tuple[str, ...]
    medical_supervision: bool

    @property
    def vitamin_k_forms(self) -> tuple[Form, ...]:
        """The forms of vitamin K (K2 or K1) planned as supplements."""
        return tuple(form for form in self.mcg_per_day if form in _VITAMIN_K)

    @property
    def k2_totals(self) -> dict[Form, Fraction]:
        """The planned forms of vitamin K2 (MK-7, MK-4, K2 with no form) and their totals."""
        return {form: amount for form, amount in self.mcg_per_day.items() if form in _K2}

    @property
    def k2_planned(self) -> bool:
        return any(form in _K2 for form in self.mcg_per_day)

    def matches_in_class(self, drug_class: str) -> tuple[tuple[ResolvedMedication, Match], ...]:
        """Each medication match of the given drug class, with the medication it came from."""
        return tuple(
            (medication, match)
            for medication in self.medications
            for match in medication.matches
            if match.drug_class == drug_class
        )


def normalize(profile: Profile, kb: Knowledge) -> NormalizedProfile:
    """Sum doses per form and sort everything, so that list order never matters."""
    totals, k2_entries = _daily_totals(profile.supplements)
    medications, unrecognized_medications = _resolved(profile.medications)
    food_ids, unrecognized_foods = _foods(profile.foods, kb)
    return construct(
        NormalizedProfile,
        mcg_per_day=dict(totals),
        k2_entries=k2_entries,
        medications=medications,
        foods=food_ids,
        unrecognized_medications=unrecognized_medications,
        unrecognized_foods=unrecognized_foods,
        goals=tuple(sorted(set(profile.goals))),
        conditions=tuple(sorted(set(profile.conditions))),
        medical_supervision=profile.medical_supervision,
    )


# Profiles are frozen and hashable, and many people share a regimen or a medication list, so
# the two costly parts of normalizing are cached by value. The results are immutable (the
# totals are copied into each profile), so sharing them is safe.
@lru_cache(maxsize=4096)
def _daily_totals(
    supplements: tuple[Supplement, ...],
) -> tuple[tuple[tuple[Form, Fraction], ...], int]:
    totals: dict[Form, Fraction] = {}
    for supplement in supplements:
        form = supplement.ingredient
        amount = supplement.mcg_per_day
        totals[form] = totals[form] + amount if form in totals else amount
    k2_entries = sum(supplement.ingredient in _K2 for supplement in supplements)
    return tuple((form, totals[form]) for form in _FORM_ORDER if form in totals), k2_entries


@lru_cache(maxsize=4096)
def _resolved(
    medications: tuple[Medication, ...],
) -> tuple[tuple[ResolvedMedication, ...], tuple[str, ...]]:
    resolved = sorted(
        (construct(ResolvedMedication, given=m.label, matches=m.matches) for m in medications),
        key=_medication_order,
    )
    unrecognized = tuple(m.given for m in resolved if not m.matches)
    return tuple(resolved), unrecognized


def _medication_order(medication: ResolvedMedication) -> tuple[str, str, tuple[str, ...]]:
    # Two entries can show the same text yet resolve differently (a name plus a code), so the
    # matches break the tie; without them the input order would leak into the report.
    matches = tuple(
        f"{match.substance} {match.drug_class} {match.matched_by} {match.matched_text}"
        for match in medication.matches
    )
    return medication.given.casefold(), medication.given, matches


@cache
def _food_aliases(kb: Knowledge) -> dict[str, str]:
    return {alias.casefold(): food.id for food in kb.foods for alias in (food.id, *food.aliases)}


def _foods(foods: tuple[str, ...], kb: Knowledge) -> tuple[tuple[str, ...], tuple[str, ...]]:
    known: set[str] = set()
    unknown: set[str] = set()
    aliases = _food_aliases(kb)
    for food in foods:
        match = aliases.get(food.casefold())
        if match is None:
            unknown.add(food)
        else:
            known.add(match)
    return tuple(sorted(known)), tuple(sorted(unknown))
