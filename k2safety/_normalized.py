"""The normalized profile: exact totals per day per form and resolved names, sorted.

:func:`normalize` turns the entries of a profile, already read (each medication resolved, each
dose an exact amount per day), into :class:`Facts`: the parts the rules read, each a plain,
immutable value. :class:`NormalizedProfile` is the same profile as a :class:`~k2safety.Report`
shows it. Everything is sorted, so the order of the lists in a profile never changes a report.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType
from typing import ClassVar, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from k2safety._knowledge import RULE_INPUTS, Food, Knowledge, KnowledgeError, knowledge
from k2safety._matching import Match, match_name
from k2safety._terms import Form, Goal
from k2safety._text import fold
from k2safety._triggers import Trigger, TriggerField, not_stated_trigger, supplement_trigger

__all__ = [
    "ConditionMention",
    "Facts",
    "MedicationList",
    "NormalizedProfile",
    "OtherIngredient",
    "ProductDose",
    "ResolvedMedication",
    "SupplementTotals",
    "VitaminK",
    "normalize",
]

_FORM_ORDER = tuple(Form)


@dataclass(frozen=True, slots=True)
class ResolvedMedication:
    """A medication as given, and what it resolved to (nothing, if not recognized)."""

    given: str
    matches: tuple[Match, ...]
    unrecognized_parts: tuple[str, ...] = ()
    """Parts of an entry written as a list ("warfarin, Dolvexin 5 mg") that name nothing known,
    while the rest resolved: reported as not recognized, as a line of their own would be."""
    field: ClassVar[TriggerField] = "medications"
    """The profile field the entry was found in, as a finding's trigger names it."""


@dataclass(frozen=True, slots=True)
class ConditionMention(ResolvedMedication):
    """An anticoagulant named in a health condition ("on warfarin", "takes Eliquis"): screened
    as taken, in the drug classes the rules read, and shown by its trigger as found in
    ``conditions``. Only anticoagulants are taken from conditions (a class other than
    ``screened``); the condition stays a condition."""

    field: ClassVar[TriggerField] = "conditions"


@dataclass(frozen=True, slots=True)
class ProductDose:
    """A vitamin a product's label states per serving, as a daily amount."""

    form: Form
    most: Fraction | None
    """The most a day, at the most servings a day, in micrograms; None if not stated."""
    least: Fraction | None
    """The least a day, at the fewest servings a day; None if not stated."""
    product: str
    """The product, as the profile names it."""
    bound: str | None = None
    """How the label bounds the amount ("less than 100 mcg"), if it gives a bound."""
    listed_as: TriggerField = "supplements"
    """The field the entry was listed in: ``medications`` for a vitamin written among the
    medications (``product`` is then the medication as given, not a product's label)."""


@dataclass(frozen=True, slots=True)
class OtherIngredient:
    """A row of a product's label outside k2safety's scope (calcium, vitamin A ...)."""

    name: str
    product: str


SupplementEntry = tuple[Form, Fraction] | ProductDose | OtherIngredient
"""A plain supplement (its form and exact amount a day), or a row of a product."""


class NormalizedProfile(BaseModel):
    """The profile as the rules see it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    mcg_per_day: dict[Form, Fraction]
    """Exact total per day of each planned form, in micrograms; forms not planned are absent.
    With products taken a range of servings a day, the largest total (the most servings)."""
    mcg_per_day_min: dict[Form, Fraction] = Field(default_factory=dict)
    """The smallest total per day (the fewest servings), for the forms where it differs from
    :attr:`mcg_per_day`; empty when no product gives a range of servings."""
    dose_not_stated: tuple[Form, ...] = ()
    """Forms a product's label names without stating their amount (a blend), or a medication
    names without an amount k2safety reads ("phytonadione tablets"): screened as present, their
    dose unchecked."""
    products: tuple[str, ...] = ()
    """The products given as labels state them, by name, sorted (not medications that name a
    vitamin)."""
    label_bounds: tuple[str, ...] = ()
    """Amounts a label gives only as a bound, e.g. "MK-7: less than 100 mcg per serving (K2
    drops)"; the stated number is the amount checked."""
    other_ingredients: tuple[str, ...] = ()
    """Rows of products outside k2safety's scope (calcium, vitamin A ...), kept and not
    screened, as "ingredient (product)", sorted."""
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
        forms = knowledge().vitamin_k_forms
        return tuple(form for form in self.mcg_per_day if form in forms)

    @property
    def k2_totals(self) -> dict[Form, Fraction]:
        """The planned forms of vitamin K2 (MK-7, MK-4, K2 with no form) and their totals."""
        forms = knowledge().k2_forms
        return {form: amount for form, amount in self.mcg_per_day.items() if form in forms}

    @property
    def k2_planned(self) -> bool:
        """Whether any vitamin K2 is planned."""
        return bool(self.k2_totals)

    def matches_in_class(self, drug_class: str) -> tuple[tuple[ResolvedMedication, Match], ...]:
        """Each medication match of the given drug class, with the medication it came from."""
        return _by_class(self.medications).get(drug_class, ())


