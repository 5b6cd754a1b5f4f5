"""The ``k2safety`` command's exit statuses: the one place that says what each one means.

The help texts and the exit-status tables in the docs are generated from :class:`ExitStatus`,
so a status and its meaning are written once. ``tests/test_cli.py`` fails if a table in the docs
differs from :func:`exit_status_table`, and rewrites them when run with
``K2SAFETY_UPDATE_DOCS=1``.
"""

from __future__ import annotations

import argparse
import textwrap
from enum import IntEnum
from typing import Self

from k2safety import Severity

__all__ = [
    "FAIL_ON",
    "ExitStatus",
    "HelpFormatter",
    "exit_status",
    "exit_status_help",
    "exit_status_table",
]

FAIL_ON = ("info", "warning", "critical", "never")
"""The choices of ``--fail-on``: a severity, or never fail on findings."""


class ExitStatus(IntEnum):
    """What the ``k2safety`` command exits with; ``meaning`` is Markdown, one sentence or two.

    ``only`` names the one command that can exit with a status, if only one can.
    """

    meaning: str
    only: str | None

    def __new__(cls, value: int, meaning: str, only: str | None = None) -> Self:
        member = int.__new__(cls, value)
        member._value_ = value
        member.meaning = meaning
        member.only = only
        return member

    OK = (
        0,
        "Success: for `check` and `batch`, no finding at or above `--fail-on` (with "
        "`--fail-on never`: any input that can be screened).",
    )
    WARNING = 1, "A finding at or above `--fail-on`, none of them critical."
    CRITICAL = 2, "A critical finding, and `--fail-on` is not `never`."
    BAD_INPUT = (
        3,
        "The input cannot be screened: a file cannot be read, or the profile (for `batch`, any "
        "line) is not UTF-8 JSON or not a valid profile (with `--fhir`, a resource that cannot "
        "be read); for `batch --fhir`, also a patient's lines interleaved with another's "
        "without `--any-order`. Standard error says why. For `batch` this outranks 1 and 2.",
    )
    USAGE = (
        4,
        "Usage error: an unknown command or option, a missing argument, an unknown rule "
        "code for `explain`, or for `batch` an output that is the input file (refused before "
        "anything is written).",
    )
    # Not 1, which would read as "a warning was found".
    BUG = (
        70,
        "An unexpected error, a bug in k2safety (`EX_SOFTWARE`): the traceback is on standard "
        "error and the output holds every line before the one that failed.",
        "batch",
    )
    IO_ERROR = (
        74,
        "The output cannot be written: it cannot be opened, or writing fails, as on a full "
        "disk (`EX_IOERR`); standard error says why in one line. For `batch` an output file "
        "then holds whole lines only, those before the failure.",
    )
    # 128 + the signal's number, as shells report a command the signal stopped.
    INTERRUPTED = (
        130,
        "Interrupted with Ctrl-C (128 + SIGINT); the output holds whole lines up to that point.",
        "batch",
    )
    BROKEN_PIPE = (
        141,
        "Standard output was closed before everything was written, as when the output is "
        "piped into `head` (128 + SIGPIPE).",
    )

    @classmethod
    def of(cls, command: str | None = None) -> tuple[ExitStatus, ...]:
        """The statuses ``command`` can exit with (``None``: every status), in order."""
        return tuple(status for status in cls if command is None or status.only in {None, command})


def exit_status(severity: Severity | None, fail_on: str) -> ExitStatus:
    """What ``check`` exits with for a report whose most severe finding is ``severity``.

    >>> exit_status(Severity.WARNING, "warning"), exit_status(Severity.CRITICAL, "warning")
    (<ExitStatus.WARNING: 1>, <ExitStatus.CRITICAL: 2>)
    >>> exit_status(Severity.INFO, "warning"), exit_status(None, "info")
    (<ExitStatus.OK: 0>, <ExitStatus.OK: 0>)
    >>> exit_status(Severity.INFO, "info"), exit_status(Severity.CRITICAL, "never")
    (<ExitStatus.WARNING: 1>, <ExitStatus.OK: 0>)
    """
    if severity is None or fail_on == "never" or severity < Severity(fail_on):
        return ExitStatus.OK
    return ExitStatus.CRITICAL if severity is Severity.CRITICAL else ExitStatus.WARNING


def exit_status_table(command: str | None = None) -> str:
    """The Markdown table of the statuses ``command`` can exit with (``None``: all of them).

    >>> print(exit_status_table("batch").splitlines()[3])
    | 1 | A finding at or above `--fail-on`, none of them critical. |
    """
    rows = ["| Status | Meaning |", "| --- | --- |"]
    for status in ExitStatus.of(command):
        meaning = status.meaning
        if status.only and command is None:
            meaning = f"`{status.only}` only: {meaning[0].lower()}{meaning[1:]}"
        rows.append(f"| {status.value} | {meaning} |")
    return "\n".join(rows) + "\n"


_HELP_HEADING = "exit status:"


def exit_status_help(command: str) -> str:
    """The epilog of ``command``'s help: its statuses, laid out by :class:`HelpFormatter`."""
    # As text, one status a line: argparse hands its formatter nothing but the epilog's text.
    lines = [_HELP_HEADING]
    lines += [
        f"{status.value} {status.meaning.replace('`', '')}" for status in ExitStatus.of(command)
    ]
    return "\n".join(lines)


class HelpFormatter(argparse.HelpFormatter):
    """argparse's help layout, except that the exit statuses are listed one a line."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if not text.startswith(_HELP_HEADING):
            return super()._fill_text(text, width, indent)
        heading, *rows = text.splitlines()
        lines = [indent + heading]
        for row in rows:
            value, meaning = row.split(" ", 1)
            first = f"{indent}  {value:<5}"
            lines.append(
                textwrap.fill(
                    meaning,
                    width,
                    initial_indent=first,
                    subsequent_indent=" " * len(first),
                    break_on_hyphens=False,  # never "--fail-" at a line's end
                )
            )
        return "\n".join(lines)
