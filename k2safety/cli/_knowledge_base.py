"""``k2safety rules``, ``explain``, ``claims`` and ``schema``: the knowledge base and the
profile format, for a person at a terminal or for a program reading a pipe.

``rules`` and ``explain`` write plain text themselves when not writing to a terminal, so a
pipe into ``grep`` does not wait for rich to load; ``rules`` then writes one line per rule,
whatever its length, so that each line a program reads is one whole rule. ``schema`` is JSON and
never needs rich.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

import k2safety
from k2safety._knowledge import Knowledge, knowledge
from k2safety.cli import _plain_output
from k2safety.cli._exit import ExitStatus
from k2safety.cli._io import output_errors_exit, write_json, write_text

if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]

__all__ = ["register"]


def register(subparsers: Subparsers) -> None:
    """Add the ``rules``, ``explain``, ``claims`` and ``schema`` commands, in that order."""
    rules = subparsers.add_parser(
        "rules",
        help="list the rules: code, severity, title",
        description="List the rules of the knowledge base: code, severity, title.",
    )
    rules.set_defaults(handler=_rules)

    explain = subparsers.add_parser(
        "explain",
        help="print one rule in full, with its claims",
        description="Print one rule in full: what it checks, why, what it says, its thresholds "
        "and the claims it rests on.",
    )
    explain.add_argument("code", metavar="CODE", help="a rule code such as K2-VKA")
    explain.set_defaults(handler=_explain)

    claims = subparsers.add_parser(
        "claims",
        help="list every claim with its source and locator",
        description="List every claim in the knowledge base: id, evidence, statement, source "
        "and where in the source, and the rules that cite it.",
    )
    claims.set_defaults(handler=_claims)

    schema = subparsers.add_parser(
        "schema",
        help="print the JSON schema of a profile",
        description="Print the JSON schema a profile given to 'check' must follow.",
    )
    schema.set_defaults(handler=_schema)


def _rules(args: argparse.Namespace) -> ExitStatus:
    rules = knowledge().rules
    code_width = max(len(code) for code in rules) + 2
    severity_width = max(len(severity.value) for severity in k2safety.Severity) + 2
    if _plain_output.is_terminal(sys.stdout):
        from rich.text import Text

        from k2safety.cli._rich_output import SEVERITY_STYLES, console, print_wrapped

        out = console()
        with output_errors_exit():
            for code, spec in rules.items():
                columns = Text(code.ljust(code_width), style="bold")
                severity = spec.severity
                columns.append(
                    severity.value.ljust(severity_width), style=SEVERITY_STYLES[severity]
                )
                print_wrapped(out, Text(spec.title), indent=len(columns), first_prefix=columns)
        return ExitStatus.OK
    # For a program: one line per rule, never wrapped, so that `grep K2-VKA` finds it whole.
    write_text(
        "".join(
            f"{code.ljust(code_width)}{spec.severity.value.ljust(severity_width)}{spec.title}\n"
            for code, spec in rules.items()
        )
    )
    return ExitStatus.OK


def _explain(args: argparse.Namespace) -> ExitStatus:
    from k2safety._catalog import rule_markdown

    kb = knowledge()
    code = args.code.strip().upper()
    if code not in kb.rules:
        known = ", ".join(kb.rules)
        print(f"k2safety: unknown rule code {args.code!r}; known codes: {known}", file=sys.stderr)
        return ExitStatus.USAGE
    page = rule_markdown(kb.rules[code], kb)
    if not _plain_output.is_terminal(sys.stdout):
        write_text(page)
        return ExitStatus.OK
    from rich.markdown import Markdown

    from k2safety.cli._rich_output import console

    with output_errors_exit():
        console().print(Markdown(page, hyperlinks=False))
    return ExitStatus.OK


def _claims(args: argparse.Namespace) -> ExitStatus:
    kb = knowledge()
    cited_by = {
        claim_id: [name if kind == "rule" else f"{kind} {name}" for kind, name in owners]
        for claim_id, owners in kb.citations().items()
    }
    with output_errors_exit():
        _print_claims(kb, cited_by)
    return ExitStatus.OK


def _print_claims(kb: Knowledge, cited_by: dict[str, list[str]]) -> None:
    from rich.text import Text

    from k2safety.cli._rich_output import console, evidence, print_wrapped

    out = console()
    out.print(Text(f"Knowledge base {kb.version}: {len(kb.claims)} claims", style="dim"))
    for claim in kb.claims.values():
        out.print()
        heading = Text(claim.id, style="bold")
        heading.append(f"  ({evidence(claim)})")
        print_wrapped(out, heading, indent=2, first_prefix="")
        body = Text(claim.statement)
        body.append(f"\n{claim.source.title}, {claim.locator}", style="dim")
        # The same owners the catalog lists; a background claim says so even when a threshold,
        # drug class or food cites it for where its facts come from.
        citers = cited_by.get(claim.id)
        if citers:
            body.append(f"\nCited by: {', '.join(citers)}", style="dim")
        if claim.background:
            body.append("\nBackground: no rule rests on it", style="dim")
        print_wrapped(out, body, indent=2)


def _schema(args: argparse.Namespace) -> ExitStatus:
    write_json(k2safety.Profile.model_json_schema())
    return ExitStatus.OK
