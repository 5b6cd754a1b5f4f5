"""Every rule against its fixtures: each example's finding exactly, or the rule's silence.

tests/rules/fixtures/<CODE>.toml holds a rule's examples (the format is in k2safety/_fixtures.py,
the one reader of these files; the docs' rule catalog shows the same examples). A ``[[fires]]``
example expects the finding's severity, exact message and triggers; an ``[[ok]]`` example expects
no finding from the rule.

``pytest --update-fixtures`` rewrites the expected severity, message and triggers from what the
rules say now instead of failing, as snapshot tests do. The fixtures are reviewed expectations,
not a copy of the output: read every rewritten message against the rule's intent in
k2safety/data/rules.toml before keeping it. Whether an example fires is never rewritten: moving
an example between ``[[fires]]`` and ``[[ok]]`` is a decision for a person.
"""

from __future__ import annotations

import re
import shutil
import string
import warnings
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

import k2safety
from k2safety._fixtures import (
    Example,
    FixtureError,
    Outcome,
    RuleExamples,
    outcome,
    read_fixture,
    read_fixtures,
    refresh,
    refreshed_text,
)
from k2safety._knowledge import knowledge
from k2safety._normalized import VitaminK, normalize
from k2safety._reader import entries_of_json
from k2safety._terms import Form
from k2safety._triggers import supplement_trigger
from k2safety.rules.anticoagulants import vitamin_k_with_anticoagulant
from k2safety.rules.doses import food_mk7_on_top_of_supplements

FIXTURES = Path(__file__).parent / "rules" / "fixtures"
RULES = read_fixtures(FIXTURES, knowledge().rules)


def _examples() -> list[Any]:
    return [
        pytest.param(rule, example, id=f"{code} {example.kind}: {example.name}")
        for code, rule in RULES.items()
        for example in rule.examples
    ]


@pytest.mark.parametrize(("rule", "example"), _examples())
def test_example(rule: RuleExamples, example: Example, request: pytest.FixtureRequest) -> None:
    actual = outcome(rule.code, example.profile)
    if not example.fires:
        assert actual is None, f"{rule.code} fires on an [[ok]] example"
        return
    assert actual is not None, f"{rule.code} does not fire on a [[fires]] example"
    if actual != example.expected and request.config.getoption("--update-fixtures"):
        refresh(rule.path, {example.index: actual})
        warnings.warn(
            f"{rule.path.name}: recorded what {example.name!r} says now; read it",
            UserWarning,
            stacklevel=1,
        )
        return
    assert example.expected is not None, (
        "no expected severity, message and triggers: run pytest --update-fixtures and read them"
    )
    assert actual == example.expected


# --- what the examples must cover ------------------------------------------------------------


def _pattern(template: str) -> str:
    """A message template as a pattern: its words exactly, anything for each {placeholder}."""
    parts = string.Formatter().parse(template)
    return "".join(
        re.escape(text) + (".+?" if name is not None else "") for text, name, _, _ in parts
    )


def _has_words(template: str) -> bool:
    return any(text.strip() for text, _, _, _ in string.Formatter().parse(template))


def _notes_shown(spec: Any, message: str) -> set[str]:
    """The notes of a rule that ``message`` carries, by name.

    A finding's message is the rule's message and then the notes that apply. A note with words
    of its own is found by them; a note that is only a {placeholder} is shown when the message
    goes on past the rule's message and its other notes.
    """
    base = re.match(_pattern(spec.message), message)
    assert base, f"{message!r} does not start with the message of {spec.code}"
    tail = message[base.end() :]
    shown = set()
    blanks = [name for name, note in spec.notes.items() if not _has_words(note)]
    assert len(blanks) <= 1, f"{spec.code}: notes {blanks} cannot be told apart; give them words"
    for name, note in spec.notes.items():
        found = re.search(_pattern(note), tail) if _has_words(note) else None
        if found:
            shown.add(name)
            tail = tail[: found.start()] + tail[found.end() :]
    if blanks and tail.strip():
        shown.add(blanks[0])
    return shown


