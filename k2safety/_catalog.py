"""The rule catalog and the claim list as Markdown, generated from the knowledge base.

The docs build writes :func:`catalog_pages` into the site, so the published catalog is always the
packaged knowledge base; ``k2safety explain`` prints :func:`rule_markdown`. Generation refuses to
write anything untrue: a rule citing a claim or threshold that does not exist, a rule with no
example profiles, or an example that does not do what its fixture says all raise
:class:`CatalogError`. Nothing here is imported by ``import k2safety``.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction
from pathlib import Path
from typing import Any

from k2safety._claims import Claim, Severity
from k2safety._engine import check, rule_inputs
from k2safety._errors import ProfileError
from k2safety._knowledge import Knowledge, RuleSpec, Threshold, knowledge

__all__ = [
    "CatalogError",
    "Example",
    "RuleExamples",
    "catalog_pages",
    "decimal_text",
    "read_examples",
    "rule_markdown",
]


class CatalogError(Exception):
    """The catalog cannot be generated truthfully from the knowledge base and its fixtures."""


@dataclass(frozen=True, slots=True)
class Example:
    """A profile from a rule's fixture file; ``severity`` is what a firing example expects."""

    name: str
    profile: Mapping[str, Any]
    severity: Severity | None = None


@dataclass(frozen=True, slots=True)
class RuleExamples:
    """Profiles that fire a rule and profiles that do not, from ``<CODE>.toml``."""

    fires: tuple[Example, ...]
    ok: tuple[Example, ...]


def catalog_pages(fixtures: Path, kb: Knowledge | None = None) -> dict[str, str]:
    """Every generated page, by its path inside the docs: the catalog, one page per rule, claims.

    ``fixtures`` is the folder of ``<CODE>.toml`` example files; every rule must have one.
    Examples are screened with :func:`k2safety.check`, i.e. with the packaged knowledge base.
    """
    kb = knowledge() if kb is None else kb
    for spec in kb.rules.values():
        _rule_claims(spec, kb)
        _rule_thresholds(spec, kb)
    examples = read_examples(fixtures, kb.rules)
    pages = {
        "rules/index.md": _catalog_index(kb),
        "rules/SUMMARY.md": _catalog_nav(kb),
        "claims.md": claims_markdown(kb),
    }
    for code, spec in kb.rules.items():
        pages[f"rules/{code}.md"] = rule_markdown(spec, kb, examples=examples[code], links=True)
    return pages


def read_examples(fixtures: Path, codes: Iterable[str]) -> dict[str, RuleExamples]:
    """The example profiles of each rule; a missing, stray or malformed fixture file is an error."""
    wanted = set(codes)
    found = {path.stem: path for path in fixtures.glob("*.toml")}
    missing = sorted(wanted - set(found))
    stray = sorted(set(found) - wanted)
    if missing:
        raise CatalogError(f"no example fixture in {fixtures} for rules {missing}")
    if stray:
        raise CatalogError(f"fixtures in {fixtures} for rules that do not exist: {stray}")
    return {code: _read_fixture(found[code]) for code in sorted(wanted)}


def _read_fixture(path: Path) -> RuleExamples:
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
        examples = RuleExamples(
            fires=tuple(_example(entry, firing=True) for entry in raw.get("fires", ())),
            ok=tuple(_example(entry, firing=False) for entry in raw.get("ok", ())),
        )
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as error:
        raise CatalogError(f"{path}: cannot read the examples: {error}") from error
    if not examples.fires:
        raise CatalogError(f"{path}: needs at least one [[fires]] example")
    return examples


def _example(entry: Mapping[str, Any], *, firing: bool) -> Example:
    severity = entry.get("severity")
    if severity is not None and not firing:
        raise ValueError(f"example {entry['name']!r} does not fire, so it cannot have a severity")
    return Example(
        name=str(entry["name"]),
        profile=dict(entry["profile"]),
        severity=None if severity is None else Severity(severity),
    )


