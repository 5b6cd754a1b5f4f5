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
