"""What a medication resource names: every coding, text and display of its medication.

A resource names its medication in one of three shapes: ``medicationCodeableConcept`` and
``medicationReference`` (STU3, R4, R4B) or ``medication``, a CodeableReference with ``concept``
and ``reference`` (R5). A reference points at a Medication contained in the resource (``#id``)
or elsewhere in the input (``Medication/id``, a bundle entry's ``fullUrl`` such as
``urn:uuid:…``); that Medication's ``code`` and each of its ``ingredient[]`` count. A reference
that points at nothing in the input still has its ``display``.

Of every coding, an RxNorm code becomes ``{"rxnorm": code}``, an ATC code ``{"atc": code}`` (both
checked by the profile's own functions), and every text and display a name. Other code systems
(NDC, SNOMED CT) count by their display. A code given as a JSON number is read as its text.

What cannot be read is kept for the reader to report: the first code of another system
(:attr:`Product.other`, named as :func:`code_label` names it) and the first reference that
points at nothing (:attr:`Product.unresolved`), so that a medication named only so is listed as
not recognized, never dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from k2safety._errors import json_type
from k2safety._profile import MAX_TEXT, EntryProblem, atc_code, rxnorm_id
from k2safety._reader import _WHITE_SPACE as WHITE_SPACE

__all__ = [
    "Bad",
    "Product",
    "Resolve",
    "Source",
    "code_label",
    "field_path",
    "product_of",
    "reference_tail",
]

RXNORM = frozenset(
    {"http://www.nlm.nih.gov/research/umls/rxnorm", "urn:oid:2.16.840.1.113883.6.88"}
)
ATC = frozenset({"http://www.whocc.no/atc", "urn:oid:2.16.840.1.113883.6.73"})
IPS_ABSENT = "http://hl7.org/fhir/uv/ips/CodeSystem/absent-unknown-uv-ips"
"""The IPS code system that says a list is empty or unknown ("no-medication-info")."""
SYSTEM_NAMES = {
    "http://snomed.info/sct": "SNOMED CT",
    "urn:oid:2.16.840.1.113883.6.96": "SNOMED CT",
    "http://hl7.org/fhir/sid/ndc": "NDC",
    "urn:oid:2.16.840.1.113883.6.69": "NDC",
}
"""The well-known names of code systems whose codes are not read, for a code's label."""

Source = tuple[str, int | None, str]
"""Where a value was found, formatted only when needed (:func:`field_path`): the concept's path, the
coding's position (``None`` for the concept's own text) and the field."""

Resolve = Callable[[str, Mapping[str, Any]], "Mapping[str, Any] | None"]
"""Finds the resource a reference text points at, from the resource that holds the reference."""


class Bad(Exception):
    """A field of a resource that cannot be read; the reader adds which resource."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class Product:
    """Everything a resource says its medication is, each value once, in the order given."""

    __slots__ = ("absent", "atc", "folded", "names", "notes", "other", "rxnorm", "unresolved")

    def __init__(self) -> None:
        self.names: dict[str, Source] = {}
        """Each name (text or display), to the field it came from."""
        self.folded: set[str] = set()
        """The names case-folded: a name that differs from one of them only in case is not new."""
        self.rxnorm: dict[str, Source] = {}
        self.atc: dict[str, Source] = {}
        self.notes: list[str] = []
        self.absent = False
        """Coded only as the IPS "no information" / "no known medications" placeholder."""
        self.other: tuple[str | None, str] | None = None
        """The first code of a system not read (SNOMED CT, NDC, …), with its system."""
        self.unresolved: str | None = None
        """The first reference that points at nothing in the input."""

    @property
    def identified(self) -> bool:
        return bool(self.names or self.rxnorm or self.atc)

    def entries(self) -> list[tuple[dict[str, str], dict[str, Source]]]:
        """Profile medication entries, each with the field each value came from: the first name
        with the first codes, then each other name and code alone."""
        first: tuple[dict[str, str], dict[str, Source]] = ({}, {})
        rest: list[tuple[dict[str, str], dict[str, Source]]] = []
        for key, values in (("name", self.names), ("rxnorm", self.rxnorm), ("atc", self.atc)):
            for value, where in values.items():
                if key in first[0]:
                    rest.append(({key: value}, {key: where}))
                else:
                    first[0][key] = value
                    first[1][key] = where
        return [first, *rest] if first[0] else rest

    @property
    def label(self) -> str | None:
        """How the product is named in a note: its first name, else its first code."""
        if self.names:
            return next(iter(self.names))
        if self.rxnorm:
            return f"RxNorm {next(iter(self.rxnorm))}"
        if self.atc:
            return f"ATC {next(iter(self.atc))}"
        return None if self.other is None else code_label(*self.other)


def code_label(system: str | None, code: str) -> str:
    """A code of a system k2safety does not read, as a report names it: ``SNOMED CT 372756006``,
    ``NDC 00056-0172-70``, ``http://example.org/codes X1``, or ``code X1`` without a system."""
    code = " ".join(code.split())
    if system is None or not system.strip():
        return f"code {code}"
    return f"{SYSTEM_NAMES.get(system, system)} {code}"