def rule_markdown(
    spec: RuleSpec,
    kb: Knowledge,
    *,
    examples: RuleExamples | None = None,
    links: bool = False,
) -> str:
    """One rule in full: what it checks, why, what it says, its thresholds, claims and examples.

    ``links`` points claim ids and rule codes at the other generated pages (for the docs site).
    """
    claims = _rule_claims(spec, kb)
    lines = [f"# {spec.code}: {spec.title}", "", f"**Severity:** {spec.severity.value}"]
    if spec.when_supervised is not None:
        downgrade = spec.when_supervised
        lines += [
            "",
            f"**When a doctor supervises:** {downgrade.severity.value}. {downgrade.reason}",
        ]
    looks_at = ", ".join(_INPUT_WORDS[name] for name in rule_inputs(spec.code, kb))
    lines += ["", f"**Looks at:** {looks_at} (nothing else in the profile)"]
    lines += ["", "## What it checks", "", spec.checks, "", "## Why it matters", "", spec.why]
    lines += ["", "## What the person is told", "", f"> {spec.message}", ""]
    if spec.notes:
        lines += ["Added when it applies:", ""]
        lines += [f"- *{name}:* {text}" for name, text in spec.notes.items()]
        lines.append("")
    lines.append("Words in braces are filled in from the profile.")
    lines += ["", "## Thresholds", ""]
    lines += _thresholds_section(_rule_thresholds(spec, kb), links=links)
    lines += ["", "## Claims it rests on", ""]
    for claim in claims:
        lines += _claim_item(claim, links=links)
    if examples is not None:
        lines += _examples_section(spec, examples)
    return "\n".join(lines).rstrip() + "\n"


_INPUT_WORDS = {
    "supplements": "the supplements (total per day of each form, and how many are K2)",
    "vitamin_k": "the vitamin K supplements (forms and totals)",
    "medications": "the medications (as given, and what each resolved to)",
    "drug_classes": "the drug classes of the recognized medications",
    "foods": "the recognized foods",
    "unrecognized_foods": "the foods not recognized",
    "goals": "the goals",
    "conditions": "the health conditions",
    "medical_supervision": "whether a doctor supervises",
}


def claims_markdown(kb: Knowledge) -> str:
    """Every claim in the knowledge base, grouped by source, with what cites it."""
    citers = _citers(kb)
    lines = [
        "# Claims",
        "",
        f"Knowledge base version {kb.version}: {len(kb.claims)} claims from "
        f"{len(kb.sources)} sources. Every finding cites claims from this list. A claim marked "
        "*background* explains the domain; no rule rests on it.",
    ]
    for source in kb.sources.values():
        source_claims = [claim for claim in kb.claims.values() if claim.source.id == source.id]
        if not source_claims:
            continue
        lines += ["", f"## {source.title} {{#source-{source.id}}}", ""]
        facts = [f"*{source.kind}*"]
        facts += [text for text in (source.author, source.publisher) if text]
        if source.year is not None:
            facts.append(str(source.year))
        if source.url:
            facts.append(f"<{source.url}>")
        lines.append(", ".join(facts) + ".")
        if source.note:
            lines += ["", source.note]
        for claim in source_claims:
            lines += ["", f"### `{claim.id}` {{#{claim.id}}}", "", claim.statement, ""]
            lines.append(f"- **Where:** {claim.locator}")
            lines.append(f"- **Evidence:** {_evidence(claim)}")
            if claim.background:
                lines.append("- **Background:** no rule rests on it.")
            cited_by = citers.get(claim.id, [])
            if cited_by:
                lines.append(f"- **Cited by:** {', '.join(cited_by)}")
    return "\n".join(lines) + "\n"


def decimal_text(value: Fraction) -> str:
    """An exact fraction as decimal text when it has a finite expansion (thresholds always do).

    >>> decimal_text(Fraction(90)), decimal_text(Fraction(1, 8)), decimal_text(Fraction(1, 3))
    ('90', '0.125', '1/3')
    """
    rest = value.denominator
    for prime in (2, 5):
        while rest % prime == 0:
            rest //= prime
    if rest != 1:
        return str(value)
    with localcontext() as context:
        # Enough digits for any finite expansion: 1/2**k has k decimals, k < 4 * len(str(2**k)).
        context.prec = len(str(value.numerator)) + 4 * len(str(value.denominator)) + 1
        return format(Decimal(value.numerator) / Decimal(value.denominator), "f")


def _rule_claims(spec: RuleSpec, kb: Knowledge) -> tuple[Claim, ...]:
    dangling = [claim_id for claim_id in spec.claims if claim_id not in kb.claims]
    if dangling:
        raise CatalogError(f"rule {spec.code} cites claims that do not exist: {dangling}")
    return kb.claims_for(spec.claims)


def _rule_thresholds(spec: RuleSpec, kb: Knowledge) -> dict[str, Threshold]:
    unknown = [name for name in spec.thresholds if name not in kb.thresholds]
    if unknown:
        raise CatalogError(f"rule {spec.code} uses thresholds that do not exist: {unknown}")
    thresholds = {name: kb.thresholds[name] for name in spec.thresholds}
    for name, threshold in thresholds.items():
        dangling = [claim_id for claim_id in threshold.claims if claim_id not in kb.claims]
        if dangling:
            raise CatalogError(f"threshold {name} cites claims that do not exist: {dangling}")
    return thresholds


