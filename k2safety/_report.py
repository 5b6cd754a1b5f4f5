"""What :func:`k2safety.check` returns: findings that cite their claims, and the CDS Hooks view."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from k2safety._claims import Claim, Severity
from k2safety._normalized import NormalizedProfile
from k2safety._triggers import Trigger

__all__ = ["Finding", "Report"]

# Fixed forever: changing it would change every card uuid ever issued.
_CARD_NAMESPACE = "6f0c1d2e-8a43-5b7e-9c1f-2d4e6a8b0c13"
_SUMMARY_LIMIT = 139


class Finding(BaseModel):
    """One thing the person should know, with the claims it rests on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    """Stable rule code, e.g. ``K2-VKA``."""
    severity: Severity
    title: str
    message: str
    """Plain language, for the person being screened."""
    claims: tuple[Claim, ...] = Field(min_length=1)
    triggers: tuple[Trigger, ...]


class Report(BaseModel):
    """The result of screening one profile.

    ``findings`` are ordered most severe first, then by code; ``profile`` is the normalized
    profile the rules read (totals per day, resolved medications, unrecognized entries).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    findings: tuple[Finding, ...]
    max_severity: Severity | None
    knowledge_version: str
    profile: NormalizedProfile

    @property
    def codes(self) -> tuple[str, ...]:
        """The codes of the findings, in report order."""
        return tuple(finding.code for finding in self.findings)

    def to_cds_hooks(self) -> dict[str, Any]:
        """The report as a CDS Hooks response, ``{"cards": [...]}``, one card per finding.

        Card uuids are derived from the knowledge-base version, the normalized profile and the
        rule code, so the same profile always gets the same cards.
        """
        import uuid  # only here: most callers never make cards, and it costs at start-up

        namespace = uuid.UUID(_CARD_NAMESPACE)
        identity = f"{self.knowledge_version}\n{self.profile.model_dump_json()}"
        return {
            "cards": [
                _card(finding, str(uuid.uuid5(namespace, f"{identity}\n{finding.code}")))
                for finding in self.findings
            ]
        }


def _card(finding: Finding, card_uuid: str) -> dict[str, Any]:
    sources = {claim.source.id: claim.source for claim in finding.claims}
    primary = next(iter(sources.values()))
    source: dict[str, Any] = {"label": f"k2safety: {primary.title}"}
    if primary.url:
        source["url"] = primary.url
    return {
        "uuid": card_uuid,
        "summary": _summary(finding.title),
        "indicator": finding.severity.value,
        "detail": _detail(finding),
        "source": source,
    }


def _summary(title: str) -> str:
    return title if len(title) <= _SUMMARY_LIMIT else title[: _SUMMARY_LIMIT - 1] + "…"


def _detail(finding: Finding) -> str:
    lines = [finding.message, "", "**Based on:**", ""]
    for claim in finding.claims:
        lines.append(
            f"- {claim.statement} *({claim.source.title}, {claim.locator}; "
            f"evidence: {claim.evidence.value.replace('_', ' ')})*"
        )
    return "\n".join(lines)
