"""The docs: their examples run, the site builds strictly, and the catalog tells the truth."""

from __future__ import annotations

import dataclasses
import doctest
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

import k2safety
from k2safety._catalog import CatalogError, catalog_pages, read_examples, rule_markdown
from k2safety._knowledge import KnowledgeError, build_knowledge, knowledge, read_data_files

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "rules" / "fixtures"
MARKDOWN = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
_FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _code_blocks(text: str) -> list[tuple[str, str, int]]:
    """(language, code, line number) of every fenced block."""
    return [
        (match[1], match[2], text.count("\n", 0, match.start()) + 2)
        for match in _FENCE.finditer(text)
    ]


def _python_blocks(path: Path) -> list[tuple[str, int]]:
    text = path.read_text("utf-8")
    return [(code, line) for lang, code, line in _code_blocks(text) if lang in {"python", "pycon"}]


def test_the_docs_have_python_examples() -> None:
    with_examples = {path.name for path in MARKDOWN if _python_blocks(path)}
    assert {"README.md", "getting-started.md", "units.md", "cds-hooks.md"} <= with_examples


@pytest.mark.parametrize("path", MARKDOWN, ids=lambda path: str(path.relative_to(ROOT)))
def test_python_examples_in_markdown_run(path: Path) -> None:
    """Every python/pycon block runs, in order, sharing one namespace per file.

    Blocks with ``>>>`` prompts are doctests, so their shown output is checked too.
    """
    name = str(path.relative_to(ROOT))
    namespace: dict[str, Any] = {"__name__": name}
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for code, line in _python_blocks(path):
        if ">>>" in code:
            # doctest counts lines from 0; ``line`` is the block's first line, counted from 1.
            test = parser.get_doctest(code, namespace, name, str(path), line - 1)
            report: list[str] = []
            runner.run(test, out=report.append, clear_globs=False)
            assert not runner.failures, f"{name}, block at line {line}:\n" + "".join(report)
            namespace.update(test.globs)  # a DocTest runs in a copy of the namespace
        else:
            exec(compile(code, f"{path}:{line}", "exec"), namespace)


def test_the_docs_name_only_rules_that_exist() -> None:
    codes = set(knowledge().rules)
    for path in [*MARKDOWN, ROOT / "mkdocs.yml"]:
        named = set(re.findall(r"\bK2-[A-Z0-9]+(?:-[A-Z0-9]+)*\b", path.read_text("utf-8")))
        assert named <= codes, f"{path.name} names unknown rules {sorted(named - codes)}"


def test_mkdocs_builds_strictly(tmp_path: Path) -> None:
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "DISABLE_MKDOCS_2_WARNING": "true"}
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    for code in knowledge().rules:
        page = (site / "rules" / code / "index.html").read_text("utf-8")
        assert knowledge().rules[code].title.split()[0] in page
    claims = (site / "claims" / "index.html").read_text("utf-8")
    assert all(f'id="{claim_id}"' in claims for claim_id in knowledge().claims)
    profile = (site / "profile" / "index.html").read_text("utf-8")
    assert "medical_supervision" in profile
    assert "additionalProperties" in profile  # the generated schema was appended
    api = (site / "api" / "index.html").read_text("utf-8")
    assert "Screen a profile and return its report." in api


# --- the generated catalog -------------------------------------------------------------------


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    return catalog_pages(FIXTURES)


def test_every_rule_has_a_fixture_file() -> None:
    assert {path.stem for path in FIXTURES.glob("*.toml")} == set(knowledge().rules)


def test_the_catalog_has_a_page_per_rule_an_index_and_the_claims(pages: dict[str, str]) -> None:
    expected = {f"rules/{code}.md" for code in knowledge().rules}
    expected |= {"rules/index.md", "rules/SUMMARY.md", "claims.md"}
    assert set(pages) == expected
    for code, spec in knowledge().rules.items():
        assert f"[{code}]({code}.md)" in pages["rules/index.md"]
        assert f"[{code}]({code}.md)" in pages["rules/SUMMARY.md"]
        assert spec.title in pages["rules/index.md"]


