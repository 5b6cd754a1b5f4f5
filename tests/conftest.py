"""Shared test configuration: hypothesis settings profiles.

``ci`` (chosen when the ``CI`` environment variable is set, as .ci/run runs) draws 500 examples
per property; ``dev`` (the default) draws 50 so the suite stays quick while iterating.
``HYPOTHESIS_PROFILE=ci`` picks one explicitly; ``mutation`` is scripts/mutation.sh's. No
deadline: a property's first example pays for loading the knowledge base and the unit registry,
which says nothing about the code under test.
Properties that cost much more per example than the rest lower ``max_examples`` themselves,
relative to the profile, with a comment saying why.

Every test starts with empty memos (k2safety._caches): a test then calls every function it
relies on instead of reading a result an earlier test left, which is what mutation testing needs
to know which tests meet which code, and what keeps tests independent of their order.

``pytest --update-fixtures`` rewrites the expected severity, message and triggers of the rule
fixtures (tests/rules/fixtures) from what the rules say now, instead of failing; read every
rewritten expectation before keeping it (see tests/test_rules.py).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

CI_EXAMPLES = 500
DEV_EXAMPLES = 50

settings.register_profile(
    "ci",
    max_examples=CI_EXAMPLES,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=DEV_EXAMPLES, deadline=None)
# scripts/mutation.sh: every mutant must meet the same examples, so a kill is reproducible.
settings.register_profile(
    "mutation", max_examples=20, deadline=None, derandomize=True, database=None
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)


@pytest.fixture(autouse=True)
def _empty_memos() -> None:
    from k2safety._caches import clear_all

    clear_all()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-fixtures",
        action="store_true",
        default=False,
        help="rewrite the expected severity, message and triggers in tests/rules/fixtures "
        "from what the rules say now, instead of failing",
    )
