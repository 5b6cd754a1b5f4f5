"""The profile a caller hands in: its JSON form, its validation, and its exact doses.

A :class:`Profile` is immutable once validated. Every dose in it has already been read into an
exact amount per day and every medication resolved against the vocabulary, so the rules never see
a dose string or a unit. Dumping a profile (``model_dump(mode="json")``) gives back valid input
that validates to an equal profile.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from fractions import Fraction
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StringConstraints,
    Tag,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from k2safety import _profile_schema as schema
from k2safety._caches import text_memo
from k2safety._errors import ProfileError
from k2safety._knowledge import Knowledge, decimal_text, knowledge
from k2safety._matching import Match, match_medication, match_name, rxnorm_forms
from k2safety._normalized import OtherIngredient, ProductDose, SupplementEntry
from k2safety._profile_errors import describe, profile_error
from k2safety._terms import Form, Goal
from k2safety._text import fold
from k2safety._units import (
    ACCEPTED_UNITS,
    MAX_DOSE_TEXT,
    DoseProblem,
    Period,
    parse_dose,
    plain_number,
)

__all__ = [
    "MAX_ENTRIES",
    "MAX_MEDICATION_TEXT",
    "MAX_TEXT",
    "DoseObject",
    "EntryProblem",
    "Medication",
    "Product",
    "ProductRow",
    "Profile",
    "ServingsRange",
    "Supplement",
    "atc_code",
    "daily_amount",
    "goal_named",
    "ingredient_form",
    "medication_label",
    "medication_vitamins",
    "product_name",
    "product_row",
    "product_rows",
    "rxnorm_id",
    "servings_range",
]

MAX_ENTRIES = 100
"""The most entries a list in a profile may hold (goals: one of each)."""
MAX_TEXT = 200
"""The longest food, condition, product name or label row, in characters."""
MAX_MEDICATION_TEXT = 1000
"""The longest medication name, in characters: real RxNorm pack names reach 273, and a record
may carry a long free-text line. Foods and conditions keep :data:`MAX_TEXT`: they are a word or
a phrase a person types, and nothing longer names one."""


class EntryProblem(ValueError):
    """One entry of a profile is not valid; the message says why and what would be accepted."""


# The functions below decide what an entry means. Both the pydantic model (which explains any
# problem) and the reader check() uses on plain JSON (k2safety._reader) call them, so the two
# can never disagree about what is valid.


def ingredient_form(value: object) -> Form:
    """The form an ingredient name denotes, e.g. ``"menaquinone-7"`` → ``Form.MK7``.

    Names are read as labels print them: case, separators, every kind of dash and the marks
    ®, ™, ©, ℠ do not matter; "(as …)" names the form of the vitamin the name starts with,
    "(from …)" its source (ignored), and a bare parenthesis another name of it, nested or not.
    A word marked ® or ™ is a brand: it is read as a name when it is one ("MenaQ7®"), else
    dropped when the rest names the form; two names side by side must both be known and agree
    ("MenaQ7 Menaquinone-7"). The name and its parentheses must agree, and the
    most specific of them is the form: "Vitamin K (as MenaQ7® Menaquinone-7)" is MK-7.

    >>> ingredient_form("Vitamin K2 (as MK\u20117) (from natto)").value
    'MK-7'
    >>> ingredient_form("Vitamin D (as cholecalciferol (D3))").value
    'D3'
    """
    if not isinstance(value, str):
        raise EntryProblem("must be text naming an ingredient, e.g. 'MK-7'")
    form = _form_of(value)
    if form is None:
        raise EntryProblem(
            f"{describe(value)} is not a known ingredient; {_accepted_ingredients()}"
        )
    return form


def _form_of(value: str) -> Form | None:
    """The form ``value`` names, or None."""
    ingredient = knowledge().ingredient_terms.get(fold(value))
    if ingredient is not None:
        return ingredient.form
    if len(value) > MAX_TEXT:
        return None
    read = _read_label_name(value)
    return Form(read) if read not in _NOT_A_FORM else None


_OTHER, _VITAMIN = "", "?"
_NOT_A_FORM = (_OTHER, _VITAMIN)


def _label_name_uncached(text: str) -> str:
    """What a label's name is: its form's value; else "?" if it names vitamin K or D (so a
    product refuses it) or "" for another ingredient (kept in a product, not screened)."""
    form = _label_form(text)
    if form is not None:
        return form.value
    return _VITAMIN if _names_a_vitamin(text) else _OTHER


_read_label_name = text_memo("ingredient name", _label_name_uncached)


def _accepted_ingredients() -> str:
    kb = knowledge()
    forms = ", ".join(i.form for i in kb.ingredients)
    return (
        f"accepted: {forms} (K and D: vitamin K or D of unstated form), or their names as "
        "labels print them, such as mk7, menaquinone-7, "
        "MenaQ7, menatetrenone, vitamin K2, phylloquinone, phytonadione, vitamin K, "
        "cholecalciferol, ergocalciferol, and 'Vitamin K2 (as menaquinone-7) (from natto)'"
    )


_MARKS = "\u00ae\u2122\u00a9\u2120"  # ®, ™, ©, ℠ (taken off before NFKC makes ™ "TM")
_BRAND = re.compile(rf"(\S+?)\s*[{_MARKS}]")
_DASHES = re.compile(r"[\u2010-\u2015\u2212\u2e3a\u2e3b\ufe58\ufe63\uff0d\u00ad\u058a\u05be]")


class _Conflict(Exception):
    """A label name whose parts name different forms."""


def _label_form(text: str) -> Form | None:
    """The form a label's name denotes, or None if it names none (or names two)."""
    try:
        return _name_form(_DASHES.sub("-", text), depth=0)
    except _Conflict:
        return None


