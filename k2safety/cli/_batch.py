"""``k2safety batch``: screen a JSON Lines file of profiles, one result line per input line.

Input and output are streamed a line at a time, so memory does not grow with the file. Each
output line is one JSON object, written with a single write and flushed, in input order:

* ``{"line": 7, "report": {...}}``: the report, as ``check --format json`` prints it except that
  each finding names its claims by id (``--full``: the claims in full, exactly as ``check``);
* ``{"line": 8, "error": {"kind": ..., "message": ..., "problems": [...]}}``: the line could not
  be screened. ``kind`` is ``invalid_profile`` (``problems`` lists each field and what is wrong),
  ``not_json`` (not UTF-8 or not JSON) or ``blank`` (an empty line: still a line, so it is
  answered rather than dropped).

Line numbers count from 1. A summary goes to standard error at the end, and a progress bar too
while standard error is a terminal. Ctrl-C stops after the line being written, so the output
holds whole lines only, each answering the input line it names. The exit statuses are
``ExitStatus.of("batch")``: the worst line decides, as ``check`` decides for one profile, except
that a line that cannot be screened outranks any finding.

The output is never the input: an output file that is the input file (by inode, links
included) is refused before it is opened for writing. An output that cannot be written (a full
disk) stops the batch with ``ExitStatus.IO_ERROR``, and an output file is then cut back to the
lines written whole.
"""

from __future__ import annotations

import argparse
import functools
import os
import signal
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from types import FrameType
from typing import IO, TYPE_CHECKING, Any, Literal

from k2safety import ProfileError, Severity
from k2safety._batch import screen, screen_rows
from k2safety.cli import _plain_output
from k2safety.cli._exit import FAIL_ON, ExitStatus, HelpFormatter, exit_status, exit_status_help
from k2safety.cli._io import (
    InputError,
    OutputError,
    SameFileError,
    bad_input,
    encode_json,
    encode_report,
    fhir_document,
    open_input,
    open_output,
    parse_json,
    printable,
    source_name,
    stop_on_broken_pipe,
)

if TYPE_CHECKING:
    from rich.progress import Progress

    from k2safety.fhir._bulk import BadLine, BulkReader, PatientLines

    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]

__all__ = ["register", "run"]

_PROGRESS_EVERY = 256  # lines between progress-bar updates: updating costs more than a line

# What a worker hands back for a line: the output line, and for the summary the most severe
# finding ("invalid" if the line could not be screened, None if no findings) and the codes.
_Outcome = tuple[bytes, str | None, tuple[str, ...]]
_INVALID = "invalid"


def register(subparsers: Subparsers) -> None:
    """Add the ``batch`` command."""
    parser = subparsers.add_parser(
        "batch",
        help="screen a JSON Lines file of profiles: one result line per input line",
        description="Screen each line of a JSON Lines file (one profile per line) and write "
        'one JSON line per input line, in order: {"line": N, "report": {...}} or {"line": N, '
        '"error": {...}}. A report names its claims by id (k2safety claims lists them); '
        "--full writes them in full. Streams: memory does not grow with the file. "
        "Informational, not medical advice.",
        epilog=exit_status_help("batch"),
        formatter_class=HelpFormatter,
    )
    parser.add_argument(
        "input",
        metavar="IN.jsonl",
        help="profiles, one JSON object per line; '-' reads stdin (with --fhir: FHIR resources, "
        "one per line, as a bulk export writes them)",
    )
    parser.add_argument(
        "--fhir",
        action="store_true",
        help="the input is a FHIR bulk export (NDJSON): write one result line per patient, "
        "reading each patient's consecutive lines together",
    )
    parser.add_argument(
        "--fhir-medications",
        metavar="FILE",
        action="append",
        default=[],
        help="with --fhir, NDJSON of Medication (and Substance) resources that "
        "medicationReference points at, such as a bulk export's Medication.ndjson; may be "
        "given more than once",
    )
    parser.add_argument(
        "--any-order",
        action="store_true",
        help="with --fhir, the patients' lines may come in any order: hold them in a temporary "
        "SQLite database on disk and screen each patient's lines together (the results come "
        "after the whole input is read)",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="OUT.jsonl",
        default="-",
        help="where to write the results (replaced if it exists; never the input file); "
        "standard output by default",
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help="write each report in full, its claims with their statements, sources and "
        "evidence, as 'check --format json' prints it (several times larger); by default a "
        "finding names its claims by id",
    )
    parser.add_argument(
        "-j",
        "--jobs",
        metavar="N",
        type=_jobs,
        default=1,
        help="processes to screen with (default 1, this one; 0 for one per CPU); the output "
        "order is the input order whatever N is",
    )
    parser.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        default="warning",
        help="the lowest severity that makes the exit status non-zero (default: warning)",
    )
    parser.set_defaults(handler=run)


