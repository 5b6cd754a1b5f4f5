"""k2safety.strategies generates what each docstring says: valid where valid, rejected where not.

The strategies compute each amount and each expected substance on their own (exact unit factors,
the vocabulary, the documented misspelling bound), so these tests also cross-check the dose
parser and the medication matcher against that independent reading.
"""

from __future__ import annotations

import importlib.metadata
import inspect
import operator
import re
import subprocess
import sys
from fractions import Fraction
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

import k2safety
from k2safety import Form, Profile, ProfileError, strategies
from k2safety._knowledge import knowledge
from k2safety._matching import match_name
from k2safety._profile import MAX_ENTRIES, MAX_TEXT
from k2safety._units import MAX_DOSE_TEXT
from k2safety.strategies import _medications

ROOT = Path(__file__).resolve().parent.parent


def _validated(profile: object) -> Profile:
    return Profile.model_validate(profile)


def _drug_classes(profile: Profile) -> set[str]:
    return {match.drug_class for med in profile.medications for match in med.matches}


def _mk7(dose: dict[str, Any]) -> Fraction:
    return _validated({"supplements": [{"ingredient": "MK-7", **dose}]}).supplements[0].mcg_per_day


# --- Medications -------------------------------------------------------------------------------


@given(st.data())
def test_every_writing_of_a_substance_resolves_to_it_alone(data: st.DataObject) -> None:
    substance = data.draw(st.sampled_from(sorted(knowledge().substances)))
    entry = data.draw(strategies.medications(substance=substance))
    matches = _validated({"medications": [entry]}).medications[0].matches
    assert {match.substance for match in matches} == {substance}, entry


@given(strategies.vka_medications())
def test_vka_medications_resolve_only_to_vitamin_k_antagonists(entry: object) -> None:
    matches = _validated({"medications": [entry]}).medications[0].matches
    assert matches
    assert {match.drug_class for match in matches} == {"vka"}


@given(strategies.medications(kind="other_anticoagulant"))
def test_other_anticoagulants_never_resolve_to_a_vka(entry: object) -> None:
    matches = _validated({"medications": [entry]}).medications[0].matches
    assert {match.drug_class for match in matches} == {"other_anticoagulant"}


@given(strategies.medications(kind="unrelated"))
def test_unrelated_medicines_match_nothing(entry: object) -> None:
    assert _validated({"medications": [entry]}).medications[0].matches == ()


@given(strategies.medications())
def test_medications_are_valid_entries(entry: object) -> None:
    assert len(_validated({"medications": [entry]}).medications) == 1


def test_unrelated_medicines_are_listed_as_never_matching() -> None:
    listed = (ROOT / "tests" / "data" / "common_drugs.txt").read_text().split("\n")
    assert set(_medications._UNRELATED_DRUGS) <= {line.strip() for line in listed}


@pytest.mark.parametrize(
    "word", ["sodium", "potassium", "calcium", "tablet", "tablets", "5 mg", "40mg/0.4ml"]
)
def test_label_words_added_to_names_match_nothing(word: str) -> None:
    assert match_name(word) == ()


def test_misspellings_cover_the_whole_bound() -> None:
    # One edit of a long name, and a neighbour swap, both inside the documented bound.
    assert _medications._misspelling_resolves_to("warfrin", "warfarin")
    assert _medications._misspelling_resolves_to("wrafarin", "warfarin")
    # Exact names, short words and words closer to another substance are not misspellings.
    assert not _medications._misspelling_resolves_to("warfarin", "warfarin")
    assert not _medications._misspelling_resolves_to("acva", "argatroban")
    assert not _medications._misspelling_resolves_to("warfrin", "heparin")


def test_an_unknown_substance_is_refused() -> None:
    with pytest.raises(InvalidArgument, match="insulin"):
        strategies.medications(substance="insulin")


# --- Doses -------------------------------------------------------------------------------------


