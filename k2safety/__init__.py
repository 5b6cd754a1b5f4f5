"""k2safety: screen a planned vitamin K2 supplement against medications and habits.

Every finding cites the claims it rests on: what the source says, where, and how strong the
evidence is.

>>> import k2safety
>>> mk7 = {"ingredient": "MK-7", "dose": "0.63 mg", "per": "week"}
>>> report = k2safety.check({"supplements": [mk7]})
>>> report.codes
('K2-D3-PAIRING',)

This is informational software, not medical advice.
"""

from k2safety._batch import WorkerDied, check_many
from k2safety._claims import Claim, Evidence, Severity, Source
from k2safety._engine import check
from k2safety._errors import ProfileError
from k2safety._profile import Profile
from k2safety._report import Finding, Report

__version__ = "0.1.0"

__all__ = [
    "Claim",
    "Evidence",
    "Finding",
    "Profile",
    "ProfileError",
    "Report",
    "Severity",
    "Source",
    "WorkerDied",
    "__version__",
    "check",
    "check_many",
]
