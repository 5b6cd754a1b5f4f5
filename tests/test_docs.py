"""The docs: their examples run, the site builds strictly, and the catalog tells the truth."""

from __future__ import annotations

import dataclasses
import doctest
import importlib.util
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
from k2safety._catalog import CatalogError, catalog_pages, rule_markdown
from k2safety._fixtures import FixtureError, read_fixture, read_fixtures
from k2safety._knowledge import KnowledgeError, build_knowledge, knowledge, read_data_files

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "rules" / "fixtures"
MARKDOWN = sorted([ROOT / "README.md", ROOT / "CONTRIBUTING.md", *(ROOT / "docs").rglob("*.md")])
_FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)

# `pytest` runs with only the `test` extra installed: what needs another extra is skipped.
_DOCS_EXTRA = ("mkdocs", "material", "mkdocstrings", "mkdocs_gen_files", "mkdocs_literate_nav")
# A module a docs example may import: the module that must be installed for it, and its extra.
_EXTRA_MODULES = {
    "dask": ("dask", "dask"),
    "distributed": ("distributed", "dask"),
    "pandas": ("pandas", "dask"),
    "k2safety.dask": ("dask", "dask"),
}
_IMPORTED = re.compile(r"^(?:>>> |\.\.\. )?\s*(?:import|from)\s+([\w.]+)", re.MULTILINE)


def _missing_extras(code: str) -> set[str]:
    """The extras whose modules ``code`` imports and that are not installed."""
    return {
        extra
        for name in _IMPORTED.findall(code)
        for prefix, (needed, extra) in _EXTRA_MODULES.items()
        if (name == prefix or name.startswith(f"{prefix}.")) and not _installed(needed)
    }


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


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
    with_examples = {str(path.relative_to(ROOT)) for path in MARKDOWN if _python_blocks(path)}
    assert {
        "README.md",
        "docs/getting-started.md",
        "docs/api.md",
        "docs/units.md",
        "docs/cds-hooks.md",
        "docs/performance.md",
        "docs/how-to/screen-many-profiles.md",
        "docs/how-to/test-an-app.md",
        "docs/how-to/cds-hooks.md",
        "docs/how-to/add-a-rule.md",
        "docs/how-to/add-a-medication.md",
        "docs/explanation/how-a-check-works.md",
        "docs/explanation/claims-and-evidence.md",
        "docs/explanation/exactness.md",
    } <= with_examples


@pytest.mark.parametrize("path", MARKDOWN, ids=lambda path: str(path.relative_to(ROOT)))
def test_python_examples_in_markdown_run(path: Path) -> None:
    """Every python/pycon block runs, in order, sharing one namespace per file.

    Blocks with ``>>>`` prompts are doctests, so their shown output is checked too. From the
    first block that imports an optional extra that is not installed (Dask), the rest of the
    file is skipped: later blocks may use what that block defines.
    """
    name = str(path.relative_to(ROOT))
    namespace: dict[str, Any] = {"__name__": name}
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for code, line in _python_blocks(path):
        missing = _missing_extras(code)
        if missing:
            pytest.skip(f"{name} from line {line} needs the extras {sorted(missing)}")
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
    missing = [module for module in _DOCS_EXTRA if not _installed(module)]
    if missing:
        pytest.skip(f"the docs extra is not installed (no {', '.join(missing)})")
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
    for name in set(k2safety.__all__) - {"__version__"}:
        assert f'id="k2safety.{name}"' in api, f"the API reference has no entry for {name}"
    dask_reference = (site / "reference" / "dask" / "index.html").read_text("utf-8")
    assert "The screening columns for each profile" in dask_reference
    for page in ["how-to/add-a-rule", "explanation/how-a-check-works", "performance"]:
        assert (site / page / "index.html").is_file()


def test_the_api_reference_names_every_public_name() -> None:
    text = (ROOT / "docs" / "api.md").read_text("utf-8")
    documented = re.findall(r"^::: k2safety\.(\w+)$", text, re.MULTILINE)
    documented += re.findall(r"\{#k2safety\.(\w+)\}", text)
    assert sorted(documented) == sorted(set(k2safety.__all__) - {"__version__"})


