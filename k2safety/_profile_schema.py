"""The JSON Schema of a profile's JSON form: as much of what k2safety accepts as JSON Schema says.

pydantic's own schema would describe the validated model (``"MK-7"``, ``"bone_health"``), not
what a person may write (``"menaquinone 7"``, ``"Bone-Health"``). The parts below describe the
input instead, so that a validator accepts what :class:`~k2safety.Profile` accepts and refuses
what it refuses, except for what a schema cannot say (:func:`profile_description` lists it):

* Ingredients and goals are matched as :func:`k2safety._text.fold` matches them: any case, and
  "-", "_" and white space alike. A JSON Schema regex has no flag to ignore case, so each letter
  is a class of its spellings (``[Mm\\uff2d\\uff4d]``: ASCII and full-width), and the names are
  a trie, so that the pattern stays short.
* Free text (a medication's name, a food, a condition) is checked as pydantic checks it after
  stripping white space: at least one character that is not white space, and at most the
  longest text, counted without the white space around it (so by a pattern, not maxLength).
* Only constructs that Python's ``re`` and ECMA-262 (the dialect JSON Schema names) read alike:
  classes, groups, ``{m,n}``, ``\\uXXXX`` escapes for every character outside ASCII letters and
  digits, and ``^``/``$`` only where white space may come last anyway (Python's ``$`` also
  matches before a final newline). One difference remains: an ECMA-262 regex without the ``u``
  flag counts a character outside the BMP as two, so such a validator refuses free text of
  nearly the longest length that holds such characters.

Every schema is built when asked for, never at import: building the white space classes reads
the Unicode database, and the names come from the knowledge base.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from pydantic import GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from k2safety._knowledge import decimal_text, knowledge
from k2safety._terms import Goal
from k2safety._text import fold
from k2safety._units import MAX_DOSE_TEXT

__all__ = [
    "DIALECT",
    "LazySchema",
    "MedicationItemSchema",
    "atc_schema",
    "dose_text_schema",
    "dose_unit_schema",
    "folded_terms_pattern",
    "goal_schema",
    "ingredient_schema",
    "medication_object_extra",
    "profile_description",
    "python_white_space",
    "rxnorm_schema",
    "text_schema",
    "unicode_white_space",
]

DIALECT = "https://json-schema.org/draft/2020-12/schema"


@cache
def python_white_space() -> frozenset[str]:
    """What ``str.isspace()``, ``str.strip()`` and ``re``'s ``\\s`` take as white space: what the
    dose reader strips and :func:`fold` treats as a separator (every one is in the BMP)."""
    return frozenset(chr(code) for code in range(0x10000) if chr(code).isspace())


@cache
def unicode_white_space() -> frozenset[str]:
    """Unicode's White_Space property: what pydantic strips from text. Python's own white space
    also has U+001C to U+001F (the information separators), which pydantic keeps."""
    return python_white_space() - {"\x1c", "\x1d", "\x1e", "\x1f"}


@cache
def _separators() -> frozenset[str]:
    """Every character that :func:`fold` reads as a separator: white space, "-" and "_", and
    the characters NFKC makes one of them (full-width and small forms)."""
    found = set(python_white_space())
    for code in range(0x10000):
        folded = unicodedata.normalize("NFKC", chr(code)).casefold()
        if folded and all(c in "-_" or c.isspace() for c in folded):
            found.add(chr(code))
    return frozenset(found)


def _spellings(folded: str) -> frozenset[str]:
    """How one character of a folded name may be written: in ASCII or its full-width form."""
    candidates = [chr(code) for code in (*range(0x21, 0x7F), *range(0xFF01, 0xFF5F))]
    return frozenset(c for c in candidates if unicodedata.normalize("NFKC", c).casefold() == folded)


def _escaped(char: str) -> str:
    return char if char.isascii() and char.isalnum() else f"\\u{ord(char):04x}"


def char_class(chars: Iterable[str], *, negated: bool = False) -> str:
    """A regex class of ``chars``: ranges of three or more, every other character escaped."""
    codes = sorted({ord(c) for c in chars})
    parts: list[str] = []
    start = 0
    while start < len(codes):
        end = start
        while end + 1 < len(codes) and codes[end + 1] == codes[end] + 1:
            end += 1
        first, last = chr(codes[start]), chr(codes[end])
        if end - start >= 2:
            parts.append(f"{_escaped(first)}-{_escaped(last)}")
        else:
            parts.extend(_escaped(chr(code)) for code in codes[start : end + 1])
        start = end + 1
    return f"[{'^' if negated else ''}{''.join(parts)}]"


def folded_terms_pattern(terms: Iterable[str]) -> str:
    """A pattern for the text whose :func:`fold` is one of ``terms`` (folded already), written
    in ASCII or full-width letters, digits and signs, with any white space, "-" and "_"."""
    separator = char_class(_separators())
    trie: dict[str, Any] = {}
    for term in terms:
        node = trie
        for token in term.replace(" ", "\0"):  # "\0": a run of one or more separators
            node = node.setdefault(token, {})
        node[""] = {}  # the end of a term

    def pattern(node: dict[str, Any]) -> str:
        branches = []
        for token in sorted(node):
            if token == "":
                continue
            step = f"{separator}+" if token == "\0" else char_class(_spellings(token))
            branches.append(step + pattern(node[token]))
        if not branches:
            return ""
        if len(branches) == 1 and "" not in node:
            return branches[0]
        return f"(?:{'|'.join(branches)}){'?' if '' in node else ''}"

    return f"^{separator}*{pattern(trie)}{separator}*$"


def text_schema(max_length: int) -> JsonSchemaValue:
    """Free text: after stripping white space, 1 to ``max_length`` characters."""
    space = unicode_white_space()
    padding = char_class(space)
    solid = char_class(space, negated=True)
    return {
        "type": "string",
        "pattern": f"^{padding}*{solid}(?:[\\s\\S]{{0,{max_length - 2}}}{solid})?{padding}*$",
        "description": f"Text of 1 to {max_length} characters, not counting white space around it.",
    }


def atc_schema() -> JsonSchemaValue:
    padding = char_class(python_white_space())
    code = "[A-Za-z][0-9]{2}(?:[A-Za-z](?:[A-Za-z](?:[0-9]{2})?)?)?"
    return {
        "type": "string",
        "pattern": f"^{padding}*{code}{padding}*$",
        "description": "An ATC code or group, in any case, e.g. 'B01AA03' or 'B01AA'.",
        "examples": ["B01AA03", "B01AA"],
    }


def rxnorm_schema() -> JsonSchemaValue:
    padding = char_class(python_white_space())
    return {
        "type": "string",
        "pattern": f"^{padding}*[0-9]{{1,12}}{padding}*$",
        "description": "An RxNorm ingredient id: 1 to 12 digits, as text.",
        "examples": ["11289"],
    }


def dose_text_schema() -> JsonSchemaValue:
    """Dose text: its length, something besides white space, and no comma (a decimal comma or
    a thousands separator, refused as ambiguous). Its number and unit are k2safety's to read."""
    solid = char_class(python_white_space() | {","}, negated=True)
    return {
        "type": "string",
        "maxLength": MAX_DOSE_TEXT,
        "pattern": f"^[^,]*{solid}[^,]*$",
        "examples": ["180 mcg", "0.18 mg", "1.26 mg/week", "2000 IU"],
    }


