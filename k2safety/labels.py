"""Supplement labels from label databases, as product entries of a profile.

:func:`from_dsld` reads a label record of the US NIH Dietary Supplement Label Database (DSLD,
API v9 JSON) into a product entry (``{"product", "label_id", "servings_per_day",
"per_serving"}``) that :func:`k2safety.check` screens:

>>> label = {
...     "id": 1001, "fullName": "K2 + D3 Softgels", "brandName": "Example",
...     "servingSizes": [{"order": 1, "minQuantity": 1, "maxQuantity": 1, "unit": "Softgel(s)",
...                       "minDailyServings": 1, "maxDailyServings": 2}],
...     "ingredientRows": [
...         {"order": 1, "name": "Vitamin K2", "nestedRows": [],
...          "forms": [{"order": 1, "prefix": "as", "name": "Menaquinone-7"}],
...          "quantity": [{"servingSizeOrder": 1, "operator": "=", "quantity": 100,
...                        "unit": "mcg", "dailyValueTargetGroup": []}]},
...     ],
... }
>>> from_dsld(label)["per_serving"]
[{'ingredient': 'Vitamin K2 (as Menaquinone-7)', 'amount': '100 mcg'}]

A record that cannot be read is refused with a :class:`LabelError`, a
:class:`k2safety.ProfileError` whose problems name the field by its path inside the record:

>>> label["ingredientRows"][0]["quantity"][0]["quantity"] = -100
>>> try:
...     from_dsld(label)
... except ProfileError as error:
...     print(error.problems[0][0])
ingredientRows[0].quantity[0].quantity
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, NoReturn

from k2safety._errors import FieldProblem, ProfileError
from k2safety._knowledge import knowledge
from k2safety._profile import MAX_SERVINGS, EntryProblem, Profile, ingredient_form
from k2safety._profile_errors import describe

__all__ = ["LabelError", "from_dsld"]


class LabelError(ProfileError):
    """A DSLD label record that cannot be read as a product.

    A :class:`k2safety.ProfileError` (so a ``ValueError``): ``problems`` holds ``(path,
    explanation)`` pairs whose path is the field inside the DSLD record, e.g.
    ``ingredientRows[2].quantity[0].quantity`` (``(label)`` for the record itself), and the
    explanation says what would be accepted.
    """

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        super().__init__(problems)
        lines = [f"{path}: {text}" for path, text in self.problems]
        self.args = (
            f"invalid DSLD label: {lines[0]}"
            if len(lines) == 1
            else "invalid DSLD label:\n" + "\n".join(f"  - {line}" for line in lines),
        )


_OPERATORS = {"=": "", "<": "< ", ">": "> ", "<=": "≤ ", ">=": "≥ ", "≤": "≤ ", "≥": "≥ "}
"""The operators of a DSLD quantity, and how each is written in front of the amount."""
_OPERATORS_TEXT = ", ".join(repr(operator) for operator in _OPERATORS)
_QUANTITY = (
    "must be a number, the amount in one serving, more than 0 (DSLD writes 0 with unit 'NP' "
    "for an amount the label does not state)"
)
_MAX_DEPTH = 10
"""The most levels of ``nestedRows`` read (labels use two or three)."""
_LARGEST = 10**15
"""No label states an amount or an order this large; a larger number is a slip."""


def _refuse(path: str, text: str) -> NoReturn:
    raise LabelError([(path, text)])


def from_dsld(label: Mapping[str, Any]) -> dict[str, Any]:
    """A DSLD label record (API v9) as a product entry of a profile.

    * The product is the label's ``fullName`` (else its ``brandName``) and ``label_id`` is
      ``"DSLD <id>"``, so a finding can say which product it is about.
    * ``servings_per_day`` comes from the first serving size (the lowest ``order``): its
      ``minDailyServings`` and ``maxDailyServings``, one number when they agree, else
      ``{"min", "max"}``. A label that gives none is refused: the daily amount would be a guess.
    * Each ingredient row becomes ``{"ingredient", "amount"}``: the row's name with its forms
      (``forms[]``, e.g. prefix "as", name "Menaquinone-7") in parentheses, and the amount of
      the quantity for that serving size (``servingSizeOrder``). An amount the label does not
      state is ``None``: unit "NP" (DSLD writes it with quantity 0), or no quantity and no
      unit. An operator other than "=" is kept in front of the amount ("< 100 mcg"; "<=" and
      ">=" as "≤" and "≥"), so the report says the label gives a bound; no operator means
      "=". % Daily Value (``dailyValueTargetGroup``) is not used for dosing.
    * A row with nested rows (a blend, or a vitamin broken down by form) is counted once: the
      parent when it names a vitamin k2safety screens and states its amount (with any nested
      row of the other vitamin, K or D, which that amount does not stand for), else its nested
      rows, each read the same way.
    * Rows outside k2safety's scope (calcium, vitamin A ...) are kept as they are and not
      screened; their amounts are left out (a stated 0, as in "Sugars 0 g", is accepted there).

    Nothing is guessed and nothing is dropped: a record that cannot be read as above is
    refused with a :class:`LabelError` (a :class:`k2safety.ProfileError`) naming the field by
    its path in the record and saying what would be accepted. That covers a serving size,
    row, nested row, form or quantity that is not an object; an ``order`` or
    ``servingSizeOrder`` that is not a whole number; an ``operator`` other than those above; a
    ``quantity`` that is not a number, is negative, not finite, or 0 with a unit for a vitamin
    k2safety screens (0 "mcg" is not a dose; DSLD writes an unstated amount with unit "NP");
    and an amount without its unit.
    """
    if not isinstance(label, Mapping):
        _refuse("(label)", f"a DSLD label must be a JSON object, got {describe(label)}")
    name = _product_name(label)
    servings, order = _servings(label.get("servingSizes"))
    rows = _items(label.get("ingredientRows"), "ingredientRows")
    if not rows:
        _refuse("ingredientRows", "the label has no ingredient rows; give at least one row")
    per_serving: list[dict[str, Any]] = []
    sources: list[str] = []
    for index, row in enumerate(rows):
        for read, source in _rows(row, f"ingredientRows[{index}]", order, 0):
            per_serving.append(read)
            sources.append(source)
    entry: dict[str, Any] = {
        "product": name,
        "servings_per_day": servings,
        "per_serving": per_serving,
    }
    label_id = label.get("id")
    if label_id is not None:
        number = _whole(label_id)
        if number is None and not (isinstance(label_id, str) and label_id.strip()):
            _refuse("id", f"must be the label's DSLD id, a whole number, got {_given(label_id)}")
        entry["label_id"] = f"DSLD {label_id.strip() if isinstance(label_id, str) else number}"
    _check_as_profile(entry, sources)
    return entry


_ENTRY_FIELDS = {
    "product": "fullName",
    "label_id": "id",
    "servings_per_day": "servingSizes",
    "per_serving": "ingredientRows",
}
"""Which field of the DSLD record each field of the entry comes from."""
_ROW_FIELDS = {"ingredient": "name", "amount": "quantity"}


def _check_as_profile(entry: dict[str, Any], sources: list[str]) -> None:
    """Refuse, naming the DSLD field, an entry that a profile would refuse (a unit a dose cannot
    have, a name too long, too many rows), so that ``from_dsld`` never hands back what
    :func:`k2safety.check` then refuses with the profile's paths."""
    try:
        Profile.model_validate({"supplements": [entry]})
    except ProfileError as error:
        problems = [(_dsld_path(path, sources), text) for path, text in error.problems]
        if len(problems) > 1:  # pydantic's "at least 1 item" follows a refused row: drop it
            problems = [p for p in problems if not p[1].startswith("Tuple should have")]
        raise LabelError(problems) from None


