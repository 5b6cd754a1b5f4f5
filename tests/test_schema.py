"""The profile's JSON schema accepts what k2safety accepts and refuses what it refuses, as far as
JSON Schema can say it (issue 11, item 7).

A real validator (jsonschema, draft 2020-12) meets every profile the project shows (README.md,
the JSON and Python blocks of docs/, examples/*.json, the rule fixtures) and hypothesis' valid,
invalid and arbitrary profiles. Whatever k2safety accepts, the schema accepts. Where the schema
accepts what k2safety refuses, every problem k2safety names is of a kind listed in
INEXPRESSIBLE, which a schema cannot check. The one way the schema is stricter than k2safety is
listed too (compatibility forms of letters, COMPATIBILITY_FORMS), and tested to be only that.
"""

from __future__ import annotations

import ast
import contextlib
import json
import re
import shutil
import subprocess
import sys
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hostile_values import profile_like
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from k2safety import Profile, ProfileError
from k2safety import strategies as k2st
from k2safety._fixtures import read_fixtures
from k2safety._knowledge import knowledge
from k2safety._profile import MAX_MEDICATION_TEXT, MAX_TEXT
from k2safety._profile_schema import (
    DIALECT,
    folded_terms_pattern,
    python_white_space,
    unicode_white_space,
)
from k2safety._text import fold

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = Profile.model_json_schema()
VALIDATOR = Draft202012Validator(SCHEMA)
FIELDS = frozenset(SCHEMA["properties"])


def schema_accepts(value: object) -> bool:
    # jsonschema puts repr() of a refused value in its message, which fails for a whole number
    # of more than 4,300 digits: lift Python's limit while it validates.
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        return VALIDATOR.is_valid(value)
    finally:
        sys.set_int_max_str_digits(limit)


def library_problems(value: object) -> tuple[tuple[str, str], ...]:
    """Nothing if k2safety accepts ``value``, else the problems it names."""
    try:
        Profile.model_validate(value)
    except ProfileError as error:
        return error.problems
    return ()


# --- What a schema cannot say -----------------------------------------------------------------

_DOSE = re.compile(r"supplements\[\d+\]\.(?:dose|per_serving\[\d+\]\.amount)")
_INGREDIENT = re.compile(r"supplements\[\d+\]\.(?:ingredient|per_serving\[\d+\]\.ingredient)")
_SERVINGS = re.compile(r"supplements\[\d+\]\.servings_per_day")
_PER = re.compile(r"supplements\[\d+\]\.per")

INEXPRESSIBLE: dict[str, Callable[[str, str], bool]] = {
    # The schema checks a dose's shape: text of at most 64 characters with something besides
    # white space and no comma, or {"value": a number > 0, "unit": text}. What the text says
    # takes a reader: Unicode digits, exponents, NFKC, and pint's units and prefixes.
    "the number and the unit of a dose, as read": lambda path, message: bool(
        _DOSE.fullmatch(path)
        and any(
            fragment in message
            for fragment in (
                "does not start with a number",
                "has no unit",
                "has a unit",
                "unit '",
                "contains arithmetic",
                "separates the digits",
                "more than one decimal point",
                "the strength is needed",
                "gives a period twice",
                "how many times but not how often",
                "is a rate; a row gives",
                "gives its amount as a fraction",
                "gives a period of several days in words",
            )
        )
    ),
    # Whether a unit is IU is a reading of the unit too.
    "IU for a form of vitamin K": lambda path, message: bool(
        _DOSE.fullmatch(path) and "cannot be dosed in IU" in message
    ),
    # The amount is the number times what the unit is worth, per day.
    "an amount of zero, too small or too large": lambda path, message: bool(
        _DOSE.fullmatch(path)
        and any(
            fragment in message
            for fragment in (
                "is not a positive amount",
                "is out of range",
                "the most k2safety accepts",
                "servings a day make more than",
            )
        )
    ),
    # Which form a name printed as on a label denotes ("Vitamin K2 (as MK-7)"): the schema
    # accepts any name with parentheses, brand marks or dashes; reading it takes k2safety. In a
    # product, any name is a row (others are kept), unless it names vitamin K or D wrongly.
    "which form a label's name denotes": lambda path, message: bool(
        _INGREDIENT.fullmatch(path) and "is not a known ingredient" in message
    ),
    # A range of servings whose min is more than its max.
    "servings whose min is more than their max": lambda path, message: bool(
        _SERVINGS.fullmatch(path) and "is more than 'max'" in message
    ),
    # "per" is refused with a rate, and only the unit says whether a dose is a rate.
    "'per' with a dose that is a rate": lambda path, message: bool(
        _PER.fullmatch(path) and "already a rate" in message
    ),
    # JSON has no NaN: a validator sees a number, and NaN > 0 is not false to it.
    "NaN, which is no JSON number": lambda path, message: bool(
        _DOSE.fullmatch(path) and "got NaN" in message
    ),
}