def _jobs(text: str) -> int:
    try:
        jobs = int(text)
    except ValueError:
        jobs = -1
    if jobs < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number of processes, got {text!r}")
    return jobs or os.cpu_count() or 1


def run(args: argparse.Namespace) -> ExitStatus:
    """Screen ``args.input`` into ``args.output``; returns the exit status."""
    if not args.fhir and (args.fhir_medications or args.any_order):
        print(
            "k2safety batch: error: --fhir-medications and --any-order read a FHIR bulk "
            "export: give --fhir",
            file=sys.stderr,
        )
        return ExitStatus.USAGE
    bulk: BulkReader | None = None
    if args.fhir:
        from k2safety.fhir._bulk import BulkReader

        bulk = BulkReader()
        for file in args.fhir_medications:
            try:
                _read_references(file, bulk.references)
            except InputError as error:
                return bad_input(source_name(file), error)
    with ExitStack() as stack:
        try:
            source = open_input(args.input, stack)
        except OSError as error:
            return bad_input(source_name(args.input), error.strerror or error)
        try:
            sink = open_output(args.output, stack, source=source)
        except SameFileError:
            return _same_file(args)
        except OutputError as error:
            print(f"k2safety: {error}", file=sys.stderr)
            return ExitStatus.IO_ERROR
        summary = _Summary(fhir=bulk)
        # A bar would tangle with results written to the same terminal.
        results_on_terminal = args.output == "-" and sys.stdout.isatty()
        progress = None if results_on_terminal else _progress_bar(source, stack)
        interrupted = stack.enter_context(_CtrlC())
        processes = None if args.jobs == 1 else args.jobs
        claims: Literal["full", "ids"] = "full" if args.full else "ids"
        lines = _numbered(source, source_name(args.input))
        rows: Iterator[Any]
        if bulk is None:
            screen_line = functools.partial(_screen_line, claims=claims)
            rows = screen_rows(lines, screen_line, processes=processes)
        else:
            groups = bulk.any_order(lines) if args.any_order else bulk.grouped(lines)
            screen_group = functools.partial(_screen_group, claims=claims)
            rows = screen_rows(groups, screen_group, processes=processes)
        try:
            for output, outcome, codes, *counts in rows:
                sink.write(output)
                summary.add(outcome, codes, *counts)
                if progress is not None and summary.lines % _PROGRESS_EVERY == 0:
                    progress(summary.lines)
                if interrupted():
                    break
        except BrokenPipeError:
            stop_on_broken_pipe()
        except OutputError as error:
            what = "line" if sink.lines == 1 else "lines"
            print(f"k2safety: {error} (after {sink.lines:,} whole {what})", file=sys.stderr)
            return ExitStatus.IO_ERROR
        except _Unreadable as error:
            # The lines before it are screened and written: say so, then why it stopped.
            print(summary.render(interrupted=False), file=sys.stderr)
            return bad_input(error.name, f"cannot read line {error.line:,}: {error.reason}")
        except Exception as error:
            # Not a property of the line (those become error lines): a bug in k2safety.
            print(_bug_report(error), file=sys.stderr)
            return ExitStatus.BUG
        if progress is not None:
            progress(summary.lines)
    print(summary.render(interrupted=interrupted()), file=sys.stderr)
    if interrupted():
        return ExitStatus.INTERRUPTED
    if summary.outcomes[_INVALID] or (bulk is not None and bulk.interleaved):
        return ExitStatus.BAD_INPUT
    return exit_status(summary.worst, args.fail_on)