def _dsld_path(path: str, sources: list[str]) -> str:
    """The DSLD field a profile's problem path (``supplements[0].per_serving[2].amount``) is
    about (``ingredientRows[1].quantity``)."""
    parts = path.removeprefix("supplements[0]").lstrip(".").split(".")
    head = parts[0] if parts and parts[0] else ""
    if head.startswith("per_serving[") and head.endswith("]"):
        index = head[len("per_serving[") : -1]
        if index.isdigit() and int(index) < len(sources):
            row = sources[int(index)]
            leaf = _ROW_FIELDS.get(parts[1], parts[1]) if len(parts) > 1 else ""
            return f"{row}.{leaf}" if leaf else row
    field = head.split("[")[0]
    return _ENTRY_FIELDS.get(field, "(label)")


def _product_name(label: Mapping[str, Any]) -> str:
    for field in ("fullName", "brandName"):
        value = label.get(field)
        if isinstance(value, str) and value.strip():
            return value.strip()
        if value is not None and not isinstance(value, str):
            _refuse(field, f"must be text naming the product, got {describe(value)}")
    _refuse("fullName", "the label has no fullName or brandName; give either as non-empty text")


def _items(value: object, path: str) -> list[object]:
    """A list field: absent or null is no items, anything else but a list is refused."""
    if value is None:
        return []
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        _refuse(path, f"must be a list, got {describe(value)}")
    return list(value)