def _name_form(text: str, *, depth: int) -> Form | None:
    if depth > 3:
        return None
    split = _parenthesized(text)
    if split is None:
        return None
    head, groups = split
    forms = [_term_form(head)]
    for group in groups:
        words = fold(group.replace("(", " ").replace(")", " ")).split()
        if not words:
            return None
        if words[0] == "from":
            continue  # the source (natto, chickpea): not a form
        inner = group.strip()
        if words[0] == "as":
            inner = inner[inner.casefold().index("as") + 2 :]
        forms.append(_name_form(inner, depth=depth + 1))
    if any(form is None for form in forms):
        return None
    return _narrowest([form for form in forms if form is not None])


def _parenthesized(text: str) -> tuple[str, list[str]] | None:
    """The text outside parentheses, and the text inside each outermost pair."""
    head: list[str] = []
    groups: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char == "(":
            if depth:
                current.append(char)
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                return None
            if depth:
                current.append(char)
            else:
                groups.append("".join(current))
                current = []
        elif depth:
            current.append(char)
        else:
            head.append(char)
    if depth:
        return None
    return "".join(head), groups


def _term_form(text: str) -> Form | None:
    """The form a name without parentheses denotes, brand marks read as :func:`ingredient_form`
    says."""
    terms = knowledge().ingredient_terms
    plain = fold(re.sub(f"[{_MARKS}]", " ", text))
    if not plain:
        return None
    found = terms.get(plain)
    if found is not None:
        return found.form
    brands = _BRAND.findall(text)
    if not brands:
        # A brand printed without its mark before the name it stands for ("MenaQ7
        # Menaquinone-7"): two names, both known, that agree.
        words = plain.split(" ")
        for cut in range(1, len(words)):
            first, second = terms.get(" ".join(words[:cut])), terms.get(" ".join(words[cut:]))
            if first is not None and second is not None:
                return _narrowest([first.form, second.form])
        return None
    rest = fold(re.sub(f"[{_MARKS}]", " ", _BRAND.sub(" ", text)))
    forms = [terms[fold(b)].form for b in brands if fold(b) in terms]
    if rest:
        if rest not in terms:
            return None
        forms.append(terms[rest].form)
    return _narrowest(forms) if forms else None


def _broader(form: Form) -> Form | None:
    """The form ``form`` narrows, by its families: MK-7 narrows K2, K2 and K1 narrow K, D3 and
    D2 narrow D."""
    kb = knowledge()
    if form in kb.k2_forms and form is not Form.K2:
        return Form.K2
    if form in kb.vitamin_k_forms and form is not Form.K:
        return Form.K
    if form in kb.iu_forms and form is not Form.D:
        return Form.D
    return None


