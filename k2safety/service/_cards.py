"""Cards for clinicians: the texts of ``data/cards.toml``, checked against the knowledge base,
and the CDS Hooks cards of one call.

The patient-facing :meth:`k2safety.Report.to_cds_hooks` is left as it is; the service uses
these instead. A card's uuid is derived from the service, the ``hookInstance`` and the rule
code, so it is unique per call and the same on a retry of the call. Every string that came
from the request (the record entries that made a rule fire) is escaped for Markdown and HTML
and cut to a bounded length, and the whole detail is bounded too.
"""

from __future__ import annotations

import hashlib
import html
import re
import tomllib
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from k2safety._claims import Claim
from k2safety._data import read_data
from k2safety._knowledge import Knowledge, decimal_text
from k2safety._report import Finding

__all__ = [
    "CARD_NAMESPACE",
    "DETAIL_LIMIT",
    "ENTRY_LIMIT",
    "SUMMARY_LIMIT",
    "CardTexts",
    "CardsError",
    "escape_markdown",
    "load_card_texts",
]

CARD_NAMESPACE = uuid.UUID("3b8e3c55-2a61-5f0e-9d4c-7b1a0e6f2c94")
"""Fixed forever: changing it would change the uuid of every card ever issued."""
SUMMARY_LIMIT = 139
"""CDS Hooks asks for a summary of fewer than 140 characters."""
DETAIL_LIMIT = 6000
"""The longest card detail, in characters."""
ENTRY_LIMIT = 160
"""The longest record entry shown in a detail, in characters before escaping."""
ENTRIES_SHOWN = 12
"""The most record entries a detail lists; it says how many more there were."""
_RESERVED_FOR_ENTRIES = 1500
"""Room a detail keeps for record entries, checked for every rule when the texts load."""

FIELD_LABELS = {
    "medications": "Medication",
    "supplements": "Planned supplement",
    "foods": "Food",
    "goals": "Goal",
    "conditions": "Condition",
}


class CardsError(Exception):
    """``data/cards.toml`` does not fit the knowledge base. A bug, never user input."""


class _Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Reason(_Entry):
    code: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    display: str = Field(min_length=1, max_length=100)


class _Text(_Entry):
    summary: str = Field(min_length=1)
    detail: str = Field(min_length=1)


class _CardsFile(_Entry):
    version: str
    topic_system: str = Field(min_length=1)
    override_reason_system: str = Field(min_length=1)
    override_reasons: tuple[_Reason, ...] = Field(min_length=1)
    cards: dict[str, _Text]


@dataclass(frozen=True, slots=True)
class RuleTexts:
    """One rule's clinician texts, filled in."""

    summary: str
    detail: str


@dataclass(frozen=True, slots=True)
class CardTexts:
    """The clinician texts of every rule, checked, and what every card shares."""

    version: str
    topic_system: str
    override_reason_system: str
    override_reasons: tuple[Mapping[str, str], ...]
    """The CDS Hooks Codings offered on every card, in file order."""
    rules: Mapping[str, RuleTexts]
    claim_lines: Mapping[str, str]
    """Each claim of the knowledge base as a line of a card's detail, by claim id."""

    def reason(self, system: str, code: str) -> Mapping[str, str] | None:
        """The offered override reason with this system and code, if there is one."""
        if system != self.override_reason_system:
            return None
        return next((r for r in self.override_reasons if r["code"] == code), None)

    def cards(
        self,
        findings: Iterable[Finding],
        *,
        kb: Knowledge,
        service_id: str,
        hook_instance: str,
        rule_url: str,
        source_url: str | None,
    ) -> list[dict[str, Any]]:
        """The cards of one call, one per finding, in the findings' order.

        ``rule_url`` is a format string with ``{code}`` for a rule's page.
        """
        label = f"k2safety (knowledge base {kb.version})"
        reasons = [dict(reason) for reason in self.override_reasons]
        cards = []
        for finding in findings:
            code = finding.code
            texts = self.rules[code]
            source: dict[str, Any] = {"label": label}
            if source_url:
                source["url"] = source_url
            source["topic"] = {"system": self.topic_system, "code": code, "display": finding.title}
            cards.append(
                {
                    "uuid": card_uuid(service_id, hook_instance, code),
                    "summary": texts.summary,
                    "indicator": finding.severity.value,
                    "detail": _detail(texts.detail, finding, kb, self.claim_lines),
                    "source": source,
                    "overrideReasons": reasons,
                    "links": [
                        {
                            "label": f"{code}: what the rule checks and the claims it rests on",
                            "url": rule_url.format(code=code),
                            "type": "absolute",
                        }
                    ],
                }
            )
        return cards


def card_uuid(service_id: str, hook_instance: str, code: str) -> str:
    """The uuid of a rule's card in one call of one service: ``uuid.uuid5`` of the three,
    worked out with hashlib directly (the same value, in a tenth of the time).

    >>> card_uuid("s", "h", "K2-VKA") == str(uuid.uuid5(CARD_NAMESPACE, "s\\nh\\nK2-VKA"))
    True
    """
    name = f"{service_id}\n{hook_instance}\n{code}".encode()
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name, usedforsecurity=False).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    text = digest.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


