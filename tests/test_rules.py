"""Every rule against its fixtures: profiles that must fire it and profiles that must not.

The fixtures live in tests/rules/fixtures/<CODE>.toml and are also the examples in the docs'
rule catalog. A rule whose function is removed, or whose threshold moves by one unit, fails here.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

import k2safety
from k2safety._knowledge import knowledge

FIXTURES = Path(__file__).parent / "rules" / "fixtures"


def _cases(kind: str) -> list[Any]:
    cases = []
    for path in sorted(FIXTURES.glob("*.toml")):
        for case in tomllib.loads(path.read_text("utf-8")).get(kind, []):
            cases.append(pytest.param(path.stem, case, id=f"{path.stem}: {case['name']}"))
    return cases


def test_every_rule_has_fixtures_that_fire_and_that_do_not() -> None:
    for code in knowledge().rules:
        path = FIXTURES / f"{code}.toml"
        assert path.exists(), f"no fixtures for {code}"
        fixtures = tomllib.loads(path.read_text("utf-8"))
        assert fixtures.get("fires"), f"{code} has no profile that fires it"
        assert fixtures.get("ok"), f"{code} has no profile that must not fire it"


def test_no_fixture_file_names_an_unknown_rule() -> None:
    assert {path.stem for path in FIXTURES.glob("*.toml")} <= set(knowledge().rules)


@pytest.mark.parametrize(("code", "case"), _cases("fires"))
def test_fires(code: str, case: dict[str, Any]) -> None:
    report = k2safety.check(case["profile"])
    found = {finding.code: finding for finding in report.findings}
    assert code in found, f"{case['name']}: expected {code}, got {report.codes}"
    if "severity" in case:
        assert found[code].severity == k2safety.Severity(case["severity"])


@pytest.mark.parametrize(("code", "case"), _cases("ok"))
def test_does_not_fire(code: str, case: dict[str, Any]) -> None:
    report = k2safety.check(case["profile"])
    assert code not in report.codes, f"{case['name']}: {code} fired"


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