@pytest.mark.parametrize("code", list(knowledge().rules))
def test_the_examples_cover_the_rule(code: str) -> None:
    spec = knowledge().rules[code]
    rule = read_fixture(RULES[code].path)  # afresh: --update-fixtures may have just rewritten it
    assert rule.fires, f"{code} has no example that fires it"
    assert rule.ok, f"{code} has no example that must not fire it"
    expected = [example.expected for example in rule.fires if example.expected is not None]
    shown = [_notes_shown(spec, found.message) for found in expected]
    for name in spec.notes:
        assert any(name in notes for notes in shown), f"no example shows the {name} note"
        assert not all(name in notes for notes in shown), f"every example has the {name} note"
    severities = {found.severity for found in expected}
    assert spec.severity in severities, f"no example of {code} at its own severity"
    if spec.when_supervised is not None:
        supervised = [
            example.expected.severity
            for example in rule.fires
            if example.profile.get("medical_supervision") is True and example.expected is not None
        ]
        assert spec.when_supervised.severity in supervised, f"no supervised example of {code}"


def test_no_expected_message_has_a_blank_left_unfilled() -> None:
    for rule in read_fixtures(FIXTURES, knowledge().rules).values():
        for example in rule.fires:
            assert example.expected is not None, f"{rule.code}: {example.name}"
            assert not re.search(r"[{}]", example.expected.message), example.name


# --- what a finding cites and says, case by case ---------------------------------------------


def _finding(code: str, profile: dict[str, Any]) -> k2safety.Finding:
    (finding,) = [f for f in k2safety.check(profile).findings if f.code == code]
    return finding


def _claim_ids(code: str, profile: dict[str, Any]) -> list[str]:
    return [claim.id for claim in _finding(code, profile).claims]


WARFARIN_MK7: dict[str, Any] = {
    "medications": ["warfarin"],
    "supplements": [{"ingredient": "MK-7", "dose": "180 mcg"}],
}


def test_a_finding_cites_a_notes_claims_only_when_the_note_applies() -> None:
    plain = _claim_ids("K2-VKA", WARFARIN_MK7)
    assert "art.natto-mk7" not in plain  # no food is why it fired
    assert "ref.vka-antidote" not in plain  # no vitamin K1
    assert plain[0] == "art.anticoagulant-supervision"
    with_natto = _claim_ids("K2-VKA", {**WARFARIN_MK7, "foods": ["natto"]})
    assert with_natto == [*plain, "art.natto-mk7"]
    k1 = {"medications": ["warfarin"], "supplements": [{"ingredient": "K1", "dose": "1 mcg"}]}
    assert _claim_ids("K2-VKA", k1) == [*plain, "ref.vka-antidote"]
    natto_only = _claim_ids("K2-VKA", {"medications": ["warfarin"], "foods": ["natto"]})
    assert "art.anticoagulant-consult" not in natto_only  # advice on starting a supplement
    assert "art.natto-mk7" in natto_only


@pytest.mark.parametrize(("rule", "example"), [p for p in _examples() if p.values[1].fires])
def test_every_example_cites_the_rule_and_the_notes_it_shows(
    rule: RuleExamples, example: Example
) -> None:
    spec = knowledge().rules[rule.code]
    finding = _finding(rule.code, example.profile)
    shown = _notes_shown(spec, finding.message)
    expected = list(spec.claims)
    for note in spec.notes:  # in the order the message shows them
        if note in shown:
            expected += spec.note_claims.get(note, ())
    cited = [claim.id for claim in finding.claims]
    assert sorted(cited) == sorted(set(expected))
    assert cited[: len(spec.claims)] == list(spec.claims)


def test_natto_alone_is_worded_as_a_food_eaten() -> None:
    for code, medication in (("K2-VKA", "warfarin"), ("K2-ANTICOAGULANT", "apixaban")):
        for supervised in (False, True):
            profile = {
                "medications": [medication],
                "foods": ["natto"],
                "medical_supervision": supervised,
            }
            message = _finding(code, profile).message
            assert "eat natto" in message
            assert "plan natto" not in message
            assert "supervision" not in message  # the source asks it of supplements
            assert "Talk to your doctor about eating it." in message


def _natto_and_two_made_up_foods() -> tuple[Any, Any, Any]:
    """Natto, then two made-up foods like it: one without a note, one with its own note. The
    vocabulary has one vitamin K food today; the rules are written for any number."""
    natto = next(food for food in knowledge().foods if food.id == "natto")
    silent = natto.model_copy(update={"id": "hikiwari natto", "note": None})
    noted = natto.model_copy(update={"id": "natto powder", "note": "Powder counts too."})
    return natto, silent, noted


