"""Hypothesis strategies for testing code that uses k2safety, in the style of ``hypothesis.extra``.

Each strategy generates the JSON form of its input (plain dicts, lists, text and numbers), the
form an app receives from a form or an API, so the values can be passed to
:func:`k2safety.check` or :meth:`k2safety.Profile.model_validate` as they are:

>>> from hypothesis import given
>>> import k2safety
>>> from k2safety import strategies as k2st
>>> @given(k2st.profiles(with_vka=True, with_vitamin_k=True, supervised=False))
... def test_vka_users_get_a_critical_finding(profile):
...     assert k2safety.check(profile).max_severity is k2safety.Severity.CRITICAL
>>> test_vka_users_get_a_critical_finding()

Names, codes, ingredients, foods and goals are taken from the packaged knowledge base, so the
strategies follow the vocabulary as it grows. With the package installed, ``st.from_type(
k2safety.Profile)`` also works: a hypothesis plugin registers ``profiles()`` for the type.

Hypothesis is an optional dependency (``pip install 'k2safety[hypothesis]'``): the library itself
screens profiles in apps and services where a test framework has no business, so only the
projects that test with it pay for it. Importing this module without hypothesis raises an
:class:`ImportError` that says how to install it.
"""

from __future__ import annotations

# Hypothesis is checked for here, before any private module imports it: importing one of them
# imports this package first.
try:
    import hypothesis  # noqa: F401
except ImportError as error:  # pragma: no cover - tested in a subprocess without hypothesis
    raise ImportError(
        "k2safety.strategies needs hypothesis; install it with: pip install 'k2safety[hypothesis]'"
    ) from error

# The strategies live in private modules, one concern each; this module only names them.
#   _variants     case and whitespace variants of a text, shared by the others
#   _medications  medications(), vka_medications(): vocabulary names, codes, misspellings
#   _doses        daily_amounts(), doses(): exact amounts and every exact way to write one
#   _profiles     supplements(), products(), profiles(): ingredients, foods, goals, conditions,
#                 products, profiles
#   _invalid      invalid_doses(), invalid_profiles(): input the library must reject
from k2safety.strategies._doses import Amount as Amount
from k2safety.strategies._doses import daily_amounts, doses
from k2safety.strategies._invalid import invalid_doses, invalid_profiles
from k2safety.strategies._medications import DrugKind as DrugKind
from k2safety.strategies._medications import medications, vka_medications
from k2safety.strategies._profiles import products, profiles, supplements
from k2safety.strategies._variants import JSON as JSON

__all__ = [
    "daily_amounts",
    "doses",
    "invalid_doses",
    "invalid_profiles",
    "medications",
    "products",
    "profiles",
    "supplements",
    "vka_medications",
]
