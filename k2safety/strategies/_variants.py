"""Writing the same text another way (case, whitespace), and the JSON shape the strategies draw.

Shared by the other private modules; nothing here is public.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

__all__ = ["EDGE_SPACES", "JSON", "case_variant", "written"]

JSON = dict[str, Any]

_SPACES = (" ", "  ", "\t", "\u00a0")
EDGE_SPACES = ("", " ", "  ", "\t", "\n", "\u00a0")


@st.composite
def case_variant(draw: st.DrawFn, text: str) -> str:
    style = draw(st.sampled_from(("as is", "lower", "upper", "title", "mixed")))
    if style == "mixed":
        flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
        return "".join(c.swapcase() if flip else c for c, flip in zip(text, flips, strict=True))
    variants: dict[str, Callable[[str], str]] = {
        "as is": str,
        "lower": str.lower,
        "upper": str.upper,
        "title": str.title,
    }
    return variants[style](text)


@st.composite
def _spacing_variant(draw: st.DrawFn, text: str) -> str:
    words = text.split(" ")
    spaced = words[0]
    for word in words[1:]:
        spaced += draw(st.sampled_from(_SPACES)) + word
    return draw(st.sampled_from(EDGE_SPACES)) + spaced + draw(st.sampled_from(EDGE_SPACES))


def written(text: str) -> st.SearchStrategy[str]:
    """``text`` with its case and whitespace changed; shrinks toward ``text`` itself."""
    return case_variant(text).flatmap(_spacing_variant)
