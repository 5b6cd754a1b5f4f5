"""Claims, their sources, and how strong the evidence is: the public shapes of the knowledge."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = ["Claim", "Evidence", "Severity", "Source"]


class Severity(StrEnum):
    """How much a finding matters, ordered ``INFO < WARNING < CRITICAL``.

    The values are the words CDS Hooks uses for a card's indicator.

    >>> Severity.INFO < Severity.WARNING < Severity.CRITICAL
    True
    >>> max([Severity.WARNING, Severity.CRITICAL, Severity.INFO]).value
    'critical'
    """

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """0 for info, 1 for warning, 2 for critical."""
        return _RANKS[self]

    def __lt__(self, other: Any) -> bool:
        if isinstance(other, Severity):
            return self.rank < other.rank
        return NotImplemented

    def __le__(self, other: Any) -> bool:
        if isinstance(other, Severity):
            return self.rank <= other.rank
        return NotImplemented

    def __gt__(self, other: Any) -> bool:
        if isinstance(other, Severity):
            return self.rank > other.rank
        return NotImplemented

    def __ge__(self, other: Any) -> bool:
        if isinstance(other, Severity):
            return self.rank >= other.rank
        return NotImplemented

    __hash__ = StrEnum.__hash__


_RANKS = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


class Evidence(StrEnum):
    """What kind of support a claim has, from the study type down to a plain reference fact."""

    HUMAN_TRIAL = "human_trial"
    OBSERVATIONAL = "observational"
    ANIMAL = "animal"
    MECHANISM = "mechanism"
    EXPERT_RECOMMENDATION = "expert_recommendation"
    REFERENCE_FACT = "reference_fact"


class Source(BaseModel):
    """A document claims are taken from. Fields are blank where the project does not know them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    title: str
    kind: str
    author: str | None = None
    publisher: str | None = None
    year: int | None = None
    url: str | None = None
    note: str | None = None


class Claim(BaseModel):
    """One thing a source says, in the project's own words, and where the source says it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    statement: str
    source: Source
    locator: str
    evidence: Evidence
    background: bool = False
