"""The rules: one module per concern, each rule a small pure function over a normalized profile.

A rule's code, severity, claims, explanation and message live in ``k2safety/data/rules.toml``,
whose ``function`` names the function here that decides whether the rule fires and with what
values. The loader refuses a function that no rule names, and a rule whose function is missing.
"""

from k2safety.rules import anticoagulants, consultation, doses, expectations, forms, pairing
from k2safety.rules._hit import Hit

__all__ = ["MODULES", "Hit"]

MODULES = (anticoagulants, consultation, doses, expectations, forms, pairing)
