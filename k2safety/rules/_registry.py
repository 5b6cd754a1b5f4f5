"""How a rule is written and registered. Everything else about a rule lives in data/rules.toml.

A rule is a function whose parameters name what it reads: fields of
:class:`~k2safety._normalized.Facts` (``supplements``, ``vitamin_k``, ``medications``,
``drug_classes``, ``foods``, ``unrecognized_foods``, ``goals``, ``conditions``,
``medical_supervision``) and last, if it needs thresholds or labels, ``kb``. It sees nothing
else, so its finding can be remembered by exactly those inputs. Read the narrowest part that
answers the question (``vitamin_k`` rather than ``supplements``): the fewer distinct inputs, the
more often a finding is remembered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import NamedTuple

from k2safety._triggers import Trigger, format_mcg, trigger

__all__ = ["REGISTRY", "Hit", "RuleFunction", "Trigger", "format_mcg", "join", "rule", "trigger"]


_NO_VALUES: Mapping[str, str] = MappingProxyType({})


class Hit(NamedTuple):
    """A rule fired: the values its message needs, what triggered it, and which notes apply."""

    values: Mapping[str, str] = _NO_VALUES
    triggers: tuple[Trigger, ...] = ()
    notes: tuple[str, ...] = ()


RuleFunction = Callable[..., Hit | None]

REGISTRY: dict[str, RuleFunction] = {}


def rule(code: str) -> Callable[[RuleFunction], RuleFunction]:
    """Register ``function`` as the check for the rule ``code`` described in data/rules.toml."""

    def register(function: RuleFunction) -> RuleFunction:
        if code in REGISTRY:
            raise ValueError(f"rule {code} is registered twice")
        REGISTRY[code] = function
        return function

    return register


def join(items: Iterable[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``.

    >>> join(["warfarin"]), join(["MK-7", "natto"]), join(["a", "b", "c"])
    ('warfarin', 'MK-7 and natto', 'a, b and c')
    """
    words = list(items)
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"