def inexpressible_kinds(problems: tuple[tuple[str, str], ...]) -> list[str | None]:
    """The kind of each problem, None for a problem the schema should have caught."""
    return [
        next((kind for kind, matches in INEXPRESSIBLE.items() if matches(path, message)), None)
        for path, message in problems
    ]


def assert_agree(value: object) -> None:
    """The schema accepts what k2safety accepts, and refuses the rest unless it cannot say so."""
    problems = library_problems(value)
    accepted = schema_accepts(value)
    if not problems:
        assert accepted, list(VALIDATOR.iter_errors(value))
    elif accepted:
        kinds = inexpressible_kinds(problems)
        assert None not in kinds, f"the schema accepts what k2safety refuses: {problems}"


# --- The schema itself ------------------------------------------------------------------------


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    assert SCHEMA["$schema"] == DIALECT
    Draft202012Validator.check_schema(SCHEMA)
    json.dumps(SCHEMA)


def test_the_schema_says_what_it_cannot_check() -> None:
    description = SCHEMA["description"]
    for phrase in ("'per'", "rate", "IU", "1000000 mcg a day", "compatibility forms"):
        assert phrase in description
    assert "k2safety checks" in SCHEMA["$defs"]["Supplement"]["properties"]["per"]["description"]


@pytest.mark.parametrize(
    ("profile", "accepted"),
    [
        # The issue's cases: text medications, case, separators, an empty medication object.
        ({"medications": ["Coumadin 5 mg", {"atc": "B01AF01"}, {"rxnorm": "11289"}]}, True),
        ({"medications": [{}]}, False),
        ({"medications": [{"name": None}]}, False),
        ({"medications": [{"name": None, "atc": "b01af01"}]}, True),
        ({"medications": [{"name": "warfarin", "dose": "5 mg"}]}, False),
        ({"medications": ["   "]}, False),
        ({"medications": [" \u00a0warfarin\t"]}, True),
        ({"medications": ["x" * MAX_MEDICATION_TEXT]}, True),
        ({"medications": ["x" * (MAX_MEDICATION_TEXT + 1)]}, False),
        ({"foods": ["x" * (MAX_TEXT + 1)]}, False),
        ({"medications": ["  " + "x" * MAX_MEDICATION_TEXT + "  "]}, True),
        ({"supplements": [{"ingredient": "mK_7", "dose": "90 mcg"}]}, True),
        ({"supplements": [{"ingredient": " MENAQUINONE--7 ", "dose": "90 mcg"}]}, True),
        ({"supplements": [{"ingredient": "Vitamin-K2 (MK 7)", "dose": "90 mcg"}]}, True),
        ({"supplements": [{"ingredient": "\uff2d\uff2b\uff0d\uff17", "dose": "90 mcg"}]}, True),
        ({"supplements": [{"ingredient": "mk77", "dose": "90 mcg"}]}, False),
        ({"supplements": [{"ingredient": "mk 7 7", "dose": "90 mcg"}]}, False),
        ({"supplements": [{"ingredient": "vitamin k2(mk-7)", "dose": "90 mcg"}]}, True),
        # Issue 13: names as labels print them, products, doses as people write them.
        (
            {
                "supplements": [
                    {"ingredient": "Vitamin K2 (as MK\u20117) (from natto)", "dose": "90 mcg daily"}
                ]
            },
            True,
        ),
        (
            {
                "supplements": [
                    {
                        "ingredient": "Vitamin K (as MenaQ7\u00ae Menaquinone-7)",
                        "dose": "2 x 45 mcg",
                    }
                ]
            },
            True,
        ),
        ({"supplements": [{"ingredient": "Vitamin K", "dose": "1 mg once a week"}]}, True),
        ({"supplements": [{"ingredient": "Vitamin D2", "dose": "1000 IU"}]}, True),
        (
            {
                "supplements": [
                    {
                        "product": "K2 + D3",
                        "servings_per_day": 2,
                        "per_serving": [
                            {"ingredient": "Vitamin K2 (as menaquinone-7)", "amount": "100 mcg"},
                            {
                                "ingredient": "Vitamin D3 (as cholecalciferol)",
                                "amount": {"value": 50, "unit": "mcg"},
                            },
                            {"ingredient": "Calcium (as calcium carbonate)", "amount": "200 mg"},
                            {"ingredient": "Vitamin K1", "amount": None},
                        ],
                    }
                ]
            },
            True,
        ),
        (
            {
                "supplements": [
                    {
                        "product": "K2",
                        "servings_per_day": {"min": 1, "max": 3},
                        "per_serving": [{"ingredient": "MK-7", "amount": "120 mcg"}],
                    }
                ]
            },
            True,
        ),
        (
            {
                "supplements": [
                    {
                        "product": "K2",
                        "servings_per_day": 0,
                        "per_serving": [{"ingredient": "MK-7", "amount": "120 mcg"}],
                    }
                ]
            },
            False,
        ),
        ({"supplements": [{"product": "K2", "servings_per_day": 1, "per_serving": []}]}, False),
        (
            {
                "supplements": [
                    {
                        "product": "K2",
                        "servings_per_day": {"min": 1},
                        "per_serving": [{"ingredient": "MK-7"}],
                    }
                ]
            },
            False,
        ),
        ({"supplements": [{"ingredient": "MK-7", "dose": "1,5 mg"}]}, False),
        ({"supplements": [{"ingredient": "MK-7", "dose": " "}]}, False),
        ({"supplements": [{"ingredient": "MK-7", "dose": {"value": 90, "unit": " "}}]}, False),
        ({"supplements": [{"ingredient": "MK-7", "dose": "90 mcg", "per": "Day"}]}, False),
        ({"goals": ["Bone-Health", "ARTERIAL HEALTH", "prevent_calcification"]}, True),
        ({"goals": ["bone"]}, False),
        ({"goals": ["bone_health"] * 5}, False),
    ],
)
def test_the_issues_cases(profile: dict[str, Any], accepted: bool) -> None:
    assert (library_problems(profile) == ()) is accepted
    assert schema_accepts(profile) is accepted


