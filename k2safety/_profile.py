"""The profile a caller hands in: its JSON form, its validation, and its exact doses.

A :class:`Profile` is immutable once validated. Every dose in it has already been read into an
exact amount per day and every medication resolved against the vocabulary, so the rules never see
a dose string or a unit. Dumping a profile (``model_dump(mode="json")``) gives back valid input
that validates to an equal profile.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from fractions import Fraction
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from k2safety import _profile_schema as schema
from k2safety._errors import ProfileError
from k2safety._knowledge import decimal_text, knowledge
from k2safety._matching import Match, match_medication
from k2safety._profile_errors import describe, profile_error
from k2safety._terms import Form, Goal
from k2safety._text import fold
from k2safety._units import ACCEPTED_UNITS, DoseProblem, Period, parse_dose, plain_number

__all__ = [
    "MAX_ENTRIES",
    "MAX_TEXT",
    "DoseObject",
    "EntryProblem",
    "Medication",
    "Profile",
    "Supplement",
    "atc_code",
    "daily_amount",
    "goal_named",
    "ingredient_form",
    "medication_label",
    "rxnorm_id",
]

MAX_ENTRIES = 100
"""The most entries a list in a profile may hold (goals: one of each)."""
MAX_TEXT = 200
"""The longest medication name, food or condition, in characters."""


class EntryProblem(ValueError):
    """One entry of a profile is not valid; the message says why and what would be accepted."""


# The functions below decide what an entry means. Both the pydantic model (which explains any
# problem) and the reader check() uses on plain JSON (k2safety._reader) call them, so the two
# can never disagree about what is valid.


def ingredient_form(value: object) -> Form:
    """The form an ingredient name denotes, e.g. ``"menaquinone-7"`` → ``Form.MK7``."""
    if not isinstance(value, str):
        raise EntryProblem("must be text naming an ingredient, e.g. 'MK-7'")
    ingredient = knowledge().ingredient_terms.get(fold(value))
    if ingredient is None:
        accepted = ", ".join(i.form for i in knowledge().ingredients)
        raise EntryProblem(
            f"{describe(value)} is not a known ingredient; accepted: {accepted} (or aliases "
            "such as mk7, menaquinone-7, menatetrenone, vitamin k2, phylloquinone, cholecalciferol)"
        )
    return ingredient.form


def goal_named(value: object) -> Goal:
    """The goal a text names, e.g. ``"Reverse calcification"`` → ``Goal.REVERSE_CALCIFICATION``."""
    if isinstance(value, str):
        folded = fold(value).replace(" ", "_")
        if folded in Goal._value2member_map_:
            return Goal(folded)
    accepted = ", ".join(goal.value for goal in Goal)
    raise EntryProblem(f"{describe(value)} is not a known goal; accepted: {accepted}")


def daily_amount(form: Form, dose: str | dict[str, Any], per: Period | None) -> Fraction:
    """The exact amount per day in micrograms (IU converted for the forms that allow it).

    An amount of more than the ``largest_daily_dose`` threshold (1 g a day) is refused: no
    supplement or medicine comes near it, so it is a slip of the number or the unit.
    """
    daily = parse_dose(dose, per)
    kb = knowledge()
    if daily.unit == "mcg":
        amount = daily.per_day
    elif form in kb.iu_forms:
        amount = daily.per_day / kb.threshold("d3_iu_per_mcg")
    else:
        raise DoseProblem(
            f"{form.value} cannot be dosed in IU: vitamin K has no international unit and is "
            "dosed by mass; give the amount in micrograms, e.g. '180 mcg' "
            f"(IU is accepted for {' and '.join(f'vitamin {f.value}' for f in sorted(kb.iu_forms))}"
            " only)"
        )
    largest = kb.threshold("largest_daily_dose")
    if amount > largest:
        written = dose.strip() if isinstance(dose, str) else _dose_text(dose)
        raise DoseProblem(
            f"{written!r}{' a week' if per == 'week' else ''} is more than "
            f"{decimal_text(largest)} mcg ({decimal_text(largest / 10**6)} g) a day, the most "
            "k2safety accepts of one supplement and far more than any supplement or medicine; "
            "check the number and the unit"
        )
    return amount


def _dose_text(dose: dict[str, Any]) -> str:
    """A dose object as text, for a message (the object has been read, so it is sound)."""
    return f"{plain_number(dose['value'])!r} {dose['unit']}"


_ATC = re.compile(r"[A-Z][0-9]{2}(?:[A-Z](?:[A-Z](?:[0-9]{2})?)?)?")


def atc_code(value: str) -> str:
    """An ATC code or group, upper-cased, e.g. ``"b01aa03"`` → ``"B01AA03"``.

    ASCII letters and digits only: ``str.upper()`` would turn a dotless i into "I", and a regex's
    digit class would take any script's digits.
    """
    code = value.strip()
    code = code.upper() if code.isascii() else ""
    if not _ATC.fullmatch(code):
        raise EntryProblem(
            f"{describe(value)} is not an ATC code; expected e.g. 'B01AA03' (or a group 'B01AA')"
        )
    return code


def rxnorm_id(value: str) -> str:
    """An RxNorm id: digits, as text."""
    rxcui = value.strip()
    if not (rxcui.isascii() and rxcui.isdigit() and len(rxcui) <= 12):
        raise EntryProblem(
            f"{describe(value)} is not an RxNorm id; expected digits as text, e.g. '11289'"
        )
    return rxcui


def _fail(message: str, *, field: str | None = None) -> PydanticCustomError:
    """An error pydantic carries unchanged to :func:`profile_error`; ``field`` extends the path."""
    context: dict[str, str] = {"message": message}
    if field is not None:
        context["field"] = field
    return PydanticCustomError("k2_invalid", "{message}", context)


def _explained(function: Any) -> Any:
    """``function`` as a pydantic validator: an :class:`EntryProblem` becomes its error."""

    def validate(value: Any) -> Any:
        try:
            return function(value)
        except EntryProblem as problem:
            raise _fail(str(problem)) from None

    return validate


_Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT),
    schema.LazySchema(lambda: schema.text_schema(MAX_TEXT)),
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DoseObject(_Frozen):
    """A dose as a number and a unit, e.g. ``{"value": 90, "unit": "ug"}``."""

    model_config = ConfigDict(strict=True)

    value: Annotated[int, Field(gt=0)] | Annotated[float, Field(gt=0, allow_inf_nan=False)]
    unit: Annotated[
        str,
        StringConstraints(min_length=1, max_length=32),
        schema.LazySchema(schema.dose_unit_schema),
    ]


def _dose_shape(value: object) -> object:
    if isinstance(value, str | DoseObject):
        return value
    if isinstance(value, dict):
        # Checked here, not by the union, so that a bad object gives one clear error.
        try:
            parse_dose(value)
        except DoseProblem as problem:
            raise _fail(str(problem)) from None
        # The value as a plain int or float: a numpy number would not dump to JSON.
        return DoseObject.model_construct(value=plain_number(value["value"]), unit=value["unit"])
    raise _fail('must be text such as \'180 mcg\' or an object {"value": 180, "unit": "mcg"}')


_DoseField = Annotated[
    Annotated[str, schema.LazySchema(schema.dose_text_schema)] | DoseObject,
    BeforeValidator(_dose_shape),
    Field(description=f"The amount: {ACCEPTED_UNITS}."),
]


class Supplement(_Frozen):
    """One planned supplement: what it is and how much."""

    ingredient: Annotated[
        Form,
        BeforeValidator(_explained(ingredient_form)),
        schema.LazySchema(schema.ingredient_schema),
    ]
    dose: _DoseField
    per: Literal["day", "week"] | None = Field(
        default=None,
        description="Period of a plain amount ('day' when not given); not allowed when the dose "
        "is already a rate such as '180 mcg/day' (which k2safety checks: a schema cannot tell a "
        "rate from an amount).",
    )

    @property
    def mcg_per_day(self) -> Fraction:
        """The exact amount per day, in micrograms (D3 given in IU is converted, 40 IU = 1 mcg)."""
        dose = self.dose
        raw = dose if isinstance(dose, str) else {"value": dose.value, "unit": dose.unit}
        return daily_amount(self.ingredient, raw, self.per)

    @model_validator(mode="after")
    def _read_dose(self) -> Self:
        try:
            self.mcg_per_day  # noqa: B018 - read to refuse a dose that cannot be read
        except DoseProblem as problem:
            raise _fail(str(problem), field="per" if problem.about_per else "dose") from None
        return self


def _optional(function: Any, wrong_type: str | None) -> Any:
    def validate(value: object) -> object:
        if not isinstance(value, str):
            if value is None or wrong_type is None:
                return value  # None, or a type pydantic's own error describes
            raise _fail(wrong_type)
        try:
            return function(value)
        except EntryProblem as problem:
            raise _fail(str(problem)) from None

    return validate


def _medication_shape(value: object) -> object:
    if isinstance(value, str):
        return {"name": value}
    if isinstance(value, dict | Medication):
        return value
    raise _fail("must be text such as 'warfarin 5 mg' or an object with 'name', 'atc' or 'rxnorm'")


class Medication(_Frozen):
    """A medication, by name (free text), ATC code or RxNorm ingredient id."""

    model_config = ConfigDict(json_schema_extra=schema.medication_object_extra())

    name: _Text | None = None
    atc: Annotated[
        str | None,
        BeforeValidator(_optional(atc_code, None)),
        schema.LazySchema(lambda: {"anyOf": [schema.atc_schema(), {"type": "null"}]}),
    ] = None
    rxnorm: Annotated[
        str | None,
        BeforeValidator(
            _optional(rxnorm_id, "must be an RxNorm id given as text of digits, e.g. '11289'")
        ),
        schema.LazySchema(lambda: {"anyOf": [schema.rxnorm_schema(), {"type": "null"}]}),
    ] = None

    @property
    def matches(self) -> tuple[Match, ...]:
        """The substances (or drug classes) this entry resolved to; empty if not recognized."""
        return match_medication(self.name, self.atc, self.rxnorm)

    @property
    def label(self) -> str:
        """How the entry is shown in a report: its name, else its codes."""
        return medication_label(self.name, self.atc, self.rxnorm)

    @model_validator(mode="after")
    def _needs_something(self) -> Self:
        if self.name is None and self.atc is None and self.rxnorm is None:
            raise _fail("needs at least one of 'name', 'atc', 'rxnorm'")
        return self


def medication_label(name: str | None, atc: str | None, rxnorm: str | None) -> str:
    """How a medication is shown in a report: its name, else its codes."""
    if name is not None:
        return name
    codes = [f"ATC {atc}" if atc else "", f"RxNorm {rxnorm}" if rxnorm else ""]
    return ", ".join(code for code in codes if code)


def _profile_schema_extra(json_schema: dict[str, Any]) -> None:
    json_schema.update(
        {
            "$schema": schema.DIALECT,
            "title": "k2safety profile",
            "description": schema.profile_description(),
            "additionalProperties": False,
        }
    )


class Profile(_Frozen):
    """What a person takes and plans: the input to :func:`k2safety.check`.

    >>> profile = Profile.model_validate(
    ...     {"supplements": [{"ingredient": "mk7", "dose": "1.26 mg", "per": "week"}]}
    ... )
    >>> profile.supplements[0].ingredient.value, profile.supplements[0].mcg_per_day
    ('MK-7', Fraction(180, 1))
    """

    model_config = ConfigDict(json_schema_extra=_profile_schema_extra)

    medications: Annotated[
        tuple[
            Annotated[
                Medication,
                BeforeValidator(_medication_shape),
                schema.MedicationItemSchema(MAX_TEXT),
            ],
            ...,
        ],
        Field(
            max_length=MAX_ENTRIES,
            description="Text such as 'warfarin 5 mg', or an object with at least one of name, "
            "atc, rxnorm.",
        ),
    ] = ()
    supplements: Annotated[tuple[Supplement, ...], Field(max_length=MAX_ENTRIES)] = ()
    foods: Annotated[tuple[_Text, ...], Field(max_length=MAX_ENTRIES)] = ()
    goals: Annotated[
        tuple[
            Annotated[
                Goal, BeforeValidator(_explained(goal_named)), schema.LazySchema(schema.goal_schema)
            ],
            ...,
        ],
        Field(max_length=len(Goal)),
    ] = ()
    conditions: Annotated[tuple[_Text, ...], Field(max_length=MAX_ENTRIES)] = ()
    medical_supervision: StrictBool = False

    # Each ProfileError is raised outside the `except` block that built it, so that it carries
    # no __context__: the pydantic error it replaces refers back to it, and that cycle breaks
    # reducers that follow exception chains (tblib's, which Dask installs process-wide).
    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as error:
            problem = profile_error(error)
        else:
            return
        raise problem

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> Self:
        """Validate a mapping of the JSON form; raises :class:`ProfileError` when invalid."""
        if not isinstance(obj, dict) and isinstance(obj, Mapping):
            obj = dict(obj)
        if not isinstance(obj, dict | cls):
            raise ProfileError([("", "a profile must be a JSON object (a mapping of fields)")])
        try:
            return super().model_validate(obj, **kwargs)
        except ValidationError as error:
            problem = profile_error(error)
        except TypeError:
            # Keys that are not text reach __init__ as keyword names, which Python refuses.
            if isinstance(obj, cls) or all(isinstance(key, str) for key in obj):
                raise
            keys = ", ".join(sorted(describe(key) for key in obj if not isinstance(key, str)))
            problem = ProfileError([("", f"field names must be text, got {keys}")])
        raise problem

    @classmethod
    def model_validate_json(cls, json_data: str | bytes | bytearray, **kwargs: Any) -> Self:
        """Validate JSON text; raises :class:`ProfileError` when invalid."""
        try:
            return super().model_validate_json(json_data, **kwargs)
        except ValidationError as error:
            problem = profile_error(error)
            too_long = _too_long(error)
        if too_long:  # pydantic said where in the text, Python's reader says which field
            problem = _number_out_of_range(json_data) or problem
        raise problem

    @classmethod
    def model_validate_strings(cls, obj: Any, **kwargs: Any) -> Self:
        """Not supported: profiles are validated from JSON types only."""
        raise ProfileError([("", "validate profiles with model_validate or model_validate_json")])


def _too_long(error: ValidationError) -> bool:
    """Whether pydantic's JSON parser stopped at a number it cannot hold, saying only where in
    the text: a whole number of more digits than Python turns into an int (4,300)."""
    return any(
        detail["type"] == "json_invalid" and "number out of range" in str(detail.get("ctx"))
        for detail in error.errors(include_url=False)
    )


def _number_out_of_range(json_data: str | bytes | bytearray) -> ProfileError | None:
    """The :class:`ProfileError` naming the field of each number too long in ``json_data``, as
    the command line reads JSON; None if Python's reader finds none either."""
    from k2safety._json import loads_refusing_duplicates

    try:
        value = loads_refusing_duplicates(json_data)
    except ProfileError as problem:
        return problem
    except (ValueError, RecursionError):  # not JSON after all, or too deep for Python's reader
        return None
    try:
        Profile.model_validate(value)
    except ProfileError as problem:
        return problem
    return None  # pragma: no cover - pydantic refused a number that Python reads and accepts