_NO_AMOUNTS: Mapping[Form, Fraction] = MappingProxyType({})
_NO_PRODUCTS: Mapping[Form, tuple[str, ...]] = MappingProxyType({})
_NO_BOUNDS: Mapping[Form, str] = MappingProxyType({})


# The parts of Facts are NamedTuples: immutable as the rules need, and built on every check at a
# fraction of a frozen dataclass's cost.
class SupplementTotals(NamedTuple):
    """The planned supplements, summed per form."""

    totals: Mapping[Form, Fraction]
    """Exact total per day of each planned form, in micrograms, in the order of :class:`Form`
    (the largest, with products taken a range of servings a day)."""
    k2_entries: int
    """How many supplements are vitamin K2 (MK-7, MK-4 or K2 with no form)."""
    k2_totals: Mapping[Form, Fraction]
    """The planned forms of vitamin K2 and their totals."""
    triggers: Mapping[Form, Trigger]
    """Each planned form and its total, as the trigger a finding shows."""
    least: Mapping[Form, Fraction] = _NO_AMOUNTS
    """The smallest total per day, for the forms where it differs from :attr:`totals`."""
    not_stated: Mapping[Form, tuple[str, ...]] = _NO_PRODUCTS
    """Forms a product names without stating their amount, with those products."""
    bounds: Mapping[Form, str] = _NO_BOUNDS
    """Forms whose amount a label gives only as a bound, and the bounds as text."""


class VitaminK(NamedTuple):
    """The vitamin K planned: supplement forms and their totals, and foods rich in it."""

    totals: Mapping[Form, Fraction]
    """Each form of vitamin K planned as a supplement, and its total per day."""
    labels: tuple[str, ...]
    """How a message names each of those forms, in the same order."""
    triggers: Mapping[Form, Trigger]
    """Each of those forms and its total, as the trigger a finding shows."""
    foods: tuple[Food, ...]
    """The foods eaten that are a notable source of vitamin K."""
    not_stated: tuple[Form, ...] = ()
    """Forms of vitamin K a product names without stating their amount (also in ``labels``
    and ``triggers``, not in ``totals``)."""

    @property
    def labels_forms(self) -> tuple[Form, ...]:
        """The forms ``labels`` name, in the same order."""
        return (*self.totals, *(form for form in self.not_stated if form not in self.totals))


class MedicationList(NamedTuple):
    """The medications, resolved and sorted."""

    resolved: tuple[ResolvedMedication, ...]
    unrecognized: tuple[str, ...]
    """How each medication that resolved to nothing was given."""


DrugClasses = Mapping[str, tuple[tuple[ResolvedMedication, Match], ...]]
"""Each drug class taken (by vocabulary id): its matches, with the medication each came from."""


class Facts(NamedTuple):
    """What the rules read. A rule names the fields it needs as its parameters."""

    supplements: SupplementTotals
    vitamin_k: VitaminK
    medications: MedicationList
    drug_classes: DrugClasses
    foods: frozenset[str]
    """Recognized foods, by vocabulary id."""
    unrecognized_foods: tuple[str, ...]
    goals: Mapping[Goal, str]
    """Each goal given, sorted, with the words shown for it."""
    conditions: tuple[str, ...]
    medical_supervision: bool


if Facts._fields != RULE_INPUTS:  # the loader joins rules to facts by these positions
    raise KnowledgeError(f"Facts fields {Facts._fields} differ from {RULE_INPUTS}")


