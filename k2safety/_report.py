"""What :func:`k2safety.check` returns: findings that cite their claims, and the CDS Hooks view."""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

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

    screening_complete: bool = True
    """Whether every medication and food was recognized, so that all of them were screened.

    False when any entry is in ``profile.unrecognized_medications`` or
    ``profile.unrecognized_foods``; with vitamin K planned and a medication not recognized, the
    report also holds the warning K2-INCOMPLETE-SCREEN. It is derived from the profile when a
    report is built (a value given that disagrees is refused), and it is in ``model_dump()`` and
    JSON, so a dumped report validates back to an equal one.
    """

    @model_validator(mode="after")
    def _derive_screening_complete(self) -> Self:
        profile = self.profile
        derived = not (profile.unrecognized_medications or profile.unrecognized_foods)
        if self.screening_complete is not derived:
            if "screening_complete" in self.model_fields_set:
                raise ValueError(
                    "screening_complete must be true exactly when the profile has no "
                    "unrecognized medications or foods"
                )
            object.__setattr__(self, "screening_complete", derived)  # frozen: set once, here
        return self

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