def test_several_foods_that_supply_mk7_are_each_named_with_their_notes() -> None:
    natto, silent, noted = _natto_and_two_made_up_foods()
    total = Fraction(180)
    vitamin_k = VitaminK(
        totals={Form.MK7: total},
        labels=("MK-7",),
        triggers={Form.MK7: supplement_trigger(Form.MK7, total)},
        foods=(natto, silent, noted),
    )
    hit = food_mk7_on_top_of_supplements(vitamin_k)
    assert hit is not None
    assert hit.values["foods"] == "natto, hikiwari natto, natto powder"
    # each note once, a space between; a food without a note adds no blank
    assert hit.values["food_notes"] == f"{natto.note} Powder counts too."
    assert [t.value for t in hit.triggers] == [
        "MK-7 180 mcg/day",
        "natto",
        "hikiwari natto",
        "natto powder",
    ]


def test_several_foods_with_an_anticoagulant_are_named_and_referred_to_in_the_plural() -> None:
    kb = knowledge()
    facts, _ = normalize(*entries_of_json({"medications": ["warfarin"], "foods": ["natto"]}), kb)
    natto, silent, noted = _natto_and_two_made_up_foods()
    assert facts.vitamin_k.foods == (natto,)
    vitamin_k = facts.vitamin_k._replace(foods=(natto, silent, noted))
    hit = vitamin_k_with_anticoagulant(
        facts.drug_classes, vitamin_k, False, drug_class=kb.classes["vka"]
    )
    assert hit is not None
    assert hit.values["intake"] == "eat natto, hikiwari natto and natto powder"
    assert hit.values["foods"] == "them"
    assert hit.values["food_notes"] == f"{natto.note} Powder counts too."
    assert [t.value for t in hit.triggers] == [
        "warfarin",
        "natto",
        "hikiwari natto",
        "natto powder",
    ]


def test_a_supervised_person_is_not_asked_to_find_supervision() -> None:
    for code, medication in (("K2-VKA", "warfarin"), ("K2-ANTICOAGULANT", "apixaban")):
        alone = _finding(code, {**WARFARIN_MK7, "medications": [medication]})
        supervised = _finding(
            code, {**WARFARIN_MK7, "medications": [medication], "medical_supervision": True}
        )
        assert "supervision" in alone.message
        assert "without close supervision" not in supervised.message
        assert "only under close" not in supervised.message
        assert "your profile says a doctor supervises you" in supervised.message.lower()
    assert _finding("K2-VKA", {**WARFARIN_MK7, "medical_supervision": True}).severity == "warning"


def test_other_anticoagulants_cite_the_supervision_claim_without_a_vitamin_k_mechanism() -> None:
    profile = {**WARFARIN_MK7, "medications": ["Eliquis"]}
    finding = _finding("K2-ANTICOAGULANT", profile)
    cited = [claim.id for claim in finding.claims]
    assert "art.anticoagulant-supervision" in cited
    assert not {"ref.vka-mechanism", "ref.vka-antidote", "ref.atc-b01aa"} & set(cited)
    assert "The source says" in finding.message
    assert "supervision" in finding.message
    for example in RULES["K2-ANTICOAGULANT"].fires:
        assert example.expected is not None
        message = example.expected.message
        assert ", a vitamin K antagonist" not in message, example.name
        assert "works against" not in message, example.name


def test_unrecognized_foods_are_worded_as_foods_and_medications_as_medications() -> None:
    foods = _finding("K2-UNRECOGNIZED", {"foods": ["gouda", "kale"]}).message
    assert "anticoagulant (a blood thinner)" not in foods
    assert "whether 'gouda' or 'kale' is a rich source of vitamin K" in foods
    medication = _finding("K2-UNRECOGNIZED", {"medications": ["Dolvexin"]}).message
    assert "If 'Dolvexin' is an anticoagulant" in medication
    assert "source of vitamin K" not in medication


