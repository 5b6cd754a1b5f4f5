"""Text output without rich: the decisions rich takes, taken without importing it.

Importing rich costs more than some commands take, so the commands most often piped into other
programs (``rules``, ``explain``) write plain text themselves when standard output is not a
terminal. Whether a stream counts as a terminal is decided here the way rich decides it, and
``tests/test_cli.py`` holds :func:`is_terminal` to rich's answer; :func:`text_width` is the width
rich's wrapping (``_rich_output.print_wrapped``) leaves for text after an indent.
"""

from __future__ import annotations

import os
from typing import IO, Any

__all__ = ["is_terminal", "text_width"]


def is_terminal(stream: IO[Any]) -> bool:
    """Whether rich would treat ``stream`` as a terminal (colour, formatted Markdown).

    As rich does: ``TTY_COMPATIBLE`` of 0 or 1 decides, then a set ``FORCE_COLOR`` (a
    terminal unless it is empty), then whether the stream is a TTY.
    """
    tty_compatible = os.environ.get("TTY_COMPATIBLE", "")
    if tty_compatible in {"0", "1"}:
        return tty_compatible == "1"
    force_color = os.environ.get("FORCE_COLOR")
    if force_color is not None:
        return force_color != ""
    try:
        return stream.isatty()
    except ValueError:  # closed
        return False


def text_width(width: int, indent: int) -> int:
    """The width left for text after ``indent``: at least 20, so that a narrow terminal still
    shows whole words."""
    return max(width - indent, 20)
