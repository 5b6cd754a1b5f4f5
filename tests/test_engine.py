"""check(): the report's shape, order, determinism, and the words its findings use."""

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
from k2safety._engine import _bound_rules
from k2safety._knowledge import KnowledgeError, knowledge
from k2safety._profile import Form
from k2safety.rules import REGISTRY

BUSY: dict[str, Any] = {
    "medications": ["warfrin 5 mg", {"name": "Eliquis"}, {"atc": "B01AA03"}, "metformin"],
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
    assert inputs.unrecognized_medications == ("metformin",)
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


def test_vka_finding_says_when_the_drug_was_matched_approximately() -> None:
    vka = check(BUSY).findings[0]
    assert "'warfrin' as warfarin" in vka.message
    exact = check(
        {"medications": ["warfarin"], "supplements": [{"ingredient": "K2", "dose": "1 mcg"}]}
    )
    assert "spelling" not in exact.findings[0].message


def test_supervision_lowers_the_vka_finding_to_a_warning_only() -> None:
    supervised = check({**BUSY, "medical_supervision": True})
    severities = {finding.code: finding.severity for finding in supervised.findings}
    assert severities["K2-VKA"] is Severity.WARNING
    assert severities["K2-ANTICOAGULANT"] is Severity.WARNING
    assert supervised.max_severity is Severity.WARNING


def test_the_anticoagulant_message_does_not_claim_the_vka_mechanism() -> None:
    report = check(
        {"medications": ["Xarelto"], "supplements": [{"ingredient": "MK-7", "dose": "90 mcg"}]}
    )
    (finding,) = [f for f in report.findings if f.code == "K2-ANTICOAGULANT"]
    text = finding.message.lower()
    assert "antagonist" not in text
    assert "works against" not in text
    assert "rivaroxaban" in text
    assert "K2-VKA" not in report.codes


def test_messages_fill_in_the_numbers() -> None:
    report = check(BUSY)
    messages = {finding.code: finding.message for finding in report.findings}
    assert "360 mcg" not in messages.get("K2-MK7-DOSE-HIGH", "")  # 360 is in range: no finding
    assert "45 mg a day" in messages["K2-MK4-HIGH-DOSE"]
    assert (
        "MK-7 360 mcg a day, MK-4 45000 mcg a day, K2 2 mcg a day"
        in messages["K2-MULTIPLE-SOURCES"]
    )
    assert "'metformin' and 'gouda'" in messages["K2-UNRECOGNIZED"]
    assert "{" not in "".join(messages.values())


def test_fractional_totals_are_shown_rounded_and_marked() -> None:
    report = check({"supplements": [{"ingredient": "MK-7", "dose": "0.5 mg", "per": "week"}]})
    (low,) = [f for f in report.findings if f.code == "K2-MK7-DOSE-LOW"]
    assert "about 71.43 mcg a day" in low.message


def test_every_rule_has_a_function_and_every_function_data() -> None:
    assert set(REGISTRY) == set(knowledge().rules)


def test_a_rule_without_a_function_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(REGISTRY, "K2-CONSULT")
    _bound_rules.cache_clear()
    try:
        with pytest.raises(KnowledgeError, match="K2-CONSULT"):
            check({})
    finally:
        monkeypatch.undo()
        _bound_rules.cache_clear()


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


def test_bound_rules_cover_all_rules_in_order() -> None:
    codes = [bound.spec.code for bound in _bound_rules(knowledge())]
    assert codes == sorted(knowledge().rules)


# --- Rules read only what they name, and their findings are remembered by it -----------------


def _with_rule(monkeypatch: pytest.MonkeyPatch, code: str, function: Any) -> None:
    monkeypatch.setitem(REGISTRY, code, function)
    _bound_rules.cache_clear()


@pytest.mark.parametrize(
    "function",
    [
        lambda profile: None,  # the whole profile would defeat remembering by inputs
        lambda: None,  # reads nothing
        lambda kb, goals: None,  # the knowledge base comes last
        lambda goals, *, extra: None,
    ],
    ids=["whole profile", "nothing", "kb first", "unknown name"],
)
def test_a_rule_must_name_its_inputs(monkeypatch: pytest.MonkeyPatch, function: Any) -> None:
    _with_rule(monkeypatch, "K2-CONSULT", function)
    try:
        with pytest.raises(KnowledgeError, match=r"K2-CONSULT.*must name inputs"):
            check({})
    finally:
        monkeypatch.undo()
        _bound_rules.cache_clear()


def test_a_rule_is_given_exactly_the_inputs_it_names(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[object, ...]] = []

    def conditions_or_medications(conditions: Any, goals: Any, kb: Any) -> None:
        seen.append((conditions, goals, kb))

    _with_rule(monkeypatch, "K2-CONSULT", conditions_or_medications)
    try:
        report = check({"conditions": ["gout", "asthma", "gout"], "goals": ["bone_health"]})
    finally:
        monkeypatch.undo()
        _bound_rules.cache_clear()
    assert seen == [(("asthma", "gout"), frozenset({"bone_health"}), knowledge())]
    assert "K2-CONSULT" not in report.codes


def test_remembered_findings_equal_freshly_worked_out_ones() -> None:
    from k2safety._intake import profile_from
    from k2safety._normalized import normalize

    kb = knowledge()
    rng = random.Random(7)
    for _ in range(300):
        profile = {
            "medications": rng.sample(["warfarin", "Eliquis", "metformin", "warfrin"], 2),
            "supplements": [
                {"ingredient": rng.choice(["MK-7", "MK-4", "K2", "K1"]), "dose": "100 mcg"},
                {"ingredient": "MK-7", "dose": rng.choice(["10 mcg", "500 mcg"])},
            ],
            "foods": rng.sample(["natto", "gouda"], rng.randint(0, 2)),
            "medical_supervision": rng.random() < 0.5,
        }
        facts = normalize(profile_from(profile), kb)
        fresh = [bound.evaluate_afresh(bound.inputs(facts)) for bound in _bound_rules(kb)]
        expected = sorted(
            (finding for finding in fresh if finding is not None),
            key=lambda finding: (-finding.severity.rank, finding.code),
        )
        assert check(profile).findings == tuple(expected)


def test_a_report_cannot_change_what_later_reports_are_built_from() -> None:
    profile = {"supplements": [{"ingredient": "MK-7", "dose": "90 mcg"}]}
    first = check(profile)
    first.profile.mcg_per_day.clear()  # a frozen model still holds a plain dict
    again = check(profile)
    assert again.profile.mcg_per_day
    assert "K2-D3-PAIRING" in again.codes


def test_the_catalog_says_what_each_rule_looks_at() -> None:
    from k2safety._catalog import _INPUT_WORDS, rule_markdown
    from k2safety._engine import _RULE_INPUTS, rule_inputs

    assert set(_INPUT_WORDS) == set(_RULE_INPUTS)
    kb = knowledge()
    assert rule_inputs("K2-VKA", kb) == (
        "drug_classes",
        "vitamin_k",
        "foods",
        "medical_supervision",
    )
    assert rule_inputs("K2-REVERSAL-CLAIM", kb) == ("goals",)
    page = rule_markdown(kb.rules["K2-REVERSAL-CLAIM"], kb)
    assert "**Looks at:** the goals (nothing else in the profile)" in page


def test_profiles_with_long_lists_are_worked_out_afresh() -> None:
    from k2safety._engine import _REMEMBERED
    from k2safety._intake import profile_from
    from k2safety._normalized import SHORT_LIST, normalize

    kb = knowledge()
    short = {"conditions": [f"condition {n}" for n in range(SHORT_LIST)]}
    long = {"conditions": [f"condition {n}" for n in range(SHORT_LIST + 1)]}
    assert normalize(profile_from(short), kb).shared
    assert not normalize(profile_from(long), kb).shared
    (consult,) = [bound for bound in _bound_rules(kb) if bound.spec.code == "K2-CONSULT"]
    consult.evaluate.cache_clear()
    for profile in (long, long):
        assert "K2-CONSULT" in check(profile).codes
    assert consult.evaluate.cache_info().currsize == 0  # long ones are not remembered
    assert "K2-CONSULT" in check(short).codes
    assert consult.evaluate.cache_info().currsize == min(1, _REMEMBERED)
    many = [f"drug {n}" for n in range(SHORT_LIST + 1)]
    first = normalize(profile_from({"medications": many}), kb)
    second = normalize(profile_from({"medications": many}), kb)
    assert first.medications is not second.medications  # long lists are not shared
    assert check({"medications": many}) == check({"medications": many[::-1]})


def test_shared_parts_cannot_be_changed() -> None:
    from fractions import Fraction

    from k2safety._intake import profile_from
    from k2safety._normalized import normalize

    facts = normalize(profile_from(BUSY), knowledge())
    with pytest.raises(TypeError):
        facts.supplements.totals[Form.MK7] = Fraction(0)  # type: ignore[index]
    with pytest.raises(TypeError):
        facts.drug_classes.taken["vka"] = ()  # type: ignore[index]


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
