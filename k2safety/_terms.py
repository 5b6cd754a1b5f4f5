"""The supplement forms and goals the rules name in code, checked against the knowledge base.

The forms and goals themselves (names, aliases, families, labels) are data in
``k2safety/data/terms.toml``. These enums exist because rules compare against particular members
(``Form.MK7``, ``Goal.REVERSE_CALCIFICATION``); the loader refuses a knowledge base whose forms or
goals differ from them, so the two can never drift apart.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Form", "Goal"]


class Form(StrEnum):
    """A supplement form, by its canonical name (``terms.toml`` gives its aliases)."""

    MK7 = "MK-7"
    MK4 = "MK-4"
    K2 = "K2"
    K1 = "K1"
    D3 = "D3"
    K = "K"
    """Vitamin K whose form is not stated (K1, or K2 as MK-7, MK-4 or another menaquinone)."""
    D2 = "D2"
    D = "D"
    """Vitamin D whose form is not stated (D2 or D3)."""


class Goal(StrEnum):
    """Why the person plans to take K2 (``terms.toml`` gives the words shown for each)."""

    REVERSE_CALCIFICATION = "reverse_calcification"
    PREVENT_CALCIFICATION = "prevent_calcification"
    ARTERIAL_HEALTH = "arterial_health"
    BONE_HEALTH = "bone_health"
