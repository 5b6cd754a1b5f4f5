"""Properties every report must have, and how reports relate when the input changes.

Metamorphic properties compare two reports whose profiles say the same thing in different ways.
What must be equal depends on the change: a dose written in another unit leaves no trace in the
report, so the whole report must be equal; a medication written with another name, case or code
is shown in the report as written (``profile.medications[].given``, finding messages and
triggers), so there the findings' codes, severities and claims must be equal, and so must every
daily total and what each medication resolved to.
"""

from __future__ import annotations

import copy
import json
import pickle
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import k2safety
from k2safety import Profile, Report, Severity
from k2safety import strategies as k2st
from k2safety._knowledge import knowledge
from k2safety._profile import Form

JSON = dict[str, Any]
EXAMPLES = settings.default.max_examples
DOSE_CODES = frozenset({"K2-MK7-DOSE-LOW", "K2-MK7-DOSE-HIGH", "K2-MK4-HIGH-DOSE"})


def essence(report: Report) -> list[tuple[str, Severity, tuple[str, ...]]]:
    """What a finding says regardless of how the profile spelled things."""
    return [(f.code, f.severity, tuple(c.id for c in f.claims)) for f in report.findings]


def resolved(report: Report) -> Counter[tuple[tuple[str | None, str], ...]]:
    """What each medication resolved to, as a multiset over the medications."""
    return Counter(
        tuple(sorted((m.substance, m.drug_class) for m in med.matches))
        for med in report.profile.medications
    )


def same_meaning(first: Report, second: Report) -> None:
    assert essence(first) == essence(second)
    assert first.max_severity == second.max_severity
    assert first.profile.mcg_per_day == second.profile.mcg_per_day
    assert resolved(first) == resolved(second)
    assert first.profile.foods == second.profile.foods
    assert first.profile.goals == second.profile.goals


def rank(severity: Severity | None) -> int:
    return -1 if severity is None else severity.rank


def with_entry(profile: JSON, field: str, entry: object, position: int) -> JSON:
    entries = list(profile.get(field, []))
    entries.insert(min(position, len(entries)), entry)
    return {**profile, field: entries}


def form_of(supplement: JSON) -> Form:
    return Profile.model_validate({"supplements": [supplement]}).supplements[0].ingredient


# --- Metamorphic: the same input said differently -------------------------------------------


@given(k2st.profiles(max_supplements=3), st.sampled_from(list(Form)), st.data())
def test_the_same_amount_in_any_unit_or_rate_gives_the_same_report(
    profile: JSON, form: Form, data: st.DataObject
) -> None:
    amount = data.draw(k2st.daily_amounts(max_mcg_per_day=5000), label="amount")
    iu = form is Form.D3
    first, second = (data.draw(k2st.doses(mcg_per_day=amount, iu=iu)) for _ in range(2))
    position = data.draw(st.integers(0, 3), label="position")
    reports = [
        k2safety.check(
            with_entry(profile, "supplements", {"ingredient": form.value, **dose}, position)
        )
        for dose in (first, second)
    ]
    assert reports[0] == reports[1]
    assert reports[0].profile.mcg_per_day[form] >= amount


@given(k2st.profiles(max_medications=6, max_supplements=6), st.randoms(use_true_random=False))
def test_permuting_the_lists_gives_the_same_findings(profile: JSON, random: Any) -> None:
    shuffled = copy.deepcopy(profile)
    for entries in shuffled.values():
        if isinstance(entries, list):
            random.shuffle(entries)
    first, second = k2safety.check(profile), k2safety.check(shuffled)
    assert first.findings == second.findings
    assert first.max_severity == second.max_severity
    assert first.profile.mcg_per_day == second.profile.mcg_per_day
    assert Counter(first.profile.medications) == Counter(second.profile.medications)
    assert first == second
    assert first.to_cds_hooks() == second.to_cds_hooks()


def test_entries_with_the_same_label_do_not_make_the_report_depend_on_order() -> None:
    both = [{"name": "Coumadin", "atc": "B01AB05"}, {"name": "Coumadin"}]
    first = k2safety.check({"medications": both})
    second = k2safety.check({"medications": both[::-1]})
    assert first == second


