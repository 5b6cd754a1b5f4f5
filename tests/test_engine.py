"""check(): the report's shape, order and determinism.

What each rule says, and when, is in the rule fixtures (tests/rules/fixtures, run by
tests/test_rules.py).
"""

from __future__ import annotations

import json
import pickle
import random
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

import k2safety
from k2safety import Profile, ProfileError, Report, Severity, check
from k2safety._knowledge import knowledge
from k2safety._profile import Form

BUSY: dict[str, Any] = {
    "medications": ["warfrin 5 mg", {"name": "Eliquis"}, {"atc": "B01AA03"}, "insulin"],
    "supplements": [
        {"ingredient": "MK-7", "dose": "180 mcg"},
        {"ingredient": "MK-7", "dose": "1.26 mg", "per": "week"},
        {"ingredient": "MK-4", "dose": "45 mg/day"},
        {"ingredient": "k2", "dose": "2000 ng"},
    ],
    "foods": ["natto", "gouda"],
    "goals": ["reverse_calcification", "arterial_health"],
    "conditions": ["coronary artery calcification"],
}


def test_public_names() -> None:
    assert k2safety.__all__ == sorted(k2safety.__all__)
    for name in k2safety.__all__:
        assert hasattr(k2safety, name)


def test_a_dict_and_a_validated_profile_give_the_same_report() -> None:
    assert check(BUSY) == check(Profile.model_validate(BUSY))


def test_invalid_input_raises_profile_error() -> None:
    with pytest.raises(ProfileError, match=r"supplements\[0\]\.dose"):
        check({"supplements": [{"ingredient": "MK-7", "dose": "180"}]})
    with pytest.raises(ProfileError, match="JSON object"):
        check([])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("dose", "accepted"),
    [("1e-300 mcg", True), ("1e-301 mcg", False), ("1e300 mcg", False), ("1e301 mcg", False)],
)
def test_the_exponent_range_of_a_dose_includes_its_ends(dose: str, accepted: bool) -> None:
    profile = {"supplements": [{"ingredient": "D3", "dose": dose}]}
    if accepted:
        check(profile)
    else:
        # Tiny amounts below 1e-300 are out of range; huge ones are over the largest daily dose.
        with pytest.raises(ProfileError, match=r"out of range|more than"):
            check(profile)


def test_findings_are_most_severe_first_then_by_code() -> None:
    report = check(BUSY)
    keys = [(-finding.severity.rank, finding.code) for finding in report.findings]
    assert keys == sorted(keys)
    assert report.max_severity is Severity.CRITICAL
    assert report.max_severity == report.findings[0].severity
    assert report.codes[0] == "K2-VKA"


def test_no_findings_means_no_max_severity() -> None:
    report = check({})
    assert report.findings == ()
    assert report.max_severity is None


def test_every_finding_cites_existing_claims_and_names_its_triggers() -> None:
    claims = knowledge().claims
    for finding in check(BUSY).findings:
        assert finding.claims
        for claim in finding.claims:
            assert claims[claim.id] == claim
        assert finding.triggers


def test_report_shows_the_normalized_inputs() -> None:
    inputs = check(BUSY).profile
    assert {form.value: amount for form, amount in inputs.mcg_per_day.items()} == {
        "MK-7": 360,
        "MK-4": 45_000,
        "K2": 2,
    }
    assert inputs.k2_entries == 4
    assert inputs.unrecognized_medications == ("insulin",)
    assert inputs.unrecognized_foods == ("gouda",)
    warfrin = next(m for m in inputs.medications if m.given == "warfrin 5 mg")
    assert [(m.substance, m.matched_by) for m in warfrin.matches] == [("warfarin", "approximate")]
    assert check(BUSY).knowledge_version == knowledge().version


def test_report_round_trips_through_json_and_pickle() -> None:
    report = check(BUSY)
    dumped = report.model_dump(mode="json")
    assert Report.model_validate(dumped) == report
    assert Report.model_validate_json(json.dumps(dumped)) == report
    assert pickle.loads(pickle.dumps(report)) == report


def test_reports_are_immutable() -> None:
    report = check(BUSY)
    with pytest.raises(ValueError, match="frozen"):
        report.max_severity = None  # type: ignore[misc]
    assert isinstance(report.findings, tuple)


def test_list_order_never_changes_the_report() -> None:
    expected = check(BUSY)
    shuffler = random.Random(7)
    for _ in range(20):
        shuffled = {
            key: shuffler.sample(value, len(value)) if isinstance(value, list) else value
            for key, value in BUSY.items()
        }
        report = check(shuffled)
        assert report == expected
        assert report.to_cds_hooks() == expected.to_cds_hooks()


def test_concurrent_checks_give_identical_reports() -> None:
    expected = check(BUSY)
    with ThreadPoolExecutor(max_workers=8) as pool:
        reports = list(pool.map(lambda _: check(BUSY), range(200)))
    assert all(report == expected for report in reports)