def product_of(resource: Mapping[str, Any], resolve: Resolve) -> Product:
    """The medication ``resource`` names, in any of its FHIR versions' shapes."""
    product = Product()
    shapes = 0
    if "medicationCodeableConcept" in resource:
        shapes += 1
        _concept(resource["medicationCodeableConcept"], "medicationCodeableConcept", product)
    if "medicationReference" in resource:
        shapes += 1
        _reference(
            resource["medicationReference"], "medicationReference", resource, resolve, product
        )
    if "medication" in resource:
        shapes += 1
        value = _object(resource["medication"], "medication")
        if "concept" in value:
            _concept(value["concept"], "medication.concept", product)
        if "reference" in value:
            _reference(value["reference"], "medication.reference", resource, resolve, product)
    if not shapes:
        raise Bad(
            "medication[x]",
            "is required: medicationCodeableConcept or medicationReference (STU3, R4), "
            "or medication (R5)",
        )
    return product


def _object(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise Bad(where, f"must be an object, got {json_type(value)}")
    return value


def _list(value: object, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise Bad(where, f"must be a list, got {json_type(value)}")
    return value


def _text(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise Bad(where, f"must be text, got {json_type(value)}")
    return value


def _concept(value: object, where: str, product: Product) -> None:
    """A CodeableConcept: its text, then every coding."""
    concept = _object(value, where)
    text = concept.get("text")
    if text is not None:  # first: the concept as the record's author wrote it
        if not isinstance(text, str):
            raise Bad(f"{where}.text", f"must be text, got {json_type(text)}")
        _name(text, (where, None, "text"), product)
    codings = concept.get("coding")
    if codings is None:
        return
    if not isinstance(codings, list):
        raise Bad(f"{where}.coding", f"must be a list, got {json_type(codings)}")
    for number, coding in enumerate(codings):
        if not isinstance(coding, dict):
            raise Bad(f"{where}.coding[{number}]", f"must be an object, got {json_type(coding)}")
        system, code = coding.get("system"), coding.get("code")
        if system is not None and not isinstance(system, str):
            raise Bad(
                field_path((where, number, "system")), f"must be text, got {json_type(system)}"
            )
        if code is not None:
            source = (where, number, "code")
            if not isinstance(code, str):
                code = _code_text(code, source)
            try:
                if system in RXNORM:
                    product.rxnorm.setdefault(rxnorm_id(code), source)
                elif system in ATC:
                    product.atc.setdefault(atc_code(code), source)
                elif system == IPS_ABSENT:
                    product.absent = True
                    continue
                elif product.other is None and code.strip():
                    product.other = (system, code)
            except EntryProblem as problem:
                raise Bad(field_path(source), str(problem)) from None
        display = coding.get("display")
        if display is not None:
            source = (where, number, "display")
            if not isinstance(display, str):
                raise Bad(field_path(source), f"must be text, got {json_type(display)}")
            _name(display, source, product)


def field_path(source: Source) -> str:
    """A field's path from where it was found: ``medicationCodeableConcept.coding[1].code``."""
    where, number, leaf = source
    at = where if number is None else f"{where}.coding[{number}]"
    return f"{at}.{leaf}" if leaf else at


def _code_text(code: object, source: Source) -> str:
    if isinstance(code, int) and not isinstance(code, bool):
        return str(code)  # seen in the wild: "code": 198222
    raise Bad(field_path(source), f"must be text (or a whole number), got {json_type(code)}")


def _name(text: str, source: Source, product: Product) -> None:
    name = text.strip(WHITE_SPACE)
    if not name:
        return
    if len(name) > MAX_TEXT:
        cut = name[: MAX_TEXT + 1].rsplit(" ", 1)[0].rstrip(WHITE_SPACE)  # at a space if any
        name = cut if 0 < len(cut) <= MAX_TEXT else name[:MAX_TEXT].rstrip(WHITE_SPACE)
        product.notes.append(
            f"{field_path(source)} is longer than {MAX_TEXT} characters; "
            f"its first {len(name)} were read"
        )
    folded = name.casefold()
    if folded not in product.folded:
        product.folded.add(folded)
        product.names[name] = source


def _reference(
    value: object,
    where: str,
    holder: Mapping[str, Any],
    resolve: Resolve,
    product: Product,
    *,
    ingredients: bool = True,
) -> None:
    """A Reference to a Medication (or, for an ingredient, a Substance), and its display."""
    reference = _object(value, where)
    target = reference.get("reference")
    if target is not None:
        target = _text(target, f"{where}.reference")
        found = resolve(target, holder)
        if found is not None:
            _medication(found, f"{where} ({target})", holder, resolve, product, ingredients)
        else:
            product.unresolved = product.unresolved or target
            product.notes.append(
                f"{where}.reference {target!r} points at nothing in the input"
                + ("; its display was read" if "display" in reference else "")
            )
    if "display" in reference:
        _name(_text(reference["display"], f"{where}.display"), (where, None, "display"), product)


def _medication(
    medication: Mapping[str, Any],
    where: str,
    holder: Mapping[str, Any],
    resolve: Resolve,
    product: Product,
    ingredients: bool,
) -> None:
    """A Medication (or Substance) resource: its code, and each ingredient's item."""
    if "code" in medication:
        _concept(medication["code"], f"{where}.code", product)
    if not ingredients:
        return  # an ingredient's own ingredients are not read: no cycles, no depth
    for number, item in enumerate(_list(medication.get("ingredient", []), f"{where}.ingredient")):
        at = f"{where}.ingredient[{number}]"
        ingredient = _object(item, at)
        if "itemCodeableConcept" in ingredient:
            _concept(ingredient["itemCodeableConcept"], f"{at}.itemCodeableConcept", product)
        if "itemReference" in ingredient:
            _reference(
                ingredient["itemReference"],
                f"{at}.itemReference",
                holder,
                resolve,
                product,
                ingredients=False,
            )
        if "item" in ingredient:  # R5: a CodeableReference
            item_value = _object(ingredient["item"], f"{at}.item")
            if "concept" in item_value:
                _concept(item_value["concept"], f"{at}.item.concept", product)
            if "reference" in item_value:
                _reference(
                    item_value["reference"],
                    f"{at}.item.reference",
                    holder,
                    resolve,
                    product,
                    ingredients=False,
                )


_TYPED_TAIL = re.compile(r"([A-Za-z]+/[A-Za-z0-9\-.]{1,64})(?:/_history/[^/]*)?$")


def reference_tail(reference: str) -> str | None:
    """``Type/id`` at the end of a relative or absolute reference, without ``/_history/…``."""
    match = _TYPED_TAIL.search(reference)
    return None if match is None else match[1]
