"""``k2safety feedback list``: what clinicians did with the service's cards, for audits.

Reads the database the service stores feedback in (SQLite or PostgreSQL), named by the
service's config or by ``--database``; lists overridden cards by default, newest first, with the
rule, the override reason and the clinician's comment. Needs the ``service`` extra.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import unicodedata
from typing import TYPE_CHECKING

from k2safety.cli._exit import ExitStatus

if TYPE_CHECKING:
    from k2safety.service import FeedbackRow

    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]

__all__ = ["register"]


def _count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a positive whole number: {text!r}")
    return int(text)


def register(subparsers: Subparsers) -> None:
    """Add the ``feedback`` command and its ``list`` action."""
    feedback = subparsers.add_parser(
        "feedback",
        help="list what clinicians did with the service's cards (needs k2safety[service])",
        description="Read the feedback the CDS Hooks service stored.",
    )
    actions = feedback.add_subparsers(title="actions", metavar="ACTION", required=True)
    listing = actions.add_parser(
        "list",
        help="list overridden cards with their rule, reason and comment",
        description="List stored feedback, newest first: by default the cards clinicians "
        "overrode, with the rule, the override reason and the comment. Exits 4 when the "
        "config or the database cannot be read (standard error says why).",
    )
    where = listing.add_mutually_exclusive_group()
    where.add_argument(
        "--config",
        metavar="FILE",
        help="the service's TOML config, for its database (default: K2SAFETY_SERVICE_CONFIG, "
        "else the built-in default)",
    )
    where.add_argument(
        "--database", metavar="PATH|URL", help="a SQLite file or a postgresql:// URL"
    )
    listing.add_argument(
        "--outcome",
        choices=("overridden", "accepted", "all"),
        default="overridden",
        help="which feedback to list (default: overridden)",
    )
    listing.add_argument(
        "--limit", type=_count, default=100, help="list at most this many (default: 100)"
    )
    listing.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text for a person (the default), json for one JSON object per line",
    )
    listing.set_defaults(handler=_list)


def _fail(message: str) -> ExitStatus:
    print(f"k2safety feedback list: {message}", file=sys.stderr)
    return ExitStatus.USAGE


def _list(args: argparse.Namespace) -> int:
    try:
        from k2safety.service import ConfigError, StoreError, config_from_env, load_config
        from k2safety.service._store import open_store
    except ImportError as error:
        return _fail(str(error))
    try:
        database = (
            args.database
            or (load_config(args.config) if args.config else config_from_env()).database
        )
        store = open_store(database)
        try:
            outcome = None if args.outcome == "all" else args.outcome
            rows = store.feedback(outcome=outcome, limit=args.limit)
        finally:
            store.close()
    except (ConfigError, StoreError) as error:
        return _fail(str(error))
    if args.format == "json":
        for row in rows:
            sys.stdout.write(json.dumps(dataclasses.asdict(row), ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(_text(rows, args.outcome))
    sys.stdout.flush()
    return ExitStatus.OK


def _printable(text: str) -> str:
    """Text from the database, safe to print to a terminal: no control or format characters
    (which could move the cursor or recolour the screen), each shown as a space."""
    return "".join(" " if unicodedata.category(char)[0] == "C" else char for char in text).strip()


def _text(rows: list[FeedbackRow], outcome: str) -> str:
    if not rows:
        return f"No feedback stored ({outcome}).\n"
    lines = []
    for row in rows:
        rule = row.rule_code or "(a card this service did not issue)"
        lines.append(f"{_printable(row.outcome_timestamp)}  {row.outcome}  {rule}  {row.service}")
        lines.append(f"  card {row.card_uuid}, hookInstance {_printable(row.hook_instance or '-')}")
        if row.reason_code:
            lines.append(f"  reason: {row.reason_code} ({_printable(row.reason_display or '')})")
        elif row.outcome == "overridden":
            lines.append("  reason: none given")
        if row.user_comment:
            lines.append(f"  comment: {_printable(row.user_comment)}")
        if row.accepted_suggestions:
            lines.append(f"  accepted suggestions: {_printable(row.accepted_suggestions)}")
        lines.append(f"  received {row.received_at} from {_printable(row.client or '-')}")
    return "\n".join(lines) + "\n"
