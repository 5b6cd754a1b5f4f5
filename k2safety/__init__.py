"""k2safety: screen a planned vitamin K2 supplement against medications and habits.

Every finding cites the claims it rests on: what the source says, where, and how strong the
evidence is.

>>> import k2safety
>>> mk7 = {"ingredient": "MK-7", "dose": "0.63 mg", "per": "week"}
>>> report = k2safety.check({"supplements": [mk7]})
>>> report.codes
('K2-D3-PAIRING',)

This is informational software, not medical advice.

How the package is laid out (private modules start with ``_``; the names below are the API):

* The knowledge: ``data/*.toml`` (sources, claims, rules, thresholds, vocabulary, terms), read
  and checked by ``_knowledge``; ``_claims`` holds the public shapes Claim, Source, Evidence,
  Severity; ``_terms`` the Form and Goal enums the rules name.
* One path through :func:`check` (``_engine``): ``_reader`` reads plain JSON entries through
  the functions ``_profile`` defines (the pydantic :class:`Profile`, which explains bad input as a
  :class:`ProfileError`, ``_errors`` and ``_profile_errors``); ``_units`` reads doses exactly
  and ``_matching`` resolves medications (``_text`` folds text for both); ``_normalized`` sums
  and sorts; ``rules/`` decides; ``_report`` and ``_triggers`` hold what comes back.
* ``_caches``: the only caches, bounded memos of pure functions of text.
* Around it: ``_batch`` (:func:`check_many`), ``cli/`` (the ``k2safety`` command), ``_catalog``
  and ``_fixtures`` (the rule catalog, generated from the knowledge base and the rule fixtures),
  ``fhir/`` (profiles from FHIR resources), ``strategies/`` (hypothesis strategies, extra
  ``hypothesis``), ``dask`` (extra ``dask``) and ``service/`` (the CDS Hooks service, extra
  ``service``).
"""

from k2safety._batch import WorkerDied, check_many
from k2safety._claims import Claim, Evidence, Severity, Source
from k2safety._engine import check
from k2safety._errors import ProfileError
from k2safety._matching import Match, MatchedBy
from k2safety._normalized import NormalizedProfile, ResolvedMedication
from k2safety._profile import (
    DoseObject,
    Medication,
    Product,
    ProductRow,
    Profile,
    ServingsRange,
    Supplement,
)
from k2safety._report import Finding, Report
from k2safety._terms import Form, Goal
from k2safety._triggers import Trigger, TriggerField

__version__ = "0.1.0"

__all__ = [
    "Claim",
    "DoseObject",
    "Evidence",
    "Finding",
    "Form",
    "Goal",
    "Match",
    "MatchedBy",
    "Medication",
    "NormalizedProfile",
    "Product",
    "ProductRow",
    "Profile",
    "ProfileError",
    "Report",
    "ResolvedMedication",
    "ServingsRange",
    "Severity",
    "Source",
    "Supplement",
    "Trigger",
    "TriggerField",
    "WorkerDied",
    "__version__",
    "check",
    "check_many",
]