@given(st.data())
def test_every_writing_of_an_amount_validates_to_that_amount(data: st.DataObject) -> None:
    amount = data.draw(strategies.daily_amounts())
    dose = data.draw(strategies.doses(mcg_per_day=amount))
    assert _mk7(dose) == amount, dose


@given(st.data())
def test_iu_writings_are_converted_for_d3(data: st.DataObject) -> None:
    amount = data.draw(strategies.daily_amounts(max_mcg_per_day=1000))
    dose = data.draw(strategies.doses(mcg_per_day=amount, iu=True))
    supplement = {"ingredient": "D3", **dose}
    assert _validated({"supplements": [supplement]}).supplements[0].mcg_per_day == amount


@pytest.mark.parametrize(
    "amount", [Fraction(1, 3), Fraction(1000, 7), Fraction(90), Fraction(7, 40000)]
)
def test_any_fixed_amount_is_written_exactly(amount: Fraction) -> None:
    @given(strategies.doses(mcg_per_day=amount))
    @settings(max_examples=30)
    def written_exactly(dose: dict[str, Any]) -> None:
        assert _mk7(dose) == amount, dose

    written_exactly()


@given(strategies.doses(min_mcg_per_day=89, max_mcg_per_day=Fraction(361)))
def test_doses_stay_within_their_bounds(dose: dict[str, Any]) -> None:
    assert 89 <= _mk7(dose) <= 361


@given(strategies.daily_amounts(min_mcg_per_day="0.5", max_mcg_per_day="0.5"))
def test_a_single_amount_range_gives_that_amount(amount: Fraction) -> None:
    assert amount == Fraction(1, 2)


@pytest.mark.parametrize(
    "bounds",
    [
        {"min_mcg_per_day": 0},
        {"max_mcg_per_day": -1},
        {"min_mcg_per_day": 10, "max_mcg_per_day": 9},
    ],
)
def test_bad_bounds_are_refused(bounds: dict[str, Any]) -> None:
    with pytest.raises(InvalidArgument):
        strategies.doses(**bounds)


def test_the_amount_strategies_share_their_default_bounds() -> None:
    def defaults(strategy: Any) -> tuple[object, ...]:
        parameters = inspect.signature(strategy).parameters
        return tuple(parameters[f"{end}_mcg_per_day"].default for end in ("min", "max"))

    expected = (Fraction(1), Fraction(100_000))
    for strategy in (strategies.daily_amounts, strategies.doses, strategies.supplements):
        assert defaults(strategy) == expected, strategy.__name__


def test_thresholds_and_their_neighbours_are_drawn() -> None:
    for threshold in ("mk7_typical_min", "mk7_typical_max", "mk4_pharmacological"):
        value = knowledge().threshold(threshold)
        for target in (value, value + 1, value - 1, value + Fraction(1, 7)):
            found = find(strategies.daily_amounts(), partial(operator.eq, target))
            assert found == target


@given(strategies.invalid_doses())
def test_invalid_doses_are_rejected(dose: dict[str, Any]) -> None:
    with pytest.raises(ProfileError):
        _mk7(dose)


@given(strategies.invalid_doses(ingredient="vitamin d3"))
def test_invalid_d3_doses_are_rejected(dose: dict[str, Any]) -> None:
    with pytest.raises(ProfileError):
        _validated({"supplements": [{"ingredient": "D3", **dose}]})


# --- Supplements and profiles ------------------------------------------------------------------


@given(strategies.supplements(forms={"MK-4", "K1"}, max_mcg_per_day=2000))
def test_supplements_respect_their_forms_and_bounds(supplement: dict[str, Any]) -> None:
    validated = _validated({"supplements": [supplement]}).supplements[0]
    assert validated.ingredient in {Form.MK4, Form.K1}
    assert 1 <= validated.mcg_per_day <= 2000


def test_unknown_forms_are_refused() -> None:
    with pytest.raises(InvalidArgument):
        strategies.supplements(forms={"MK-9"})