def _object(value: object, path: str, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        _refuse(path, f"must be an object ({what}), got {describe(value)}")
    return value


def _whole(value: object) -> int | None:
    """A whole number as an int (1 and 1.0 alike), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not value.is_integer():
        return None
    if abs(value) >= _LARGEST:
        return None
    return int(value)


def _order(entry: Mapping[str, Any], field: str, path: str) -> int | None:
    """An ``order`` (or ``servingSizeOrder``) field: a whole number, or None when not given."""
    value = entry.get(field)
    if value is None:
        return None
    number = _whole(value)
    if number is None:
        _refuse(f"{path}.{field}", f"must be a whole number, e.g. 1, got {_given(value)}")
    return number


def _given(value: object) -> str:
    """How a rejected value is named: a number by its value, anything else as ``describe``."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else "infinity"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number too large" if abs(value) >= _LARGEST else repr(value)
    return describe(value)


def _finite(value: object) -> bool:
    """A number JSON can hold: not a boolean, not NaN or infinity, not absurdly large."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return (not isinstance(value, float) or math.isfinite(value)) and abs(value) < _LARGEST


def _servings(sizes: object) -> tuple[object, int | None]:
    """Servings a day from the first serving size, and that serving size's order."""
    entries = _items(sizes, "servingSizes")
    if not entries:
        _refuse("servingSizes", "the label gives no serving size; give servings_per_day yourself")
    read: list[tuple[int | None, int, Mapping[str, Any]]] = []
    for index, entry in enumerate(entries):
        path = f"servingSizes[{index}]"
        size = _object(entry, path, "a serving size")
        read.append((_order(size, "order", path), index, size))
    if len(read) > 1:
        for order, index, _ in read:
            if order is None:
                _refuse(
                    f"servingSizes[{index}].order",
                    "is missing; when a label gives several serving sizes each needs its "
                    "order, a whole number, so that the first one is known",
                )
    order, index, first = min(read, key=lambda size: (size[0] or 0, size[1]))
    path = f"servingSizes[{index}]"
    low, high = first.get("minDailyServings"), first.get("maxDailyServings")
    if low is None and high is None:
        _refuse(
            path,
            "gives no minDailyServings or maxDailyServings, the servings a day; "
            "give servings_per_day yourself",
        )
    for field, value in (("minDailyServings", low), ("maxDailyServings", high)):
        if value is not None and not (_finite(value) and 0 < value <= MAX_SERVINGS):
            _refuse(
                f"{path}.{field}",
                f"must be a number of servings a day, more than 0 and at most {MAX_SERVINGS}, "
                f"got {_given(value)}",
            )
    low = high if low is None else low  # one of them alone stands for both
    high = low if high is None else high
    # A few records give them the wrong way round.
    least, most = sorted(value for value in (low, high) if isinstance(value, int | float))
    return (least if least == most else {"min": least, "max": most}), order


def _rows(
    row: object, path: str, order: int | None, depth: int
) -> list[tuple[dict[str, Any], str]]:
    """The product rows one ingredient row (and its nested rows) stands for, each once, each
    with the path of the DSLD row it comes from."""
    row = _object(row, path, "an ingredient row")
    ingredient = _ingredient_text(row, path)
    screened = _screened(ingredient)
    amount = _amount(row.get("quantity"), f"{path}.quantity", order, screened)
    nested = _items(row.get("nestedRows"), f"{path}.nestedRows")
    if nested and depth >= _MAX_DEPTH:
        _refuse(f"{path}.nestedRows", f"is nested too deeply; at most {_MAX_DEPTH} levels are read")
    # Nested rows are read (and refused if they cannot be) even when the parent stands for them.
    children = [
        read
        for index, child in enumerate(nested)
        for read in _rows(child, f"{path}.nestedRows[{index}]", order, depth + 1)
    ]
    if not nested or (screened and amount is not None):
        read = [({"ingredient": ingredient, "amount": amount if screened else None}, path)]
        # The parent's amount stands for its own vitamin's forms, not for another vitamin's
        # ("Vitamin K2 90 mcg" with "Vitamin D3" nested under it): those are kept as well.
        return read + [child for child in children if _other_vitamin(child[0], ingredient)]
    if screened and not any(_screened(child["ingredient"]) for child, _ in children):
        children.insert(0, ({"ingredient": ingredient, "amount": None}, path))
    return children


def _ingredient_text(row: Mapping[str, Any], path: str) -> str:
    name = row.get("name")
    if not isinstance(name, str) or not name.strip():
        _refuse(f"{path}.name", f"must be text naming the ingredient, got {describe(name)}")
    text = name.strip()
    forms: list[tuple[int, int, str, str]] = []
    for index, entry in enumerate(_items(row.get("forms"), f"{path}.forms")):
        at = f"{path}.forms[{index}]"
        form = _object(entry, at, "a form, e.g. prefix 'as', name 'Menaquinone-7'")
        form_order = _order(form, "order", at)
        form_name = form.get("name")
        if not isinstance(form_name, str) or not form_name.strip():
            _refuse(f"{at}.name", f"must be text naming the form, got {describe(form_name)}")
        prefix = form.get("prefix")
        if prefix is not None and not isinstance(prefix, str):
            _refuse(f"{at}.prefix", f"must be text such as 'as' or 'from', got {describe(prefix)}")
        prefix = prefix.strip() if isinstance(prefix, str) and prefix.strip() else "as"
        forms.append((index if form_order is None else form_order, index, prefix, form_name))
    described = [(prefix, form_name.strip()) for _, _, prefix, form_name in sorted(forms)]
    # Several forms under one amount ("as MK-7, MK-4") cannot each be given a dose: the name
    # alone is kept for them, and a source ("from natto") is kept as it is.
    if sum(prefix.casefold() == "as" for prefix, _ in described) > 1:
        described = [(p, n) for p, n in described if p.casefold() != "as"]
    text += "".join(f" ({prefix} {form_name})" for prefix, form_name in described)
    return text


def _other_vitamin(child: Mapping[str, Any], parent: str) -> bool:
    """Whether a nested row is vitamin K and its parent vitamin D, or the other way round."""
    if not _screened(child["ingredient"]) or not _screened(parent):
        return False
    vitamin_k = knowledge().vitamin_k_forms
    child_is_k = ingredient_form(child["ingredient"]) in vitamin_k
    return child_is_k != (ingredient_form(parent) in vitamin_k)


def _screened(ingredient: str) -> bool:
    try:
        ingredient_form(ingredient)
    except EntryProblem:
        return False
    return True


def _amount(quantities: object, path: str, order: int | None, screened: bool) -> str | None:
    """The amount in one serving of the serving size ``order``, or None when not stated."""
    entries = [
        (index, _object(entry, f"{path}[{index}]", "an amount with its unit"))
        for index, entry in enumerate(_items(quantities, path))
    ]
    if not entries:
        return None
    orders = {
        index: _order(entry, "servingSizeOrder", f"{path}[{index}]") for index, entry in entries
    }
    wanted = 1 if order is None else order
    chosen = next((at for at in entries if orders[at[0]] == wanted), None)
    if chosen is None:
        chosen = next((at for at in entries if orders[at[0]] is None), None)
    if chosen is None:
        if len(entries) > 1:
            _refuse(
                path,
                f"gives no amount for the first serving size (servingSizeOrder {wanted}); "
                "each amount must say its servingSizeOrder",
            )
        chosen = entries[0]  # one amount: the one the label gives
    index, first = chosen
    at = f"{path}[{index}]"
    unit, quantity, operator = first.get("unit"), first.get("quantity"), first.get("operator")
    if operator is not None and (
        not isinstance(operator, str) or operator.strip() not in _OPERATORS
    ):
        _refuse(f"{at}.operator", f"must be one of {_OPERATORS_TEXT}, got {describe(operator)}")
    if unit is not None and not isinstance(unit, str):
        _refuse(f"{at}.unit", f"must be text such as 'mcg', or 'NP', got {describe(unit)}")
    number = _quantity(quantity, f"{at}.quantity")
    unit = unit.strip() if isinstance(unit, str) else ""
    if unit.casefold() == "np":
        if number:  # "100 NP" says an amount and that none is stated: which, is a guess
            _refuse(
                f"{at}.quantity",
                f"is {number} with unit 'NP' (not stated); DSLD writes an unstated amount as 0 "
                "with unit 'NP', and a stated one with its unit",
            )
        return None  # not stated: DSLD writes it with quantity 0 and unit "NP"
    if not unit:
        if number:
            _refuse(f"{at}.unit", "is missing; an amount needs its unit, e.g. 'mcg'")
        return None  # not stated: neither an amount nor a unit
    if number is None:
        _refuse(
            f"{at}.quantity",
            f"is missing with unit {unit!r}; give the amount, or unit 'NP' when the label "
            "does not state it",
        )
    if number == 0:
        if screened:
            _refuse(
                f"{at}.quantity",
                f"is 0 {unit}, which is not a dose; give the amount the label states, or "
                "unit 'NP' when it does not state one",
            )
        return None  # "Sugars 0 g": the amounts of rows outside the scope are not used
    sign = _OPERATORS[operator.strip()] if isinstance(operator, str) else ""
    return f"{sign}{_number_text(number)} {unit}"


def _quantity(value: object, path: str) -> int | float | None:
    """A ``quantity``: a finite number, 0 or more, or None when not given."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not _finite(value):
        _refuse(path, f"{_QUANTITY}, got {_given(value)}")
    if value < 0:
        _refuse(path, f"{_QUANTITY}, got {value!r}")
    return value


def _number_text(quantity: int | float) -> str:
    """A quantity as the label would print it: 100, 2.5, 0.0001 (never 1e-04)."""
    if isinstance(quantity, int):
        return str(quantity)
    text = format(Decimal(repr(quantity)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
