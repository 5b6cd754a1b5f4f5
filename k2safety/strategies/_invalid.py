"""Input that must be rejected: invalid dose parts, and profiles with one thing broken.

Each broken profile starts from a valid one (:func:`profiles`); the lengths and counts that break
it come from the contract (``k2safety._profile.MAX_TEXT``, ``MAX_MEDICATION_TEXT`` and
``MAX_ENTRIES``, ``k2safety._units.MAX_DOSE_TEXT``), so they stay just past what the library
accepts.
"""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from k2safety._knowledge import knowledge
from k2safety._profile import MAX_ENTRIES, MAX_MEDICATION_TEXT, MAX_TEXT
from k2safety._units import MAX_DOSE_TEXT
from k2safety.strategies._doses import IU_NAMES
from k2safety.strategies._profiles import checked_forms, profiles, takes_iu
from k2safety.strategies._variants import JSON

__all__ = ["invalid_doses", "invalid_profiles"]

# --- Doses ------------------------------------------------------------------------------------

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
    "1e300 kg",  # far over the largest daily dose
    "100 kmcg",  # a prefix on a prefixed unit
    "1_000 mcg",
    "100 mcg/(0 day)",
    "1" + "0" * (MAX_DOSE_TEXT - 4) + " mcg",  # one character longer than a dose may be
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
    return {"dose": f"{draw(st.integers(1, 10_000))} {draw(st.sampled_from(IU_NAMES))}"}


def invalid_doses(*, ingredient: str = "MK-7") -> st.SearchStrategy[JSON]:
    """Dose parts (``{"dose": ..., "per": ...}``) that a supplement of ``ingredient`` rejects.

    Generates zero, negative, unitless, non-numeric, too long and out-of-range amounts; volumes,
    energies, ratios and unknown units (``gr``, ambiguous on labels); decimal commas, arithmetic
    and split units; numbers where text or an object is expected, and malformed objects (NaN,
    infinity, text values, missing or extra keys); a rate together with ``per``, and periods
    other than ``"day"`` and ``"week"``; and IU, unless ``ingredient`` is D3.

    Shrinks toward ``{"dose": "0 mcg"}``.
    """
    form = checked_forms({_canonical_form(ingredient)})[0]
    return _bad_dose(iu_invalid=not takes_iu(form))


def _canonical_form(name: str) -> str:
    for ingredient in knowledge().ingredients:
        if name.casefold() in {n.casefold() for n in (ingredient.form, *ingredient.aliases)}:
            return ingredient.form
    raise InvalidArgument(f"ingredient={name!r} is not a known ingredient")


# --- Profiles ---------------------------------------------------------------------------------

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
    {"name": "x" * (MAX_MEDICATION_TEXT + 1)},
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
_BAD_TEXTS: tuple[object, ...] = ("", "  ", 5, None, ["a"], "x" * (MAX_TEXT + 1))
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
        field = draw(st.sampled_from(_LIST_FIELDS))
        return {**profile, field: draw(st.sampled_from(("warfarin", 5, {}, True)))}
    if kind == "too many goals":
        return {**profile, "goals": [g.id for g in knowledge().goals] * 2}
    if kind == "too many medications":
        return {**profile, "medications": ["warfarin"] * (MAX_ENTRIES + 1)}
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