def _lineage(form: Form) -> list[Form]:
    line = [form]
    while (broader := _broader(line[-1])) is not None:
        line.append(broader)
    return line


def _narrowest(forms: list[Form]) -> Form:
    narrowest = max(forms, key=lambda form: len(_lineage(form)))
    lineage = _lineage(narrowest)
    if any(form not in lineage for form in forms):
        raise _Conflict
    return narrowest


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


MAX_SERVINGS = 100
"""The most servings a day a product entry may give (more is a slip, not a label)."""

_BOUNDS = {"<": "less than", ">": "more than", "\u2264": "at most", "\u2265": "at least"}


def servings_range(value: object) -> tuple[Fraction, Fraction]:
    """The fewest and the most servings a day: a number, or ``{"min": n, "max": m}``."""
    if isinstance(value, dict):
        if set(value) != {"min", "max"}:
            raise EntryProblem('must be a number or an object {"min": 1, "max": 3}')
        low, high = _servings(value["min"]), _servings(value["max"])
        if low > high:
            raise EntryProblem(f"'min' ({decimal_text(low)}) is more than 'max'")
        return low, high
    count = _servings(value)
    return count, count


def _servings(value: object) -> Fraction:
    if type(value) is int and 0 < value <= MAX_SERVINGS:
        return Fraction(value)
    try:
        number = plain_number(value)
    except DoseProblem:
        raise EntryProblem(
            'must be a number of servings a day, e.g. 2, or {"min": 1, "max": 3}'
        ) from None
    count = Fraction(repr(number)) if isinstance(number, float) else Fraction(number)
    if not 0 < count <= MAX_SERVINGS:
        raise EntryProblem(
            f"must be more than 0 and at most {MAX_SERVINGS} servings a day, got {number!r}"
        )
    return count


def product_row(
    product: str, servings: tuple[Fraction, Fraction], ingredient: object, amount: object
) -> ProductDose | OtherIngredient:
    """One row of a product's label as a daily amount: a vitamin k2safety screens (its exact
    amount per serving times the fewest and the most servings a day; no amount is "not
    stated"), or another ingredient, kept and not screened. A row that names vitamin K or D
    but no form k2safety knows is refused rather than set aside."""
    if not isinstance(ingredient, str):
        raise EntryProblem("must be text naming an ingredient, e.g. 'Vitamin K2 (as MK-7)'")
    form = _form_of(ingredient)
    if form is None:
        if len(ingredient) > MAX_TEXT or _read_label_name(ingredient) != _OTHER:
            ingredient_form(ingredient)  # raises, saying what is accepted
        return OtherIngredient(name=ingredient.strip(), product=product)
    if amount is None:
        return ProductDose(form=form, most=None, least=None, product=product)
    bound = None
    if isinstance(amount, str):
        stripped = amount.strip()
        if stripped[:1] in _BOUNDS:
            bound = f"{_BOUNDS[stripped[0]]} {stripped[1:].strip()}"
            amount = stripped[1:]
    try:
        per_serving = daily_amount(form, amount, "day")  # type: ignore[arg-type]
    except DoseProblem as problem:
        if problem.about_per:
            raise DoseProblem(
                f"{amount!r} is a rate; a row gives the amount in one serving, e.g. '100 mcg'"
            ) from None
        raise
    low, high = servings
    if high == 1:  # one serving a day: the amount is the daily amount, checked already
        return ProductDose(
            form=form, most=per_serving, least=per_serving, product=product, bound=bound
        )
    most = per_serving * high
    largest = knowledge().threshold("largest_daily_dose")
    if most > largest:
        raise DoseProblem(
            f"{decimal_text(high)} servings a day make more than {decimal_text(largest)} mcg a "
            "day, the most k2safety accepts of one supplement; check the number and the unit"
        )
    least = most if low == high else per_serving * low
    return ProductDose(form=form, most=most, least=least, product=product, bound=bound)


