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
from k2safety._terms import Form
from k2safety.strategies._doses import Amount, doses, positive_fraction
from k2safety.strategies._medications import medications, vka_medications
from k2safety.strategies._variants import JSON, case_variant

__all__ = ["checked_forms", "products", "profiles", "supplements", "takes_iu"]

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
    """True if a dose of ``form`` may be written in IU (vitamin D)."""
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

    The ingredient is a form (MK-7, MK-4, K2, K1, D3, K, D2, D) or one of its aliases from the
    knowledge base (``mk7``, ``menatetrenone``, ``cholecalciferol``, ...), with its case and its
    ``-``, ``_`` or space separators changed; the dose comes from :func:`doses` (with IU for D3).
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
    max_products: int = 0,
) -> JSON:
    def listed(required: list[Any], extra: st.SearchStrategy[Any], limit: int) -> list[Any]:
        more = draw(st.lists(extra, max_size=max(0, limit - len(required))))
        return list(draw(st.permutations([*required, *more])))

    vka = [draw(vka_medications())] if with_vka else []
    medication_list = listed(vka, _medication_pool(with_vka), max_medications)

    d3 = (Form.D3.value,)
    allowed = (
        *(_vitamin_k_forms() if with_vitamin_k is not False else ()),
        *(form for form in _other_forms() if form not in d3),
        *(d3 if with_d3 is not False else ()),
    )
    required = []
    if with_vitamin_k:
        required.append(draw(supplements(forms=_vitamin_k_forms())))
    if with_d3:
        required.append(draw(supplements(forms=d3)))
    pool = supplements(forms=allowed) if allowed else st.nothing()
    supplement_list = listed(required, pool, max_supplements if allowed else len(required))
    if max_products:
        supplement_list += draw(
            st.lists(products(forms=allowed) if allowed else st.nothing(), max_size=max_products)
        )

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
    max_products: int = 0,
) -> st.SearchStrategy[JSON]:
    """Valid profiles in their JSON form, ready for :func:`k2safety.check`.

    Medications come from :func:`medications`, supplements from :func:`supplements`; foods are
    natto (in any case) or foods outside the vocabulary; goals are the knowledge base's goals
    written with any case and separator; conditions are free text. A list may be empty or absent.

    ``with_vka=True`` puts at least one vitamin K antagonist among the medications, ``False``
    none. ``with_vitamin_k=True`` plans at least one vitamin K supplement (MK-7, MK-4, K2, K1),
    ``False`` none and no natto. ``with_d3`` does the same for vitamin D3, and ``supervised`` fixes
    ``medical_supervision``. ``None`` leaves it to chance. ``max_medications`` and
    ``max_supplements`` cap the lists (the profile itself accepts up to 100 entries);
    ``max_products`` adds up to that many products as labels state them (:func:`products`),
    after the supplements, with the forms the other parameters allow.

    Use ``profiles().map(k2safety.Profile.model_validate)`` for validated models, as
    ``st.from_type(k2safety.Profile)`` does. Shrinks toward the empty profile ``{}`` (or the
    fewest entries the parameters require).
    """
    for name, limit in (("max_medications", max_medications), ("max_supplements", max_supplements)):
        if not 0 <= limit <= MAX_ENTRIES:
            raise InvalidArgument(f"{name}={limit} must be between 0 and {MAX_ENTRIES}")
    if with_vka and max_medications < 1:
        raise InvalidArgument("with_vka=True needs max_medications >= 1")
    if not 0 <= max_products <= MAX_ENTRIES:
        raise InvalidArgument(f"max_products={max_products} must be between 0 and {MAX_ENTRIES}")
    return _profile(
        with_vka,
        with_vitamin_k,
        with_d3,
        supervised,
        max_medications,
        max_supplements,
        max_products,
    )


_OTHER_ROWS = (
    "Calcium (as calcium carbonate)",
    "Vitamin A (as retinyl palmitate)",
    "Magnesium (as magnesium citrate)",
    "Olive oil",
)


def _label_name(form: str) -> st.SearchStrategy[str]:
    """A name of ``form`` as a label prints it: an alias, or a vitamin's name with the form's
    alias in "(as ...)", now and then with "(from natto)", a brand mark or another dash."""
    ingredient = next(i for i in knowledge().ingredients if i.form == form)
    broader = {"MK-7": "Vitamin K2", "MK-4": "Vitamin K2", "K1": "Vitamin K", "D3": "Vitamin D"}
    names = [ingredient.form, *ingredient.aliases]
    plain = st.sampled_from(names).flatmap(case_variant)
    if form not in broader:
        return plain
    labelled = st.builds(
        lambda alias, source, dash: f"{broader[form]} (as {alias.replace('-', dash)}){source}",
        st.sampled_from(names),
        st.sampled_from(("", " (from natto)", " \u00ae")),
        st.sampled_from(("-", "\u2011", "\u2013")),
    )
    return st.one_of(plain, labelled)


@st.composite
def _product(draw: st.DrawFn, forms: tuple[str, ...]) -> JSON:
    rows: list[JSON] = []
    for form in draw(st.lists(st.sampled_from(forms), min_size=1, max_size=3)):
        number = draw(st.integers(1, 2000))
        unit = draw(st.sampled_from(("mcg", "IU") if takes_iu(form) else ("mcg", "\u00b5g")))
        amount: object = draw(
            st.sampled_from(
                (None, f"{number} {unit}", {"value": number, "unit": unit}, f"< {number} {unit}")
            )
        )
        rows.append({"ingredient": draw(_label_name(form)), "amount": amount})
    for other in draw(st.lists(st.sampled_from(_OTHER_ROWS), max_size=1)):
        rows.append({"ingredient": other, "amount": "200 mg"})
    low = draw(st.integers(1, 3))
    servings: object = (
        low if draw(st.booleans()) else {"min": low, "max": draw(st.integers(low, 4))}
    )
    product: JSON = {
        "product": draw(st.sampled_from(("K2 + D3 softgels", "Bone complex", "Daily K"))),
        "servings_per_day": servings,
        "per_serving": draw(st.permutations(rows)),
    }
    if draw(st.booleans()):
        product["label_id"] = f"DSLD {draw(st.integers(1, 999_999))}"
    return product


def products(*, forms: Collection[str] | None = None) -> st.SearchStrategy[JSON]:
    """A product as its label states it: ``{"product", "servings_per_day", "per_serving"}``.

    One to three rows of the knowledge base's forms (``forms`` narrows them), named as labels
    print them ("Vitamin K2 (as MK-7) (from natto)"), with amounts per serving (now and then
    none: a blend), sometimes a row outside k2safety's scope (calcium), and 1 to 3 servings a
    day or a range of them.

    Shrinks toward one row of the first form by its canonical name, with no amount, taken once
    a day.
    """
    return _product(checked_forms(forms))
