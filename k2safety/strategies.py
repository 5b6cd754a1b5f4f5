"""Hypothesis strategies for testing code that uses k2safety, in the style of ``hypothesis.extra``.

Each strategy generates the JSON form of its input (plain dicts, lists, text and numbers), the
form an app receives from a form or an API, so the values can be passed to
:func:`k2safety.check` or :meth:`k2safety.Profile.model_validate` as they are:

>>> from hypothesis import given
>>> import k2safety
>>> from k2safety import strategies as k2st
>>> @given(k2st.profiles(with_vka=True, with_vitamin_k=True, supervised=False))
... def test_vka_users_get_a_critical_finding(profile):
...     assert k2safety.check(profile).max_severity is k2safety.Severity.CRITICAL
>>> test_vka_users_get_a_critical_finding()

Names, codes, ingredients, foods and goals are taken from the packaged knowledge base, so the
strategies follow the vocabulary as it grows. With the package installed, ``st.from_type(
k2safety.Profile)`` also works: a hypothesis plugin registers ``profiles()`` for the type.

Hypothesis is an optional dependency (``pip install 'k2safety[hypothesis]'``): the library itself
screens profiles in apps and services where a test framework has no business, so only the
projects that test with it pay for it. Importing this module without hypothesis raises an
:class:`ImportError` that says how to install it.
"""

from __future__ import annotations

import math
import string
from collections.abc import Callable, Collection, Sequence
from decimal import Decimal
from fractions import Fraction
from functools import cache, lru_cache
from typing import Any, Literal

try:
    from hypothesis import strategies as st
    from hypothesis.errors import InvalidArgument
except ImportError as error:  # pragma: no cover - tested in a subprocess without hypothesis
    raise ImportError(
        "k2safety.strategies needs hypothesis; install it with: pip install 'k2safety[hypothesis]'"
    ) from error

from rapidfuzz.distance import OSA

from k2safety._knowledge import Substance, knowledge

__all__ = [
    "daily_amounts",
    "doses",
    "invalid_doses",
    "invalid_profiles",
    "medications",
    "profiles",
    "supplements",
    "vka_medications",
]

DrugKind = Literal["vka", "other_anticoagulant", "anticoagulant", "unrelated"]
Amount = Fraction | Decimal | int | str
JSON = dict[str, Any]

_MAX_DOSE_TEXT = 64
_MAX_ENTRIES = 100
_DEFAULT_MIN_MCG = Fraction(1)
_DEFAULT_MAX_MCG = Fraction(100_000)
# Grid of amounts per day: k/1000 mcg can be written exactly in every mass unit, k/7000 is a
# weekly amount written per week.
_DENOMINATORS = (1, 10, 100, 1000, 7, 70, 700, 7000)

# Medicines outside the vocabulary (from tests/data/common_drugs.txt): they must match nothing.
_UNRELATED_DRUGS = (
    "metformin",
    "atorvastatin",
    "lisinopril",
    "amlodipine",
    "levothyroxine",
    "omeprazole",
    "simvastatin",
    "losartan",
    "metoprolol",
    "sertraline",
    "gabapentin",
    "prednisone",
    "ibuprofen",
    "paracetamol",
    "aspirin",
    "clopidogrel",
    "furosemide",
    "hydrochlorothiazide",
    "alendronate",
    "allopurinol",
    "citalopram",
    "pantoprazole",
    "montelukast",
    "tamsulosin",
)
# ATC codes outside group B01A and RxNorm ids not in the vocabulary.
_UNRELATED_ATC = ("A10BA02", "C10AA05", "C09AA03", "N02BA01", "A02BC01")
_UNRELATED_RXNORM = ("6809", "83367", "29046", "1191", "7646")
# Words found next to a drug name on labels; none of them is, or is close to, a vocabulary name.
_SALTS = ("sodium", "potassium", "calcium")
_STRENGTHS = ("5 mg", "2.5mg", "1 mg", "3 mg tablet", "10 mg tablets", "40mg/0.4ml", "100 mg")
_UNRELATED_FOODS = ("spinach", "kale", "cheese", "broccoli", "green tea", "sauerkraut")
_CONDITIONS = ("coronary artery calcification", "osteoporosis", "kidney disease", "diabetes")
_SPACES = (" ", "  ", "\t", "\u00a0")
_EDGE_SPACES = ("", " ", "  ", "\t", "\n", "\u00a0")