def _names_a_vitamin(name: str) -> bool:
    """Whether a row's name mentions a vitamin k2safety screens (vitamin K or D, or a name of
    one of their forms), so that a misspelled form is refused, not set aside as another
    ingredient."""
    folded = f" {fold(_DASHES.sub('-', re.sub(r'[()]', ' ', name)))} "
    return any(f" {term} " in folded for term in knowledge().ingredient_terms) or any(
        f" {word}" in folded for word in ("vitamin k", "vitamin d", "menaquin", "calciferol")
    )


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
_MedicationText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_MEDICATION_TEXT),
    schema.LazySchema(lambda: schema.text_schema(MAX_MEDICATION_TEXT)),
]


class _Frozen(BaseModel):
    # Built at first use, not at import: check() reads well-formed input without these models,
    # so a process that never meets input it must explain, nor asks for the schema, never
    # pays the few milliseconds their validators take to build.
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


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


def _servings_shape(value: object) -> object:
    if type(value) is int and 0 < value <= MAX_SERVINGS:
        return value
    try:
        servings_range(value)
    except EntryProblem as problem:
        raise _fail(str(problem)) from None
    if isinstance(value, dict):
        return ServingsRange.model_construct(
            min=plain_number(value["min"]), max=plain_number(value["max"])
        )
    return plain_number(value)


_Servings = (
    Annotated[StrictInt, Field(gt=0, le=MAX_SERVINGS)]
    | Annotated[StrictFloat, Field(gt=0, le=MAX_SERVINGS, allow_inf_nan=False)]
)


class ServingsRange(_Frozen):
    """The fewest and the most servings a day, e.g. ``{"min": 1, "max": 3}``."""

    min: _Servings
    max: _Servings


class ProductRow(_Frozen):
    """One row of a label's Supplement Facts: an ingredient and its amount in one serving."""

    ingredient: Annotated[
        _Text,
        Field(
            description="The row's name as the label prints it, e.g. 'Vitamin K2 (as "
            "menaquinone-7) (from natto)'. Rows outside k2safety's scope (calcium, vitamin A "
            "...) are kept and not screened."
        ),
    ]
    amount: _DoseField | None = Field(
        default=None,
        description="The amount in one serving; null when the label does not state it (a "
        "blend). Text may start with '<' or '>' for an amount the label gives as a bound.",
    )


class Product(_Frozen):
    """A product as its label states it: amounts per serving, and servings a day."""

    product: _Text
    servings_per_day: Annotated[
        _Servings | ServingsRange,
        BeforeValidator(_servings_shape),
        Field(description='Servings a day: a number, or {"min": 1, "max": 3}.'),
    ]
    per_serving: Annotated[tuple[ProductRow, ...], Field(min_length=1, max_length=MAX_ENTRIES)]
    label_id: _Text | None = Field(
        default=None, description="Where the label comes from, e.g. 'DSLD 12345'."
    )

    @property
    def rows(self) -> tuple[ProductDose | OtherIngredient, ...]:
        """Each row read: its form and daily amounts, or another ingredient."""
        servings = self.servings_per_day
        raw: object = (
            {"min": servings.min, "max": servings.max}
            if isinstance(servings, ServingsRange)
            else servings
        )
        return product_rows(self.product, self.label_id, raw, self._raw_rows())

    def _raw_rows(self) -> list[tuple[str, object]]:
        return [
            (
                row.ingredient,
                row.amount
                if row.amount is None or isinstance(row.amount, str)
                else {"value": row.amount.value, "unit": row.amount.unit},
            )
            for row in self.per_serving
        ]

    @model_validator(mode="after")
    def _read_rows(self) -> Self:
        servings = servings_range(
            {"min": self.servings_per_day.min, "max": self.servings_per_day.max}
            if isinstance(self.servings_per_day, ServingsRange)
            else self.servings_per_day
        )
        name = product_name(self.product, self.label_id)
        for index, (ingredient, amount) in enumerate(self._raw_rows()):
            try:
                product_row(name, servings, ingredient, amount)
            except EntryProblem as problem:
                raise _fail(str(problem), field=f"per_serving[{index}].ingredient") from None
            except DoseProblem as problem:
                raise _fail(str(problem), field=f"per_serving[{index}].amount") from None
        return self


