"""Text output through rich: colour on a terminal, wrapping with hanging indents everywhere.

Only the commands that render text import this module, and only when they render it, so that
JSON output never pays for importing rich.
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from k2safety import Claim, Severity
from k2safety.cli._io import stop_on_broken_pipe
from k2safety.cli._plain_output import text_width

__all__ = ["SEVERITY_STYLES", "console", "evidence", "print_wrapped"]

SEVERITY_STYLES = {
    Severity.CRITICAL: "bold red",
    Severity.WARNING: "bold yellow",
    Severity.INFO: "bold cyan",
}


class _Console(Console):
    def on_broken_pipe(self) -> None:
        # rich exits 1 here, which would read as "a warning was found".
        stop_on_broken_pipe()


def console() -> Console:
    """Colour on a terminal, plain text otherwise (rich also honours NO_COLOR and FORCE_COLOR)."""
    return _Console(highlight=False, markup=False, emoji=False)


def print_wrapped(
    console: Console, text: Text, *, indent: int, first_prefix: Text | str | None = None
) -> None:
    """Print text wrapped to the console with a hanging indent and no trailing spaces.

    The first line starts with ``first_prefix`` (default: the indent), which should be no
    wider than the indent.
    """
    lines = text.wrap(console, text_width(console.width, indent))
    for number, line in enumerate(lines):
        line.rstrip()
        prefix = " " * indent if number or first_prefix is None else first_prefix
        console.print(Text.assemble(prefix, line), soft_wrap=True)


def evidence(claim: Claim) -> str:
    """A claim's evidence level as words: ``expert recommendation``."""
    return claim.evidence.value.replace("_", " ")
