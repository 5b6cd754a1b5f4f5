"""The rules: one module per concern, each rule a small pure function over a normalized profile.

A rule's code, severity, claims, explanation and message live in ``k2safety/data/rules.toml``;
the function registered here under the same code only decides whether the rule fires and with
what values. Importing this package registers every rule.
"""

from k2safety.rules import anticoagulants, consultation, doses, expectations, forms, pairing
from k2safety.rules._registry import REGISTRY, Hit, RuleFunction

__all__ = ["REGISTRY", "Hit", "RuleFunction"]

_MODULES = (anticoagulants, consultation, doses, expectations, forms, pairing)
