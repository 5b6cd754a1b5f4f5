"""Supplements, foods, goals and conditions, and the profiles that hold them with medications.

Ingredients, foods and goals come from the packaged knowledge base; the entry limit from the
profile contract (``k2safety._profile.MAX_ENTRIES``).
"""

from __future__ import annotations

from collections.abc import Collection
from fractions import Fraction
from functools import cache
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from k2safety._knowledge import knowledge
from k2safety._profile import MAX_ENTRIES
from k2safety.strategies._doses import Amount, doses, positive_fraction
from k2safety.strategies._medications import medications, vka_medications
from k2safety.strategies._variants import JSON, case_variant

__all__ = ["checked_forms", "profiles", "supplements", "takes_iu"]

# Foods outside the vocabulary (the source does not name them as K2 sources).
_UNRELATED_FOODS = ("spinach", "kale", "broccoli", "green tea", "sauerkraut", "oat porridge")
_CONDITIONS = ("coronary artery calcification", "osteoporosis", "kidney disease", "diabetes")


# --- Supplements ------------------------------------------------------------------------------


def checked_forms(forms: Collection[str] | None) -> tuple[str, ...]:
    """The knowledge base's forms in ``forms`` (all when None), refusing unknown or no forms."""
    known = tuple(ingredient.form for ingredient in knowledge().ingredients)
    if forms is None:
        return known
    unknown = sorted(set(forms) - set(known))
    if unknown or not forms:
        raise InvalidArgument(f"forms must be a non-empty subset of {known}, got {sorted(forms)}")
    return tuple(form for form in known if form in forms)


def takes_iu(form: str) -> bool:
    """True if a dose of ``form`` may be written in IU (vitamin D3)."""
    return next(i.iu for i in knowledge().ingredients if i.form == form)


@st.composite
def _ingredient_name(draw: st.DrawFn, form: str) -> str:
    ingredient = next(i for i in knowledge().ingredients if i.form == form)
    if not draw(st.booleans()):
        return ingredient.form
    name = draw(st.sampled_from((ingredient.form, *ingredient.aliases)))
    separators = ("-", "_", " ")
    rewritten = "".join(draw(st.sampled_from(separators)) if c in separators else c for c in name)
    return draw(case_variant(rewritten))


def supplements(
    *,
    forms: Collection[str] | None = None,
    min_mcg_per_day: Amount = Fraction(1),
    max_mcg_per_day: Amount = Fraction(100_000),
) -> st.SearchStrategy[JSON]:
    """One planned supplement: ``{"ingredient": ..., "dose": ..., "per": ...}``.

    The ingredient is a form (MK-7, MK-4, K2, K1, D3) or one of its aliases from the knowledge
    base (``mk7``, ``menatetrenone``, ``cholecalciferol``, ...), with its case and its ``-``,
    ``_`` or space separators changed; the dose comes from :func:`doses` (with IU for D3).
    ``forms`` narrows the forms, e.g. ``forms={"MK-7"}``.

    Shrinks toward the first form (MK-7) by its canonical name at the smallest amount.
    """
    low = positive_fraction(min_mcg_per_day, "min_mcg_per_day")
    high = positive_fraction(max_mcg_per_day, "max_mcg_per_day")
    return _supplements(checked_forms(forms), low, high)


@cache
def _supplements(forms: tuple[str, ...], low: Fraction, high: Fraction) -> st.SearchStrategy[JSON]:
    options = [
        st.builds(
            lambda name, dose: {"ingredient": name, **dose},
            _ingredient_name(form),
            doses(min_mcg_per_day=low, max_mcg_per_day=high, iu=takes_iu(form)),
        )
        for form in forms
    ]
    return st.one_of(options)


def _vitamin_k_forms() -> tuple[str, ...]:
    return tuple(i.form for i in knowledge().ingredients if i.vitamin_k)


def _other_forms() -> tuple[str, ...]:
    return tuple(i.form for i in knowledge().ingredients if not i.vitamin_k)


# --- Foods, goals, conditions -----------------------------------------------------------------


@cache
def _goals() -> st.SearchStrategy[str]:
    ids = [goal.id for goal in knowledge().goals]
    separators = st.sampled_from(("_", " ", "-"))
    return st.tuples(st.sampled_from(ids), separators).flatmap(
        lambda pair: case_variant(pair[0].replace("_", pair[1]))
    )