def product_name(product: str, label_id: str | None) -> str:
    """How findings name a product: its name, and where its label comes from."""
    return product if label_id is None else f"{product} ({label_id})"


def product_rows(
    product: str, label_id: str | None, servings: object, rows: list[tuple[str, object]]
) -> tuple[ProductDose | OtherIngredient, ...]:
    """Every row of a product, read by :func:`product_row`."""
    counts = servings_range(servings)
    name = product_name(product, label_id)
    return tuple(product_row(name, counts, ingredient, amount) for ingredient, amount in rows)


def _supplement_tag(value: object) -> str:
    if isinstance(value, Product) or (isinstance(value, dict) and "product" in value):
        return "Product"
    return "Supplement"


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

    name: _MedicationText | None = None
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


_VITAMIN_CLASS = "vitamin"
"""The ``drug_class`` of a match that is a vitamin K or D form (terms.toml) listed among the
medications: planned, as a supplement is, rather than a medicine of the vocabulary."""
_TOKENS = re.compile(r"[^\W_]+")
_NOT_THE_VITAMIN = frozenset({"antagonist", "antagonists", "epoxide", "deficiency"})
"""Words that, right after a vitamin's name, make it name something else ("vitamin K
antagonist" is a class of anticoagulants, not vitamin K)."""
_AMOUNT_START = re.compile(r"(?<![\w.,/\-])\d")


def medication_vitamins(
    name: str | None, rxnorm: str | None, given: str
) -> tuple[tuple[Match, ...], tuple[SupplementEntry, ...]]:
    """The vitamin K or D a medication entry names, as matches and as planned supplements.

    A name is searched for the ingredient names of ``terms.toml`` ("Vitamin K2 (MK-7) 100 mcg",
    "phytonadione 5 mg tablet", "cholecalciferol 1000 IU"), and an RxNorm code is looked up in
    the roll-up table (:func:`~k2safety._matching.rxnorm_forms`). Names of one family narrow
    each other (vitamin K2 and MK-7 are MK-7). A bare letter ("K", "D") names no vitamin here:
    in a medication's text it is as often potassium ("K-Dur", "KCl (K) 20 mEq") or a brand.

    With one form, the amount written in the name is its dose a day only when nothing else in
    the name could change it (see :func:`_amounts_in`): "100 mcg", "5 mg tablet", "1000 IU
    weekly", or one amount written twice ("25 mcg (1000 IU)"). Otherwise, or with several
    forms, each form is planned with its dose not stated (screened as present, as a product's
    row without an amount): reading the amount of another ingredient, or missing a count or a
    frequency, would be a guess. Never raises: a name that cannot be read this way is simply
    not a vitamin.

    >>> matches, planned = medication_vitamins("cholecalciferol 1000 IU", None, "D3")
    >>> [(m.name, m.drug_class) for m in matches], planned
    ([('vitamin D3', 'vitamin')], ((<Form.D3: 'D3'>, Fraction(25, 1)),))
    >>> medication_vitamins("MK-7 500 mcg + magnesium 50 mcg", None, "MK-7")[1][0].most is None
    True
    """
    named = _vitamins_in(name) if name is not None else ((), None)
    forms = dict(named[0])
    if rxnorm is not None:
        for value in rxnorm_forms(rxnorm):
            if value in Form._value2member_map_:
                forms.setdefault(Form(value), "")
    if not forms:
        return (), ()
    try:
        kept = [_narrowest(list(forms))]
    except _Conflict:  # forms of different families (D3 and MK-7): each is planned
        kept = list(forms)
    kb = knowledge()
    matches = tuple(
        Match(
            substance=None,
            name=kb.ingredient_of[form].label,
            drug_class=_VITAMIN_CLASS,
            matched_by="name" if forms.get(form) else "rxnorm",
            matched_text=forms.get(form) or (rxnorm or ""),
        )
        for form in kept
    )
    doses = named[1]
    if len(kept) == 1 and doses:
        amount = _one_daily_amount(kept[0], doses)
        if amount is not None:
            return matches, ((kept[0], amount),)
    return matches, tuple(
        ProductDose(form=form, most=None, least=None, product=given, listed_as="medications")
        for form in kept
    )