def _thresholds_section(thresholds: Mapping[str, Threshold], *, links: bool) -> list[str]:
    if not thresholds:
        return ["None: the rule compares no number."]
    lines: list[str] = []
    for name, threshold in thresholds.items():
        origin = (
            "the source" if threshold.origin == "source" else "editorial, chosen by the project"
        )
        claims = ", ".join(_claim_ref(claim_id, links=links) for claim_id in threshold.claims)
        lines += [
            f"- `{name}` = **{decimal_text(threshold.value)} {threshold.unit}**  ",
            f"  Origin: {origin}. {' '.join(threshold.reason.split())}  ",
            f"  Claims: {claims or 'none'}",
        ]
    return lines


def _claim_item(claim: Claim, *, links: bool) -> list[str]:
    return [
        f"- {claim.statement}  ",
        f"  *{claim.source.title}*, {claim.locator}; evidence: {_evidence(claim)}; "
        f"claim {_claim_ref(claim.id, links=links)}",
    ]


def _examples_section(spec: RuleSpec, examples: RuleExamples) -> list[str]:
    lines = ["", "## Examples", "", "Profiles from the rule's test fixtures, screened by this "]
    lines[-1] += "version of k2safety."
    for example in examples.fires:
        finding = _screen(spec, example, fires=True)
        lines += ["", f"### Fires: {example.name}", "", *_json_block(example.profile), ""]
        lines.append(f"**{finding.severity.value}:** {finding.message}")
    for example in examples.ok:
        _screen(spec, example, fires=False)
        lines += ["", f"### Does not fire: {example.name}", "", *_json_block(example.profile)]
    return lines


def _screen(spec: RuleSpec, example: Example, *, fires: bool) -> Any:
    try:
        report = check(example.profile)
    except ProfileError as error:
        raise CatalogError(f"{spec.code} example {example.name!r}: {error}") from error
    found = [finding for finding in report.findings if finding.code == spec.code]
    if fires != bool(found):
        verb = "does not fire" if fires else "fires"
        raise CatalogError(f"{spec.code} example {example.name!r} {verb}, unlike its fixture")
    if found and example.severity is not None and found[0].severity != example.severity:
        raise CatalogError(
            f"{spec.code} example {example.name!r} fires at {found[0].severity.value}, "
            f"its fixture expects {example.severity.value}"
        )
    return found[0] if found else None


def _json_block(profile: Mapping[str, Any]) -> list[str]:
    return ["```json", json.dumps(profile, indent=2, ensure_ascii=False), "```"]


def _catalog_index(kb: Knowledge) -> str:
    lines = [
        "# Rule catalog",
        "",
        f"The {len(kb.rules)} rules of knowledge base version {kb.version}, generated from "
        "`k2safety/data/`. Each page says what the rule checks, why it matters, what it tells "
        "the person, the numbers it compares against and where they come from, the claims it "
        "rests on, and example profiles that fire it and that do not.",
        "",
        "| Code | Severity | Title |",
        "| --- | --- | --- |",
    ]
    for code, spec in kb.rules.items():
        severity = spec.severity.value
        if spec.when_supervised is not None:
            severity += f" ({spec.when_supervised.severity.value} when supervised)"
        lines.append(f"| [{code}]({code}.md) | {severity} | {_cell(spec.title)} |")
    return "\n".join(lines) + "\n"


def _catalog_nav(kb: Knowledge) -> str:
    lines = ["* [Overview](index.md)"]
    lines += [f"* [{code}]({code}.md)" for code in kb.rules]
    return "\n".join(lines) + "\n"


def _citers(kb: Knowledge) -> dict[str, list[str]]:
    citers: dict[str, list[str]] = {}
    for code, spec in kb.rules.items():
        for claim_id in spec.claims:
            citers.setdefault(claim_id, []).append(f"[{code}](rules/{code}.md)")
    for name, threshold in kb.thresholds.items():
        for claim_id in threshold.claims:
            citers.setdefault(claim_id, []).append(f"threshold `{name}`")
    for class_id, drug_class in kb.classes.items():
        for claim_id in drug_class.claims:
            citers.setdefault(claim_id, []).append(f"drug class `{class_id}`")
    for food in kb.foods:
        for claim_id in food.claims:
            citers.setdefault(claim_id, []).append(f"food `{food.id}`")
    return citers


def _claim_ref(claim_id: str, *, links: bool) -> str:
    return f"[`{claim_id}`](../claims.md#{claim_id})" if links else f"`{claim_id}`"


def _evidence(claim: Claim) -> str:
    return claim.evidence.value.replace("_", " ")


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")
