"""The normalized profile: exact totals per day per form and resolved names, sorted.

:class:`NormalizedProfile` is what a :class:`~k2safety.Report` shows as the inputs the rules saw.
:class:`Facts` is what the rules read: the same profile in parts (supplements, medications,
foods, goals, conditions), each with what several rules derive from it (the vitamin K forms
planned, the medications of each drug class, each total as a trigger) worked out once here.
Everything is sorted, so the order of the lists in a profile never changes a report.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import cache, lru_cache
from types import MappingProxyType
from typing import Any, NamedTuple, TypeVar, cast

from pydantic import ConfigDict

from k2safety._construct import Lightly, construct
from k2safety._knowledge import DrugClassId, Knowledge
from k2safety._matching import Match
from k2safety._profile import Form, Goal, Medication, Profile, Supplement
from k2safety._triggers import Trigger, supplement_trigger, trigger

__all__ = [
    "DrugClassFacts",
    "Facts",
    "MedicationFacts",
    "NormalizedProfile",
    "ResolvedMedication",
    "SupplementFacts",
    "VitaminKFacts",
    "normalize",
]

_FORM_ORDER = tuple(Form)
_VITAMIN_K = frozenset({Form.MK7, Form.MK4, Form.K2, Form.K1})
_K2 = frozenset({Form.MK7, Form.MK4, Form.K2})


class ResolvedMedication(Lightly):
    """A medication as given, and what it resolved to (nothing, if not recognized)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    given: str
    matches: tuple[Match, ...]


class NormalizedProfile(Lightly):
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
        return tuple(_of_forms(_VITAMIN_K, self.mcg_per_day.items()))

    @property
    def k2_totals(self) -> dict[Form, Fraction]:
        """The planned forms of vitamin K2 (MK-7, MK-4, K2 with no form) and their totals."""
        return _of_forms(_K2, self.mcg_per_day.items())

    @property
    def k2_planned(self) -> bool:
        """Whether any vitamin K2 is planned."""
        return bool(self.k2_totals)

    def matches_in_class(self, drug_class: str) -> tuple[tuple[ResolvedMedication, Match], ...]:
        """Each medication match of the given drug class, with the medication it came from."""
        recognized = tuple(medication for medication in self.medications if medication.matches)
        return _drug_classes(recognized).taken.get(cast("DrugClassId", drug_class), ())


# Parts are cached, shared between profiles and read only (mappings are proxies), so they compare
# by identity: a rule's result is then remembered by the parts it read at a pointer hash's cost.
@dataclass(frozen=True, slots=True, eq=False)
class SupplementFacts:
    """The planned supplements, summed per form."""

    totals: Mapping[Form, Fraction]
    """Exact total per day of each planned form, in micrograms, in the order of :class:`Form`."""
    k2_entries: int
    """How many supplements are vitamin K2 (MK-7, MK-4 or K2 with no form)."""
    k2_totals: Mapping[Form, Fraction]
    """The planned forms of vitamin K2 and their totals."""
    vitamin_k: VitaminKFacts
    triggers: Mapping[Form, Trigger]
    """Each planned form and its total, as the trigger a finding shows."""


@dataclass(frozen=True, slots=True, eq=False)
class VitaminKFacts:
    """The forms of vitamin K (K2 or K1) planned, and their totals as triggers."""

    forms: tuple[Form, ...]
    triggers: tuple[Trigger, ...]


@dataclass(frozen=True, slots=True, eq=False)
class MedicationFacts:
    """The medications, resolved and sorted."""

    resolved: tuple[ResolvedMedication, ...]
    unrecognized: tuple[str, ...]
    drug_classes: DrugClassFacts
    triggers: tuple[Trigger, ...]
    """Each medication as given, in sorted order, as a trigger."""
    unrecognized_triggers: tuple[Trigger, ...]


@dataclass(frozen=True, slots=True, eq=False)
class DrugClassFacts:
    """The drug classes taken (anticoagulants, so far)."""

    taken: Mapping[DrugClassId, tuple[tuple[ResolvedMedication, Match], ...]]
    """Each drug class taken: its matches, with the medication each came from."""