def _one_daily_amount(form: Form, doses: tuple[str, ...]) -> Fraction | None:
    """The amount a day all of ``doses`` give ``form``, if they all read and agree."""
    amounts = set()
    for dose in doses:
        try:
            amounts.add(daily_amount(form, dose, None))
        except DoseProblem:
            return None
    return amounts.pop() if len(amounts) == 1 else None


def _vitamins_in_uncached(text: str) -> tuple[tuple[tuple[Form, str], ...], tuple[str, ...] | None]:
    """The forms a medication's text names (each with the words that named it), and the
    amounts written in it (see :func:`_amounts_in`)."""
    terms, firsts, longest = _vitamin_terms()
    folded = text.casefold() if text.isascii() else unicodedata.normalize("NFKC", text).casefold()
    if _vitamin_hint().search(folded) is None:  # most medications name no vitamin
        return (), None
    tokens = list(_TOKENS.finditer(folded))
    words = [token[0] for token in tokens]
    found: dict[Form, str] = {}
    names: list[tuple[int, int]] = []
    start = 0
    while start < len(words):
        if words[start] not in firsts:  # most words start no vitamin's name: one lookup
            start += 1
            continue
        for size in range(min(longest, len(words) - start), 0, -1):
            form = terms.get(tuple(words[start : start + size]))
            if form is not None:
                after = words[start + size] if start + size < len(words) else ""
                if after not in _NOT_THE_VITAMIN:
                    found.setdefault(form, " ".join(words[start : start + size]))
                names.append((tokens[start].start(), tokens[start + size - 1].end()))
                start += size
                break
        else:
            start += 1
    if not found:
        return (), None
    return tuple(found.items()), _amounts_in(folded, names)


def _amounts_in(text: str, names: list[tuple[int, int]]) -> tuple[str, ...] | None:
    """Each amount written beside the vitamins' names (``names``, spans of ``text``), as
    :func:`parse_dose` reads it ("5 mg" in "5 mg tablet"), or ``None`` where reading one would
    be a guess: the names are in several parts of a list, or another part holds anything but
    ``dose_neutral_words`` ("MK-7; warfarin 5 mg", "MK-7 100 mcg, x2"); in the names' part, a
    number does not start an amount ("take 2"), or a word that is not one of
    ``dose_neutral_words`` (terms.toml) comes before or after an amount ("Twice daily MK-7 200
    mcg", "MK-7 150 mcg tid", "+ magnesium 50 mcg")."""
    neutral = knowledge().dose_neutral_words
    spans = _part_spans(text)
    holding = {
        index
        for index, (start, end) in enumerate(spans)
        for first, _ in names
        if start <= first < end
    }
    if len(holding) != 1:
        return None
    (index,) = holding
    for other, (start, end) in enumerate(spans):
        if other != index and not neutral.issuperset(_TOKENS.findall(text[start:end])):
            return None
    start, end = spans[index]
    part = text[start:end]
    names = [(first - start, last - start) for first, last in names if start <= first < end]
    starts = [
        match.start()
        for match in _AMOUNT_START.finditer(part)
        if not _in_names(match.start(), names)
    ]
    if not neutral.issuperset(_words_outside(part[: starts[0] if starts else len(part)], names)):
        return None
    amounts = []
    for number, begin in enumerate(starts):
        words = part[begin : starts[number + 1] if number + 1 < len(starts) else len(part)].split()
        read = _amount_at(words)
        if read is None:
            return None
        amount, size = read
        if any(word.strip("(),.;:") not in neutral for word in words[size:]):
            return None
        amounts.append(amount)
    return tuple(amounts)


def _words_outside(text: str, names: list[tuple[int, int]]) -> list[str]:
    """The words of ``text`` (a start of the text searched) outside the vitamins' names."""
    return [word[0] for word in _TOKENS.finditer(text) if not _in_names(word.start(), names)]


