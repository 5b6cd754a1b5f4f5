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
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from k2safety._profile import EntryProblem, ingredient_form

__all__ = ["LabelError", "from_dsld"]


class LabelError(ValueError):
    """A label record that cannot be read as a product; the message says why."""


_NOT_PRESENT = frozenset({"np", ""})
"""DSLD's unit for an amount the label does not state ("NP", not present), or none at all."""
_OPERATORS = {"=": "", "<": "< ", ">": "> ", "<=": "< ", ">=": "> ", "≤": "< ", "≥": "> "}


def from_dsld(label: Mapping[str, Any]) -> dict[str, Any]:
    """A DSLD label record (API v9) as a product entry of a profile.

    * The product is the label's ``fullName`` (else its ``brandName``) and ``label_id`` is
      ``"DSLD <id>"``, so a finding can say which product it is about.
    * ``servings_per_day`` comes from the first serving size (``order`` 1): its
      ``minDailyServings`` and ``maxDailyServings``, one number when they agree, else
      ``{"min", "max"}``. A label that gives none is refused: the daily amount would be a guess.
    * Each ingredient row becomes ``{"ingredient", "amount"}``: the row's name with its forms
      (``forms[]``, e.g. prefix "as", name "Menaquinone-7") in parentheses, and the amount of
      the quantity for the first serving size (``servingSizeOrder`` 1). An amount the label
      does not state (unit "NP") is ``None``; an operator "<" or ">" is kept in front of the
      amount ("< 100 mcg"), so the report says the label gives a bound. % Daily Value
      (``dailyValueTargetGroup``) is not used for dosing.
    * A row with nested rows (a blend, or a vitamin broken down by form) is counted once: the
      parent when it names a vitamin k2safety screens and states its amount, else its nested
      rows, each read the same way.
    * Rows outside k2safety's scope (calcium, vitamin A ...) are kept as they are and not
      screened; their amounts are left out.
    """
    if not isinstance(label, Mapping):
        raise LabelError("a DSLD label must be a JSON object")
    name = label.get("fullName") or label.get("brandName")
    if not isinstance(name, str) or not name.strip():
        raise LabelError("the label has no fullName or brandName")
    rows = label.get("ingredientRows")
    if not isinstance(rows, Sequence) or not rows:
        raise LabelError("the label has no ingredientRows")
    per_serving: list[dict[str, Any]] = []
    for row in rows:
        per_serving.extend(_rows(row))
    entry: dict[str, Any] = {
        "product": name.strip(),
        "servings_per_day": _servings(label.get("servingSizes")),
        "per_serving": per_serving,
    }
    if label.get("id") is not None:
        entry["label_id"] = f"DSLD {label['id']}"
    return entry


def _servings(sizes: object) -> object:
    if not isinstance(sizes, Sequence) or not sizes:
        raise LabelError("the label gives no serving size; give servings_per_day yourself")
    first = min(
        (size for size in sizes if isinstance(size, Mapping)),
        key=lambda size: size.get("order") or 0,
        default=None,
    )
    if first is None:
        raise LabelError("the label's servingSizes hold no serving size")
    low, high = first.get("minDailyServings"), first.get("maxDailyServings")
    low = high if low is None else low
    high = low if high is None else high
    if not isinstance(low, int | float) or not isinstance(high, int | float):
        raise LabelError("the label gives no servings a day; give servings_per_day yourself")
    if not _number(low) or not _number(high):
        raise LabelError("the label gives no servings a day; give servings_per_day yourself")
    low, high = min(low, high), max(low, high)  # a few records give them the wrong way round
    return low if low == high else {"min": low, "max": high}


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def _rows(row: object) -> list[dict[str, Any]]:
    """The product rows one ingredient row (and its nested rows) stands for, each once."""
    if not isinstance(row, Mapping):
        raise LabelError("an ingredient row must be a JSON object")
    ingredient = _ingredient_text(row)
    nested = [child for child in row.get("nestedRows") or () if isinstance(child, Mapping)]
    screened = _screened(ingredient)
    amount = _amount(row.get("quantity"))
    if not nested or (screened and amount is not None):
        if not screened:
            return [{"ingredient": ingredient, "amount": None}]
        return [{"ingredient": ingredient, "amount": amount}]
    children = [read for child in nested for read in _rows(child)]
    if screened and not any(_screened(child["ingredient"]) for child in children):
        children.insert(0, {"ingredient": ingredient, "amount": None})
    return children


def _ingredient_text(row: Mapping[str, Any]) -> str:
    name = row.get("name")
    if not isinstance(name, str) or not name.strip():
        raise LabelError("an ingredient row has no name")
    text = name.strip()
    forms = [form for form in row.get("forms") or () if isinstance(form, Mapping)]
    described = []
    for form in sorted(forms, key=lambda form: form.get("order") or 0):
        form_name = form.get("name")
        if isinstance(form_name, str) and form_name.strip():
            prefix = form.get("prefix")
            prefix = prefix.strip() if isinstance(prefix, str) and prefix.strip() else "as"
            described.append((prefix, form_name.strip()))
    # Several forms under one amount ("as MK-7, MK-4") cannot each be given a dose: the name
    # alone is kept for them, and a source ("from natto") is kept as it is.
    if sum(prefix.casefold() == "as" for prefix, _ in described) > 1:
        described = [(p, n) for p, n in described if p.casefold() != "as"]
    text += "".join(f" ({prefix} {form_name})" for prefix, form_name in described)
    return text


def _screened(ingredient: str) -> bool:
    try:
        ingredient_form(ingredient)
    except EntryProblem:
        return False
    return True


def _amount(quantities: object) -> str | None:
    if not isinstance(quantities, Sequence) or not quantities:
        return None
    entries = [entry for entry in quantities if isinstance(entry, Mapping)]
    first = next(
        (entry for entry in entries if entry.get("servingSizeOrder") == 1),
        entries[0] if entries else None,
    )
    if first is None:
        return None
    unit, quantity = first.get("unit"), first.get("quantity")
    if not isinstance(unit, str) or unit.strip().casefold() in _NOT_PRESENT:
        return None
    if not _number(quantity):
        return None
    operator = first.get("operator")
    sign = _OPERATORS.get(operator.strip(), "") if isinstance(operator, str) else ""
    number = int(quantity) if isinstance(quantity, float) and quantity.is_integer() else quantity
    return f"{sign}{number} {unit.strip()}"
