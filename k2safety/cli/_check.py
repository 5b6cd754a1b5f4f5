"""``k2safety check``: screen one profile and print the report as text, JSON or CDS Hooks.

With ``--fhir FILE`` the profile is read from FHIR (a Bundle, resources, NDJSON or a CDS Hooks
request) by :func:`k2safety.fhir.read_fhir`, and the output also says how many medication
resources were counted and set aside, and why: a section before the text report, a ``"fhir"``
key in the JSON document, a line on standard error beside a CDS Hooks response (whose shape is
fixed).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from typing import TYPE_CHECKING

import k2safety
from k2safety.cli._exit import FAIL_ON, ExitStatus, HelpFormatter, exit_status, exit_status_help
from k2safety.cli._io import (
    STDIN,
    InputError,
    bad_input,
    encode_json,
    encode_report,
    fhir_document,
    fhir_summary,
    open_input,
    output_errors_exit,
    printable,
    read_json,
    report_document,
    source_name,
    write_bytes,
    write_json,
)

if TYPE_CHECKING:
    from k2safety.fhir import FhirReading

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
        "--fhir",
        metavar="FILE",
        help="read the medications from FHIR instead of a profile: a Bundle, a resource or a "
        "list of them, NDJSON, or a CDS Hooks request; '-' reads standard input",
    )
    parser.add_argument(
        "--patient",
        metavar="ID",
        help="with --fhir, the patient to screen when the input is about several (an id, "
        "Patient/ID or a urn:uuid: fullUrl)",
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
    reading: FhirReading | None = None
    if args.fhir is not None:
        if args.file != STDIN:
            return _usage(args, "give either FILE (a profile) or --fhir FILE, not both")
        name = source_name(args.fhir)
        try:
            reading = _read_fhir(args.fhir, args.patient)
            report = k2safety.check(reading.profile)
        except (InputError, k2safety.ProfileError) as error:
            return bad_input(name, error)
    else:
        if args.patient is not None:
            return _usage(args, "--patient chooses a patient of --fhir input; give --fhir FILE")
        try:
            report = k2safety.check(read_json(args.file))
        except (InputError, k2safety.ProfileError) as error:
            return bad_input(source_name(args.file), error)
    if args.format == "json":
        if reading is None:
            text = encode_report(report, indent=2)
        else:
            document = {**report_document(report), "fhir": fhir_document(reading)}
            text = encode_json(document, indent=2)
        write_bytes((text + "\n").encode("utf-8"))
    elif args.format == "cds-hooks":
        if reading is not None:
            print(f"k2safety: {printable(fhir_summary(reading))}", file=sys.stderr)
        write_json(report.to_cds_hooks())
    else:
        with output_errors_exit():
            if reading is not None:
                _print_fhir(reading)
            _print_report(report)
    return exit_status(report.max_severity, args.fail_on)


def _usage(args: argparse.Namespace, message: str) -> ExitStatus:
    print(f"k2safety check: error: {message}", file=sys.stderr)
    return ExitStatus.USAGE


def _read_fhir(file: str, patient: str | None) -> FhirReading:
    """The FHIR in ``file`` read; :class:`InputError` if it cannot be read or is not UTF-8."""
    from contextlib import ExitStack

    from k2safety.fhir import read_fhir

    try:
        with ExitStack() as stack:
            data = open_input(file, stack).read()
    except OSError as error:
        raise InputError("unreadable", f"cannot read the file: {error.strerror or error}") from None
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise InputError("not_json", "not UTF-8 text; FHIR input is JSON") from None
    return read_fhir(text, patient=patient)


def _print_fhir(reading: FhirReading) -> None:
    """The short section before the report: what was read from FHIR and what was left out."""
    from rich.text import Text

    from k2safety.cli._rich_output import console, print_wrapped

    out = console()
    print_wrapped(out, Text(printable(fhir_summary(reading)) + "."), indent=2, first_prefix="")
    # By reason, each medication once with how many resources named it: short however long
    # the record (`--format json` lists every resource).
    by_reason: dict[str, Counter[str]] = {}
    for entry in reading.set_aside:
        by_reason.setdefault(entry.reason, Counter())[entry.medication or "(no medication)"] += 1
    for reason, names in by_reason.items():
        listed = ", ".join(
            name if count == 1 else f"{name} (x{count})" for name, count in names.items()
        )
        print_wrapped(
            out, Text(printable(f"set aside, {reason}: {listed}")), indent=4, first_prefix="  - "
        )
    for note in reading.notes:
        name = f"{note.resource_type}/{note.id}" if note.id else note.resource_type
        line = f"note: {name} ({note.location}): {note.text}"
        print_wrapped(out, Text(printable(line)), indent=4, first_prefix="  - ")
    out.print()


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