@given(strategies.profiles(max_medications=6, max_supplements=6))
def test_profiles_are_valid(profile: dict[str, Any]) -> None:
    validated = _validated(profile)
    assert len(validated.medications) <= 6
    assert len(validated.supplements) <= 6


@given(st.booleans(), st.booleans(), st.booleans(), st.booleans(), st.data())
def test_profile_parameters_hold(
    vka: bool, vitamin_k: bool, d3: bool, supervised: bool, data: st.DataObject
) -> None:
    profile = _validated(
        data.draw(
            strategies.profiles(
                with_vka=vka, with_vitamin_k=vitamin_k, with_d3=d3, supervised=supervised
            )
        )
    )
    forms = {supplement.ingredient for supplement in profile.supplements}
    assert ("vka" in _drug_classes(profile)) == vka
    assert bool(forms & {Form.MK7, Form.MK4, Form.K2, Form.K1, Form.K}) == vitamin_k
    assert (Form.D3 in forms) == d3
    assert profile.medical_supervision == supervised
    if not vitamin_k:
        assert "natto" not in k2safety.check(profile).profile.foods


@given(strategies.invalid_profiles())
def test_invalid_profiles_are_rejected(profile: object) -> None:
    with pytest.raises(ProfileError):
        k2safety.check(profile)  # type: ignore[arg-type]


@given(st.from_type(Profile))
def test_from_type_gives_validated_profiles(profile: Profile) -> None:
    assert isinstance(profile, Profile)
    assert k2safety.check(profile).knowledge_version == knowledge().version


FEATURES: dict[str, Any] = {
    "a VKA": lambda p: "vka" in _drug_classes(p),
    "another anticoagulant": lambda p: "other_anticoagulant" in _drug_classes(p),
    "an unrecognized medication": lambda p: any(not m.matches for m in p.medications),
    "three forms": lambda p: len({s.ingredient for s in p.supplements}) >= 3,
    "D3": lambda p: Form.D3 in {s.ingredient for s in p.supplements},
    "supervision": lambda p: p.medical_supervision,
    "every list": lambda p: (
        p.medications and p.supplements and p.goals and p.foods and p.conditions
    ),
}


def test_from_type_profiles_are_varied() -> None:
    seen: set[str] = set()

    @given(st.from_type(Profile))
    @settings(max_examples=200, derandomize=True, database=None)
    def collect(profile: Profile) -> None:
        seen.update(name for name, wanted in FEATURES.items() if wanted(profile))

    collect()
    assert seen == set(FEATURES)


# --- Shrinking, documentation, packaging -------------------------------------------------------


@pytest.mark.parametrize(
    ("strategy", "minimal"),
    [
        (strategies.profiles(), {}),
        (strategies.profiles(with_vka=True), {"medications": ["warfarin"]}),
        (strategies.medications(), "warfarin"),
        (strategies.vka_medications(), "warfarin"),
        (strategies.doses(), {"dose": "1 mcg"}),
        (strategies.doses(min_mcg_per_day=90), {"dose": "90 mcg"}),
        (strategies.supplements(), {"ingredient": "MK-7", "dose": "1 mcg"}),
        (strategies.invalid_doses(), {"dose": "0 mcg"}),
        (strategies.invalid_profiles(), []),
    ],
)
def test_strategies_shrink_to_what_their_docstrings_say(
    strategy: st.SearchStrategy[Any], minimal: object
) -> None:
    assert find(strategy, lambda _: True) == minimal


def test_every_public_strategy_documents_what_it_generates_and_shrinks_toward() -> None:
    public = {
        name
        for name, value in vars(strategies).items()
        if inspect.isfunction(value) and not name.startswith("_")
    }
    assert public == set(strategies.__all__)
    for name in strategies.__all__:
        doc = inspect.getdoc(getattr(strategies, name)) or ""
        assert re.search(r"Shrinks toward", doc), name