@pytest.mark.parametrize(
    ("field", "entries", "named"),
    [
        # Invented names: no medicine added to the vocabulary can make them known.
        ("medications", ["Dolvexin", "dolvexin", "dolvexin"], ["Dolvexin"]),
        ("medications", ["dolvexin", "DOLVEXIN", "Zentravix"], ["DOLVEXIN", "Zentravix"]),
        ("medications", ["dolvexin_xr", "dolvexin-xr"], ["dolvexin-xr"]),
        ("foods", ["gouda", "Gouda", "GOUDA"], ["GOUDA"]),
    ],
)
def test_unrecognized_entries_are_named_once(
    field: str, entries: list[str], named: list[str]
) -> None:
    finding = _finding("K2-UNRECOGNIZED", {field: entries})
    assert [trigger.value for trigger in finding.triggers] == named
    for entry in set(entries) - set(named):
        assert f"'{entry}'" not in finding.message


# --- dose ranges in every unit --------------------------------------------------------------

BOUNDARY_90 = [
    ("90 mcg", None),
    ("0.09 mg", None),
    ("90000 ng", None),
    ("0.00009 g", None),
    ("0.63 mg", "week"),
    ("630 mcg", "week"),
    ("630000 ng/week", None),
    ("0.00063 g/week", None),
    ("1.26 mg/(2 week)", None),
]
BOUNDARY_360 = [
    ("360 mcg", None),
    ("0.36 mg", None),
    ("360000 ng", None),
    ("0.00036 g", None),
    ("2.52 mg", "week"),
    ("2520 mcg/week", None),
    ("2520000 ng", "week"),
    ("0.00252 g/week", None),
]


def _mk7_codes(dose: str, per: str | None) -> tuple[str, ...]:
    supplement = {"ingredient": "MK-7", "dose": dose} | ({"per": per} if per else {})
    return k2safety.check({"supplements": [supplement]}).codes


@pytest.mark.parametrize(("dose", "per"), BOUNDARY_90 + BOUNDARY_360)
def test_range_ends_are_in_range_in_every_unit(dose: str, per: str | None) -> None:
    codes = _mk7_codes(dose, per)
    assert "K2-MK7-DOSE-LOW" not in codes
    assert "K2-MK7-DOSE-HIGH" not in codes


@pytest.mark.parametrize(
    ("dose", "per", "code"),
    [
        ("89.999 mcg", None, "K2-MK7-DOSE-LOW"),
        ("0.089999 mg", None, "K2-MK7-DOSE-LOW"),
        ("0.62999 mg", "week", "K2-MK7-DOSE-LOW"),
        ("360.001 mcg", None, "K2-MK7-DOSE-HIGH"),
        ("360001 ng", None, "K2-MK7-DOSE-HIGH"),
        ("2.52001 mg", "week", "K2-MK7-DOSE-HIGH"),
    ],
)
def test_just_outside_the_range_fires(dose: str, per: str | None, code: str) -> None:
    assert code in _mk7_codes(dose, per)


# --- the fixture format ----------------------------------------------------------------------

VKA_EXAMPLE = """\
# A comment at the top.

[[fires]]
name = "warfarin"   # a comment after the name
# a comment above the profile
[fires.profile]
medications = [
  "warfarin",  # inside a list
]
supplements = [{ ingredient = "MK-7", dose = "180 mcg" }]

[[ok]]
name = "no vitamin K"
[ok.profile]
medications = ["warfarin"]
"""

VKA_OUTCOME = Outcome(
    severity=k2safety.Severity.CRITICAL,
    message=(
        "You take warfarin, a vitamin K antagonist, and plan MK-7 (vitamin K2). Vitamin K works "
        "against this kind of anticoagulant and can change how your blood clots: do not take it "
        "without close supervision by your doctor."
    ),
    triggers=(("medications", "warfarin"), ("supplements", "MK-7 180 mcg/day")),
)


def _fixture(tmp_path: Path, text: str, code: str = "K2-VKA") -> Path:
    path = tmp_path / f"{code}.toml"
    path.write_text(text, "utf-8")
    return path


def test_refresh_records_the_expectation_and_keeps_everything_else(tmp_path: Path) -> None:
    path = _fixture(tmp_path, VKA_EXAMPLE)
    assert read_fixture(path).fires[0].expected is None
    assert refresh(path, {0: VKA_OUTCOME})
    text = path.read_text("utf-8")
    kept = iter(text.splitlines())
    assert all(line in kept for line in VKA_EXAMPLE.splitlines())  # every line, in order
    assert text.index('severity = "critical"') > text.index('name = "warfarin"')
    assert text.index('severity = "critical"') < text.index("# a comment above the profile")
    assert max(len(line) for line in text.splitlines()) <= 100
    (fires,) = read_fixture(path).fires
    assert fires.expected == VKA_OUTCOME
    assert not refresh(path, {0: VKA_OUTCOME})  # nothing left to change
    assert path.read_text("utf-8") == text


