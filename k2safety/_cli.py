"""The ``k2safety`` command: screen a profile from a file or stdin, and browse the knowledge base.

Each subcommand is added by a ``register(subparsers)`` function that gives its parser a
``handler``: a function of the parsed arguments that does the work and returns the exit status.
Only the ``k2safety`` entry point and ``python -m k2safety`` import this module.

Exit status: 0 nothing at or above ``--fail-on`` (default ``warning``), 1 a finding at that level
or above but none critical, 2 a critical finding, 3 input that cannot be screened (unreadable,
not JSON, or an invalid profile), 4 a usage error such as an unknown option or rule code, 141
standard output closed early (as when piped into ``head``).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, cast

from rich.console import Console
from rich.markdown import Markdown
from rich.text import Text

import k2safety
from k2safety._batch_cli import register as register_batch
from k2safety._catalog import rule_markdown
from k2safety._claims import Claim, Severity
from k2safety._knowledge import knowledge
from k2safety._report import Report

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_BROKEN_PIPE",
    "EXIT_CRITICAL",
    "EXIT_OK",
    "EXIT_USAGE",
    "EXIT_WARNING",
    "Handler",
    "build_parser",
    "exit_status",
    "main",
]

EXIT_OK = 0
EXIT_WARNING = 1
EXIT_CRITICAL = 2
EXIT_BAD_INPUT = 3
EXIT_USAGE = 4
EXIT_BROKEN_PIPE = 141
"""Standard output was closed early (e.g. piped into ``head``); 128 + SIGPIPE, as shells use."""

Handler = Callable[[argparse.Namespace], int]
"""What a subcommand's parser holds as ``handler``: does the work, returns the exit status."""

if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]
    Registrar = Callable[[Subparsers], None]

_SEVERITY_STYLES = {
    Severity.CRITICAL: "bold red",
    Severity.WARNING: "bold yellow",
    Severity.INFO: "bold cyan",
}
_FAIL_ON = ("info", "warning", "critical", "never")


class _Parser(argparse.ArgumentParser):
    """argparse, except that a usage error exits 4: argparse's 2 means "critical" here."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


class _VersionAction(argparse.Action):
    """Prints the package and knowledge-base versions; the knowledge base is read only if asked."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help=kwargs.get("help"))

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> NoReturn:
        print(f"k2safety {k2safety.__version__} (knowledge base {knowledge().version})")
        parser.exit(EXIT_OK)


def build_parser() -> argparse.ArgumentParser:
    """The parser with every subcommand registered."""
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
    for register in _registrars():
        register(subparsers)
    return parser


def _registrars() -> tuple[Registrar, ...]:
    """Every subcommand's register function, in the order ``--help`` lists them."""
    return (
        _register_check,
        _register_rules,
        _register_explain,
        _register_claims,
        _register_schema,
        register_batch,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    for stream in (sys.stdout, sys.stderr):
        # Text output must not crash where the terminal cannot show a locator's arrow; JSON
        # output is written as UTF-8 bytes and does not go through this.
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="replace")
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    return handler(args)


# --- check -----------------------------------------------------------------------------------


def _register_check(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "check",
        help="screen a profile and print the report",
        description="Screen a profile (JSON) and print the report. Informational, not medical "
        "advice.",
        epilog="exit status: 0 nothing at or above --fail-on; 1 a finding at or above it, none "
        "critical; 2 a critical finding; 3 the input cannot be screened (unreadable, not JSON, "
        "invalid profile); 4 usage error; 141 output closed early.",
    )
    parser.add_argument(
        "file",
        nargs="?",
        default="-",
        metavar="FILE",
        help="the profile as JSON; '-' or nothing reads standard input",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json", "cds-hooks"),
        default="text",
        help="text for a person (the default), json for the whole report, cds-hooks for a "
        "CDS Hooks response with one card per finding",
    )
    parser.add_argument(
        "--fail-on",
        choices=_FAIL_ON,
        default="warning",
        help="the lowest severity that makes the exit status non-zero (default: warning); "
        "'never' exits 0 for any valid profile",
    )
    parser.set_defaults(handler=_check)