def _in_names(position: int, names: list[tuple[int, int]]) -> bool:
    """Whether ``position`` is inside one of the vitamins' names (spans of the text)."""
    return any(first <= position < last for first, last in names)


def _amount_at(words: list[str]) -> tuple[str, int] | None:
    """The longest run of ``words`` from the first that :func:`parse_dose` reads, and how many
    words it took."""
    for size in range(min(len(words), 8), 0, -1):
        candidate = " ".join(words[:size]).strip("(),.;:")
        if len(candidate) > MAX_DOSE_TEXT:
            continue
        try:
            parse_dose(candidate)
        except DoseProblem:
            continue
        return candidate, size
    return None


_vitamins_in = text_memo("vitamins named in a medication", _vitamins_in_uncached)


def forms_in_text(text: str) -> tuple[Form, ...]:
    """The vitamin forms a medication's or a product's text names, in the order named."""
    return tuple(form for form, _ in _vitamins_in(text)[0])


_LIST_MARK = re.compile(
    r"[+;,&|\u2022\n\r\x0b\x0c\x85\u2028\u2029\uff06\uff0b\uff0c\uff1b\u3001\u060c]"
    r"|\s(?:with|plus|w/)\s",
    re.IGNORECASE,
)
"""What separates the parts of a medication entry written as a list: "+", ",", ";", "&", "|",
a bullet, a line break (every kind Python's ``str.splitlines`` knows), the full-width plus,
comma, semicolon and ampersand, the ideographic and the Arabic comma, or the words "with", "w/"
and "plus"."""
_NUMBER = re.compile(r"\d+(?:\.\d+)*([a-z]*)", re.ASCII)
"""A word that is a number in ASCII digits, perhaps with letters written on ("81", "100mg"),
which must then be a unit or an instruction word ("2x", "8h"): "5fu" and "3tc" are names."""


def unrecognized_parts(text: str) -> tuple[str, ...]:
    """The parts of a medication's text written as a list that name nothing k2safety knows.

    "metformin + Dolvexin", "warfarin, Dolvexin 5 mg", "metformin; foobarzol" and "Dolvexin
    with vitamin K2" each name a medicine k2safety does not know beside one it does; the
    unknown part is reported as a line of its own would be, so that the known part does not
    hide it. Commas and semicolons inside balanced parentheses do not separate parts
    ("hydrochlorothiazide (MICROZIDE,HYDRODIURIL) 25 mg"). A part is not reported when it says
    how, when or why the medicine is taken: it starts with one of ``instruction_starts``, or
    every word of it is a number, a unit right after one (``unit_words``) or one of
    ``instruction_words`` (all in terms.toml): "Eliquis 5 mg, twice daily", "for cholesterol".
    Any other word makes the part name something ("ASA 81 mg", "take Dolvexin", "Mg 400 mg").

    >>> unrecognized_parts("warfarin, Dolvexin 5 mg"), unrecognized_parts("Eliquis, twice daily")
    (('Dolvexin 5 mg',), ())
    """
    return _parts_not_known(text) if _LIST_MARK.search(text) else ()


def _parts(text: str) -> list[str]:
    """``text`` cut into its parts (see :func:`_part_spans`)."""
    return [text[start:end] for start, end in _part_spans(text)]


_LISTING_MARKS = frozenset(",;\u3001\u060c\uff0c\uff1b")
"""The marks that, inside parentheses, list a name's alternatives ("(MICROZIDE,HYDRODIURIL)")
rather than another medicine: a "+" or "with" there still adds one ("warfarin (+ Dolvexin)")."""


def _part_spans(text: str) -> list[tuple[int, int]]:
    """Where the parts of ``text`` are: cut at each list mark, but for the commas and semicolons
    inside parentheses and brackets, or at every mark when those do not balance (so that
    "warfarin ( , Dolvexin" is two parts)."""
    marks = {match.start(): match.end() for match in _LIST_MARK.finditer(text)}
    if not marks:
        return [(0, len(text))]
    depth, nested = 0, set()
    for position, char in enumerate(text):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
            if depth < 0:
                break
        elif depth and position in marks and text[position] in _LISTING_MARKS:
            nested.add(position)
    if depth != 0:  # unbalanced: every mark cuts
        nested = set()
    spans, start = [], 0
    for position, after in sorted(marks.items()):
        if position in nested or position < start:
            continue
        spans.append((start, position))
        start = after
    spans.append((start, len(text)))
    return spans


