"""check(): validate, normalize, run every rule, and assemble the report."""

from __future__ import annotations

import functools
import inspect
import operator
from collections.abc import Mapping
from functools import cache
from typing import Any

from k2safety._claims import Severity
from k2safety._construct import construct
from k2safety._intake import profile_from
from k2safety._knowledge import Knowledge, KnowledgeError, RuleSpec, knowledge
from k2safety._normalized import Facts, normalize
from k2safety._profile import Profile
from k2safety._report import Finding, Report
from k2safety.rules import REGISTRY, Hit, RuleFunction

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
    profile = profile_from(profile)
    kb = knowledge()
    facts = normalize(profile, kb)
    # Rules run in code order, so filing each finding under its severity, most severe first,
    # gives the report's order (severity, then code) without a sort.
    by_severity: tuple[list[Finding], ...] = ([], [], [])
    for bound in _bound_rules(kb):
        inputs = bound.inputs(facts)
        finding = bound.evaluate(inputs) if facts.shared else bound.evaluate_afresh(inputs)
        if finding is not None:
            by_severity[-1 - finding.severity.rank].append(finding)
    findings = (*by_severity[0], *by_severity[1], *by_severity[2])
    return construct(
        Report,
        findings=findings,
        max_severity=findings[0].severity if findings else None,
        knowledge_version=kb.version,
        profile=facts.profile,
    )


_RULE_INPUTS = tuple(name for name in Facts._fields if name not in {"profile", "shared"})
_REMEMBERED = 8192  # findings per rule (for profiles whose parts are shared)


class _BoundRule:
    """A rule's data joined to its function, which is given only the inputs it names.

    A rule is pure and reads only those inputs, so its finding is remembered by them. The parts
    of a profile are shared between profiles and compared by identity, so for most profiles most
    rules cost one lookup.
    """

    def __init__(self, spec: RuleSpec, function: RuleFunction, kb: Knowledge) -> None:
        parameters = tuple(inspect.signature(function).parameters)
        takes = tuple(name for name in parameters if name != "kb")
        if not takes or not set(takes) <= set(_RULE_INPUTS) or "kb" in parameters[:-1]:
            raise KnowledgeError(
                f"rule {spec.code}: parameters {list(parameters)} must name inputs among "
                f"{list(_RULE_INPUTS)}, then 'kb' if it needs the knowledge base"
            )
        downgradable = spec.when_supervised is not None
        reads = (*takes, "medical_supervision") if downgradable else takes
        self.spec = spec
        self.claims = kb.claims_for(spec.claims)
        self.reads = reads
        self.inputs = operator.itemgetter(*(Facts._fields.index(name) for name in reads))
        """Picks this rule's inputs from the facts: one value, or a tuple of several."""
        self.evaluate = functools.lru_cache(maxsize=_REMEMBERED)(self.evaluate_afresh)
        """The finding for those inputs, or ``None``, remembered (for profiles whose parts are
        shared, see :attr:`Facts.shared`)."""
        self._arity = len(takes)
        self._function = functools.partial(function, kb=kb) if "kb" in parameters else function

    def evaluate_afresh(self, inputs: Any) -> Finding | None:
        """The finding for those inputs, or ``None``, worked out now."""
        several = len(self.reads) > 1
        hit: Hit | None = (
            self._function(*inputs[: self._arity]) if several else self._function(inputs)
        )
        if hit is None:
            return None
        spec = self.spec
        severity: Severity = spec.severity
        if spec.when_supervised is not None and inputs[-1]:  # the last input: supervised
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


def rule_inputs(code: str, kb: Knowledge) -> tuple[str, ...]:
    """The parts of a normalized profile the rule ``code`` reads, by their names in the facts."""
    return next(bound.reads for bound in _bound_rules(kb) if bound.spec.code == code)


@cache
def _bound_rules(kb: Knowledge) -> tuple[_BoundRule, ...]:
    """Each rule's data joined to its function; refuses a rule that has only one of the two."""
    missing = sorted(set(kb.rules) - set(REGISTRY))
    unknown = sorted(set(REGISTRY) - set(kb.rules))
    if missing or unknown:
        raise KnowledgeError(
            f"rules without a function: {missing}; functions without data: {unknown}"
        )
    return tuple(_BoundRule(spec, REGISTRY[code], kb) for code, spec in sorted(kb.rules.items()))