def test_the_public_module_only_names_strategies_defined_in_private_modules() -> None:
    package = Path(strategies.__file__).parent
    private = sorted(path.stem for path in package.glob("_*.py") if path.stem != "__init__")
    assert private == ["_doses", "_invalid", "_medications", "_profiles", "_variants"]
    for name in strategies.__all__:
        module = getattr(strategies, name).__module__
        assert module.removeprefix("k2safety.strategies.") in private, (name, module)


def test_invalid_input_sits_just_past_the_contracts_limits() -> None:
    def listed(value: object, field: str) -> list[Any]:
        entries = value.get(field) if isinstance(value, dict) else None
        return entries if isinstance(entries, list) else []

    def too_long(value: object, limit: int) -> bool:
        return isinstance(value, str) and len(value) > limit

    profile = find(
        strategies.invalid_profiles(),
        lambda v: any(too_long(food, MAX_TEXT) for food in listed(v, "foods")),
    )
    assert max(len(food) for food in listed(profile, "foods") if isinstance(food, str)) == (
        MAX_TEXT + 1
    )
    profile = find(
        strategies.invalid_profiles(), lambda v: len(listed(v, "medications")) > MAX_ENTRIES
    )
    assert len(listed(profile, "medications")) == MAX_ENTRIES + 1
    dose = find(strategies.invalid_doses(), lambda d: too_long(d["dose"], MAX_DOSE_TEXT))
    assert len(dose["dose"]) == MAX_DOSE_TEXT + 1
    strategies.profiles(max_medications=MAX_ENTRIES, max_supplements=MAX_ENTRIES)
    with pytest.raises(InvalidArgument, match=str(MAX_ENTRIES)):
        strategies.profiles(max_medications=MAX_ENTRIES + 1)


def test_the_plugin_is_registered_as_a_hypothesis_entry_point() -> None:
    points = importlib.metadata.entry_points(group="hypothesis")
    assert "k2safety._hypothesis_plugin:_hypothesis_setup_hook" in {p.value for p in points}


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )


def test_importing_hypothesis_does_not_load_the_strategies() -> None:
    result = _run(
        "import sys, hypothesis\n"
        "print('k2safety' in sys.modules, 'k2safety.strategies' in sys.modules)"
    )
    assert result.stdout.split() == ["True", "False"], result.stderr


def test_strategies_without_hypothesis_say_how_to_install_it() -> None:
    result = _run(
        "import sys\n"
        "sys.modules['hypothesis'] = None\n"
        "import k2safety\n"
        "try:\n"
        "    import k2safety.strategies\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    assert "pip install 'k2safety[hypothesis]'" in result.stdout, result.stderr


def test_the_test_extra_still_installs_hypothesis() -> None:
    requires = importlib.metadata.requires("k2safety") or []
    for extra in ("test", "hypothesis"):
        marker = re.compile(rf"extra == ['\"]{extra}['\"]")
        assert any(r.startswith("hypothesis") and marker.search(r) for r in requires), extra


# --- The worked example in docs/testing.md -----------------------------------------------------


def _docs_example() -> str:
    text = (ROOT / "docs" / "testing.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    assert blocks, "docs/testing.md has no python example"
    return "\n".join(blocks)


def test_the_worked_example_in_the_docs_runs_and_passes() -> None:
    namespace: dict[str, Any] = {"__name__": "docs_testing_example"}
    exec(compile(_docs_example(), "docs/testing.md", "exec"), namespace)
    tests = [value for name, value in namespace.items() if name.startswith("test_")]
    assert len(tests) >= 3
    for test in tests:
        test()


def test_the_reference_in_the_docs_covers_every_strategy() -> None:
    text = (ROOT / "docs" / "testing.md").read_text()
    documented = re.findall(r"^::: k2safety\.strategies\.(\w+)$", text, flags=re.MULTILINE)
    assert sorted(documented) == sorted(strategies.__all__)
