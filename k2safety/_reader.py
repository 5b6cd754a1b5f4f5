"""Reads a profile from its JSON form straight into what :func:`normalize` takes.

``check()`` meets profiles as plain JSON (dicts, lists, text, numbers), usually well formed.
Reading them needs no model per entry: each entry goes through the same functions that decide
what an entry means for the pydantic :class:`~k2safety.Profile` (:func:`ingredient_form`,
:func:`daily_amount`, :func:`goal_named`, …), so the two cannot disagree. The moment anything is
not plain, well-formed JSON, reading stops with :class:`NotPlain` and the caller hands the input
to :meth:`Profile.model_validate`, which either explains the problem in a
:class:`~k2safety.ProfileError` or accepts a form only pydantic reads (a set, a model instance).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, cast

from k2safety._matching import Match, match_medication, match_name
from k2safety._normalized import ResolvedMedication, SupplementEntry
from k2safety._profile import (
    MAX_ENTRIES,
    MAX_MEDICATION_TEXT,
    MAX_TEXT,
    EntryProblem,
    Product,
    Profile,
    atc_code,
    daily_amount,
    goal_named,
    ingredient_form,
    medication_label,
    medication_vitamins,
    product_rows,
    rxnorm_id,
    unrecognized_parts,
)
from k2safety._terms import Form, Goal
from k2safety._units import DoseProblem, Period

__all__ = ["Entries", "NotPlain", "entries_of_json", "entries_of_profile"]

Entries = tuple[
    list[ResolvedMedication],
    list[SupplementEntry],
    list[str],
    list[Goal],
    list[str],
    bool,
]
"""Medications resolved, supplements as (form, exact mcg a day) or the rows of products, foods,
goals, conditions, and
whether a doctor supervises: the arguments of :func:`k2safety._normalized.normalize`."""


class NotPlain(Exception):
    """The input is not plain, well-formed JSON of a profile: let pydantic read it."""


_LISTS = (list, tuple)
_MEDICATION_KEYS = frozenset({"name", "atc", "rxnorm"})
_SUPPLEMENT_KEYS = frozenset({"ingredient", "dose", "per"})
_PERIODS = frozenset({"day", "week"})
_PRODUCT_KEYS = frozenset({"product", "servings_per_day", "per_serving", "label_id"})
_ROW_KEYS = frozenset({"ingredient", "amount"})


def entries_of_json(data: object) -> Entries:
    """The entries of a profile given as a JSON object; raises :class:`NotPlain` otherwise."""
    if type(data) is not dict:
        raise NotPlain
    medications: list[ResolvedMedication] = []
    supplements: list[SupplementEntry] = []
    foods: list[str] = []
    goals: list[Goal] = []
    conditions: list[str] = []
    supervised = False
    vitamins: list[SupplementEntry] = []
    try:
        for field, value in data.items():
            if type(field) is not str:
                raise NotPlain
            if field == "medical_supervision":
                if type(value) is not bool:
                    raise NotPlain
                supervised = value
                continue
            if type(value) not in _LISTS or len(value) > MAX_ENTRIES:
                raise NotPlain
            if field == "medications":
                medications = []
                vitamins = []
                for entry in value:
                    medication, planned = _medication(entry)
                    medications.append(medication)
                    vitamins.extend(planned)
            elif field == "supplements":
                supplements = []
                for entry in value:
                    if type(entry) is dict and "product" in entry:
                        supplements.extend(_product(entry))
                    else:
                        supplements.append(_supplement(entry))
            elif field == "foods":
                foods = [_text(entry) for entry in value]
            elif field == "conditions":
                conditions = [_text(entry) for entry in value]
            elif field == "goals" and len(value) <= len(Goal):
                goals = [goal_named(entry) for entry in value]
            else:
                raise NotPlain
    except (EntryProblem, DoseProblem):
        raise NotPlain from None
    if vitamins:
        supplements = [*supplements, *vitamins]
    return medications, supplements, foods, goals, conditions, supervised


def entries_of_profile(profile: Profile) -> Entries:
    """The entries of a validated :class:`Profile`."""
    medications: list[ResolvedMedication] = []
    vitamins: list[SupplementEntry] = []
    for medication in profile.medications:
        resolved, planned = _resolved(
            medication.name, medication.rxnorm, medication.label, medication.matches
        )
        medications.append(resolved)
        vitamins.extend(planned)
    return (
        medications,
        [
            *(
                entry
                for supplement in profile.supplements
                for entry in (
                    supplement.rows
                    if isinstance(supplement, Product)
                    else ((supplement.ingredient, supplement.mcg_per_day),)
                )
            ),
            *vitamins,
        ],
        list(profile.foods),
        list(profile.goals),
        list(profile.conditions),
        profile.medical_supervision,
    )


def _resolved(
    name: str | None, rxnorm: str | None, given: str, matches: tuple[Match, ...]
) -> tuple[ResolvedMedication, tuple[SupplementEntry, ...]]:
    """A medication resolved, with the vitamin K or D it names (also among its matches, so it
    is recognized) as planned supplements: see :func:`medication_vitamins`."""
    vitamin_matches, planned = medication_vitamins(name, rxnorm, given)
    if vitamin_matches:
        matches = (*matches, *vitamin_matches)
    parts = unrecognized_parts(name) if name is not None and matches else ()
    return ResolvedMedication(given=given, matches=matches, unrecognized_parts=parts), planned


def _text(value: object, longest: int = MAX_TEXT) -> str:
    if type(value) is not str:
        raise NotPlain
    text = value.strip(_WHITE_SPACE)
    if not 0 < len(text) <= longest:
        raise NotPlain
    return text


# What pydantic strips: Unicode's White_Space property. Python's own str.strip() would also
# strip U+001C to U+001F, which pydantic keeps.
_WHITE_SPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def _medication(value: object) -> tuple[ResolvedMedication, tuple[SupplementEntry, ...]]:
    if type(value) is str:
        text = _text(value, MAX_MEDICATION_TEXT)
        return _resolved(text, None, text, match_name(text))
    if type(value) is not dict or not value or not value.keys() <= _MEDICATION_KEYS:
        raise NotPlain
    given_name, given_atc, given_rxnorm = value.get("name"), value.get("atc"), value.get("rxnorm")
    name = None if given_name is None else _text(given_name, MAX_MEDICATION_TEXT)
    atc = None if given_atc is None else atc_code(_plain_str(given_atc))
    rxnorm = None if given_rxnorm is None else rxnorm_id(_plain_str(given_rxnorm))
    if name is None and atc is None and rxnorm is None:
        raise NotPlain
    return _resolved(
        name, rxnorm, medication_label(name, atc, rxnorm), match_medication(name, atc, rxnorm)
    )


def _plain_str(value: object) -> str:
    if type(value) is not str:
        raise NotPlain
    return value


def _supplement(value: object) -> tuple[Form, Fraction]:
    if type(value) is not dict or not value.keys() <= _SUPPLEMENT_KEYS:
        raise NotPlain
    try:
        ingredient, dose = value["ingredient"], value["dose"]
    except KeyError:
        raise NotPlain from None
    period: Any = value.get("per")
    if period is not None and (type(period) is not str or period not in _PERIODS):
        raise NotPlain
    if type(dose) is dict:
        _plain_dose_object(dose)
    elif type(dose) is not str:
        raise NotPlain
    form = ingredient_form(ingredient)
    return form, daily_amount(form, dose, cast("Period | None", period))


def _plain_dose_object(dose: dict[Any, Any]) -> None:
    # The same shape DoseObject accepts (strict): exactly these keys, a number that is not a
    # boolean, a unit of 1 to 32 characters; parse_dose checks the number's value.
    if dose.keys() != {"value", "unit"} or type(dose["value"]) not in (int, float):
        raise NotPlain
    unit = dose["unit"]
    if type(unit) is not str or not 0 < len(unit) <= 32:
        raise NotPlain


def _product(value: dict[Any, Any]) -> tuple[SupplementEntry, ...]:
    if not value.keys() <= _PRODUCT_KEYS:
        raise NotPlain
    try:
        name, servings, rows = value["product"], value["servings_per_day"], value["per_serving"]
    except KeyError:
        raise NotPlain from None
    label_id = value.get("label_id")
    name = _text(name)
    label_id = None if label_id is None else _text(label_id)
    if type(servings) is dict:
        if servings.keys() != {"min", "max"}:
            raise NotPlain
        numbers: tuple[object, ...] = (servings["min"], servings["max"])
    else:
        numbers = (servings,)
    if any(type(number) not in (int, float) for number in numbers):
        raise NotPlain
    if type(rows) not in _LISTS or not 0 < len(rows) <= MAX_ENTRIES:
        raise NotPlain
    read: list[tuple[str, object]] = []
    for row in rows:
        if type(row) is not dict or not row.keys() <= _ROW_KEYS or "ingredient" not in row:
            raise NotPlain
        amount = row.get("amount")
        if type(amount) is dict:
            _plain_dose_object(amount)
        elif amount is not None and type(amount) is not str:
            raise NotPlain
        read.append((_text(row["ingredient"]), amount))
    return product_rows(name, label_id, servings, read)