# --- Vocabulary -------------------------------------------------------------------------------


@cache
def _substances() -> tuple[Substance, ...]:
    return tuple(knowledge().substances.values())


def _names_of(substance: Substance) -> tuple[str, ...]:
    return (substance.name, *substance.synonyms, *substance.brands)


@cache
def _fuzzy_terms() -> tuple[tuple[str, str], ...]:
    """Every one-word vocabulary name, lower case, with the substance it names."""
    return tuple(
        (name.lower(), substance.id)
        for substance in _substances()
        for name in _names_of(substance)
        if name.isalpha()
    )


def _misspelling_resolves_to(word: str, substance_id: str) -> bool:
    """True if ``word`` is a misspelling the documented rule must resolve to ``substance_id``.

    The rule (k2safety._matching): a word of five letters or more within one edit (two from
    nine letters) of a known name, where swapping two neighbouring letters counts as one edit.
    The word must be closer to this substance's names than to any other substance's, and not be
    a name itself.
    """
    if len(word) < 5:
        return False
    distances = [(OSA.distance(word, term), owner) for term, owner in _fuzzy_terms()]
    best = min(distance for distance, _ in distances)
    owners = {owner for distance, owner in distances if distance == best}
    return 0 < best <= (2 if len(word) >= 9 else 1) and owners == {substance_id}


def _substances_of(kind: DrugKind | None) -> tuple[Substance, ...]:
    if kind in {None, "anticoagulant"}:
        return _substances()
    return tuple(s for s in _substances() if s.drug_class == kind)


# --- Text variants ----------------------------------------------------------------------------


@st.composite
def _case_variant(draw: st.DrawFn, text: str) -> str:
    style = draw(st.sampled_from(("as is", "lower", "upper", "title", "mixed")))
    if style == "mixed":
        flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
        return "".join(c.swapcase() if flip else c for c, flip in zip(text, flips, strict=True))
    variants: dict[str, Callable[[str], str]] = {
        "as is": str,
        "lower": str.lower,
        "upper": str.upper,
        "title": str.title,
    }
    return variants[style](text)


@st.composite
def _spacing_variant(draw: st.DrawFn, text: str) -> str:
    words = text.split(" ")
    spaced = words[0]
    for word in words[1:]:
        spaced += draw(st.sampled_from(_SPACES)) + word
    return draw(st.sampled_from(_EDGE_SPACES)) + spaced + draw(st.sampled_from(_EDGE_SPACES))


def _written(text: str) -> st.SearchStrategy[str]:
    """``text`` with its case and whitespace changed; shrinks toward ``text`` itself."""
    return _case_variant(text).flatmap(_spacing_variant)


@st.composite
def _one_edit(draw: st.DrawFn, word: str) -> str:
    """``word`` with one letter swapped with its neighbour, dropped, replaced or added."""
    operation = draw(st.sampled_from(("swap", "drop", "replace", "add")))
    letter = draw(st.sampled_from(string.ascii_lowercase))
    if operation == "swap":
        i = draw(st.integers(0, len(word) - 2))
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if operation == "drop":
        i = draw(st.integers(0, len(word) - 1))
        return word[:i] + word[i + 1 :]
    if operation == "replace":
        i = draw(st.integers(0, len(word) - 1))
        return word[:i] + letter + word[i + 1 :]
    i = draw(st.integers(0, len(word)))
    return word[:i] + letter + word[i:]


def _misspellings(substance: Substance) -> st.SearchStrategy[str] | None:
    words = [name.lower() for name in _names_of(substance) if name.isalpha() and len(name) >= 5]
    if not words:
        return None
    return (
        st.sampled_from(words)
        .flatmap(_one_edit)
        .filter(lambda word: _misspelling_resolves_to(word, substance.id))
    )