class Facts(NamedTuple):
    """What the rules read. A rule names the fields it needs as its parameters."""

    profile: NormalizedProfile
    """The whole normalized profile, for the report; rules read the parts below."""
    supplements: SupplementFacts
    vitamin_k: VitaminKFacts
    medications: MedicationFacts
    drug_classes: DrugClassFacts
    foods: frozenset[str]
    """Recognized foods, by vocabulary id."""
    unrecognized_foods: tuple[Trigger, ...]
    goals: frozenset[Goal]
    conditions: tuple[str, ...]
    medical_supervision: bool
    shared: bool
    """Whether the profile is short enough (SHORT_LIST, SHARED_TEXT) for its parts to be shared
    and its findings remembered by them."""


# A profile is shared (its parts cached, its findings remembered) when every list has at most
# SHORT_LIST entries and its medication names, and its conditions and foods together, hold at
# most SHARED_TEXT characters. That bounds what each remembered entry holds, so the caches'
# memory levels off (benchmarks/bench_memory.py); longer profiles are worked out afresh.
SHORT_LIST = 6
SHARED_TEXT = 200


def normalize(profile: Profile, kb: Knowledge) -> Facts:
    """Sum doses per form and sort everything, so that list order never matters."""
    shared = (
        len(profile.medications) <= SHORT_LIST
        and len(profile.supplements) <= SHORT_LIST
        and len(profile.foods) <= SHORT_LIST
        and len(profile.conditions) <= SHORT_LIST
        and sum(map(len, profile.conditions)) + sum(map(len, profile.foods)) <= SHARED_TEXT
        and sum(len(m.name or "") for m in profile.medications) <= SHARED_TEXT
    )
    supplements = _supplements_part(profile.supplements)
    medications = _medications_part(profile.medications)
    food_ids, unrecognized_foods, unrecognized_food_triggers = _foods(profile.foods, kb)
    goals = _goals(profile.goals)
    conditions = _sorted_set(profile.conditions)
    normalized = construct(
        NormalizedProfile,
        mcg_per_day=dict(supplements.totals),
        k2_entries=supplements.k2_entries,
        medications=medications.resolved,
        foods=food_ids,
        unrecognized_medications=medications.unrecognized,
        unrecognized_foods=unrecognized_foods,
        goals=goals,
        conditions=conditions,
        medical_supervision=profile.medical_supervision,
    )
    return Facts(
        normalized,
        supplements,
        supplements.vitamin_k,
        medications,
        medications.drug_classes,
        frozenset(food_ids),
        unrecognized_food_triggers,
        frozenset(goals),
        conditions,
        profile.medical_supervision,
        shared,
    )


_Function = TypeVar("_Function", bound=Callable[..., Any])


def _shared_when_short(maxsize: int) -> Callable[[_Function], _Function]:
    """Cache by value when the first argument (a tuple) is short, so equal parts are one object.

    Parts compare by identity, so a rule's finding can be remembered by them; a long list is
    worked out afresh every time instead, so no cache holds large entries.
    """

    def decorate(function: _Function) -> _Function:
        cached = lru_cache(maxsize=maxsize)(function)

        @functools.wraps(function)
        def shared_when_short(entries: tuple[object, ...], *rest: object) -> object:
            if len(entries) <= SHORT_LIST:
                return cached(entries, *rest)
            return function(entries, *rest)

        shared_when_short.cache_info = cached.cache_info  # type: ignore[attr-defined]
        shared_when_short.cache_clear = cached.cache_clear  # type: ignore[attr-defined]
        return cast("_Function", shared_when_short)

    return decorate


@_shared_when_short(maxsize=16384)
def _supplements_part(supplements: tuple[Supplement, ...]) -> SupplementFacts:
    summed: dict[Form, Fraction] = {}
    for supplement in supplements:
        form = supplement.ingredient
        amount = supplement.mcg_per_day
        summed[form] = summed[form] + amount if form in summed else amount
    return _supplement_facts(
        tuple((form, summed[form]) for form in _FORM_ORDER if form in summed),
        sum(supplement.ingredient in _K2 for supplement in supplements),
    )


