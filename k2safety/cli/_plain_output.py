"""Text output without rich: exactly what rich would print when not writing to a terminal.

Importing rich costs more than some commands take, so the commands most often piped into other
programs (``rules``, ``explain``) write plain text themselves when standard output is not a
terminal. These functions take rich's decisions the way rich takes them (which stream counts
as a terminal, how wide the output is, where a line wraps); ``tests/test_cli.py`` holds them to
rich's output.
"""

from __future__ import annotations

import os
import re
import sys
from typing import IO, Any

__all__ = ["is_terminal", "text_width", "width", "wrap"]

_WORD = re.compile(r"\s*\S+\s*")  # a word with the spaces around it, as rich divides text


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


def width() -> int:
    """The width rich gives its console: ``COLUMNS``, else the first terminal found, else 80."""
    columns = os.environ.get("COLUMNS")
    if columns is not None and columns.isdigit():
        return int(columns)
    # rich asks standard input too, so that `k2safety rules | less` wraps to the terminal.
    descriptors = (1, 2) if sys.platform == "win32" else (0, 1, 2)
    for descriptor in descriptors:
        try:
            return os.get_terminal_size(descriptor).columns or 80
        except (AttributeError, ValueError, OSError):
            continue
    return 80


def text_width(width: int, indent: int) -> int:
    """The width left for text after ``indent``: at least 20, so that a narrow terminal still
    shows whole words."""
    return max(width - indent, 20)


def wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` characters, broken where rich breaks them.

    For text in which every character takes one cell, as the knowledge base's titles do;
    trailing spaces are dropped. A word longer than a line is split across lines.

    >>> wrap("Vitamin K planned while taking a vitamin K antagonist", 20)
    ['Vitamin K planned', 'while taking a', 'vitamin K antagonist']
    """
    lines: list[str] = []
    for paragraph in text.split("\n"):
        breaks = _breaks(paragraph, width)
        bounds = zip([0, *breaks], [*breaks, len(paragraph)], strict=True)
        lines += [paragraph[start:end][:width].rstrip() for start, end in bounds]
    return lines


def _breaks(text: str, width: int) -> list[int]:
    """Where lines start in ``text`` (after the first): rich's ``divide_line``, one cell a
    character."""
    breaks: list[int] = []
    used = 0
    for match in _WORD.finditer(text):
        start, word = match.start(), match.group()
        length = len(word.rstrip())
        if width - used >= length:
            used += len(word)
        elif length > width:
            # Folded: the word's pieces each start a line, and the last one is continued.
            pieces = [word[index : index + width] for index in range(0, len(word), width)]
            for piece in pieces[:-1]:
                if start:
                    breaks.append(start)
                start += len(piece)
            if start:
                breaks.append(start)
            used = len(pieces[-1])
        elif used and start:
            breaks.append(start)
            used = len(word)
    return breaks
