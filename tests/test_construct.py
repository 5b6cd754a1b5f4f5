"""The fast constructor builds models equal to validated ones."""

from __future__ import annotations

from k2safety import check
from k2safety._construct import construct
from k2safety._report import Finding, Report
from k2safety._triggers import Trigger


def test_constructed_models_equal_validated_ones() -> None:
    report = check(
        {"medications": ["warfarin"], "supplements": [{"ingredient": "MK-7", "dose": "90 mcg"}]}
    )
    validated = Report.model_validate(report.model_dump())
    assert validated == report
    assert report.model_dump() == validated.model_dump()
    trigger = construct(Trigger, field="foods", value="natto")
    assert trigger == Trigger(field="foods", value="natto")
    assert hash(trigger) == hash(Trigger(field="foods", value="natto"))
    assert report.model_fields_set == validated.model_fields_set
    finding = report.findings[0]
    assert Finding.model_validate(finding.model_dump()) == finding


def test_constructed_models_share_no_state_that_a_copy_can_change() -> None:
    report = check({"supplements": [{"ingredient": "MK-7", "dose": "90 mcg"}]})
    other = check({"supplements": [{"ingredient": "MK-7", "dose": "100 mcg"}]})
    copied = report.model_copy(update={"knowledge_version": "x"})
    assert copied.knowledge_version == "x"
    assert report.knowledge_version != "x"
    assert report.model_fields_set == other.model_fields_set == set(Report.model_fields)


def test_models_pickle_as_their_fields() -> None:
    import pickle

    report = check(
        {"medications": ["warfarin"], "supplements": [{"ingredient": "MK-7", "dose": "90 mcg"}]}
    )
    again = pickle.loads(pickle.dumps(report))
    assert again == report
    assert again.model_fields_set == report.model_fields_set
    assert again.to_cds_hooks() == report.to_cds_hooks()
    trigger = report.findings[0].triggers[0]
    assert pickle.loads(pickle.dumps(trigger)) is trigger  # rebuilt through the cache
    source = report.findings[0].claims[0].source
    partial = source.model_validate({"id": "s", "kind": "article", "title": "T"})
    assert pickle.loads(pickle.dumps(partial)).model_fields_set == partial.model_fields_set
