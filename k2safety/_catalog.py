"""The rule catalog and the claim list as Markdown, generated from the knowledge base.

The docs build writes :func:`catalog_pages` into the site, so the published catalog is always the
packaged knowledge base; ``k2safety explain`` prints :func:`rule_markdown`. Generation refuses to
write anything untrue: a rule citing a claim or threshold that does not exist, a rule with no
example fixture, or an example that does not do what its fixture says (fire or not, with the
expected severity, message and triggers) all raise :class:`CatalogError`. The examples are read
and judged by :mod:`k2safety._fixtures`, as the rule tests do. Nothing here is imported by
``import k2safety``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from k2safety._claims import Claim
from k2safety._engine import rule_inputs
from k2safety._fixtures import (
    Example,
    FixtureError,
    Outcome,
    RuleExamples,
    read_fixtures,
    verify,
)
from k2safety._knowledge import Knowledge, RuleSpec, Threshold, decimal_text, knowledge

__all__ = [
    "CatalogError",
    "catalog_pages",
    "claims_markdown",
    "decimal_text",
    "rule_markdown",
]


class CatalogError(Exception):
    """The catalog cannot be generated truthfully from the knowledge base and its fixtures."""


def catalog_pages(fixtures: Path, kb: Knowledge | None = None) -> dict[str, str]:
    """Every generated page, by its path inside the docs: the catalog, one page per rule, claims.

    ``fixtures`` is the folder of ``<CODE>.toml`` example files; every rule must have one.
    Examples are screened with :func:`k2safety.check`, i.e. with the packaged knowledge base.
    """
    kb = knowledge() if kb is None else kb
    for spec in kb.rules.values():
        _rule_claims(spec, kb)
        _rule_thresholds(spec, kb)
    try:
        examples = read_fixtures(fixtures, kb.rules)
    except FixtureError as error:
        raise CatalogError(str(error)) from error
    pages = {
        "rules/index.md": _catalog_index(kb),
        "rules/SUMMARY.md": _catalog_nav(kb),
        "claims.md": claims_markdown(kb),
    }
    for code, spec in kb.rules.items():
        pages[f"rules/{code}.md"] = rule_markdown(spec, kb, examples=examples[code], links=True)
    return pages


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
    for note, claim_ids in spec.note_claims.items():
        lines += ["", f"With the *{note}* note, also:", ""]
        for claim in kb.claims_for(claim_ids):
            lines += _claim_item(claim, links=links)
    if examples is not None:
        lines += _examples_section(spec, examples)
    return "\n".join(lines).rstrip() + "\n"


_INPUT_WORDS = {
    "supplements": "the supplements (total per day of each form, and how many are K2)",
    "vitamin_k": "the vitamin K planned (supplement forms and totals, and foods rich in it)",
    "medications": "the medications (as given, and what each resolved to)",
    "drug_classes": "the drug classes of the recognized medications",
    "foods": "the recognized foods",
    "unrecognized_foods": "the foods not recognized",
    "goals": "the goals (and the words shown for them)",
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
    if not examples.fires:
        raise CatalogError(f"{examples.path}: needs at least one [[fires]] example")
    lines = ["", "## Examples", "", "Profiles from the rule's test fixtures, screened by this "]
    lines[-1] += "version of k2safety."
    for example in examples.fires:
        _screen(spec, example)
        lines += ["", f"### Fires: {example.name}", "", *_json_block(example.profile), ""]
        lines += _finding_lines(example.expected)
    for example in examples.ok:
        _screen(spec, example)
        lines += ["", f"### Does not fire: {example.name}", "", *_json_block(example.profile)]
    return lines


def _screen(spec: RuleSpec, example: Example) -> Outcome | None:
    """The example's expected finding, once :func:`k2safety.check` is seen to give exactly it."""
    try:
        return verify(spec.code, example)
    except FixtureError as error:
        raise CatalogError(str(error)) from error


def _finding_lines(finding: Outcome | None) -> list[str]:
    if finding is None:
        return []
    lines = [f"**{finding.severity.value}:** {finding.message}", ""]
    if finding.triggers:
        lines.append("Triggered by:")
        lines.append("")
        lines += [f"- `{field}`: {_inline(value)}" for field, value in finding.triggers]
    return lines


def _inline(text: str) -> str:
    """``text`` as Markdown inline code, fenced by more backticks than it has in a row."""
    fence = "`" * (max(map(len, re.findall("`+", text)), default=0) + 1)
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{padding}{text}{padding}{fence}"


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
    return {
        claim_id: [
            f"[{name}](rules/{name}.md)" if kind == "rule" else f"{kind} `{name}`"
            for kind, name in owners
        ]
        for claim_id, owners in kb.citations().items()
    }


def _claim_ref(claim_id: str, *, links: bool) -> str:
    return f"[`{claim_id}`](../claims.md#{claim_id})" if links else f"`{claim_id}`"


def _evidence(claim: Claim) -> str:
    return claim.evidence.value.replace("_", " ")


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")