def _decorated(names: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A name alone, or with a salt and/or a strength as on a label ("warfarin sodium 5 mg")."""
    return st.tuples(
        names,
        st.sampled_from(("", *(f" {salt}" for salt in _SALTS))),
        st.sampled_from(("", *(f" {strength}" for strength in _STRENGTHS))),
    ).map("".join)


# --- Medications ------------------------------------------------------------------------------


def _entry(name: st.SearchStrategy[str]) -> st.SearchStrategy[str | JSON]:
    """A name as plain text or as ``{"name": ...}``; shrinks toward plain text."""
    return name.flatmap(lambda text: st.sampled_from((text, {"name": text})))


def _codes(atc: Sequence[str], rxnorm: Sequence[str]) -> list[st.SearchStrategy[str | JSON]]:
    options: list[st.SearchStrategy[str | JSON]] = []
    if atc:
        options.append(st.sampled_from(atc).flatmap(_written).map(lambda code: {"atc": code}))
    if rxnorm:
        options.append(
            st.tuples(st.sampled_from(_EDGE_SPACES[:3]), st.sampled_from(rxnorm)).map(
                lambda pair: {"rxnorm": pair[0] + pair[1]}
            )
        )
    return options


def _writings_of(substance: Substance, *, misspellings: bool) -> st.SearchStrategy[str | JSON]:
    names = st.sampled_from(_names_of(substance))
    # The plain name comes first and costs one draw, so shrinking settles on it.
    options = [names, _entry(_decorated(names).flatmap(_written))]
    options += _codes(substance.atc, substance.rxnorm)
    if substance.atc:
        both = st.tuples(_decorated(names), st.sampled_from(substance.atc))
        options.append(both.map(lambda pair: {"name": pair[0], "atc": pair[1]}))
    typo = _misspellings(substance) if misspellings else None
    if typo is not None:
        options.append(_entry(_decorated(typo).flatmap(_written)))
    return st.one_of(options)


@cache
def _unrelated() -> st.SearchStrategy[str | JSON]:
    names = _decorated(st.sampled_from(_UNRELATED_DRUGS)).flatmap(_written)
    return st.one_of(_entry(names), *_codes(_UNRELATED_ATC, _UNRELATED_RXNORM))


def medications(
    *,
    kind: DrugKind | None = None,
    substance: str | None = None,
    misspellings: bool = True,
) -> st.SearchStrategy[str | JSON]:
    """Medication entries as a profile accepts them: text, or ``{"name", "atc", "rxnorm"}``.

    Generates generic names, synonyms and brands from the vocabulary, alone or with a salt and a
    strength ("Warfarin Sodium 5 mg"), in any case and with extra whitespace; ATC and RxNorm
    codes; a name together with its ATC code; misspellings the matcher must still resolve (one
    edit away from a single name, closer to it than to any other); and, unless narrowed,
    medicines outside the vocabulary that must match nothing (metformin, atorvastatin, ...).

    ``kind`` narrows to ``"vka"``, ``"other_anticoagulant"``, ``"anticoagulant"`` (either) or
    ``"unrelated"``; ``substance`` (a vocabulary id such as ``"warfarin"``) to the ways of writing
    that one substance, each of which resolves to it alone. ``misspellings=False`` leaves out the
    misspelled names. With ``kind="vka"`` the ATC group code (``B01AA``) is generated as well.

    Shrinks toward the generic name of the first substance as plain text.
    """
    if substance is not None and substance not in knowledge().substances:
        raise InvalidArgument(f"substance={substance!r} is not a vocabulary id")
    return _medications(kind, substance, misspellings)


# Strategies are built once per set of arguments: building one walks the whole vocabulary.
@cache
def _medications(
    kind: DrugKind | None, substance: str | None, misspellings: bool
) -> st.SearchStrategy[str | JSON]:
    if substance is not None:
        return _writings_of(knowledge().substances[substance], misspellings=misspellings)
    if kind == "unrelated":
        return _unrelated()
    options = [_writings_of(s, misspellings=misspellings) for s in _substances_of(kind)]
    if kind is not None:
        groups = [
            prefix
            for class_id, drug_class in knowledge().classes.items()
            if kind in {class_id, "anticoagulant"}
            for prefix in drug_class.atc_prefixes
        ]
        options += _codes(groups, ())
        return st.one_of(options)
    return st.one_of(*options, _unrelated())


def vka_medications(*, misspellings: bool = True) -> st.SearchStrategy[str | JSON]:
    """Entries naming a vitamin K antagonist: ``medications(kind="vka")``.

    Every entry resolves to a substance (or the ATC group) of the vitamin K antagonist class.
    Shrinks toward "warfarin" as plain text.
    """
    return medications(kind="vka", misspellings=misspellings)


# --- Doses ------------------------------------------------------------------------------------


def _fraction(value: Amount, name: str) -> Fraction:
    try:
        number = Fraction(value)
    except (TypeError, ValueError):
        raise InvalidArgument(f"{name}={value!r} is not a number") from None
    if number <= 0:
        raise InvalidArgument(f"{name}={value!r} must be more than zero")
    return number


@cache
def _interesting_amounts() -> tuple[Fraction, ...]:
    """Each mcg-per-day threshold of the rules, and its nearest neighbours per day and week."""
    found: set[Fraction] = set()
    for threshold in knowledge().thresholds.values():
        if threshold.unit == "mcg/day":
            value = threshold.value
            found.update(value + step for step in (0, 1, -1, Fraction(1, 7), Fraction(-1, 7)))
    return tuple(sorted(found))


def daily_amounts(
    *,
    min_mcg_per_day: Amount = _DEFAULT_MIN_MCG,
    max_mcg_per_day: Amount = _DEFAULT_MAX_MCG,
) -> st.SearchStrategy[Fraction]:
    """Exact amounts per day, in micrograms, that :func:`doses` can write in some unit.

    Generates multiples of 1/1000 mcg a day and weekly amounts (multiples of 1/7000), plus each
    rule threshold in range and its neighbours one microgram a day or a week away. Both bounds are
    included. Shrinks toward ``min_mcg_per_day``.
    """
    low = _fraction(min_mcg_per_day, "min_mcg_per_day")
    high = _fraction(max_mcg_per_day, "max_mcg_per_day")
    if low > high:
        raise InvalidArgument(f"min_mcg_per_day={low} is more than max_mcg_per_day={high}")
    grids = [
        st.builds(Fraction, st.integers(math.ceil(low * d), math.floor(high * d)), st.just(d))
        for d in _DENOMINATORS
        if math.ceil(low * d) <= math.floor(high * d)
    ]
    edges = st.sampled_from(sorted({low, high}))
    near = [amount for amount in _interesting_amounts() if low <= amount <= high]
    return st.one_of(*grids, edges, *([st.sampled_from(near)] if near else []))


_MASS_UNITS: tuple[tuple[str, Fraction], ...] = (
    ("mcg", Fraction(1)),
    ("µg", Fraction(1)),
    ("μg", Fraction(1)),
    ("ug", Fraction(1)),
    ("microgram", Fraction(1)),
    ("micrograms", Fraction(1)),
    ("mg", Fraction(1000)),
    ("milligram", Fraction(1000)),
    ("milligrams", Fraction(1000)),
    ("ng", Fraction(1, 1000)),
    ("nanograms", Fraction(1, 1000)),
    ("g", Fraction(10**6)),
    ("grams", Fraction(10**6)),
)
_IU_NAMES = ("IU", "iu", "UI")
_PLAIN_PERIODS: tuple[tuple[str | None, Fraction], ...] = (
    (None, Fraction(1)),
    ("day", Fraction(1)),
    ("week", Fraction(7)),
)
_RATES: tuple[tuple[str, Fraction], ...] = (
    ("/day", Fraction(1)),
    ("/d", Fraction(1)),
    ("/week", Fraction(7)),
    ("/wk", Fraction(7)),
    ("/(3.5 day)", Fraction(7, 2)),
    ("/(2 week)", Fraction(14)),
    ("/(4 week)", Fraction(28)),
)
_SPANS = (2, 3, 5, 10, 14, 30)


def _decimal_text(value: Fraction) -> str | None:
    """``value`` as exact decimal text, or None when it has no finite decimal expansion."""
    rest, places = value.denominator, 0
    for prime in (2, 5):
        count = 0
        while rest % prime == 0:
            rest //= prime
            count += 1
        places = max(places, count)
    if rest != 1:
        return None
    digits = str(value.numerator * 10**places // value.denominator).rjust(places + 1, "0")
    return digits if places == 0 else f"{digits[:-places]}.{digits[-places:]}"


def _unit_options(iu: bool) -> tuple[tuple[str, Fraction], ...]:
    if not iu:
        return _MASS_UNITS
    per_iu = 1 / knowledge().threshold("d3_iu_per_mcg")
    return _MASS_UNITS + tuple((name, per_iu) for name in _IU_NAMES)


def _spans(amount: Fraction) -> tuple[tuple[str, Fraction], ...]:
    """Rates over several days, including the one that makes ``amount`` exact."""
    needed = amount.denominator
    for prime in (2, 5):
        while needed % prime == 0:
            needed //= prime
    return tuple((f"/({n} day)", Fraction(n)) for n in sorted({*_SPANS, needed} - {1}))


@lru_cache(maxsize=4096)
def _writings(amount: Fraction, iu: bool) -> tuple[tuple[str, str, str | None], ...]:
    """Every (number, unit, per) that states ``amount`` mcg a day exactly, plainest first."""
    found: list[tuple[str, str, str | None]] = []
    for unit, per_unit in _unit_options(iu):
        for per, days in _PLAIN_PERIODS:
            number = _decimal_text(amount * days / per_unit)
            if number is not None:
                found.append((number, unit, per))
        for suffix, days in (*_RATES, *_spans(amount)):
            number = _decimal_text(amount * days / per_unit)
            if number is not None:
                found.append((number, unit + suffix, None))
    return tuple(w for w in found if len(w[0]) + len(w[1]) + 4 <= _MAX_DOSE_TEXT)


@st.composite
def _number_variant(draw: st.DrawFn, number: str) -> str:
    """The same decimal value written differently: trailing zeros, '+', '.5', exponent."""
    style = draw(st.sampled_from(("plain", "zeros", "plus", "exponent", "bare point")))
    if style == "zeros":
        return number + ("0" if "." in number else ".0")
    if style == "plus":
        return "+" + number
    if style == "exponent":
        exponent = draw(st.sampled_from(("e", "E")))
        return format(Decimal(number), "e").replace("e", exponent)
    if style == "bare point" and number.startswith("0."):
        return number[1:]
    return number


def _object_value(number: str) -> int | float | None:
    """The JSON number for ``number``, or None when a float cannot hold it exactly."""
    value = Decimal(number)
    if value == value.to_integral_value():
        return int(value)
    as_float = float(value)
    return as_float if Decimal(repr(as_float)) == value else None


@st.composite
def _written_dose(draw: st.DrawFn, amount: Fraction, iu: bool) -> JSON:
    writings = _writings(amount, iu)
    if not writings:
        raise InvalidArgument(f"{amount} mcg a day cannot be written within {_MAX_DOSE_TEXT}")
    number, unit, per = draw(st.sampled_from(writings))
    # Each form costs the fewest draws it can, so shrinking settles on plain text.
    form = draw(st.sampled_from(("text", "object", "varied text")))
    value = _object_value(number)
    dose: str | JSON = f"{number} {unit}"
    if form == "object" and value is not None:
        dose = {"value": value, "unit": draw(st.sampled_from((unit, unit.upper())))}
    elif form == "varied text":
        unit = draw(st.sampled_from((unit, unit.lower(), unit.upper())))
        text = draw(_number_variant(number)) + draw(st.sampled_from((" ", "", "  "))) + unit
        varied = draw(st.sampled_from(_EDGE_SPACES[:3])) + text
        dose = varied if len(varied) <= _MAX_DOSE_TEXT else dose
    return {"dose": dose} if per is None else {"dose": dose, "per": per}


def doses(
    *,
    min_mcg_per_day: Amount = _DEFAULT_MIN_MCG,
    max_mcg_per_day: Amount = _DEFAULT_MAX_MCG,
    mcg_per_day: Amount | None = None,
    iu: bool = False,
) -> st.SearchStrategy[JSON]:
    """The dose part of a supplement, ``{"dose": ..., "per": ...}`` (``per`` only when used).

    The amount is drawn with :func:`daily_amounts` (or fixed by ``mcg_per_day``) and written in
    any accepted way that states it exactly: mcg, µg, ug, microgram(s), mg, milligram(s), ng,
    nanograms, g, grams; per day or per week through ``per``, or as a rate (``/day``, ``/d``,
    ``/week``, ``/wk``, ``/(3 day)``, ``/(2 week)``, ...); as text with its number in plain,
    padded, signed or exponent notation, or as ``{"value": number, "unit": text}`` when a JSON
    number holds it exactly. ``iu=True`` adds IU writings (40 IU = 1 mcg), which only vitamin D3
    accepts. Every writing of one amount validates to the same ``mcg_per_day``.

    Shrinks toward the smallest amount, written as plain micrograms per day.
    """
    if mcg_per_day is not None:
        fixed = _fraction(mcg_per_day, "mcg_per_day")
        return _written_dose(fixed, iu)
    amounts = daily_amounts(min_mcg_per_day=min_mcg_per_day, max_mcg_per_day=max_mcg_per_day)
    return amounts.flatmap(lambda amount: _written_dose(amount, iu))


# --- Supplements ------------------------------------------------------------------------------


def _forms(forms: Collection[str] | None) -> tuple[str, ...]:
    known = tuple(ingredient.form for ingredient in knowledge().ingredients)
    if forms is None:
        return known
    unknown = sorted(set(forms) - set(known))
    if unknown or not forms:
        raise InvalidArgument(f"forms must be a non-empty subset of {known}, got {sorted(forms)}")
    return tuple(form for form in known if form in forms)


@st.composite
def _ingredient_name(draw: st.DrawFn, form: str) -> str:
    ingredient = next(i for i in knowledge().ingredients if i.form == form)
    if not draw(st.booleans()):
        return ingredient.form
    name = draw(st.sampled_from((ingredient.form, *ingredient.aliases)))
    separators = ("-", "_", " ")
    rewritten = "".join(draw(st.sampled_from(separators)) if c in separators else c for c in name)
    return draw(_case_variant(rewritten))


def supplements(
    *,
    forms: Collection[str] | None = None,
    min_mcg_per_day: Amount = _DEFAULT_MIN_MCG,
    max_mcg_per_day: Amount = _DEFAULT_MAX_MCG,
) -> st.SearchStrategy[JSON]:
    """One planned supplement: ``{"ingredient": ..., "dose": ..., "per": ...}``.

    The ingredient is a form (MK-7, MK-4, K2, K1, D3) or one of its aliases from the knowledge
    base (``mk7``, ``menatetrenone``, ``cholecalciferol``, ...), with its case and its ``-``,
    ``_`` or space separators changed; the dose comes from :func:`doses` (with IU for D3).
    ``forms`` narrows the forms, e.g. ``forms={"MK-7"}``.

    Shrinks toward the first form (MK-7) by its canonical name at the smallest amount.
    """
    low = _fraction(min_mcg_per_day, "min_mcg_per_day")
    high = _fraction(max_mcg_per_day, "max_mcg_per_day")
    return _supplements(_forms(forms), low, high)


@cache
def _supplements(forms: tuple[str, ...], low: Fraction, high: Fraction) -> st.SearchStrategy[JSON]:
    options = [
        st.builds(
            lambda name, dose: {"ingredient": name, **dose},
            _ingredient_name(form),
            doses(min_mcg_per_day=low, max_mcg_per_day=high, iu=_takes_iu(form)),
        )
        for form in forms
    ]
    return st.one_of(options)


def _takes_iu(form: str) -> bool:
    return next(i.iu for i in knowledge().ingredients if i.form == form)


def _vitamin_k_forms() -> tuple[str, ...]:
    return tuple(i.form for i in knowledge().ingredients if i.vitamin_k)


def _other_forms() -> tuple[str, ...]:
    return tuple(i.form for i in knowledge().ingredients if not i.vitamin_k)


# --- Profiles ---------------------------------------------------------------------------------


@cache
def _goals() -> st.SearchStrategy[str]:
    ids = [goal.id for goal in knowledge().goals]
    separators = st.sampled_from(("_", " ", "-"))
    return st.tuples(st.sampled_from(ids), separators).flatmap(
        lambda pair: _case_variant(pair[0].replace("_", pair[1]))
    )


@cache
def _foods(natto: bool) -> st.SearchStrategy[str]:
    unrelated = st.sampled_from(_UNRELATED_FOODS)
    if not natto:
        return unrelated
    aliases = [alias for food in knowledge().foods for alias in (food.id, *food.aliases)]
    return st.one_of(unrelated, st.sampled_from(aliases).flatmap(_case_variant))


@cache
def _conditions() -> st.SearchStrategy[str]:
    free_text = st.text(min_size=1, max_size=40).filter(lambda text: text.strip() != "")
    return st.one_of(st.sampled_from(_CONDITIONS), free_text)


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
        if not 0 <= limit <= _MAX_ENTRIES:
            raise InvalidArgument(f"{name}={limit} must be between 0 and {_MAX_ENTRIES}")
    if with_vka and max_medications < 1:
        raise InvalidArgument("with_vka=True needs max_medications >= 1")
    return _profile(with_vka, with_vitamin_k, with_d3, supervised, max_medications, max_supplements)


# --- Input that must be rejected --------------------------------------------------------------

_BAD_DOSE_TEXTS = (
    "0 mcg",
    "-90 mcg",
    "0.0 mg",
    "180",
    "mcg",
    "",
    "   ",
    "one hundred mcg",
    "nan mcg",
    "inf mg",
    "180 foo",
    "1 gr",
    "5 ml",
    "2 kcal",
    "1 l",
    "1 day",
    "90 mcg/kg",
    "1 mg/g",
    "1,5 mg",
    "1,000 mcg",
    "1+2 mg",
    "2*90 mcg",
    "180 mcg mcg",
    "180 µ g",
    "1e400 mcg",
    "1e-400 mcg",
    "1" + "0" * 70 + " mcg",
)
_BAD_DOSE_VALUES: tuple[object, ...] = (
    180,
    180.0,
    True,
    None,
    [],
    ["180 mcg"],
    {"value": 0, "unit": "mcg"},
    {"value": -1.5, "unit": "mg"},
    {"value": float("nan"), "unit": "mcg"},
    {"value": float("inf"), "unit": "mcg"},
    {"value": "180", "unit": "mcg"},
    {"value": True, "unit": "mcg"},
    {"value": 180, "unit": ""},
    {"value": 180, "unit": 5},
    {"value": 180},
    {"unit": "mcg"},
    {"value": 180, "unit": "mcg", "per": "day"},
    {"value": 5, "unit": "ml"},
)


@st.composite
def _bad_dose(draw: st.DrawFn, iu_invalid: bool) -> JSON:
    kind = draw(st.sampled_from(("text", "value", "rate and per", "period", "unit", "iu")))
    if kind == "text":
        return {"dose": draw(st.sampled_from(_BAD_DOSE_TEXTS))}
    if kind == "value":
        return {"dose": draw(st.sampled_from(_BAD_DOSE_VALUES))}
    if kind == "rate and per":
        rate = draw(st.sampled_from(("180 mcg/day", "1.26 mg/week", "90 ug/d")))
        return {"dose": rate, "per": draw(st.sampled_from(("day", "week")))}
    if kind == "period":
        per = draw(st.sampled_from(("month", "Day", "daily", "", 7, True)))
        return {"dose": "180 mcg", "per": per}
    if kind == "unit" or not iu_invalid:
        number = draw(st.integers(1, 10_000))
        unit = draw(st.sampled_from(("mL", "kcal", "mcg/kg", "mg/l", "tablets", "drops", "oz")))
        return {"dose": f"{number} {unit}"}
    return {"dose": f"{draw(st.integers(1, 10_000))} {draw(st.sampled_from(_IU_NAMES))}"}


def invalid_doses(*, ingredient: str = "MK-7") -> st.SearchStrategy[JSON]:
    """Dose parts (``{"dose": ..., "per": ...}``) that a supplement of ``ingredient`` rejects.

    Generates zero, negative, unitless, non-numeric, too long and out-of-range amounts; volumes,
    energies, ratios and unknown units (``gr``, ambiguous on labels); decimal commas, arithmetic
    and split units; numbers where text or an object is expected, and malformed objects (NaN,
    infinity, text values, missing or extra keys); a rate together with ``per``, and periods
    other than ``"day"`` and ``"week"``; and IU, unless ``ingredient`` is D3.

    Shrinks toward ``{"dose": "0 mcg"}``.
    """
    form = _forms({_canonical_form(ingredient)})[0]
    return _bad_dose(iu_invalid=not _takes_iu(form))


def _canonical_form(name: str) -> str:
    for ingredient in knowledge().ingredients:
        if name.casefold() in {n.casefold() for n in (ingredient.form, *ingredient.aliases)}:
            return ingredient.form
    raise InvalidArgument(f"ingredient={name!r} is not a known ingredient")


_NOT_OBJECTS: tuple[object, ...] = ([], "warfarin", 5, 1.5, None, True)
_BAD_MEDICATIONS: tuple[object, ...] = (
    5,
    None,
    True,
    ["warfarin"],
    {},
    {"name": ""},
    {"name": "   "},
    {"name": 5},
    {"name": "x" * 201},
    {"atc": "XYZ"},
    {"atc": "B01AA03X"},
    {"rxnorm": "12a"},
    {"rxnorm": 11289},
    {"name": "warfarin", "dose": "5 mg"},
)
_BAD_SUPPLEMENTS: tuple[object, ...] = (
    "MK-7 180 mcg",
    None,
    {"dose": "180 mcg"},
    {"ingredient": "MK-7"},
    {"ingredient": "vitamin c", "dose": "180 mcg"},
    {"ingredient": "mk 7 7", "dose": "180 mcg"},
    {"ingredient": 7, "dose": "180 mcg"},
    {"ingredient": "MK-7", "dose": "180 mcg", "brand": "x"},
)
_BAD_TEXTS: tuple[object, ...] = ("", "  ", 5, None, ["a"], "x" * 201)


_NOT_BOOLEANS: tuple[object, ...] = ("true", 1, 0, "yes", None, [])
_LIST_FIELDS = ("medications", "supplements", "foods", "goals", "conditions")


_CORRUPTIONS = (
    "not an object",
    "unknown field",
    "list field not a list",
    "bad medication",
    "bad supplement",
    "bad dose",
    "bad food",
    "bad condition",
    "bad goal",
    "too many goals",
    "too many medications",
    "bad supervision",
)


@st.composite
def _corrupted(draw: st.DrawFn) -> object:
    # The kind is drawn first and each kind draws only what it needs, so shrinking settles on
    # the first kind.
    kind = draw(st.sampled_from(_CORRUPTIONS))
    if kind == "not an object":
        return draw(st.sampled_from(_NOT_OBJECTS))
    profile: JSON = draw(profiles())
    if kind == "unknown field":
        return {**profile, draw(st.sampled_from(("medication", "Medications", ""))): []}
    if kind == "list field not a list":
        field = draw(
            st.sampled_from(("medications", "supplements", "foods", "goals", "conditions"))
        )
        return {**profile, field: draw(st.sampled_from(("warfarin", 5, {}, True)))}
    if kind == "too many goals":
        return {**profile, "goals": [g.id for g in knowledge().goals] * 2}
    if kind == "too many medications":
        return {**profile, "medications": ["warfarin"] * (_MAX_ENTRIES + 1)}
    if kind == "bad supervision":
        return {**profile, "medical_supervision": draw(st.sampled_from(_NOT_BOOLEANS))}
    field, bad = {
        "bad medication": ("medications", st.sampled_from(_BAD_MEDICATIONS)),
        "bad supplement": ("supplements", st.sampled_from(_BAD_SUPPLEMENTS)),
        "bad dose": (
            "supplements",
            invalid_doses().map(lambda dose: {"ingredient": "MK-7", **dose}),
        ),
        "bad food": ("foods", st.sampled_from(_BAD_TEXTS)),
        "bad condition": ("conditions", st.sampled_from(_BAD_TEXTS)),
        "bad goal": ("goals", st.sampled_from(("be healthy", "", 1, None, "bone"))),
    }[kind]
    entries = list(profile.get(field, []))
    entries.insert(draw(st.integers(0, len(entries))), draw(bad))
    return {**profile, field: entries}


def invalid_profiles() -> st.SearchStrategy[object]:
    """Values that :func:`k2safety.check` must reject with :class:`k2safety.ProfileError`.

    Each is a valid profile from :func:`profiles` with one thing broken: not an object at all;
    an unknown field; a list field that is not a list; a medication, supplement, food, goal or
    condition of the wrong type, empty, too long or unknown; a dose from :func:`invalid_doses`;
    too many entries; ``medical_supervision`` that is not a JSON boolean.

    Shrinks toward ``[]`` (not an object).
    """
    return _corrupted()