# Shared by every list of supplements with the same totals, in whatever order or units they
# were written, so rules that read only the supplements remember one finding for all of them.
@lru_cache(maxsize=8192)
def _supplement_facts(
    totals: tuple[tuple[Form, Fraction], ...], k2_entries: int
) -> SupplementFacts:
    return SupplementFacts(
        totals=MappingProxyType(dict(totals)),
        k2_entries=k2_entries,
        k2_totals=MappingProxyType(_of_forms(_K2, totals)),
        vitamin_k=_vitamin_k(
            tuple(
                (form, amount.numerator, amount.denominator)
                for form, amount in _of_forms(_VITAMIN_K, totals).items()
            )
        ),
        triggers=MappingProxyType(
            {form: supplement_trigger(form, amount) for form, amount in totals}
        ),
    )


def _of_forms(
    forms: frozenset[Form], totals: Iterable[tuple[Form, Fraction]]
) -> dict[Form, Fraction]:
    return {form: amount for form, amount in totals if form in forms}


# Shared by every regimen with the same vitamin K, whatever its D3 (see _drug_classes).
@lru_cache(maxsize=4096)
def _vitamin_k(totals: tuple[tuple[Form, int, int], ...]) -> VitaminKFacts:
    return VitaminKFacts(
        forms=tuple(form for form, _, _ in totals),
        triggers=tuple(supplement_trigger(form, Fraction(n, d)) for form, n, d in totals),
    )


@_shared_when_short(maxsize=4096)
def _medications_part(medications: tuple[Medication, ...]) -> MedicationFacts:
    ordered = sorted((_resolved(medication) for medication in medications), key=_first)
    return _medication_facts(tuple(medication for _, medication in ordered))


# Shared by every list of the same medications, in whatever order (see _supplement_facts).
@_shared_when_short(maxsize=8192)
def _medication_facts(resolved: tuple[ResolvedMedication, ...]) -> MedicationFacts:
    unrecognized = tuple(m.given for m in resolved if not m.matches)
    return MedicationFacts(
        resolved=resolved,
        unrecognized=unrecognized,
        drug_classes=_drug_classes(tuple(m for m in resolved if m.matches)),
        triggers=tuple(trigger("medications", m.given) for m in resolved),
        unrecognized_triggers=tuple(trigger("medications", given) for given in unrecognized),
    )


# Shared by every medication list with the same recognized drugs, whatever else it holds: the
# anticoagulant rules read only this, so their findings are remembered across many more lists.
@_shared_when_short(maxsize=4096)
def _drug_classes(recognized: tuple[ResolvedMedication, ...]) -> DrugClassFacts:
    taken: dict[DrugClassId, list[tuple[ResolvedMedication, Match]]] = {}
    for medication in recognized:
        for match in medication.matches:
            taken.setdefault(match.drug_class, []).append((medication, match))
    return DrugClassFacts(
        taken=MappingProxyType({drug_class: tuple(pairs) for drug_class, pairs in taken.items()})
    )


def _first(pair: tuple[_Order, ResolvedMedication]) -> _Order:
    return pair[0]


_Order = tuple[str, str, tuple[str, ...]]


@lru_cache(maxsize=4096)
def _resolved(
    medication: Medication,
) -> tuple[_Order, ResolvedMedication]:
    """The medication resolved, with the key that sorts it among the others."""
    given = medication.label
    matches = medication.matches
    # Two entries can show the same text yet resolve differently (a name plus a code), so the
    # matches break the tie; without them the input order would leak into the report.
    tie_break = tuple(
        f"{match.substance} {match.drug_class} {match.matched_by} {match.matched_text}"
        for match in matches
    )
    order = (given.casefold(), given, tie_break)
    return order, construct(ResolvedMedication, given=given, matches=matches)


@lru_cache(maxsize=1024)
def _goals(goals: tuple[Goal, ...]) -> tuple[Goal, ...]:
    return tuple(sorted(set(goals)))


def _sorted_set(texts: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(set(texts))) if texts else ()


@cache
def _food_aliases(kb: Knowledge) -> dict[str, str]:
    return {alias.casefold(): food.id for food in kb.foods for alias in (food.id, *food.aliases)}


def _foods(
    foods: tuple[str, ...], kb: Knowledge
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[Trigger, ...]]:
    if not foods:
        return (), (), ()
    known: set[str] = set()
    unknown: set[str] = set()
    aliases = _food_aliases(kb)
    for food in foods:
        match = aliases.get(food.casefold())
        if match is None:
            unknown.add(food)
        else:
            known.add(match)
    unrecognized = tuple(sorted(unknown))
    return tuple(sorted(known)), unrecognized, tuple(trigger("foods", f) for f in unrecognized)