@pytest.mark.parametrize("code", list(knowledge().rules))
def test_a_rule_page_says_everything_about_the_rule(pages: dict[str, str], code: str) -> None:
    kb = knowledge()
    spec = kb.rules[code]
    page = pages[f"rules/{code}.md"]
    assert page.startswith(f"# {code}: {spec.title}\n")
    assert f"**Severity:** {spec.severity.value}" in page
    if spec.when_supervised is not None:
        assert f"**When a doctor supervises:** {spec.when_supervised.severity.value}" in page
    else:
        assert "supervises" not in page
    for text in (spec.checks, spec.why, spec.message):
        assert text in page
    for claim in kb.claims_for(spec.claims):
        assert claim.statement in page
        assert claim.locator in page
        assert claim.source.title in page
        assert claim.evidence.value.replace("_", " ") in page
        assert f"(../claims.md#{claim.id})" in page
    for name in spec.thresholds:
        threshold = kb.thresholds[name]
        assert f"`{name}`" in page
        assert " ".join(threshold.reason.split()) in page
        origin = "the source" if threshold.origin == "source" else "editorial"
        assert f"Origin: {origin}" in page
    fixture = tomllib.loads((FIXTURES / f"{code}.toml").read_text("utf-8"))
    for example in fixture["fires"]:
        assert f"### Fires: {example['name']}" in page
    for example in fixture.get("ok", ()):
        assert f"### Does not fire: {example['name']}" in page


def test_threshold_values_and_units_are_shown_exactly(pages: dict[str, str]) -> None:
    page = pages["rules/K2-MK7-DOSE-HIGH.md"]
    assert "`mk7_typical_max` = **360 mcg/day**" in page
    assert "Origin: the source." in page
    page = pages["rules/K2-MK4-HIGH-DOSE.md"]
    assert "`mk4_pharmacological` = **1000 mcg/day**" in page
    assert "Origin: editorial, chosen by the project." in page


def test_a_firing_example_shows_the_finding_check_gives(pages: dict[str, str]) -> None:
    fixture = tomllib.loads((FIXTURES / "K2-VKA.toml").read_text("utf-8"))
    example = fixture["fires"][0]
    finding = next(f for f in k2safety.check(example["profile"]).findings if f.code == "K2-VKA")
    assert f"**{finding.severity.value}:** {finding.message}" in pages["rules/K2-VKA.md"]


def test_the_claims_page_lists_every_claim_with_what_cites_it(pages: dict[str, str]) -> None:
    kb = knowledge()
    page = pages["claims.md"]
    for claim in kb.claims.values():
        assert f"### `{claim.id}` {{#{claim.id}}}" in page
        assert claim.statement in page
        assert claim.locator in page
    for source in kb.sources.values():
        if any(claim.source.id == source.id for claim in kb.claims.values()):
            assert source.title in page
    assert "[K2-VKA](rules/K2-VKA.md)" in page


def test_a_dangling_claim_id_fails_loading_the_raw_knowledge() -> None:
    raw = read_data_files()
    raw["rules"]["rules"][0]["claims"].append("art.does-not-exist")
    with pytest.raises(KnowledgeError, match=r"art\.does-not-exist"):
        build_knowledge(raw)


def test_a_dangling_claim_id_fails_generation_even_past_the_loader() -> None:
    kb = knowledge()
    spec = kb.rules["K2-VKA"]
    broken_spec = spec.model_copy(update={"claims": (*spec.claims, "art.does-not-exist")})
    broken = dataclasses.replace(kb, rules={**kb.rules, "K2-VKA": broken_spec})
    with pytest.raises(CatalogError, match=r"K2-VKA cites claims that do not exist"):
        catalog_pages(FIXTURES, broken)
    with pytest.raises(CatalogError, match=r"art\.does-not-exist"):
        rule_markdown(broken_spec, broken)