@st.composite
def respelled(draw: st.DrawFn, profile: JSON) -> JSON:
    """``profile`` with the case and whitespace of its names changed."""

    def case(text: str) -> str:
        flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
        return "".join(
            c.swapcase() if f and c.isascii() else c for c, f in zip(text, flips, strict=True)
        )

    def spaced(text: str) -> str:
        pad = st.sampled_from(("", " ", "\t", "  ", "\u00a0"))
        return draw(pad) + text + draw(pad)

    def medication(entry: Any) -> Any:
        if isinstance(entry, str):
            return spaced(case(entry))
        if "name" in entry:
            return {**entry, "name": spaced(case(entry["name"]))}
        return entry

    changed = dict(profile)
    changed["medications"] = [medication(m) for m in profile.get("medications", [])]
    changed["supplements"] = [
        {**s, "ingredient": case(s["ingredient"])} for s in profile.get("supplements", [])
    ]
    changed["foods"] = [case(food) for food in profile.get("foods", [])]
    changed["goals"] = [spaced(case(goal)) for goal in profile.get("goals", [])]
    changed["conditions"] = [spaced(c) for c in profile.get("conditions", [])]
    return changed


@given(k2st.profiles(max_medications=6), st.data())
def test_changing_case_and_whitespace_of_names_gives_the_same_findings(
    profile: JSON, data: st.DataObject
) -> None:
    changed = data.draw(respelled(profile))
    same_meaning(k2safety.check(profile), k2safety.check(changed))


@given(k2st.profiles(), st.sampled_from(sorted(knowledge().substances)), st.data())
def test_a_brand_code_or_misspelling_instead_of_a_name_gives_the_same_findings(
    profile: JSON, substance: str, data: st.DataObject
) -> None:
    generic = knowledge().substances[substance].name
    other = data.draw(k2st.medications(substance=substance), label="other writing")
    position = data.draw(st.integers(0, 4), label="position")
    first = k2safety.check(with_entry(profile, "medications", generic, position))
    second = k2safety.check(with_entry(profile, "medications", other, position))
    same_meaning(first, second)


@given(k2st.profiles(), k2st.vka_medications(), st.integers(0, 4))
def test_adding_a_vka_never_lowers_the_highest_severity(
    profile: JSON, vka: object, position: int
) -> None:
    before = k2safety.check(profile)
    after = k2safety.check(with_entry(profile, "medications", vka, position))
    assert rank(after.max_severity) >= rank(before.max_severity)
    if after.profile.vitamin_k_forms or "natto" in after.profile.foods:
        assert "K2-VKA" in after.codes


@given(k2st.profiles(with_vka=True, with_vitamin_k=True))
def test_a_vka_with_vitamin_k_is_critical_unless_a_doctor_supervises(profile: JSON) -> None:
    report = k2safety.check(profile)
    supervised = profile.get("medical_supervision", False)
    assert "K2-VKA" in report.codes
    expected = Severity.WARNING if supervised else Severity.CRITICAL
    assert next(f.severity for f in report.findings if f.code == "K2-VKA") is expected
    if not supervised:
        assert report.max_severity is Severity.CRITICAL


@given(k2st.profiles(), st.data())
def test_splitting_an_mk7_dose_in_two_gives_the_same_dose_findings(
    profile: JSON, data: st.DataObject
) -> None:
    total = data.draw(k2st.daily_amounts(min_mcg_per_day=Fraction(2, 1000), max_mcg_per_day=2000))
    smallest = Fraction(1, 1000)
    part = data.draw(k2st.daily_amounts(min_mcg_per_day=smallest, max_mcg_per_day=total - smallest))
    whole = with_entry(
        profile,
        "supplements",
        {"ingredient": "MK-7", **data.draw(k2st.doses(mcg_per_day=total))},
        0,
    )
    halves = [
        {"ingredient": "MK-7", **data.draw(k2st.doses(mcg_per_day=amount))}
        for amount in (part, total - part)
    ]
    split = with_entry(
        with_entry(profile, "supplements", halves[0], 0), "supplements", halves[1], 9
    )
    first, second = k2safety.check(whole), k2safety.check(split)

    def without_multiple(report: Report) -> list[Any]:
        return [f for f in report.findings if f.code != "K2-MULTIPLE-SOURCES"]

    assert [f for f in first.findings if f.code in DOSE_CODES] == [
        f for f in second.findings if f.code in DOSE_CODES
    ]
    assert first.profile.mcg_per_day == second.profile.mcg_per_day
    assert without_multiple(first) == without_multiple(second)
    assert "K2-MULTIPLE-SOURCES" in second.codes