class TestCdsHooks:
    def test_one_card_per_finding_with_the_required_fields(self) -> None:
        report = check(BUSY)
        response = report.to_cds_hooks()
        assert set(response) == {"cards"}
        assert len(response["cards"]) == len(report.findings)
        for card, finding in zip(response["cards"], report.findings, strict=True):
            assert uuid.UUID(card["uuid"]).version == 5
            assert 0 < len(card["summary"]) < 140
            assert card["indicator"] == finding.severity.value
            assert card["indicator"] in {"info", "warning", "critical"}
            assert finding.message in card["detail"]
            for claim in finding.claims:
                assert claim.statement in card["detail"]
                assert claim.locator in card["detail"]
            assert card["source"]["label"]
        json.dumps(response)

    def test_uuids_are_deterministic_and_distinct(self) -> None:
        first = check(BUSY).to_cds_hooks()["cards"]
        again = check(BUSY).to_cds_hooks()["cards"]
        assert [card["uuid"] for card in first] == [card["uuid"] for card in again]
        assert len({card["uuid"] for card in first}) == len(first)
        other = check({**BUSY, "conditions": ["atrial fibrillation"]}).to_cds_hooks()["cards"]
        assert {card["uuid"] for card in first}.isdisjoint(card["uuid"] for card in other)

    def test_source_url_is_given_where_known(self) -> None:
        cards = check(
            {
                "medications": [{"atc": "B01AF02"}],
                "supplements": [{"ingredient": "MK-7", "dose": "100 mcg"}],
            }
        ).to_cds_hooks()["cards"]
        assert all("url" not in card["source"] for card in cards)  # the article has no known url
        assert all(card["source"]["label"].startswith("k2safety: ") for card in cards)

    def test_a_long_title_is_cut_below_140_characters(self) -> None:
        from k2safety._report import _summary

        assert len(_summary("x" * 400)) < 140
        assert _summary("short") == "short"


def test_a_report_cannot_change_what_later_reports_are_built_from() -> None:
    profile = {"supplements": [{"ingredient": "MK-7", "dose": "90 mcg"}]}
    first = check(profile)
    first.profile.mcg_per_day.clear()  # a frozen model still holds a plain dict
    again = check(profile)
    assert again.profile.mcg_per_day
    assert "K2-D3-PAIRING" in again.codes


def test_the_report_profile_answers_what_the_rules_read() -> None:
    profile = check(BUSY).profile
    vka = profile.matches_in_class("vka")
    assert {(medication.given, match.matched_by) for medication, match in vka} == {
        ("warfrin 5 mg", "approximate"),
        ("ATC B01AA03", "atc"),
    }
    (other,) = profile.matches_in_class("other_anticoagulant")
    assert other[0].given == "Eliquis"
    assert profile.matches_in_class("no such class") == ()
    assert profile.vitamin_k_forms == (Form.MK7, Form.MK4, Form.K2)
    assert set(profile.k2_totals) == {Form.MK7, Form.MK4, Form.K2}
    assert profile.k2_planned
    assert not check({"supplements": [{"ingredient": "D3", "dose": "1000 IU"}]}).profile.k2_planned


def test_every_type_reachable_from_a_public_one_is_exported() -> None:
    import dataclasses
    import enum
    import typing

    from pydantic import BaseModel

    seen: set[type] = set()

    def reach(annotation: object) -> None:
        for arg in typing.get_args(annotation):
            reach(arg)
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            return
        if (
            isinstance(annotation, type)
            and annotation not in seen
            and annotation.__module__.startswith("k2safety")
        ):
            seen.add(annotation)
            if issubclass(annotation, BaseModel):
                for field in annotation.model_fields.values():
                    reach(field.annotation)
            elif dataclasses.is_dataclass(annotation):
                for hint in typing.get_type_hints(annotation).values():
                    reach(hint)
            elif not issubclass(annotation, enum.Enum):
                raise AssertionError(f"unexpected public type {annotation}")

    reach(k2safety.Report)
    reach(k2safety.Profile)
    exported = {getattr(k2safety, name) for name in k2safety.__all__}
    assert {t.__name__ for t in seen - exported} == set()
    assert {"Form", "Goal", "Trigger", "NormalizedProfile", "Match"} <= {t.__name__ for t in seen}


def test_long_lists_in_any_order_give_the_same_report() -> None:
    medications = [f"medication {letter}" for letter in "abcdefghijklmnop"] + [
        "warfarin",
        {"name": "warfarin", "atc": "B01AA03"},
        {"rxnorm": "11289"},
        "Warfarin",
    ]
    supplements = [{"ingredient": "MK-7", "dose": f"{n} mcg"} for n in range(1, 30)]
    profile: dict[str, Any] = {
        "medications": medications,
        "supplements": supplements,
        "foods": [f"food {n}" for n in range(40)] + ["natto", "Natto"],
        "conditions": [f"condition {n}" for n in range(40)],
    }
    expected = check(profile)
    shuffler = random.Random(11)
    for _ in range(10):
        shuffled = {key: shuffler.sample(value, len(value)) for key, value in profile.items()}
        assert check(shuffled) == expected


def test_the_catalog_says_what_each_rule_looks_at() -> None:
    from k2safety._catalog import _INPUT_WORDS, rule_markdown
    from k2safety._engine import rule_inputs

    kb = knowledge()
    for code, spec in kb.rules.items():
        looks_at = rule_inputs(code, kb)
        assert looks_at[: len(spec.inputs)] == spec.inputs  # the function's own parameters
        assert ("medical_supervision" in looks_at) == (
            "medical_supervision" in spec.inputs or spec.when_supervised is not None
        )
        line = next(
            line for line in rule_markdown(spec, kb).splitlines() if line.startswith("**Looks at")
        )
        for name in looks_at:
            assert _INPUT_WORDS[name] in line
        for name in set(_INPUT_WORDS) - set(looks_at):
            assert _INPUT_WORDS[name] not in line
    assert rule_inputs("K2-VKA", kb) == ("drug_classes", "vitamin_k", "medical_supervision")


def test_the_catalog_lists_the_claims_each_note_adds() -> None:
    from k2safety._catalog import rule_markdown

    kb = knowledge()
    page = rule_markdown(kb.rules["K2-VKA"], kb)
    for note, claim_ids in kb.rules["K2-VKA"].note_claims.items():
        assert f"With the *{note}* note, also:" in page
        for claim_id in claim_ids:
            assert f"`{claim_id}`" in page.split(f"With the *{note}* note, also:")[1]