def dose_unit_schema() -> JsonSchemaValue:
    return {
        "type": "string",
        "minLength": 1,
        "maxLength": 32,
        "pattern": char_class(python_white_space(), negated=True),
        "examples": ["mcg", "mg", "IU"],
    }


LABEL_NAME_CHARACTERS = (
    "()\u00ae\u2122\u00a9\u2120\u00ad\u058a\u05be\u2010-\u2015\u2212\u2e3a\u2e3b\ufe58\ufe63"
)
"""What marks an ingredient name as a label prints it: parentheses ("(as MK-7)"), brand marks
and dashes other than "-". Which form such a name denotes takes k2safety's reading."""


def ingredient_schema() -> JsonSchemaValue:
    kb = knowledge()
    names = [name for i in kb.ingredients for name in (i.form, *i.aliases)]
    forms = ", ".join(i.form for i in kb.ingredients)
    return {
        "type": "string",
        "anyOf": [
            {"pattern": folded_terms_pattern(sorted({fold(name) for name in names}))},
            {
                "pattern": f"[{LABEL_NAME_CHARACTERS}]",
                "maxLength": 200,
                "description": "A name as a label prints it, e.g. 'Vitamin K2 (as "
                "menaquinone-7) (from natto)' or 'Vitamin K (as MenaQ7\u00ae Menaquinone-7)': "
                "k2safety reads which form it names.",
            },
        ],
        "description": f"The ingredient: {forms} (K and D: vitamin K or D of unstated form), "
        "or an alias (see examples), or a name as a label prints it with '(as ...)', "
        "'(from ...)', brand marks and dashes. Case is ignored, and '-', '_' and white space "
        "are alike. Stored as its form.",
        "examples": [
            *sorted(set(names), key=str.casefold),
            "Vitamin K2 (as menaquinone-7) (from natto)",
            "Vitamin D (as cholecalciferol (D3))",
        ],
    }