def normalize(
    medications: Collection[ResolvedMedication],
    supplements: Iterable[SupplementEntry],
    foods: Collection[str],
    goals: Collection[Goal],
    conditions: Collection[str],
    medical_supervision: bool,
    kb: Knowledge,
) -> tuple[Facts, NormalizedProfile]:
    """Sum doses per form and sort everything, so that list order never matters."""
    summed: dict[Form, Fraction] = {}
    k2_entries = 0
    k2_forms = kb.k2_forms
    products: _Products | None = None
    for entry in supplements:
        if type(entry) is tuple:
            form, amount = entry
            summed[form] = summed[form] + amount if form in summed else amount
            k2_entries += form in k2_forms
        else:
            products = products or _Products()
            products.add(entry)  # type: ignore[arg-type]
    least: dict[Form, Fraction] = {}
    not_stated: dict[Form, tuple[str, ...]] = {}
    if products is not None:
        k2_entries += products.add_to(summed, least, k2_forms)
        not_stated = {
            f: tuple(sorted(products.not_stated[f]))
            for f in _FORM_ORDER
            if f in products.not_stated
        }
    totals = summed if len(summed) < 2 else {f: summed[f] for f in _FORM_ORDER if f in summed}
    triggers: dict[Form, Trigger] = {}
    k2_totals: dict[Form, Fraction] = {}
    vitamin_k: dict[Form, Fraction] = {}
    vitamin_k_forms = kb.vitamin_k_forms
    for form, amount in totals.items():
        triggers[form] = supplement_trigger(form, amount, least.get(form))
        if form in vitamin_k_forms:
            vitamin_k[form] = amount
            if form in k2_forms:
                k2_totals[form] = amount
    k_triggers = {form: triggers[form] for form in vitamin_k}
    k_forms = list(vitamin_k)
    unstated_k: tuple[Form, ...] = ()
    if not_stated:
        unstated_k = tuple(form for form in not_stated if form in vitamin_k_forms)
        for form in unstated_k:
            k_triggers.setdefault(form, not_stated_trigger(form, not_stated[form]))
            if form not in vitamin_k:
                k_forms.append(form)
    labels = tuple(_label(form, products, kb) for form in k_forms) if k_forms else ()
    resolved = _sorted_medications(medications)
    unrecognized = (
        tuple(
            part
            for medication in resolved
            for part in (
                medication.unrecognized_parts if medication.matches else (medication.given,)
            )
        )
        if resolved
        else ()
    )
    food_ids, food_entries, unknown_foods = _foods(foods, kb) if foods else _NO_FOODS
    goal_labels = {goal: kb.goal_labels[goal] for goal in sorted(set(goals))} if goals else {}
    condition_list = tuple(sorted(set(conditions))) if conditions else ()
    taken = (*resolved, *_anticoagulants_in(condition_list)) if condition_list else resolved
    facts = Facts(
        SupplementTotals(
            totals,
            k2_entries,
            k2_totals,
            triggers,
            least,
            not_stated,
            products.bounds_by_form() if products is not None else _NO_BOUNDS,
        ),
        VitaminK(
            vitamin_k,
            labels,
            k_triggers,
            tuple(food for food in food_entries if food.supplies in vitamin_k_forms)
            if food_entries
            else (),
            unstated_k,
        ),
        MedicationList(resolved, unrecognized),
        _by_class(taken) if taken else {},
        frozenset(food_ids),
        unknown_foods,
        goal_labels,
        condition_list,
        medical_supervision,
    )
    extra: dict[str, object] = {}
    if products is not None:
        extra = {
            "mcg_per_day_min": least,
            "dose_not_stated": tuple(not_stated),
            "products": tuple(sorted(products.all_names)),
            "label_bounds": tuple(sorted(products.bounds)),
            "other_ingredients": tuple(sorted(products.others)),
        }
    profile = NormalizedProfile(
        mcg_per_day=totals,
        k2_entries=k2_entries,
        medications=resolved,
        foods=food_ids,
        unrecognized_medications=unrecognized,
        unrecognized_foods=unknown_foods,
        goals=tuple(goal_labels),
        conditions=condition_list,
        medical_supervision=medical_supervision,
        **extra,
    )
    return facts, profile


def _label(form: Form, products: _Products | None, kb: Knowledge) -> str:
    """How a message names a form of vitamin K: "MK-7", or "MK-7 in K2 drops" for a product's."""
    label = kb.ingredient_of[form].label
    if products is None or form not in products.names:
        return label
    return f"{label} in {', '.join(sorted(products.names[form]))}"