@pytest.mark.parametrize(
    "profile",
    [
        {"supplements": [{"ingredient": "MK-7", "dose": "2 softgels"}]},
        {"supplements": [{"ingredient": "Vitamin K1 (as MK-7)", "dose": "90 mcg"}]},
        {
            "supplements": [
                {
                    "product": "P",
                    "servings_per_day": 1,
                    "per_serving": [{"ingredient": "Vitamin K3", "amount": "1 mg"}],
                }
            ]
        },
        {
            "supplements": [
                {
                    "product": "P",
                    "servings_per_day": {"min": 3, "max": 1},
                    "per_serving": [{"ingredient": "MK-7", "amount": "1 mg"}],
                }
            ]
        },
        {
            "supplements": [
                {
                    "product": "P",
                    "servings_per_day": 1,
                    "per_serving": [{"ingredient": "MK-7", "amount": "100 mcg daily"}],
                }
            ]
        },
    ],
)
def test_what_only_k2safety_refuses_is_listed(profile: dict[str, Any]) -> None:
    assert library_problems(profile)
    assert_agree(profile)


# --- Every profile the project shows ----------------------------------------------------------

_FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^(?P=indent)```[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
_QUOTED_JSON = re.compile(r"'(\{.*?\})'")


def _profiles_in_json(value: object) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        if FIELDS & set(value):
            yield value
        else:
            for child in value.values():
                yield from _profiles_in_json(child)
    elif isinstance(value, list):
        for child in value:
            yield from _profiles_in_json(child)


def _json_values(text: str) -> Iterator[object]:
    try:
        yield json.loads(text)
    except ValueError:
        for line in text.splitlines():  # JSON Lines, or JSON quoted in a command line
            for candidate in [line, *_QUOTED_JSON.findall(line)]:
                with contextlib.suppress(ValueError):
                    yield json.loads(candidate)


def _python_source(lang: str, body: str) -> str:
    if lang != "pycon":
        return body
    prompts = (">>> ", "... ")
    return "\n".join(
        line[4:] if line.startswith(prompts) else ""
        for line in body.splitlines()
        if line.startswith(prompts) or line in (">>>", "...")
    )


def _profiles_in_python(source: str) -> Iterator[dict[str, Any]]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict) and all(
            isinstance(key, ast.Constant) and isinstance(key.value, str) for key in node.keys
        ):
            if FIELDS & {key.value for key in node.keys if isinstance(key, ast.Constant)}:
                # A value that is not a literal is not a profile as written: left out.
                with contextlib.suppress(ValueError):
                    yield ast.literal_eval(node)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            for value in _json_values(node.value):
                yield from _profiles_in_json(value)


def documented_profiles() -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    for page in pages:
        name = page.relative_to(ROOT).as_posix()
        for block in _FENCE.finditer(page.read_text("utf-8")):
            lang, body = block["lang"], block["body"]
            profiles: list[dict[str, Any]] = []
            if lang in {"json", "jsonl", "jsonc"} or lang not in {"python", "py", "pycon"}:
                for value in _json_values(body):
                    profiles += _profiles_in_json(value)
            if lang in {"python", "py", "pycon"}:
                profiles += _profiles_in_python(_python_source(lang, body))
            found += [(name, profile) for profile in profiles]
    for example in sorted((ROOT / "examples").glob("*.json")):
        found.append((example.relative_to(ROOT).as_posix(), json.loads(example.read_text())))
    return found


DOCUMENTED = documented_profiles()


def test_the_documented_profiles_are_found() -> None:
    sources = {source for source, _ in DOCUMENTED}
    assert {"README.md", "docs/profile.md", "docs/cli.md", "examples/warfarin_mk7.json"} <= sources
    assert len(DOCUMENTED) >= 20
    # docs/profile.md's example mixes text and objects among the medications.
    example = next(p for s, p in DOCUMENTED if s == "docs/profile.md" and "foods" in p)
    assert {type(m) for m in example["medications"]} == {str, dict}


@pytest.mark.parametrize(
    ("source", "profile"), DOCUMENTED, ids=[f"{s}-{i}" for i, (s, _) in enumerate(DOCUMENTED)]
)
def test_every_documented_profile(source: str, profile: dict[str, Any]) -> None:
    assert_agree(profile)


def _fixture_profiles() -> list[tuple[str, dict[str, Any]]]:
    fixtures = read_fixtures(ROOT / "tests" / "rules" / "fixtures", knowledge().rules)
    return [
        (f"{code}-{example.kind}-{example.index}", dict(example.profile))
        for code, rule in fixtures.items()
        for example in rule.examples
    ]


FIXTURES = _fixture_profiles()


@pytest.mark.parametrize(("name", "profile"), FIXTURES, ids=[name for name, _ in FIXTURES])
def test_every_rule_fixture_profile_validates(name: str, profile: dict[str, Any]) -> None:
    assert library_problems(profile) == ()
    assert schema_accepts(profile), list(VALIDATOR.iter_errors(profile))


# --- Generated profiles -----------------------------------------------------------------------


@given(k2st.profiles(max_products=2))
def test_every_valid_profile_validates_and_so_does_its_dump(profile: dict[str, Any]) -> None:
    assert schema_accepts(profile), list(VALIDATOR.iter_errors(profile))
    dumped = Profile.model_validate(profile).model_dump(mode="json")
    assert schema_accepts(dumped), list(VALIDATOR.iter_errors(dumped))


@given(k2st.invalid_profiles())
def test_an_invalid_profile_the_schema_accepts_is_refused_for_what_it_cannot_say(
    value: object,
) -> None:
    assert library_problems(value)
    assert_agree(value)


@given(profile_like)
def test_arbitrary_values_in_profile_fields(value: dict[str, Any]) -> None:
    assert_agree(value)


# --- The patterns, against the functions they stand for ---------------------------------------

INGREDIENTS = sorted({fold(n) for i in knowledge().ingredients for n in (i.form, *i.aliases)})
GOALS = sorted(goal.id.replace("_", " ") for goal in knowledge().goals)
_SUPPLEMENT = SCHEMA["$defs"]["Supplement"]["properties"]
INGREDIENT_PATTERN = _SUPPLEMENT["ingredient"]["anyOf"][0]["pattern"]
GOAL_PATTERN = SCHEMA["properties"]["goals"]["items"]["pattern"]


def ingredient_known(text: str) -> bool:
    return fold(text) in INGREDIENTS


def goal_known(text: str) -> bool:
    return fold(text) in GOALS


_SEPARATOR_SPELLINGS = ("-", "_", " ", "  ", "\t", "\u00a0", "\u3000", "\x1f", "\uff0d", "- _")


@st.composite
def rewritten(draw: st.DrawFn, names: list[str]) -> str:
    """A known name with its case, separators and edges changed, and now and then one more
    change (a character dropped, doubled or replaced) that may make it unknown."""
    name = draw(st.sampled_from(names))
    out = draw(st.sampled_from(("", " ", "_", "\n", "\u2028")))
    for char in name:
        if char == " ":
            out += draw(st.sampled_from(_SEPARATOR_SPELLINGS))
        else:
            style = draw(st.sampled_from(("as is", "upper", "full-width")))
            if style == "upper":
                char = char.upper()
            elif style == "full-width" and 0x21 <= ord(char) <= 0x7E:
                char = chr(ord(char) - 0x21 + 0xFF01)
            out += char
    out += draw(st.sampled_from(("", " ", "-", "\t\n")))
    if draw(st.booleans()) and out:
        at = draw(st.integers(0, len(out) - 1))
        edit = draw(st.sampled_from(("drop", "double", "replace")))
        other = draw(st.sampled_from(("x", "7", "K", "(", " ", "-", "\u0131", "\u212a", "")))
        out = {
            "drop": out[:at] + out[at + 1 :],
            "double": out[:at] + out[at] + out[at:],
            "replace": out[:at] + other + out[at + 1 :],
        }[edit]
    return out


def _plain_spelling(char: str) -> bool:
    """Whether ``char`` is one the patterns spell out: ASCII, full-width, or a separator."""
    return char.isascii() or 0xFF01 <= ord(char) <= 0xFF5E or char in _SEPARATORS


_SEPARATORS = frozenset(
    chr(code)
    for code in range(0x10000)
    if not 0xD800 <= code <= 0xDFFF and fold(f"a{chr(code)}b") == "a b"
)


def assert_pattern_is_folding(pattern: str, known: Callable[[str], bool], text: str) -> None:
    matched = bool(re.search(pattern, text))
    if all(_plain_spelling(char) for char in text):
        assert matched is known(text)
    else:  # a compatibility form (COMPATIBILITY_FORMS): the schema may refuse what k2safety reads
        assert not matched or known(text)


@given(rewritten(INGREDIENTS))
def test_the_ingredient_pattern_is_the_library_s_folding(text: str) -> None:
    assert_pattern_is_folding(INGREDIENT_PATTERN, ingredient_known, text)


@given(rewritten(GOALS))
def test_the_goal_pattern_is_the_library_s_folding(text: str) -> None:
    assert_pattern_is_folding(GOAL_PATTERN, goal_known, text)


def test_the_patterns_match_every_name_and_nothing_close() -> None:
    for name in INGREDIENTS:
        assert re.search(INGREDIENT_PATTERN, name)
        assert re.search(INGREDIENT_PATTERN, f"\t{name.upper().replace(' ', '-_ ')} \n")
        assert not re.search(INGREDIENT_PATTERN, name + "x")
        assert not re.search(INGREDIENT_PATTERN, name[:-1] + "(" + name[-1])
    for goal in GOALS:
        assert re.search(GOAL_PATTERN, goal.replace(" ", "_").title())
        assert not re.search(GOAL_PATTERN, goal.replace(" ", ""))
    assert folded_terms_pattern(["a"]).startswith("^[")


COMPATIBILITY_FORMS = (
    "k2safety reads a letter or digit of an ingredient or goal in any Unicode compatibility "
    "form (NFKC): the schema spells out ASCII and full-width forms only, not the Kelvin sign, "
    "circled, superscript or styled letters, ligatures or Roman numerals"
)


def _compatibility_form(char: str) -> bool:
    """Whether ``char`` is a letter or digit written outside ASCII and the full-width forms."""
    folded = unicodedata.normalize("NFKC", char).casefold()
    return not _plain_spelling(char) and folded.isascii() and folded.isalnum()


@pytest.mark.parametrize(
    ("before", "after", "compatibility_forms"),
    [("m", "7", True), ("mk", "7", False), ("mk-", "", True), ("", "k7", True)],
)
def test_one_character_anywhere_in_a_name_is_judged_alike(
    before: str, after: str, compatibility_forms: bool
) -> None:
    """Every BMP character in one place of "mk?7": the schema and k2safety agree, except for
    compatibility forms of letters and digits, which only k2safety reads."""
    stricter = []
    for code in range(0x10000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        text = before + chr(code) + after
        known = ingredient_known(text)
        if bool(re.search(INGREDIENT_PATTERN, text)) is not known:
            assert known, f"the schema accepts {text!r}, which k2safety refuses"
            stricter.append(chr(code))
    assert all(_compatibility_form(char) for char in stricter), (COMPATIBILITY_FORMS, stricter)
    assert bool(stricter) is compatibility_forms


def test_white_space_is_python_s_for_names_and_unicode_s_for_text() -> None:
    everything = [chr(code) for code in range(0x110000) if not 0xD800 <= code <= 0xDFFF]
    assert python_white_space() == {c for c in everything if c.isspace()}
    from k2safety._reader import _WHITE_SPACE

    assert unicode_white_space() == set(_WHITE_SPACE)
    # No character that is not white space becomes white space only when NFKC-normalized, so
    # a dose text with something besides white space is never empty once normalized.
    for char in everything:
        if not char.isspace():
            assert unicodedata.normalize("NFKC", char).strip(), repr(char)


_TEXT_ALPHABET = st.sampled_from(
    ["a", "é", "\U0001d400", "\x00", "\x1c", "\x1f", *sorted(unicode_white_space())]
)


@given(st.text(_TEXT_ALPHABET, max_size=8), st.integers(0, MAX_TEXT + 2), st.data())
def test_the_text_pattern_is_pydantic_s_stripped_length(
    edges: str, length: int, data: st.DataObject
) -> None:
    middle = data.draw(st.text(_TEXT_ALPHABET, min_size=length, max_size=length))
    text = edges + middle + edges[::-1]
    assert_agree({"foods": [text], "conditions": [text], "medications": [text, {"name": text}]})


_CODE_ALPHABET = st.sampled_from([*"Bb0123aAzZ9 \t\x1c\u00a0\u0660\u0131\uff10\u212a"])


@given(st.text(_CODE_ALPHABET, max_size=16))
def test_the_atc_and_rxnorm_patterns_are_the_library_s_checks(code: str) -> None:
    assert_agree({"medications": [{"atc": code}]})
    assert_agree({"medications": [{"rxnorm": code}]})


@given(st.text(max_size=70))
def test_a_dose_text_the_schema_refuses_is_refused(text: str) -> None:
    assert_agree({"supplements": [{"ingredient": "MK-7", "dose": text}]})


# --- The same reading in JavaScript -----------------------------------------------------------

_NODE_SCRIPT = """
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
const out = input.patterns.map(p => ["", "u"].map(flags => {
  const re = new RegExp(p, flags);
  return input.strings.map(s => re.test(s));
}));
process.stdout.write(JSON.stringify(out));
"""


def _patterns(schema: object) -> Iterator[str]:
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "pattern" and isinstance(value, str):
                yield value
            else:
                yield from _patterns(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _patterns(value)


def test_every_pattern_reads_alike_in_ecma_262() -> None:
    """JSON Schema regexes are ECMA-262's: node must read each pattern as Python does."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    patterns = sorted(set(_patterns(SCHEMA)))
    strings = [
        *INGREDIENTS,
        *GOALS,
        "Menaquinone_-7\n",
        "\uff2d\uff2b\uff0d\uff17",
        " MK-7\u2028",
        "MK-7\x1c",
        "mk\u00857",
        "\u212ak7",
        " b01aa03\t",
        "B\u0660\u0661AA",
        "11289 ",
        "1234567890123",
        "warfarin",
        "   ",
        "\x1cx\x1c",
        "x" * MAX_TEXT,
        " " + "x" * MAX_TEXT + " ",
        "x" * (MAX_TEXT + 1),
        "180 mcg",
        "1,5 mg",
        "",
        "\U0001d400\U0001d401",
    ]
    result = subprocess.run(
        [node, "-e", _NODE_SCRIPT],
        input=json.dumps({"patterns": patterns, "strings": strings}),
        capture_output=True,
        text=True,
        check=True,
    )
    by_ecma = json.loads(result.stdout)
    for pattern, (plain, unicode) in zip(patterns, by_ecma, strict=True):
        by_python = [bool(re.search(pattern, s)) for s in strings]
        assert plain == by_python, pattern[:80]
        assert unicode == by_python, pattern[:80]