def goal_schema() -> JsonSchemaValue:
    goals = [goal.value for goal in Goal]
    return {
        "type": "string",
        "pattern": folded_terms_pattern(goal.replace("_", " ") for goal in goals),
        "description": f"A goal: {', '.join(goals)}. Case is ignored, and '-', '_' and white "
        "space are alike.",
        "examples": goals,
    }


def medication_object_extra() -> JsonSchemaValue:
    """What a medication object needs besides its fields: one of them, given and not null."""
    return {
        "minProperties": 1,
        "anyOf": [
            {"required": [field], "properties": {field: {"type": "string"}}}
            for field in ("name", "atc", "rxnorm")
        ],
    }


def profile_description() -> str:
    largest = knowledge().threshold("largest_daily_dose")
    return (
        "What a person takes and plans: the input to k2safety check. Every field is optional. "
        "A JSON Schema validator checks the fields, the lists, the text and the names; "
        "k2safety checks more before it screens: it reads each dose, refusing one whose "
        "number or unit it cannot read (or a count such as '2 softgels' without a strength), "
        "whose unit is not a mass (or IU, for vitamin D only), or whose amount is not more "
        "than zero or is more than "
        f"{decimal_text(largest)} mcg a day; and it refuses 'per' with a dose that is "
        "already a rate (such as '180 mcg/day'), which only reading the unit can tell. It "
        "reads which form an ingredient name printed as on a label denotes ('Vitamin K2 (as "
        "MK-7)'), refusing one whose parts disagree or name no form; in a product, a row "
        "whose name is no form of vitamin K or D is kept as another ingredient, and one that "
        "names vitamin K or D but no form k2safety knows is refused. The "
        "names of ingredients and goals may also be written in Unicode compatibility forms "
        "other than full-width ones (ligatures such as 'ﬁ', circled digits such as '⑦'): "
        "k2safety reads them, the schema does not list them."
    )


class LazySchema:
    """A field's JSON schema, built by ``build`` only when a schema is asked for."""

    def __init__(self, build: Callable[[], JsonSchemaValue]) -> None:
        self._build = build

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return self._build()


class MedicationItemSchema:
    """A medication entry: text, or the object pydantic describes."""

    def __init__(self, max_length: int) -> None:
        self._max_length = max_length

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"anyOf": [text_schema(self._max_length), handler(core_schema)]}