class _Products:
    """The rows of the products in a profile, gathered for :func:`normalize`."""

    def __init__(self) -> None:
        self.most: dict[Form, Fraction] = {}
        self.least: dict[Form, Fraction] = {}
        self.not_stated: dict[Form, set[str]] = {}
        self.names: dict[Form, set[str]] = {}
        self.k2_products: set[str] = set()
        self.all_names: set[str] = set()
        self.bounds: set[str] = set()
        self.bound_forms: dict[Form, list[str]] = {}
        self.others: set[str] = set()

    def add(self, entry: ProductDose | OtherIngredient) -> None:
        if isinstance(entry, OtherIngredient) or entry.listed_as == "supplements":
            self.all_names.add(entry.product)
        if isinstance(entry, OtherIngredient):
            self.others.add(f"{entry.name} ({entry.product})")
            return
        form = entry.form
        self.names.setdefault(form, set()).add(entry.product)
        if entry.most is None or entry.least is None:
            self.not_stated.setdefault(form, set()).add(entry.product)
        else:
            self.most[form] = self.most.get(form, Fraction(0)) + entry.most
            self.least[form] = self.least.get(form, Fraction(0)) + entry.least
        if entry.bound is not None:
            text = f"{form.value}: {entry.bound} per serving ({entry.product})"
            self.bounds.add(text)
            self.bound_forms.setdefault(form, []).append(text)
        if form in knowledge().k2_forms:
            self.k2_products.add(entry.product)

    def add_to(
        self, summed: dict[Form, Fraction], least: dict[Form, Fraction], k2_forms: frozenset[Form]
    ) -> int:
        """Add the products' totals to ``summed`` (plain entries already in it); fill ``least``
        with the smallest totals that differ; return how many products hold vitamin K2."""
        for form, most in self.most.items():
            plain = summed.get(form, Fraction(0))
            summed[form] = plain + most
            if self.least[form] != most:
                least[form] = plain + self.least[form]
        return len(self.k2_products)

    def bounds_by_form(self) -> dict[Form, str]:
        return {form: "; ".join(sorted(texts)) for form, texts in self.bound_forms.items()}


def _sorted_medications(
    medications: Collection[ResolvedMedication],
) -> tuple[ResolvedMedication, ...]:
    if len(medications) < 2:
        return tuple(medications)
    ordered = sorted(medications, key=_by_text)
    if len({_by_text(medication) for medication in ordered}) < len(ordered):
        # Two entries can show the same text yet resolve differently (a name plus a code), so
        # the matches break the tie; without them the input order would leak into the report.
        ordered.sort(key=_by_text_then_matches)
    return tuple(ordered)


_NO_FOODS: tuple[tuple[str, ...], tuple[Food, ...], tuple[str, ...]] = ((), (), ())


def _foods(
    foods: Iterable[str], kb: Knowledge
) -> tuple[tuple[str, ...], tuple[Food, ...], tuple[str, ...]]:
    """The recognized foods' ids and entries, sorted, and the others as given, sorted."""
    known: dict[str, Food] = {}
    unknown: set[str] = set()
    for text in foods:
        food = kb.food_terms.get(fold(text))
        if food is None:
            unknown.add(text)
        else:
            known[food.id] = food
    ids = tuple(sorted(known))
    return ids, tuple(known[food_id] for food_id in ids), tuple(sorted(unknown))


def _by_text(medication: ResolvedMedication) -> tuple[str, str]:
    return medication.given.casefold(), medication.given


def _by_text_then_matches(medication: ResolvedMedication) -> tuple[str, str, tuple[str, ...]]:
    tie_break = tuple(
        f"{match.substance} {match.drug_class} {match.matched_by} {match.matched_text}"
        for match in medication.matches
    )
    return (*_by_text(medication), tie_break)


_SCREENED = "screened"
"""The vocabulary class of medicines with no vitamin K concern: not taken from conditions."""


def _anticoagulants_in(conditions: Iterable[str]) -> tuple[ConditionMention, ...]:
    """The anticoagulants each condition names, as :class:`ConditionMention` entries."""
    found = []
    for condition in conditions:
        matches = tuple(m for m in match_name(condition) if m.drug_class != _SCREENED)
        if matches:
            found.append(ConditionMention(given=condition, matches=matches))
    return tuple(found)


def _by_class(
    medications: Iterable[ResolvedMedication],
) -> dict[str, tuple[tuple[ResolvedMedication, Match], ...]]:
    taken: dict[str, list[tuple[ResolvedMedication, Match]]] = {}
    for medication in medications:
        for match in medication.matches:
            taken.setdefault(match.drug_class, []).append((medication, match))
    return {drug_class: tuple(pairs) for drug_class, pairs in taken.items()}
