"""check(): validate, normalize, run every rule, and assemble the report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from k2safety._claims import Claim, Severity
from k2safety._construct import construct
from k2safety._knowledge import Knowledge, KnowledgeError, RuleSpec, knowledge
from k2safety._normalized import normalize
from k2safety._profile import Profile
from k2safety._report import Finding, Report
from k2safety.rules import REGISTRY, Hit, RuleFunction

__all__ = ["check"]


def check(profile: Profile | Mapping[str, Any]) -> Report:
    """Screen a profile and return its report.

    ``profile`` is a :class:`Profile` or a mapping of its JSON form, which is validated first;
    invalid input raises :class:`ProfileError` naming the field.

    >>> report = check({
    ...     "medications": ["Coumadin 5 mg"],
    ...     "supplements": [{"ingredient": "MK-7", "dose": "180 mcg"}],
    ... })
    >>> report.max_severity.value, report.findings[0].code
    ('critical', 'K2-VKA')
    >>> report.findings[0].claims[0].source.title[:33]
    'Does K2 Get Rid of Calcification?'
    """
    if not isinstance(profile, Profile):
        profile = Profile.model_validate(profile)
    kb = knowledge()
    normalized = normalize(profile, kb)
    # Rules run in code order, so filing each finding under its severity, most severe first,
    # gives the report's order (severity, then code) without a sort.
    by_severity: tuple[list[Finding], ...] = ([], [], [])
    for bound in _bound_rules(kb):
        hit = bound.function(normalized, kb)
        if hit is not None:
            finding = bound.finding(hit, supervised=normalized.medical_supervision)
            by_severity[-1 - finding.severity.rank].append(finding)
    findings = (*by_severity[0], *by_severity[1], *by_severity[2])
    return construct(
        Report,
        findings=findings,
        max_severity=findings[0].severity if findings else None,
        knowledge_version=kb.version,
        profile=normalized,
    )


@dataclass(frozen=True, slots=True)
class _BoundRule:
    spec: RuleSpec
    function: RuleFunction
    claims: tuple[Claim, ...]

    def finding(self, hit: Hit, *, supervised: bool) -> Finding:
        spec = self.spec
        severity: Severity = spec.severity
        if supervised and spec.when_supervised is not None:
            severity = spec.when_supervised.severity
        message = spec.message.format_map(hit.values)
        if hit.notes:
            notes = (spec.notes[note].format_map(hit.values) for note in hit.notes)
            message = " ".join((message, *notes))
        return construct(
            Finding,
            code=spec.code,
            severity=severity,
            title=spec.title,
            message=message,
            claims=self.claims,
            triggers=hit.triggers,
        )


@cache
def _bound_rules(kb: Knowledge) -> tuple[_BoundRule, ...]:
    """Each rule's data joined to its function; refuses a rule that has only one of the two."""
    missing = sorted(set(kb.rules) - set(REGISTRY))
    unknown = sorted(set(REGISTRY) - set(kb.rules))
    if missing or unknown:
        raise KnowledgeError(
            f"rules without a function: {missing}; functions without data: {unknown}"
        )
    return tuple(
        _BoundRule(spec=spec, function=REGISTRY[code], claims=kb.claims_for(spec.claims))
        for code, spec in sorted(kb.rules.items())
    )