_NAMESPACE_BYTES = CARD_NAMESPACE.bytes


# --- escaping ---------------------------------------------------------------------------------

_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}
_PUNCTUATION = "!#$%()*+,-./:;=?@[\\]^_`{|}~"
_ESCAPES = str.maketrans({char: f"\\{char}" for char in _PUNCTUATION} | _ENTITIES)
_SPACE = re.compile(r"\s+")


def escape_markdown(text: str, limit: int = ENTRY_LIMIT) -> str:
    """Text from a request, safe inside a Markdown paragraph or list item, and inside HTML.

    Control, format (bidirectional overrides, zero-width) and separator characters become
    spaces, runs of spaces one space, and the text is cut to ``limit`` characters. Then ``&``,
    ``<``, ``>`` and quotes become HTML character references, and every other ASCII punctuation
    character is backslash-escaped (CommonMark and GitHub Flavored Markdown read it literally),
    so the text cannot open a link, an image, an autolink, emphasis, code, a heading, a list,
    a table or raw HTML.

    >>> print(escape_markdown("[Confirm dose](https://evil.example) <img src=x onerror=alert(1)>"))
    \\[Confirm dose\\]\\(https\\:\\/\\/evil\\.example\\) &lt;img src\\=x onerror\\=alert\\(1\\)&gt;
    >>> escape_markdown("a\\n# b\\u202e", limit=4)
    'a \\\\#…'
    """
    # isprintable() is False exactly for the control, format, surrogate, private-use,
    # unassigned and separator characters (other than the ASCII space).
    if not text.isprintable():
        text = "".join(char if char.isprintable() else " " for char in text)
    if "  " in text or text[:1] == " " or text[-1:] == " ":
        text = _SPACE.sub(" ", text).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text.translate(_ESCAPES)


# --- the detail -------------------------------------------------------------------------------


def _claim_line(claim: Claim) -> str:
    evidence = claim.evidence.value.replace("_", " ")
    return f"- {claim.statement} *({claim.source.title}, {claim.locator}; evidence: {evidence})*"


def _claims_block(claims: Iterable[Claim], lines: Mapping[str, str] | None = None) -> str:
    """The claims a finding cites, as a list; ``lines`` holds each claim's line made before."""
    if lines is None:
        return "**Based on:**\n\n" + "\n".join(_claim_line(claim) for claim in claims)
    return "**Based on:**\n\n" + "\n".join(
        lines.get(claim.id) or _claim_line(claim) for claim in claims
    )


def _detail(head: str, finding: Finding, kb: Knowledge, lines: Mapping[str, str]) -> str:
    parts = [head]
    spec = kb.rules.get(finding.code)
    if spec is not None and finding.severity != spec.severity and spec.when_supervised:
        parts.append(
            f"*Indicator lowered from {spec.severity.value} to {finding.severity.value}: "
            f"{spec.when_supervised.reason}*"
        )
    claims = _claims_block(finding.claims, lines)
    budget = DETAIL_LIMIT - sum(len(part) + 2 for part in parts) - len(claims) - 2
    entries = _entries(finding, budget)
    if entries:
        parts.append(entries)
    parts.append(claims)
    detail = "\n\n".join(parts)
    return detail if len(detail) <= DETAIL_LIMIT else detail[: DETAIL_LIMIT - 1] + "…"


def _entries(finding: Finding, budget: int) -> str:
    header = "**In this record:**\n\n"
    lines: list[str] = []
    used = len(header)
    triggers = finding.triggers
    for shown, trigger in enumerate(triggers):
        line = f"- {FIELD_LABELS.get(trigger.field, 'Entry')}: {escape_markdown(trigger.value)}"
        more = len(triggers) - shown
        # Keep room for the line saying how many were left out.
        if shown == ENTRIES_SHOWN or used + len(line) + 1 + 40 > budget:
            lines.append(f"- and {more} more {'entry' if more == 1 else 'entries'}")
            break
        lines.append(line)
        used += len(line) + 1
    return header + "\n".join(lines) if lines else ""


# --- loading ----------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{([a-z0-9_]+)\}")
_NUMBER = re.compile(r"(?<![\w.{])\d+(?:\.\d+)?(?![\w}]|\.\d)")


def _prose_values(kb: Knowledge) -> dict[str, str]:
    """What a text may name in braces: thresholds and vocabulary lists (as in rules.toml)."""
    values = {name: decimal_text(threshold.value) for name, threshold in kb.thresholds.items()}
    vitamin_k = [i.form for i in kb.ingredients if i.vitamin_k]
    values["vitamin_k_forms"] = ", ".join(form.value for form in vitamin_k)
    values["vitamin_k_foods"] = ", ".join(f.id for f in kb.foods if f.supplies in vitamin_k)
    values["mk7_foods"] = ", ".join(
        f.id for f in kb.foods if f.supplies is not None and f.supplies.value == "MK-7"
    )
    for class_id, drug_class in kb.classes.items():
        names = [s.name for s in kb.substances.values() if s.drug_class == class_id]
        values[f"{class_id}_substances"] = ", ".join(names)
        values[f"{class_id}_atc"] = ", ".join(drug_class.atc_prefixes)
    return values