def _read_references(file: str, into: dict[str, Any]) -> None:
    """The Medications and Substances of NDJSON ``file``, by ``Type/id``; other types are
    skipped. Raises :class:`InputError` for a line that cannot be read."""
    from k2safety.fhir._bulk import BadLine, parse_line, referable_key

    try:
        with open(file, "rb") as lines:
            for number, raw in enumerate(lines, 1):
                resource = parse_line(raw, number)
                if isinstance(resource, BadLine):
                    raise InputError(resource.kind, f"line {number:,}: {resource.message}")
                key = None if resource is None else referable_key(resource)
                if key is not None:
                    into.setdefault(key, resource)
    except OSError as error:
        raise InputError("unreadable", f"cannot read the file: {error.strerror or error}") from None


def _same_file(args: argparse.Namespace) -> ExitStatus:
    output = "standard output" if args.output == "-" else printable(args.output)
    print(
        f"k2safety batch: error: the output ({output}) is the input file "
        f"({printable(source_name(args.input))}); writing the results there would destroy "
        "the profiles: name another output file",
        file=sys.stderr,
    )
    return ExitStatus.USAGE


class _Unreadable(Exception):
    """The input could not be read past a line: its name, the line and why (from OSError)."""

    def __init__(self, name: str, line: int, reason: str) -> None:
        super().__init__(f"{name}: cannot read line {line}: {reason}")
        self.name = name
        self.line = line
        self.reason = reason


def _numbered(source: IO[bytes], name: str) -> Iterator[tuple[int, bytes]]:
    """Each line of ``source`` with its number, from 1; a read error raises :class:`_Unreadable`."""
    number = 0
    lines = iter(source)
    while True:
        try:
            line = next(lines)
        except StopIteration:
            return
        except OSError as error:
            raise _Unreadable(name, number + 1, error.strerror or str(error)) from None
        number += 1
        yield number, line


def _bug_report(error: Exception) -> str:
    import traceback

    trace = "".join(traceback.format_exception(error))
    return (
        f"{trace}\nk2safety: internal error, a bug in k2safety; please report it with the "
        "traceback above. The output holds every line before the one that failed."
    )


def _screen_line(numbered: tuple[int, bytes], claims: Literal["full", "ids"]) -> _Outcome:
    """One input line's output line; runs in the workers with ``--jobs``."""
    number, raw = numbered
    try:
        result = screen(parse_json(raw, line=number))
    except InputError as problem:
        return _error_line(number, problem.kind, str(problem), ()), _INVALID, ()
    except ProfileError as error:  # read as JSON, but it would lose what it says: a key twice
        result = error
    if isinstance(result, ProfileError):
        return _error_line(number, "invalid_profile", str(result), result.problems), _INVALID, ()
    report = encode_report(result, claims=claims)
    line = f'{{"line":{number},"report":{report}}}\n'.encode()
    severity = None if result.max_severity is None else result.max_severity.value
    return line, severity, result.codes


def _error_line(
    number: int, kind: str, message: str, problems: tuple[tuple[str, str], ...]
) -> bytes:
    error = {
        "kind": kind,
        "message": message,
        "problems": [{"field": path, "problem": text} for path, text in problems],
    }
    return (encode_json({"line": number, "error": error}) + "\n").encode()


def _screen_group(
    group: PatientLines | BadLine, claims: Literal["full", "ids"]
) -> tuple[bytes, str | None, tuple[str, ...], int, int]:
    """One patient's output line (or a bad line's), and how many of their resources were
    counted and set aside; runs in the workers with ``--jobs``."""
    from k2safety.fhir._bulk import BadLine, read_patient

    if isinstance(group, BadLine):
        return _error_line(group.line, group.kind, group.message, ()), _INVALID, (), 0, 0
    head = '{"patient":' + encode_json(group.patient) + f',"line":{group.lines[0]}'
    if group.continued:
        head += ',"continued":true'
    reading = read_patient(group)
    if isinstance(reading, ProfileError):
        error = {
            "kind": "invalid_resource",
            "message": str(reading),
            "problems": [{"field": path, "problem": text} for path, text in reading.problems],
        }
        return f'{head},"error":{encode_json(error)}}}\n'.encode(), _INVALID, (), 0, 0
    result = screen(reading.profile)
    if isinstance(result, ProfileError):  # not expected: read_fhir validates the profile
        return (
            _error_line(group.lines[0], "invalid_profile", str(result), result.problems),
            (_INVALID),
            (),
            0,
            0,
        )
    lines = group.lines
    fhir = encode_json(fhir_document(reading, line_of=lambda index: lines[index]))
    report = encode_report(result, claims=claims)
    line = f'{head},"fhir":{fhir},"report":{report}}}\n'.encode()
    severity = None if result.max_severity is None else result.max_severity.value
    return line, severity, result.codes, reading.counted, len(reading.set_aside)