def test_a_dangling_threshold_claim_fails_generation() -> None:
    kb = knowledge()
    name = "mk7_typical_max"
    threshold = kb.thresholds[name].model_copy(update={"claims": ("art.does-not-exist",)})
    broken = dataclasses.replace(kb, thresholds={**kb.thresholds, name: threshold})
    with pytest.raises(CatalogError, match=rf"threshold {name} cites claims"):
        catalog_pages(FIXTURES, broken)


def _copy_fixtures(tmp_path: Path) -> Path:
    folder = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, folder)
    return folder


def test_a_rule_without_a_fixture_fails_generation(tmp_path: Path) -> None:
    folder = _copy_fixtures(tmp_path)
    (folder / "K2-CONSULT.toml").unlink()
    with pytest.raises(CatalogError, match=r"no example fixture .* \['K2-CONSULT'\]"):
        catalog_pages(folder)


def test_a_fixture_for_no_rule_fails_generation(tmp_path: Path) -> None:
    folder = _copy_fixtures(tmp_path)
    shutil.copy(folder / "K2-CONSULT.toml", folder / "K2-NOPE.toml")
    with pytest.raises(CatalogError, match=r"rules that do not exist: \['K2-NOPE'\]"):
        catalog_pages(folder)


def test_an_example_that_does_not_fire_fails_generation(tmp_path: Path) -> None:
    folder = _copy_fixtures(tmp_path)
    (folder / "K2-VKA.toml").write_text(
        '[[fires]]\nname = "no warfarin here"\n'
        '[fires.profile]\nsupplements = [{ ingredient = "MK-7", dose = "180 mcg" }]\n',
        "utf-8",
    )
    with pytest.raises(CatalogError, match=r"'no warfarin here' does not fire"):
        catalog_pages(folder)


def test_an_ok_example_that_fires_fails_generation(tmp_path: Path) -> None:
    folder = _copy_fixtures(tmp_path)
    with (folder / "K2-VKA.toml").open("a", encoding="utf-8") as fixture:
        fixture.write(
            '\n[[ok]]\nname = "warfarin after all"\n'
            '[ok.profile]\nmedications = ["warfarin"]\n'
            'supplements = [{ ingredient = "MK-7", dose = "180 mcg" }]\n'
        )
    with pytest.raises(CatalogError, match=r"'warfarin after all' fires"):
        catalog_pages(folder)


def test_an_example_at_another_severity_fails_generation(tmp_path: Path) -> None:
    folder = _copy_fixtures(tmp_path)
    (folder / "K2-VKA.toml").write_text(
        '[[fires]]\nname = "supervised"\nseverity = "critical"\n'
        '[fires.profile]\nmedications = ["warfarin"]\nmedical_supervision = true\n'
        'supplements = [{ ingredient = "MK-7", dose = "180 mcg" }]\n',
        "utf-8",
    )
    with pytest.raises(CatalogError, match=r"fires at warning, its fixture expects critical"):
        catalog_pages(folder)


def test_a_malformed_fixture_fails_generation(tmp_path: Path) -> None:
    folder = _copy_fixtures(tmp_path)
    (folder / "K2-VKA.toml").write_text("[[fires]]\nprofile = {}\n", "utf-8")
    with pytest.raises(CatalogError, match=r"K2-VKA\.toml: cannot read the examples"):
        read_examples(folder, knowledge().rules)


def test_the_speed_page_states_the_limits_the_code_uses() -> None:
    from k2safety._intake import _MOST_TEXT
    from k2safety._normalized import SHARED_TEXT, SHORT_LIST

    text = (ROOT / "docs" / "performance.md").read_text("utf-8")
    assert f"at most {SHORT_LIST} entries in each list" in text
    assert f"at most {SHARED_TEXT} characters of medication names" in text
    assert f"at most {_MOST_TEXT} characters long" in text
