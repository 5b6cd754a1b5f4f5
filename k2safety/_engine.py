"""check(): read the profile, normalize it, run every rule, and assemble the report.

One path: a profile given as JSON is read entry by entry (k2safety._reader); anything that is
not plain, well-formed JSON goes through :meth:`Profile.model_validate`, which explains what is
wrong. Either way the entries are normalized once (k2safety._normalized), each rule's function
gets the parts of the profile it names plus its thresholds, and a message is written only for
a rule that fires.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from k2safety._claims import Claim
from k2safety._knowledge import Knowledge, RuleBinding, knowledge
from k2safety._normalized import Facts, normalize
from k2safety._profile import Profile
from k2safety._reader import NotPlain, entries_of_json, entries_of_profile
from k2safety._report import Finding, Report
from k2safety.rules import Hit

__all__ = ["check", "rule_inputs"]


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
    kb = knowledge()
    if isinstance(profile, Profile):
        entries = entries_of_profile(profile)
    else:
        try:
            entries = entries_of_json(profile)
        except NotPlain:
            entries = entries_of_profile(Profile.model_validate(profile))
    facts, normalized = normalize(*entries, kb)
    findings = [
        _finding(binding, hit, facts)
        for binding in kb.bindings
        if (hit := binding.call(facts)) is not None
    ]
    # Bindings are in code order and sorting is stable: severity first, then code.
    findings.sort(key=_most_severe_first)
    return Report(
        findings=tuple(findings),
        max_severity=findings[0].severity if findings else None,
        knowledge_version=kb.version,
        profile=normalized,
    )


def _finding(binding: RuleBinding, hit: Hit, facts: Facts) -> Finding:
    spec = binding.spec
    severity = spec.severity
    if spec.when_supervised is not None and facts.medical_supervision:
        severity = spec.when_supervised.severity
    message = spec.message.format_map(hit.values)
    claims = binding.claims
    if hit.notes:
        notes = (spec.notes[note].format_map(hit.values) for note in hit.notes)
        message = " ".join((message, *notes))
        claims = _with_note_claims(binding, hit.notes)
    return Finding(
        code=spec.code,
        severity=severity,
        title=spec.title,
        message=message,
        claims=claims,
        triggers=hit.triggers,
    )


def _with_note_claims(binding: RuleBinding, notes: tuple[str, ...]) -> tuple[Claim, ...]:
    """The rule's own claims, then those of each note that applies, in the notes' order, once."""
    extra = [claim for note in notes for claim in binding.note_claims.get(note, ())]
    if not extra:
        return binding.claims
    cited = {claim.id: claim for claim in binding.claims}
    for claim in extra:
        cited.setdefault(claim.id, claim)
    return tuple(cited.values())


def _most_severe_first(finding: Finding) -> int:
    return -finding.severity.rank


def rule_inputs(code: str, kb: Knowledge) -> tuple[str, ...]:
    """The parts of a normalized profile the rule ``code`` reads, by their names in the facts."""
    spec = kb.rules[code]
    downgrade = ("medical_supervision",) if spec.when_supervised is not None else ()
    return tuple(dict.fromkeys((*spec.inputs, *downgrade)))
