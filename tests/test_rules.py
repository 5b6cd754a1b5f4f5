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