@cache
def _foods(natto: bool) -> st.SearchStrategy[str]:
    unrelated = st.sampled_from(_UNRELATED_FOODS)
    if not natto:
        return unrelated
    aliases = [alias for food in knowledge().foods for alias in (food.id, *food.aliases)]
    return st.one_of(unrelated, st.sampled_from(aliases).flatmap(case_variant))


@cache
def _conditions() -> st.SearchStrategy[str]:
    free_text = st.text(min_size=1, max_size=40).filter(lambda text: text.strip() != "")
    return st.one_of(st.sampled_from(_CONDITIONS), free_text)


# --- Profiles ---------------------------------------------------------------------------------


@st.composite
def _profile(
    draw: st.DrawFn,
    with_vka: bool | None,
    with_vitamin_k: bool | None,
    with_d3: bool | None,
    supervised: bool | None,
    max_medications: int,
    max_supplements: int,
) -> JSON:
    def listed(required: list[Any], extra: st.SearchStrategy[Any], limit: int) -> list[Any]:
        more = draw(st.lists(extra, max_size=max(0, limit - len(required))))
        return list(draw(st.permutations([*required, *more])))

    vka = [draw(vka_medications())] if with_vka else []
    medication_list = listed(vka, _medication_pool(with_vka), max_medications)

    allowed = (
        *(_vitamin_k_forms() if with_vitamin_k is not False else ()),
        *(_other_forms() if with_d3 is not False else ()),
    )
    required = []
    if with_vitamin_k:
        required.append(draw(supplements(forms=_vitamin_k_forms())))
    if with_d3:
        required.append(draw(supplements(forms=_other_forms())))
    pool = supplements(forms=allowed) if allowed else st.nothing()
    supplement_list = listed(required, pool, max_supplements if allowed else len(required))

    profile: JSON = {}
    for key, values in (
        ("medications", medication_list),
        ("supplements", supplement_list),
        ("foods", draw(st.lists(_foods(natto=with_vitamin_k is not False), max_size=3))),
        ("goals", draw(st.lists(_goals(), max_size=len(knowledge().goals)))),
        ("conditions", draw(st.lists(_conditions(), max_size=3))),
    ):
        if values or draw(st.booleans()):
            profile[key] = values
    if supervised is not None:
        profile["medical_supervision"] = supervised
    elif draw(st.booleans()):
        profile["medical_supervision"] = draw(st.booleans())
    return profile


@cache
def _medication_pool(with_vka: bool | None) -> st.SearchStrategy[str | JSON]:
    if with_vka is False:
        return st.one_of(medications(kind="other_anticoagulant"), medications(kind="unrelated"))
    return medications()


def profiles(
    *,
    with_vka: bool | None = None,
    with_vitamin_k: bool | None = None,
    with_d3: bool | None = None,
    supervised: bool | None = None,
    max_medications: int = 4,
    max_supplements: int = 4,
) -> st.SearchStrategy[JSON]:
    """Valid profiles in their JSON form, ready for :func:`k2safety.check`.

    Medications come from :func:`medications`, supplements from :func:`supplements`; foods are
    natto (in any case) or foods outside the vocabulary; goals are the knowledge base's goals
    written with any case and separator; conditions are free text. A list may be empty or absent.

    ``with_vka=True`` puts at least one vitamin K antagonist among the medications, ``False``
    none. ``with_vitamin_k=True`` plans at least one vitamin K supplement (MK-7, MK-4, K2, K1),
    ``False`` none and no natto. ``with_d3`` does the same for vitamin D3, and ``supervised`` fixes
    ``medical_supervision``. ``None`` leaves it to chance. ``max_medications`` and
    ``max_supplements`` cap the lists (the profile itself accepts up to 100 entries).

    Use ``profiles().map(k2safety.Profile.model_validate)`` for validated models, as
    ``st.from_type(k2safety.Profile)`` does. Shrinks toward the empty profile ``{}`` (or the
    fewest entries the parameters require).
    """
    for name, limit in (("max_medications", max_medications), ("max_supplements", max_supplements)):
        if not 0 <= limit <= MAX_ENTRIES:
            raise InvalidArgument(f"{name}={limit} must be between 0 and {MAX_ENTRIES}")
    if with_vka and max_medications < 1:
        raise InvalidArgument("with_vka=True needs max_medications >= 1")
    return _profile(with_vka, with_vitamin_k, with_d3, supervised, max_medications, max_supplements)
