"""``k2safety check``: screen one profile and print the report as text, JSON or CDS Hooks."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

import k2safety
from k2safety.cli._exit import FAIL_ON, ExitStatus, HelpFormatter, exit_status, exit_status_help
from k2safety.cli._io import (
    STDIN,
    InputError,
    bad_input,
    encode_report,
    output_errors_exit,
    printable,
    read_json,
    source_name,
    write_bytes,
    write_json,
)

if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]

__all__ = ["register"]


def register(subparsers: Subparsers) -> None:
    """Add the ``check`` command."""
    parser = subparsers.add_parser(
        "check",
        help="screen a profile and print the report",
        description="Screen a profile (JSON) and print the report. Informational, not medical "
        "advice.",
        epilog=exit_status_help("check"),
        formatter_class=HelpFormatter,
    )
    parser.add_argument(
        "file",
        nargs="?",
        default=STDIN,
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
        choices=FAIL_ON,
        default="warning",
        help="the lowest severity that makes the exit status non-zero (default: warning); "
        "'never' exits 0 for any valid profile",
    )
    parser.set_defaults(handler=_check)


def _check(args: argparse.Namespace) -> ExitStatus:
    try:
        report = k2safety.check(read_json(args.file))
    except (InputError, k2safety.ProfileError) as error:
        return bad_input(source_name(args.file), error)
    if args.format == "json":
        write_bytes((encode_report(report, indent=2) + "\n").encode("utf-8"))
    elif args.format == "cds-hooks":
        write_json(report.to_cds_hooks())
    else:
        with output_errors_exit():
            _print_report(report)
    return exit_status(report.max_severity, args.fail_on)


def _print_report(report: k2safety.Report) -> None:
    # rich is imported here, where text is rendered, so that JSON output does not load it.
    from rich.text import Text

    from k2safety.cli._rich_output import SEVERITY_STYLES, console, evidence, print_wrapped

    out = console()
    count = len(report.findings)
    if report.max_severity is None:
        summary = Text("No findings.")
    else:
        summary = Text(f"{count} finding{'s' if count != 1 else ''}, the most severe: ")
        summary.append(report.max_severity.value, style=SEVERITY_STYLES[report.max_severity])
    out.print(summary)
    for finding in report.findings:
        out.print()
        heading = Text()
        heading.append(finding.severity.value.upper(), style=SEVERITY_STYLES[finding.severity])
        heading.append(f"  {finding.code}", style="bold")
        heading.append(f"  {printable(finding.title)}")
        print_wrapped(out, heading, indent=2, first_prefix="")
        # A message quotes the profile, whose text may hold control characters: never raw.
        print_wrapped(out, Text(printable(finding.message)), indent=2)
        print_wrapped(out, Text("Based on:", style="bold"), indent=2)
        for claim in finding.claims:
            text = Text(printable(claim.statement))
            source = printable(f"{claim.source.title}, {claim.locator}")
            text.append(f"\nSource: {source}; ", style="dim")
            text.append(f"evidence: {evidence(claim)}.", style="dim")
            print_wrapped(out, text, indent=4, first_prefix="  - ")
    out.print()
    footer = Text(
        f"Knowledge base {report.knowledge_version}. Informational, not medical advice: talk to "
        "your doctor or pharmacist.",
        style="dim",
    )
    print_wrapped(out, footer, indent=0)
