"""The ``k2safety`` command: screen profiles from a file or stdin, and browse the knowledge base.

Only the ``k2safety`` entry point and ``python -m k2safety`` import this package; nothing in
``import k2safety`` does. Its modules, each imported only by those listed before it:

* this module: the parser, :func:`main`, and the usage errors and ``--version`` they share;
* ``_check``: ``check``, one profile as text, JSON or CDS Hooks;
* ``_batch``: ``batch``, a JSON Lines file of profiles, streamed;
* ``_knowledge_base``: ``rules``, ``explain``, ``claims`` and ``schema``;
* ``_serve`` and ``_feedback``: ``serve`` (the CDS Hooks service) and ``feedback list``, which
  import :mod:`k2safety.service` (extra ``service``) only when run;
* ``_rich_output``: text through rich, imported only by a command that renders text;
* ``_plain_output``: whether rich would see a terminal, for the commands that skip rich on a
  pipe;
* ``_io``: JSON input from a file or stdin, JSON and text output, a closed pipe and a full
  disk, for every command;
* ``_exit``: :class:`ExitStatus`, from which the help texts and the docs' tables are generated.

Each command module's ``register(subparsers)`` adds its commands, giving each parser a
``handler``: a function of the parsed arguments that does the work and returns the exit status.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, cast

import k2safety
from k2safety.cli import _batch, _check, _feedback, _knowledge_base, _serve
from k2safety.cli._exit import ExitStatus
from k2safety.cli._io import output_errors_exit

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]

__all__ = ["ExitStatus", "Handler", "build_parser", "main"]

Handler = Callable[[argparse.Namespace], int]
"""What a command's parser holds as ``handler``: does the work, returns the exit status."""


class _Parser(argparse.ArgumentParser):
    """argparse, except that a usage error exits 4 (argparse's 2 means "critical" here), and
    that help which cannot be written exits 74, as any output that cannot be written does."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(ExitStatus.USAGE, f"{self.prog}: error: {message}\n")

    def print_help(self, file: SupportsWrite[str] | None = None) -> None:
        if file is not None:
            super().print_help(file)
            return
        # argparse ignores an error writing the help: a full disk must not read as success.
        with output_errors_exit():
            sys.stdout.write(self.format_help())


class _VersionAction(argparse.Action):
    """Prints the package and knowledge-base versions; the knowledge base is read only if asked."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help=kwargs.get("help"))

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> NoReturn:
        from k2safety._knowledge import knowledge

        with output_errors_exit():
            print(f"k2safety {k2safety.__version__} (knowledge base {knowledge().version})")
        parser.exit(ExitStatus.OK)


def build_parser() -> argparse.ArgumentParser:
    """The parser with every command registered."""
    parser = _Parser(
        prog="k2safety",
        description="Screen a planned vitamin K2 supplement against medications, foods and "
        "goals. Informational, not medical advice.",
        epilog="Run 'k2safety COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action=_VersionAction, help="print the versions and exit")
    # Typed as plain ArgumentParser subparsers, which is all a register function needs to know.
    subparsers = cast(
        "Subparsers",
        parser.add_subparsers(title="commands", metavar="COMMAND", required=True),
    )
    # In the order --help lists them.
    for register in (
        _check.register,
        _knowledge_base.register,
        _batch.register,
        _serve.register,
        _feedback.register,
    ):
        register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    for stream in (sys.stdout, sys.stderr):
        # Text output must not crash where the terminal cannot show a locator's arrow; JSON
        # output is written as UTF-8 bytes and does not go through this.
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="replace")
    try:
        args = build_parser().parse_args(argv)
    except SystemExit:
        with output_errors_exit():  # --help, written by argparse: flushed where it can fail
            pass
        raise
    handler: Handler = args.handler
    status = handler(args)
    with output_errors_exit():  # anything a command left unflushed
        pass
    return status