@dataclass
class _Summary:
    outcomes: Counter[str | None] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    fhir: BulkReader | None = None
    counted: int = 0
    set_aside: int = 0

    @property
    def lines(self) -> int:
        return self.outcomes.total()

    @property
    def worst(self) -> Severity | None:
        found = [Severity(outcome) for outcome in self.outcomes if outcome not in {None, _INVALID}]
        return max(found, default=None)

    def add(
        self, outcome: str | None, codes: tuple[str, ...], counted: int = 0, set_aside: int = 0
    ) -> None:
        self.outcomes[outcome] += 1
        self.codes.update(codes)
        self.counted += counted
        self.set_aside += set_aside

    def render(self, *, interrupted: bool) -> str:
        invalid = self.outcomes[_INVALID]
        head = f"k2safety batch: {self.lines:,} lines"
        if self.fhir is not None:
            head = f"k2safety batch: {self.fhir.lines:,} lines, {self.lines:,} results"
        if interrupted:
            head += " (interrupted: the output holds these lines, each complete)"
        lines = [f"{head}: {self.lines - invalid:,} screened, {invalid:,} invalid"]
        if self.fhir is not None:
            lines += self._fhir_lines(self.fhir)
        severities = [*(severity.value for severity in reversed(Severity)), None]
        counts = ", ".join(f"{value or 'none'} {self.outcomes[value]:,}" for value in severities)
        lines.append(f"  most severe finding per profile: {counts}")
        if self.codes:
            ranked = sorted(self.codes.items(), key=lambda item: (-item[1], item[0]))
            lines.append("  findings per code: " + ", ".join(f"{c} {n:,}" for c, n in ranked))
        return "\n".join(lines)

    def _fhir_lines(self, bulk: BulkReader) -> list[str]:
        lines = [
            f"  FHIR: {bulk.medication_resources:,} medication resources: {self.counted:,} "
            f"counted, {self.set_aside:,} set aside; {bulk.held:,} Medication or Substance "
            f"lines held for references; {bulk.other_resources:,} lines of other types not read"
        ]
        if bulk.interleaved:
            first, line = next(iter(bulk.interleaved.items()))
            count = len(bulk.interleaved)
            lines.append(
                f"  interleaved input: the lines of {count:,} patient{'s' if count != 1 else ''} "
                f"came back after another patient's (first: {printable(first)} at line "
                f"{line:,}); each run of consecutive lines was screened on its own and marked "
                '"continued", so a finding that needs resources from two runs can be missing: '
                "sort the input by patient, or rerun with --any-order"
            )
        elif bulk.any_order_used:
            lines.append(
                "  --any-order: each patient's lines were gathered on disk and screened together"
            )
        else:
            lines.append("  each patient's lines were consecutive: every patient screened whole")
        return lines


def _progress_bar(source: IO[bytes], stack: ExitStack) -> Callable[[int], None] | None:
    """A bar on standard error if it is a terminal: by bytes for a file, else lines so far."""
    # Decided before importing rich, which a batch writing to a file or a pipe never needs.
    if not _plain_output.is_terminal(sys.stderr):
        return None
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    size = _size(source)
    bar: Progress = stack.enter_context(
        Progress(
            TextColumn("screening"),
            BarColumn(),
            TaskProgressColumn() if size else MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
        )
    )
    task = bar.add_task("screening", total=size)

    def update(lines: int) -> None:
        bar.update(task, completed=source.tell() if size else lines)

    return update


def _size(source: IO[bytes]) -> int | None:
    try:
        return os.fstat(source.fileno()).st_size if source.seekable() else None
    except (OSError, ValueError):
        return None


class _CtrlC:
    """Turns the first Ctrl-C into a request to stop after the current line; a second one
    interrupts at once."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: Any = None

    def __enter__(self) -> Callable[[], bool]:
        self._previous = signal.signal(signal.SIGINT, self._request)
        return lambda: self.requested

    def __exit__(self, *_: object) -> None:
        signal.signal(signal.SIGINT, self._previous)

    def _request(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