def _fill(code: str, field: str, text: str, values: Mapping[str, str], kb: Knowledge) -> str:
    numbers = {decimal_text(t.value): name for name, t in kb.thresholds.items()}
    for written in _NUMBER.findall(text):
        if written in numbers:
            raise CardsError(
                f"cards.toml, {code}: {field} writes {written} by hand; write "
                f"{{{numbers[written]}}} so the number comes from thresholds.toml"
            )
    for name in _PLACEHOLDER.findall(text):
        if name not in values:
            raise CardsError(
                f"cards.toml, {code}: {field} names {{{name}}}, which is neither a threshold "
                "nor a vocabulary list"
            )
    return _PLACEHOLDER.sub(lambda match: values[match[1]], text)


def _all_claims(kb: Knowledge, code: str) -> list[Claim]:
    spec = kb.rules[code]
    ids = list(spec.claims)
    for note_ids in getattr(spec, "note_claims", {}).values():
        ids += [claim_id for claim_id in note_ids if claim_id not in ids]
    return [kb.claims[claim_id] for claim_id in ids]


def load_card_texts(kb: Knowledge, text: str | None = None) -> CardTexts:
    """The clinician texts of ``data/cards.toml`` (or of ``text``), checked against ``kb``."""
    try:
        raw = tomllib.loads(read_data("cards.toml") if text is None else text)
        data = _CardsFile.model_validate(raw)
    except (tomllib.TOMLDecodeError, ValidationError) as error:
        raise CardsError(f"cards.toml is malformed: {error}") from None
    if data.version != kb.version:
        raise CardsError(
            f"cards.toml has version {data.version!r}, the other data files {kb.version!r}"
        )
    missing = sorted(set(kb.rules) - set(data.cards))
    stray = sorted(set(data.cards) - set(kb.rules))
    if missing or stray:
        raise CardsError(
            f"cards.toml must have one entry per rule: missing {missing}, naming no rule {stray}"
        )
    codes = [reason.code for reason in data.override_reasons]
    if len(codes) != len(set(codes)):
        raise CardsError("cards.toml: an override reason code is used twice")
    values = _prose_values(kb)
    rules: dict[str, RuleTexts] = {}
    for code in kb.rules:
        entry = data.cards[code]
        summary = _SPACE.sub(" ", _fill(code, "summary", entry.summary, values, kb)).strip()
        detail = _fill(code, "detail", entry.detail, values, kb).strip()
        if len(summary) > SUMMARY_LIMIT:
            raise CardsError(
                f"cards.toml, {code}: the summary has {len(summary)} characters once filled "
                f"in; CDS Hooks allows fewer than {SUMMARY_LIMIT + 1}"
            )
        longest = len(detail) + len(_claims_block(_all_claims(kb, code))) + 300
        if longest + _RESERVED_FOR_ENTRIES > DETAIL_LIMIT:
            raise CardsError(
                f"cards.toml, {code}: the detail with every claim it may cite leaves too little "
                f"of the {DETAIL_LIMIT} characters for the record entries"
            )
        rules[code] = RuleTexts(summary=summary, detail=detail)
    return CardTexts(
        version=data.version,
        topic_system=data.topic_system,
        override_reason_system=data.override_reason_system,
        override_reasons=tuple(
            MappingProxyType(
                {"system": data.override_reason_system, "code": r.code, "display": r.display}
            )
            for r in data.override_reasons
        ),
        rules=MappingProxyType(rules),
        claim_lines=MappingProxyType({cid: _claim_line(c) for cid, c in kb.claims.items()}),
    )


# --- the rule pages the service serves ----------------------------------------------------------


def rule_page(code: str, kb: Knowledge, texts: CardTexts) -> str:
    """A small HTML page about one rule, for the link on its cards (everything escaped)."""
    spec = kb.rules[code]
    rule = texts.rules[code]
    claims = "".join(
        f"<li>{html.escape(claim.statement)} <em>({html.escape(claim.source.title)}, "
        f"{html.escape(claim.locator)}; evidence: "
        f"{html.escape(claim.evidence.value.replace('_', ' '))})</em></li>"
        for claim in _all_claims(kb, code)
    )
    title = html.escape(f"{code}: {spec.title}")
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title></head><body>"
        f"<h1>{title}</h1>"
        f"<p><strong>Indicator:</strong> {html.escape(spec.severity.value)}</p>"
        f"<p><strong>{html.escape(rule.summary)}</strong></p>"
        f"<p>{html.escape(rule.detail)}</p>"
        f"<h2>What the rule checks</h2><p>{html.escape(spec.checks)}</p>"
        f"<h2>Why</h2><p>{html.escape(spec.why)}</p>"
        f"<h2>The claims it may cite</h2><ul>{claims}</ul>"
        f"<p><small>k2safety knowledge base {html.escape(kb.version)}. Informational, not "
        "medical advice.</small></p></body></html>\n"
    )