def _check(args: argparse.Namespace) -> int:
    name = "<stdin>" if args.file == "-" else args.file
    try:
        report = k2safety.check(_read_json(args.file))
    except (_InputError, k2safety.ProfileError) as error:
        print(f"k2safety: {name}: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.format == "json":
        _write_json(report.model_dump(mode="json"))
    elif args.format == "cds-hooks":
        _write_json(report.to_cds_hooks())
    else:
        _print_report(report, _console())
    return exit_status(report.max_severity, args.fail_on)


def exit_status(severity: Severity | None, fail_on: str) -> int:
    """What ``check`` exits with for a report whose most severe finding is ``severity``.

    >>> exit_status(Severity.WARNING, "warning"), exit_status(Severity.CRITICAL, "warning")
    (1, 2)
    >>> exit_status(Severity.INFO, "warning"), exit_status(None, "info")
    (0, 0)
    >>> exit_status(Severity.INFO, "info"), exit_status(Severity.CRITICAL, "never")
    (1, 0)
    """
    if severity is None or fail_on == "never" or severity < Severity(fail_on):
        return EXIT_OK
    return EXIT_CRITICAL if severity is Severity.CRITICAL else EXIT_WARNING


class _InputError(Exception):
    """The input is not a JSON document that could be read."""


def _read_json(file: str) -> Any:
    try:
        data = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as error:
        raise _InputError(f"cannot read the file: {error.strerror or error}") from None
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise _InputError("not UTF-8 text; a profile is a JSON document") from None
    except json.JSONDecodeError as error:
        raise _InputError(
            f"not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        ) from None
    except RecursionError:
        raise _InputError("not valid JSON: nested too deeply") from None


def _write_json(document: Any) -> None:
    # JSON is UTF-8 whatever the terminal's encoding, so write bytes.
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    try:
        sys.stdout.flush()
        sys.stdout.buffer.write(text.encode("utf-8"))
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        _stop_on_broken_pipe()


class _Console(Console):
    def on_broken_pipe(self) -> None:
        # rich exits 1 here, which would read as "a warning was found".
        _stop_on_broken_pipe()


def _stop_on_broken_pipe() -> NoReturn:
    # Point stdout at devnull so that flushing it at exit cannot fail a second time.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    raise SystemExit(EXIT_BROKEN_PIPE)


def _console() -> Console:
    """Colour on a terminal, plain text otherwise (rich also honours NO_COLOR and FORCE_COLOR)."""
    return _Console(highlight=False, markup=False, emoji=False)


def _print_report(report: Report, console: Console) -> None:
    count = len(report.findings)
    if report.max_severity is None:
        summary = Text("No findings.")
    else:
        summary = Text(f"{count} finding{'s' if count != 1 else ''}, the most severe: ")
        summary.append(report.max_severity.value, style=_SEVERITY_STYLES[report.max_severity])
    console.print(summary)
    for finding in report.findings:
        console.print()
        heading = Text()
        heading.append(finding.severity.value.upper(), style=_SEVERITY_STYLES[finding.severity])
        heading.append(f"  {finding.code}", style="bold")
        heading.append(f"  {finding.title}")
        _print_wrapped(console, heading, indent=2, first_prefix="")
        _print_wrapped(console, Text(finding.message), indent=2)
        _print_wrapped(console, Text("Based on:", style="bold"), indent=2)
        for claim in finding.claims:
            text = Text(claim.statement)
            text.append(f"\nSource: {claim.source.title}, {claim.locator}; ", style="dim")
            text.append(f"evidence: {_evidence(claim)}.", style="dim")
            _print_wrapped(console, text, indent=4, first_prefix="  - ")
    console.print()
    footer = Text(
        f"Knowledge base {report.knowledge_version}. Informational, not medical advice: talk to "
        "your doctor or pharmacist.",
        style="dim",
    )
    _print_wrapped(console, footer, indent=0)


def _print_wrapped(
    console: Console, text: Text, *, indent: int, first_prefix: Text | str | None = None
) -> None:
    """Print text wrapped to the console with a hanging indent and no trailing spaces.

    The first line starts with ``first_prefix`` (default: the indent), which should be no
    wider than the indent.
    """
    width = max(console.width - indent, 20)
    for number, line in enumerate(text.wrap(console, width)):
        line.rstrip()
        prefix = " " * indent if number or first_prefix is None else first_prefix
        console.print(Text.assemble(prefix, line), soft_wrap=True)


def _evidence(claim: Claim) -> str:
    return claim.evidence.value.replace("_", " ")


# --- the knowledge base ----------------------------------------------------------------------


def _register_rules(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "rules",
        help="list the rules: code, severity, title",
        description="List the rules of the knowledge base: code, severity, title.",
    )
    parser.set_defaults(handler=_rules)


def _rules(args: argparse.Namespace) -> int:
    rules = knowledge().rules
    code_width = max(len(code) for code in rules) + 2
    severity_width = max(len(severity.value) for severity in Severity) + 2
    console = _console()
    for code, spec in rules.items():
        columns = Text(code.ljust(code_width), style="bold")
        severity = spec.severity
        columns.append(severity.value.ljust(severity_width), style=_SEVERITY_STYLES[severity])
        _print_wrapped(console, Text(spec.title), indent=len(columns), first_prefix=columns)
    return EXIT_OK


def _register_explain(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "explain",
        help="print one rule in full, with its claims",
        description="Print one rule in full: what it checks, why, what it says, its thresholds "
        "and the claims it rests on.",
    )
    parser.add_argument("code", metavar="CODE", help="a rule code such as K2-VKA")
    parser.set_defaults(handler=_explain)


def _explain(args: argparse.Namespace) -> int:
    kb = knowledge()
    code = args.code.strip().upper()
    if code not in kb.rules:
        known = ", ".join(kb.rules)
        print(f"k2safety: unknown rule code {args.code!r}; known codes: {known}", file=sys.stderr)
        return EXIT_USAGE
    page = rule_markdown(kb.rules[code], kb)
    console = _console()
    if console.is_terminal:
        console.print(Markdown(page, hyperlinks=False))
    else:
        console.out(page, end="")
    return EXIT_OK


def _register_claims(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "claims",
        help="list every claim with its source and locator",
        description="List every claim in the knowledge base: id, evidence, statement, source "
        "and where in the source, and the rules that cite it.",
    )
    parser.set_defaults(handler=_claims)


def _claims(args: argparse.Namespace) -> int:
    kb = knowledge()
    cited_by: dict[str, list[str]] = {}
    for code, spec in kb.rules.items():
        for claim_id in spec.claims:
            cited_by.setdefault(claim_id, []).append(code)
    console = _console()
    console.print(Text(f"Knowledge base {kb.version}: {len(kb.claims)} claims", style="dim"))
    for claim in kb.claims.values():
        console.print()
        heading = Text(claim.id, style="bold")
        heading.append(f"  ({_evidence(claim)})")
        _print_wrapped(console, heading, indent=2, first_prefix="")
        body = Text(claim.statement)
        body.append(f"\n{claim.source.title}, {claim.locator}", style="dim")
        rules = cited_by.get(claim.id)
        body.append(
            f"\nCited by: {', '.join(rules)}" if rules else "\nBackground: no rule rests on it",
            style="dim",
        )
        _print_wrapped(console, body, indent=2)
    return EXIT_OK


def _register_schema(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "schema",
        help="print the JSON schema of a profile",
        description="Print the JSON schema a profile given to 'check' must follow.",
    )
    parser.set_defaults(handler=_schema)


def _schema(args: argparse.Namespace) -> int:
    _write_json(k2safety.Profile.model_json_schema())
    return EXIT_OK
