"""Hypothesis plugin: ``st.from_type(k2safety.Profile)`` draws from :func:`strategies.profiles`.

Hypothesis calls :func:`_hypothesis_setup_hook` on every ``import hypothesis`` in an environment
where k2safety is installed (the ``hypothesis`` entry point in pyproject.toml), so it must stay
cheap. Loading this module imports the ``k2safety`` package, as importing any submodule does
(about 75 ms, most of it pydantic); the hook itself only registers a function, which imports
``k2safety.strategies`` the first time ``from_type`` asks for a profile. A ``st.deferred``
strategy would not be lazy here: registering a strategy evaluates it to check it is not empty.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from k2safety._profile import Profile

__all__ = ["_hypothesis_setup_hook"]


def _hypothesis_setup_hook() -> None:
    from hypothesis import strategies as st

    from k2safety._profile import Profile

    st.register_type_strategy(Profile, _validated_profiles)


def _validated_profiles(profile_type: type[Profile]) -> SearchStrategy[Profile]:
    from k2safety.strategies import profiles

    return profiles().map(profile_type.model_validate)
