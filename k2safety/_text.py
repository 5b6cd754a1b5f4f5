"""How text from a profile is compared with the vocabulary: one folding, one word splitting.

Every lookup of a person's words (ingredients, goals, foods, medication names) goes through
:func:`fold`, so "MK_7", "mk-7" and "MK 7" (also in full-width letters) are the same term.
Medication names are free text ("Warfarin Sodium 5mg tablet"); :func:`words` picks the words out
of the folded text.
"""

from __future__ import annotations

import re
import unicodedata

from k2safety._caches import text_memo

__all__ = ["fold", "words"]

_SEPARATORS = re.compile(r"[\s_\-]+")
_WORDS = re.compile(r"[^\W\d_]+")


def fold(text: str) -> str:
    """Compatibility-normalized, case-folded, separators ("-", "_", spaces) as one space.

    >>> fold("  Vitamin_K2  MK-7 "), fold("\uff2d\uff2b\uff0d\uff17")  # full-width "MK-7"
    ('vitamin k2 mk 7', 'mk 7')
    """
    return _folded(text)


def _fold_uncached(text: str) -> str:
    return _SEPARATORS.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


_folded = text_memo("folded term", _fold_uncached)


def words(text: str) -> list[str]:
    """The runs of letters in ``text``, folded: digits, dosage and punctuation fall away.

    >>> words("Warfarin Sodium 5mg tablet")
    ['warfarin', 'sodium', 'mg', 'tablet']
    """
    return _WORDS.findall(unicodedata.normalize("NFKC", text).casefold())