def test_data_quoted_in_the_docs_is_the_data() -> None:
    """A ``toml`` block quoting a rule, threshold or substance says what the data file says."""
    raw = read_data_files()
    rules = {rule["code"]: rule for rule in raw["rules"]["rules"]}
    thresholds = raw["thresholds"]["thresholds"]
    substances = {substance["id"]: substance for substance in raw["vocabulary"]["substances"]}
    vocabulary = (ROOT / "k2safety" / "data" / "vocabulary.toml").read_text("utf-8")
    quoted = 0
    for path in MARKDOWN:
        for lang, code, line in _code_blocks(path.read_text("utf-8")):
            if lang != "toml":
                continue
            where = f"{path.relative_to(ROOT)}, block at line {line}"
            data = tomllib.loads(code)
            for rule in data.get("rules", ()):
                assert rule == rules[rule["code"]], where
                quoted += 1
            for name, threshold in data.get("thresholds", {}).items():
                assert threshold == thresholds[name], where
                quoted += 1
            for substance in data.get("substances", ()):
                assert substance == substances[substance["id"]], where
                # The sources named in comments too: the lines are the file's.
                for text in code.splitlines():
                    assert "#" not in text or text in vocabulary.splitlines(), f"{where}: {text}"
                quoted += 1
    assert quoted >= 3


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
    else:  # "Looks at" may still name supervision, which a rule's notes can read
        assert "**When a doctor supervises:**" not in page
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
    examples = read_fixture(FIXTURES / f"{code}.toml")
    for example in examples.fires:
        assert f"### Fires: {example.name}" in page
    for example in examples.ok:
        assert f"### Does not fire: {example.name}" in page


def test_threshold_values_and_units_are_shown_exactly(pages: dict[str, str]) -> None:
    page = pages["rules/K2-MK7-DOSE-HIGH.md"]
    assert "`mk7_typical_max` = **360 mcg/day**" in page
    assert "Origin: the source." in page
    page = pages["rules/K2-MK4-HIGH-DOSE.md"]
    assert "`mk4_pharmacological` = **1000 mcg/day**" in page
    assert "Origin: editorial, chosen by the project." in page


def test_a_firing_example_shows_the_finding_check_gives(pages: dict[str, str]) -> None:
    for code, examples in read_fixtures(FIXTURES, knowledge().rules).items():
        page = pages[f"rules/{code}.md"]
        for example in examples.fires:
            finding = next(f for f in k2safety.check(example.profile).findings if f.code == code)
            shown = page[page.index(f"### Fires: {example.name}\n") :]
            shown = shown[: shown.find("\n### ", 1)]
            assert f"**{finding.severity.value}:** {finding.message}\n" in shown
            for trigger in finding.triggers:
                assert f"- `{trigger.field}`: `{trigger.value}`\n" in shown


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
    path = folder / "K2-VKA.toml"
    path.write_text(path.read_text("utf-8").replace('"warning"', '"critical"'), "utf-8")
    with pytest.raises(CatalogError, match=r"fires at warning, its fixture expects critical"):
        catalog_pages(folder)


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("You take warfarin", "You take Warfarin", r"says 'You take warfarin.*expects 'You take W"),
        ('value = "MK-7 180 mcg/day"', 'value = "MK-7 18 mcg/day"', "is triggered by"),
    ],
)
def test_an_example_with_another_message_or_triggers_fails_generation(
    tmp_path: Path, old: str, new: str, problem: str
) -> None:
    folder = _copy_fixtures(tmp_path)
    path = folder / "K2-VKA.toml"
    path.write_text(path.read_text("utf-8").replace(old, new, 1), "utf-8")
    with pytest.raises(CatalogError, match=problem):
        catalog_pages(folder)


def test_a_firing_example_without_its_expectation_fails_generation(tmp_path: Path) -> None:
    folder = _copy_fixtures(tmp_path)
    (folder / "K2-VKA.toml").write_text(
        '[[fires]]\nname = "warfarin"\n'
        '[fires.profile]\nmedications = ["warfarin"]\n'
        'supplements = [{ ingredient = "MK-7", dose = "180 mcg" }]\n',
        "utf-8",
    )
    with pytest.raises(CatalogError, match=r"'warfarin' fires, but its fixture records no"):
        catalog_pages(folder)


def test_a_malformed_fixture_fails_generation(tmp_path: Path) -> None:
    folder = _copy_fixtures(tmp_path)
    (folder / "K2-VKA.toml").write_text("[[fires]]\nprofile = {}\n", "utf-8")
    with pytest.raises(FixtureError, match=r"K2-VKA\.toml: cannot read the examples"):
        read_fixtures(folder, knowledge().rules)
    with pytest.raises(CatalogError, match=r"K2-VKA\.toml: cannot read the examples"):
        catalog_pages(folder)


def test_the_speed_page_states_the_limits_the_code_uses() -> None:
    from k2safety._caches import CAPACITY, LONGEST_KEY

    text = (ROOT / "docs" / "performance.md").read_text("utf-8")
    assert f"at most {CAPACITY} entries (`CAPACITY`)" in text
    assert f"longer than {LONGEST_KEY} characters (`LONGEST_KEY`)" in text