@given(k2st.profiles(with_d3=True, max_supplements=5), st.data())
def test_removing_d3_never_removes_the_d3_pairing_finding(
    profile: JSON, data: st.DataObject
) -> None:
    supplements = profile["supplements"]
    d3 = [i for i, s in enumerate(supplements) if form_of(s) is Form.D3]
    removed = set(data.draw(st.lists(st.sampled_from(d3), min_size=1, unique=True)))
    without = {**profile, "supplements": [s for i, s in enumerate(supplements) if i not in removed]}
    before, after = k2safety.check(profile), k2safety.check(without)
    if "K2-D3-PAIRING" in before.codes:
        assert "K2-D3-PAIRING" in after.codes
    if len(removed) == len(d3):
        assert ("K2-D3-PAIRING" in after.codes) == after.profile.k2_planned


# --- Every report ------------------------------------------------------------------------------


@given(k2st.profiles(max_medications=6, max_supplements=6))
def test_every_report_is_ordered_cited_and_round_trips(profile: JSON) -> None:
    report = k2safety.check(profile)
    kb = knowledge()
    ranks = [(-f.severity.rank, f.code) for f in report.findings]
    assert ranks == sorted(ranks)
    assert len(set(report.codes)) == len(report.codes)
    assert report.max_severity == (report.findings[0].severity if report.findings else None)
    assert report.max_severity == max((f.severity for f in report.findings), default=None)
    for finding in report.findings:
        assert finding.claims
        assert all(kb.claims.get(claim.id) == claim for claim in finding.claims)
        ids = tuple(c.id for c in finding.claims)
        spec = kb.rules[finding.code]
        assert ids[: len(spec.claims)] == spec.claims  # the rule's own claims, then its notes'
        assert set(ids[len(spec.claims) :]) <= {c for cs in spec.note_claims.values() for c in cs}
        assert finding.triggers
    assert report.knowledge_version == kb.version
    assert Report.model_validate(report.model_dump(mode="json")) == report
    assert Report.model_validate_json(report.model_dump_json()) == report
    assert pickle.loads(pickle.dumps(report)) == report
    assert json.loads(json.dumps(report.to_cds_hooks())) == report.to_cds_hooks()


@given(k2st.profiles())
def test_a_validated_profile_gives_the_same_report_as_its_json_form(profile: JSON) -> None:
    validated = Profile.model_validate(profile)
    assert k2safety.check(validated) == k2safety.check(profile)
    assert k2safety.check(validated.model_dump(mode="json")) == k2safety.check(profile)


# A thread pool per example costs about ten times a plain check, so a tenth of the examples.
@settings(max_examples=max(10, EXAMPLES // 10))
@given(st.lists(k2st.profiles(max_medications=6, max_supplements=6), min_size=1, max_size=8))
def test_concurrent_checks_give_the_same_reports(profiles: list[JSON]) -> None:
    expected = [k2safety.check(profile) for profile in profiles]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(k2safety.check, profiles * 4))
    assert results == expected * 4


COLD_START = """
import json, sys, threading
import k2safety
profiles = json.loads(sys.argv[1])
barrier = threading.Barrier(len(profiles))
results = [None] * len(profiles)
def run(i):
    barrier.wait()
    results[i] = k2safety.check(profiles[i]).model_dump_json()
threads = [threading.Thread(target=run, args=(i,)) for i in range(len(profiles))]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps(results))
"""


def test_concurrent_first_checks_in_a_fresh_process_agree() -> None:
    # The knowledge base, the unit registry and the matcher's index are all built on first
    # use; eight threads start their first check at the same moment.
    profile = {
        "medications": ["Warfarin sodium 5 mg", {"atc": "B01AF02"}, "warfrin"],
        "supplements": [
            {"ingredient": "MK-7", "dose": "1.26 mg", "per": "week"},
            {"ingredient": "mk4", "dose": {"value": 1.5, "unit": "mg/day"}},
        ],
        "foods": ["Natto"],
        "goals": ["reverse calcification"],
    }
    expected = k2safety.check(profile).model_dump_json()
    result = subprocess.run(
        [sys.executable, "-c", COLD_START, json.dumps([profile] * 8)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(result.stdout) == [expected] * 8