def test_refresh_replaces_an_old_expectation_where_it_was(tmp_path: Path) -> None:
    path = _fixture(tmp_path, VKA_EXAMPLE)
    refresh(path, {0: VKA_OUTCOME})
    text = path.read_text("utf-8").replace('name = "warfarin"   # a comment after the name\n', "")
    text = text.replace("[fires.profile]", 'name = "moved"\n[fires.profile]')
    path.write_text(text, "utf-8")
    changed = Outcome(k2safety.Severity.WARNING, 'a "quoted" \\ message\twith\nlines', ())
    refresh(path, {0: changed})
    after = path.read_text("utf-8")
    assert after.index("severity") < after.index('name = "moved"')
    assert after.count("severity") == 1
    assert "triggers = []" in after
    assert read_fixture(path).fires[0].expected == changed


def test_refresh_wraps_a_long_message_and_reads_it_back_exactly(tmp_path: Path) -> None:
    path = _fixture(tmp_path, VKA_EXAMPLE)
    message = "word  " * 40 + "x" * 150 + " end. "
    long = Outcome(k2safety.Severity.INFO, message, (("foods", "natto ñ \x7f"),))
    refresh(path, {0: long})
    assert read_fixture(path).fires[0].expected == long
    assert "\\u007F" in path.read_text("utf-8")


def test_refresh_of_an_example_that_is_not_there_fails(tmp_path: Path) -> None:
    with pytest.raises(FixtureError, match=r"no \[\[fires\]\] example number \[2\]"):
        refreshed_text(VKA_EXAMPLE, {1: VKA_OUTCOME})
    with pytest.raises(FixtureError, match="has no name"):
        refreshed_text("[[fires]]\n[fires.profile]\n", {0: VKA_OUTCOME})


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[[fires]]\nprofile = {}\n", "needs a name"),
        ('[[fires]]\nname = " "\nprofile = {}\n', "needs a name"),
        ('[[fires]]\nname = "x"\n', "needs a profile"),
        (
            '[[fires]]\nname = "x"\nprofile = {}\nseverety = "info"\n',
            r"unknown keys \['severety'\]",
        ),
        ('[[fires]]\nname = "x"\nprofile = {}\nseverity = "info"\n', "go together"),
        ('[[ok]]\nname = "x"\nprofile = {}\nseverity = "info"\n', "cannot have a severity"),
        ('[[ok]]\nname = "x"\nprofile = {}\nmessage = "m"\n', "cannot have a message"),
        ('examples = []\n[[ok]]\nname = "x"\nprofile = {}\n', r"unknown keys \['examples'\]"),
        ('[[ok]]\nname = "x"\nprofile = {}\n[[ok]]\nname = "x"\nprofile = {}\n', "more than once"),
        ('fires = "x"\n', "array of tables"),
        (
            '[[fires]]\nname = "x"\nprofile = {}\nseverity = "severe"\nmessage = ""\n'
            "triggers = []\n",
            "'severe' is not one of info, warning, critical",
        ),
        (
            '[[fires]]\nname = "x"\nprofile = {}\nseverity = "info"\nmessage = 1\ntriggers = []\n',
            "message must be text",
        ),
        (
            '[[fires]]\nname = "x"\nprofile = {}\nseverity = "info"\nmessage = ""\n'
            'triggers = [{ field = "foods" }]\n',
            "a trigger must be",
        ),
        ("[[fires]\n", "cannot read the examples"),
    ],
)
def test_a_malformed_fixture_is_refused(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(FixtureError, match=problem):
        read_fixture(_fixture(tmp_path, text))


def test_a_missing_or_stray_fixture_file_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, folder)
    shutil.copy(folder / "K2-CONSULT.toml", folder / "K2-NOPE.toml")
    with pytest.raises(FixtureError, match=r"rules that do not exist: \['K2-NOPE'\]"):
        read_fixtures(folder, knowledge().rules)
    (folder / "K2-NOPE.toml").unlink()
    (folder / "K2-CONSULT.toml").unlink()
    with pytest.raises(FixtureError, match=r"for rules \['K2-CONSULT'\]"):
        read_fixtures(folder, knowledge().rules)