def _parts_not_known_uncached(text: str) -> tuple[str, ...]:
    kb = knowledge()
    unknown = []
    for part in _parts(text):
        part = part.strip(" \t()[].:")
        words = _TOKENS.findall(unicodedata.normalize("NFKC", part).casefold())
        if not words or words[0] in kb.instruction_starts or _says_how(words, kb):
            continue
        if not match_name(part) and not _vitamins_in(part)[0]:
            unknown.append(part)
    return tuple(unknown)


def _says_how(words: list[str], kb: Knowledge) -> bool:
    """Whether every word is a number, a unit right after a number, or an instruction word."""
    after_number = False
    for word in words:
        number = _NUMBER.fullmatch(word)
        if number is not None:
            unit = number[1]
            if unit and unit not in kb.unit_words and unit not in kb.instruction_words:
                return False
            after_number = True
            continue
        if not (word in kb.instruction_words or (after_number and word in kb.unit_words)):
            return False
        after_number = False
    return True


_parts_not_known = text_memo("unrecognized parts of a medication", _parts_not_known_uncached)


_vitamin_table: tuple[dict[tuple[str, ...], Form], frozenset[str], int] | None = None
_hint: re.Pattern[str] | None = None


def _vitamin_hint() -> re.Pattern[str]:
    """A pattern that finds, as a whole word, any word a vitamin's name starts with."""
    global _hint
    if _hint is None:
        firsts = sorted(_vitamin_terms()[1], key=len, reverse=True)
        _hint = re.compile(rf"(?<![^\W_])(?:{'|'.join(map(re.escape, firsts))})(?![^\W_])")
    return _hint


def _vitamin_terms() -> tuple[dict[tuple[str, ...], Form], frozenset[str], int]:
    """Each ingredient name of terms.toml as a run of words, to its form; the words such runs
    start with; and the most words a run has."""
    global _vitamin_table
    if _vitamin_table is None:
        terms = {
            tuple(_TOKENS.findall(term)): ingredient.form
            for term, ingredient in knowledge().ingredient_terms.items()
            if len(term) > 1  # a bare "K" or "D": see medication_vitamins
        }
        _vitamin_table = terms, frozenset(run[0] for run in terms if run), max(map(len, terms))
    return _vitamin_table


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
                schema.MedicationItemSchema(MAX_MEDICATION_TEXT),
            ],
            ...,
        ],
        Field(
            max_length=MAX_ENTRIES,
            description="Text such as 'warfarin 5 mg', or an object with at least one of name, "
            "atc, rxnorm.",
        ),
    ] = ()
    supplements: Annotated[
        tuple[
            Annotated[
                Annotated[Supplement, Tag("Supplement")] | Annotated[Product, Tag("Product")],
                Discriminator(_supplement_tag),
            ],
            ...,
        ],
        Field(
            max_length=MAX_ENTRIES,
            description="Each a supplement (ingredient, dose, per) or a product as its label "
            "states it (product, servings_per_day, per_serving).",
        ),
    ] = ()
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
        """Validate JSON text; raises :class:`ProfileError` when invalid.

        The text is read as the command line reads it (k2safety._json): a key given twice, or a
        number with more digits than Python reads, is an error naming the field, never a value
        silently dropped.
        """
        from k2safety._json import loads_refusing_duplicates

        try:
            data = loads_refusing_duplicates(json_data)
        except ProfileError:
            raise
        except (ValueError, RecursionError) as error:  # not JSON, or nested too deep to read
            problem = ProfileError([("", f"is not valid JSON: {error}")])
        else:
            return cls.model_validate(data, **kwargs)
        raise problem

    @classmethod
    def model_validate_strings(cls, obj: Any, **kwargs: Any) -> Self:
        """Not supported: profiles are validated from JSON types only."""
        raise ProfileError([("", "validate profiles with model_validate or model_validate_json")])
