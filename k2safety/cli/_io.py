"""Input and output shared by the commands: JSON in from a file or stdin, JSON and text out.

``check`` reads one JSON document and ``batch`` one per line; both go through
:func:`parse_json`, so they accept and reject the same text (a key given twice included).
Every JSON document the commands write is written as :func:`encode_json` writes it, exact
amounts as JSON numbers where a number says them exactly (:func:`exact_json`); a report is
first made a document by :func:`report_document` (claims in full, or by id), and
:func:`encode_report` does both. Text written for a person from what a person typed goes through
:func:`printable`, so that no control character in a profile reaches the terminal.

Whatever a command writes, a standard output closed early (as by ``head``) ends it with
:attr:`ExitStatus.BROKEN_PIPE` and an output that cannot be written (a full disk) with
:attr:`ExitStatus.IO_ERROR`, without a traceback: :func:`output_errors_exit` around the writing,
or :func:`stop_on_broken_pipe` where something else (rich) notices the closed pipe. ``batch``
writes its lines through a :class:`Sink`, which :func:`open_output` opens only after making sure
that it is not the input.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from fractions import Fraction
from typing import IO, TYPE_CHECKING, Any, Literal, NoReturn

from k2safety._json import loads_refusing_duplicates
from k2safety.cli._exit import ExitStatus

if TYPE_CHECKING:
    from collections.abc import Callable

    from k2safety import Report
    from k2safety.fhir import FhirReading

__all__ = [
    "STDIN",
    "STDOUT_NAME",
    "InputError",
    "OutputError",
    "SameFileError",
    "Sink",
    "bad_input",
    "encode_json",
    "encode_report",
    "exact_json",
    "fhir_document",
    "fhir_summary",
    "open_input",
    "open_output",
    "output_errors_exit",
    "parse_json",
    "printable",
    "read_json",
    "report_document",
    "source_name",
    "stop_on_broken_pipe",
    "stop_on_output_error",
    "write_bytes",
    "write_json",
    "write_text",
]

STDIN = "-"
"""The file name that means standard input (or, for an output, standard output)."""

STDOUT_NAME = "<stdout>"
"""How messages name standard output."""


class InputError(Exception):
    """The input is not a JSON document that could be read.

    ``kind`` is ``unreadable``, ``not_json`` or ``blank``, the names ``batch`` gives these
    errors in its output.
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class OutputError(Exception):
    """The output cannot be opened or written: ``name`` and why (an :class:`OSError`)."""

    def __init__(self, name: str, error: OSError) -> None:
        self.name = name
        self.reason = error.strerror or str(error)
        super().__init__(f"{printable(name)}: cannot write: {self.reason}")


class SameFileError(Exception):
    """The output named is the input file itself: writing it would destroy the input."""


def source_name(file: str) -> str:
    """How messages name an input: its path, or ``<stdin>``."""
    return "<stdin>" if file == STDIN else file


def open_input(file: str, stack: ExitStack) -> IO[bytes]:
    """The input ``file`` (standard input for ``-``) as bytes; ``stack`` closes a file."""
    if file == STDIN:
        return sys.stdin.buffer
    return stack.enter_context(open(file, "rb"))


def open_output(file: str, stack: ExitStack, *, source: IO[bytes] | None = None) -> Sink:
    """The output ``file`` (standard output for ``-``), replaced if it exists.

    If ``file`` is the same file as ``source`` (by device and inode, so a hard or symbolic link
    to it counts too), raises :class:`SameFileError` before anything is written or truncated.
    An output that cannot be opened raises :class:`OutputError`.
    """
    if file == STDIN:
        # Text already written to sys.stdout must come out before these bytes.
        sys.stdout.flush()
        descriptor = sys.stdout.fileno()
        if _same_file(source, descriptor):
            raise SameFileError
        # Unbuffered: a line is written at once, and a failed write leaves nothing behind to
        # fail again when the interpreter exits.
        raw = open(descriptor, "wb", buffering=0, closefd=False)  # noqa: SIM115 - the stack closes it
        return Sink(STDOUT_NAME, stack.enter_context(raw), cut_back=False)
    try:
        # Opened without truncating, so that the input is still whole if it is the output.
        descriptor = os.open(file, os.O_WRONLY | os.O_CREAT, 0o666)
    except OSError as error:
        raise OutputError(file, error) from None
    raw = stack.enter_context(open(descriptor, "wb", buffering=0))  # noqa: SIM115 - the stack closes it
    if _same_file(source, descriptor):
        raise SameFileError
    regular = stat.S_ISREG(os.fstat(descriptor).st_mode)
    if regular:
        os.ftruncate(descriptor, 0)
    return Sink(file, raw, cut_back=regular)


def _same_file(source: IO[bytes] | None, descriptor: int) -> bool:
    """Whether ``descriptor`` is the regular file ``source`` reads (a terminal or a pipe may
    well be both standard input and standard output)."""
    if source is None:
        return False
    try:
        read, written = os.fstat(source.fileno()), os.fstat(descriptor)
    except (OSError, ValueError, AttributeError):
        return False
    return (
        stat.S_ISREG(read.st_mode)
        and stat.S_ISREG(written.st_mode)
        and (read.st_dev, read.st_ino) == (written.st_dev, written.st_ino)
    )


class Sink:
    """Where ``batch`` writes: whole lines, each written at once, with nothing kept back.

    A write that fails raises :class:`OutputError` (a closed pipe still raises
    :class:`BrokenPipeError`); a file ``batch`` opened itself is then cut back to the lines
    written whole, so it never ends in part of a line.
    """

    def __init__(self, name: str, raw: IO[bytes], *, cut_back: bool) -> None:
        self.name = name
        self._raw = raw
        self._cut_back = cut_back
        self._written = 0
        self.lines = 0
        """How many lines were written whole."""

    def write(self, line: bytes) -> None:
        """Write ``line`` whole, or raise."""
        view = memoryview(line)
        try:
            while view:
                # A raw file may write part of what it is given: write the rest.
                count = self._raw.write(view)
                view = view[count or 0 :]
        except BrokenPipeError:
            raise
        except OSError as error:
            if self._cut_back:
                with suppress(OSError):  # then the line in part stays: nothing more can be done
                    os.ftruncate(self._raw.fileno(), self._written)
            raise OutputError(self.name, error) from None
        self._written += len(line)
        self.lines += 1


def read_json(file: str) -> Any:
    """The JSON document in ``file`` (standard input for ``-``).

    Raises :class:`InputError` if there is none, and :class:`ProfileError` for a document that
    gives a key twice in an object (see :func:`parse_json`).
    """
    try:
        with ExitStack() as stack:
            data = open_input(file, stack).read()
    except OSError as error:
        raise InputError("unreadable", f"cannot read the file: {error.strerror or error}") from None
    return parse_json(data)


def parse_json(data: bytes, *, line: int | None = None) -> Any:
    """The JSON document in ``data``: a whole input, or line number ``line`` of JSON Lines.

    A byte order mark may start the input, so only its first line. A blank line is an error of
    its own kind: it is still a line, to be answered rather than dropped. Raises
    :class:`InputError` for text that is not JSON, and :class:`ProfileError` for JSON that
    would lose what it says if read as Python reads it: a key given twice in an object (Python
    would keep the last and silently drop the first), or a whole number with more digits than
    Python reads.

    >>> parse_json(b'\\xef\\xbb\\xbf{"age": 40}')
    {'age': 40}
    >>> parse_json(b"{", line=2)
    Traceback (most recent call last):
    ...
    k2safety.cli._io.InputError: not valid JSON: Expecting property name enclosed in double quotes (column 2)
    >>> parse_json(b'{"foods": ["natto"], "foods": []}')
    Traceback (most recent call last):
    ...
    k2safety._errors.ProfileError: invalid profile: foods: is given 2 times; a field may be given only once
    """  # noqa: E501
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        what = "document" if line is None else "object"
        raise InputError("not_json", f"not UTF-8 text; a profile is a JSON {what}") from None
    if line is None or line == 1:
        text = text.removeprefix("\ufeff")
    if line is not None and not text.strip():
        raise InputError("blank", "blank line: expected a profile (a JSON object)")
    try:
        return loads_refusing_duplicates(text)
    except json.JSONDecodeError as error:
        # A line's number is already in the output line that reports it.
        where = f"line {error.lineno}, " if line is None else ""
        message = f"not valid JSON: {error.msg} ({where}column {error.colno})"
        raise InputError("not_json", message) from None
    except RecursionError:
        raise InputError("not_json", "not valid JSON: nested too deeply") from None


def bad_input(name: str, problem: object) -> ExitStatus:
    """Say on standard error why input ``name`` cannot be screened; the status to exit with."""
    # A file name, and what a profile says, may hold control characters: never raw.
    message = f"k2safety: {printable(name)}: {printable(str(problem), keep_newlines=True)}"
    print(message, file=sys.stderr)
    return ExitStatus.BAD_INPUT


# --- JSON out ----------------------------------------------------------------------------------


def report_document(report: Report, *, claims: Literal["full", "ids"] = "full") -> dict[str, Any]:
    """``report`` as the JSON document the commands write, amounts exact (:func:`exact_json`).

    With ``claims="full"`` each finding holds its claims in full (statement, source, locator,
    evidence), as :meth:`Report.model_dump` gives them; with ``claims="ids"`` only their ids,
    which ``k2safety claims`` lists for the report's ``knowledge_version``.
    """
    if claims == "full":
        document = report.model_dump(mode="json")
    else:
        document = report.model_dump(mode="json", exclude=_CLAIMS)
        document["findings"] = [
            {
                field: [claim.id for claim in finding.claims]
                if field == "claims"
                else dumped[field]
                for field in _FINDING_FIELDS
            }
            for finding, dumped in zip(report.findings, document["findings"], strict=True)
        ]
    # pydantic writes a Fraction as text ("1000/7"); a JSON number says it where one is exact.
    document["profile"]["mcg_per_day"] = {
        form.value: _plain(amount) for form, amount in report.profile.mcg_per_day.items()
    }
    return document


def encode_report(
    report: Report, *, claims: Literal["full", "ids"] = "full", indent: int | None = None
) -> str:
    """``report`` as JSON text: :func:`report_document` written by :func:`encode_json`."""
    document = report_document(report, claims=claims)
    if any(isinstance(amount, Fraction) for amount in document["profile"]["mcg_per_day"].values()):
        return encode_json(document, indent=indent)
    # Nothing but JSON's own types: pydantic's encoder writes the same text as json.dumps (a
    # float with its shortest digits, which may be spelled 0.00001 rather than 1e-05), and
    # writes it several times faster, which a batch of a million lines notices.
    import pydantic_core

    return pydantic_core.to_json(document, indent=indent).decode()


_CLAIMS = {"findings": {"__all__": {"claims"}}}
_FINDING_FIELDS = ("code", "severity", "title", "message", "claims", "triggers")


def exact_json(amount: Fraction) -> str:
    """The JSON text of an exact amount: a JSON number wherever a number can say it exactly.

    A whole number, and a fraction with a finite decimal expansion (its denominator has no prime
    factor but 2 and 5), are written as JSON numbers with every digit, never rounded. Any other
    fraction has no exact decimal form, and is written as the text ``"numerator/denominator"``,
    which :class:`fractions.Fraction` (and pydantic) read back.

    >>> [exact_json(Fraction(n, d)) for n, d in [(180, 1), (25, 2), (1, 10), (1000, 7)]]
    ['180', '12.5', '0.1', '"1000/7"']
    >>> exact_json(Fraction(1, 2**70))
    '8.470329472543003390683225006796419620513916015625E-22'
    """
    from decimal import Decimal

    numerator, denominator = amount.numerator, amount.denominator
    # Decimal, not str(int): an int longer than sys.get_int_max_str_digits() cannot be str()ed.
    if denominator == 1:
        return str(Decimal(numerator))
    rest = denominator
    twos = fives = 0
    while rest % 2 == 0:
        rest //= 2
        twos += 1
    while rest % 5 == 0:
        rest //= 5
        fives += 1
    if rest != 1:
        return f'"{Decimal(numerator)}/{Decimal(denominator)}"'
    places = max(twos, fives)
    scaled = numerator * (10**places // denominator)
    # Built from its digits: exact however many there are, where arithmetic would round.
    digits = Decimal(abs(scaled)).as_tuple().digits
    return str(Decimal((int(scaled < 0), digits, -places)))


def encode_json(document: Any, *, indent: int | None = None) -> str:
    """``document`` as JSON text, as ``json.dumps(document, ensure_ascii=False)`` writes it
    (compact without spaces, or indented by ``indent`` spaces), except that a
    :class:`~fractions.Fraction` is written by :func:`exact_json`: a JSON number where one is
    exact, else text.

    >>> encode_json({"mcg_per_day": {"MK-7": Fraction(1000, 7), "D3": Fraction(25, 2)}})
    '{"mcg_per_day":{"MK-7":"1000/7","D3":12.5}}'
    """
    separators = (",", ":") if indent is None else (",", ": ")
    try:
        # Fast: json's C encoder asks _json_value for each Fraction, which answers with a
        # Python value json writes exactly, as almost every amount has one.
        return json.dumps(
            document,
            ensure_ascii=False,
            indent=indent,
            separators=separators,
            default=_json_value,
        )
    except _NoExactValue:
        parts: list[str] = []
        _encode(document, parts, "" if indent is None else "\n", " " * (indent or 0))
        return "".join(parts)


class _NoExactValue(Exception):
    """No Python value json writes as this amount exactly: its JSON text must be built."""


_LONGEST_INT = 4000 * 3  # bits: well within the digits int() converts to text (4,300 by default)


def _json_value(value: object) -> int | float | str:
    """json.dumps's ``default``: the value it writes for a Fraction, as exact_json would."""
    if not isinstance(value, Fraction):
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
    plain = _plain(value)
    if isinstance(plain, Fraction):
        raise _NoExactValue
    return plain


def _plain(amount: Fraction) -> int | float | str | Fraction:
    """A value json.dumps writes as exactly what exact_json writes; ``amount`` itself if none.

    The float of a decimal amount serves when json's text for it (its shortest repr) is the
    amount itself: 0.1 for 1/10, but not for 2**-70, whose float shows only 16 digits.
    """
    if amount.denominator == 1:
        return amount.numerator if amount.numerator.bit_length() <= _LONGEST_INT else amount
    text = exact_json(amount)
    if text.startswith('"'):
        return text[1:-1]
    try:
        number = float(amount)
    except OverflowError:
        return amount
    return number if Fraction(repr(number)) == amount else amount


_STRING = json.JSONEncoder(ensure_ascii=False).encode


def _encode(value: Any, parts: list[str], newline: str, step: str) -> None:
    """What json.dumps writes, built in Python, each Fraction written by exact_json."""
    if isinstance(value, str):
        parts.append(_STRING(value))
    elif isinstance(value, Fraction):
        parts.append(exact_json(value))
    elif isinstance(value, dict | list | tuple):
        opening, closing = ("{", "}") if isinstance(value, dict) else ("[", "]")
        if not value:
            parts.append(opening + closing)
            return
        inner = newline + step if newline else ""
        colon = ": " if newline else ":"
        parts.append(opening + inner)
        if isinstance(value, dict):
            for number, (key, item) in enumerate(value.items()):
                if number:
                    parts.append("," + inner)
                # As json.dumps: a key that is not text is written as the text of its JSON.
                parts.append(_STRING(key if isinstance(key, str) else json.dumps(key)) + colon)
                _encode(item, parts, inner, step)
        else:
            for number, item in enumerate(value):
                if number:
                    parts.append("," + inner)
                _encode(item, parts, inner, step)
        parts.append(newline + closing)
    else:  # numbers, booleans, null
        parts.append(json.dumps(value))


def fhir_document(
    reading: FhirReading, line_of: Callable[[int], int] | None = None
) -> dict[str, Any]:
    """What ``--fhir`` adds to a JSON report: what was read from FHIR, and what was left out.

    Each resource set aside or noted is named by its type, id and where it was: ``location``
    in the input (``entry[2].resource``), or with ``line_of`` (a resource's position to its
    line) the ``line`` of a bulk export.
    """

    def where(index: int, location: str) -> dict[str, Any]:
        return {"location": location} if line_of is None else {"line": line_of(index)}

    return {
        "patient": reading.patient,
        "counted": reading.counted,
        "set_aside": [
            {
                "resource_type": entry.resource_type,
                "id": entry.id,
                **where(entry.index, entry.location),
                "reason": entry.reason,
                "medication": entry.medication,
            }
            for entry in reading.set_aside
        ],
        "set_aside_reasons": reading.set_aside_reasons,
        "notes": [
            {
                "resource_type": note.resource_type,
                "id": note.id,
                **where(note.index, note.location),
                "text": note.text,
            }
            for note in reading.notes
        ],
        "other_patients": reading.other_patients,
        "other_resources": reading.other_resources,
    }


def fhir_summary(reading: FhirReading) -> str:
    """One line saying how many medication resources were counted and set aside, and why.

    >>> from k2safety.fhir import read_fhir
    >>> fhir_summary(read_fhir([{"resourceType": "MedicationRequest", "status": "stopped",
    ...     "medicationCodeableConcept": {"text": "aspirin"}}]))
    'FHIR: 0 medication resources counted, 1 set aside (status stopped 1)'
    """
    reasons = ", ".join(
        f"{reason} {count:,}" for reason, count in reading.set_aside_reasons.items()
    )
    text = f"FHIR: {reading.counted:,} medication resource{'s' if reading.counted != 1 else ''} "
    text += f"counted, {len(reading.set_aside):,} set aside"
    if reasons:
        text += f" ({reasons})"
    if reading.other_patients:
        text += f"; {reading.other_patients:,} about other patients, not read"
    if reading.other_resources:
        plural = "s" if reading.other_resources != 1 else ""
        text += f"; {reading.other_resources:,} resource{plural} of other types, not read"
    return text


def write_json(document: Any) -> None:
    """Write ``document`` to standard output as indented JSON (see :func:`encode_json`)."""
    # JSON is UTF-8 whatever the terminal's encoding, so write bytes.
    write_bytes((encode_json(document, indent=2) + "\n").encode("utf-8"))


# --- text out ----------------------------------------------------------------------------------

# C0 controls, DEL and C1 controls: a terminal acts on them (ESC starts a command that can clear
# the screen or retitle the window). Bidirectional formatting characters reorder what is shown
# (a name could display as another), and the line and paragraph separators break lines. Other
# format characters (zero-width joiners, soft hyphens) are part of how some languages are
# written, and are left as they are.
_UNSAFE = [*range(0x00, 0x20), *range(0x7F, 0xA0)]
_UNSAFE += [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_UNSAFE += [0x2028, 0x2029]
_ESCAPES = {code: repr(chr(code))[1:-1] for code in _UNSAFE}
_ESCAPES_BUT_NEWLINES = {code: text for code, text in _ESCAPES.items() if code != ord("\n")}


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` safe to show on a terminal: each control character (C0, DEL, C1), bidirectional
    formatting character and line or paragraph separator written as its Python escape.

    >>> printable("warfarin\\x1b[2J\\u202e")
    'warfarin\\\\x1b[2J\\\\u202e'
    >>> printable("two\\nlines\\t", keep_newlines=True)
    'two\\nlines\\\\t'
    """
    return text.translate(_ESCAPES_BUT_NEWLINES if keep_newlines else _ESCAPES)


def write_bytes(data: bytes) -> None:
    """Write ``data`` to standard output, after any text already written to it."""
    with output_errors_exit():
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()


def write_text(text: str) -> None:
    """Write ``text`` to standard output in its encoding (unknown characters replaced)."""
    with output_errors_exit():
        sys.stdout.write(text)


@contextmanager
def output_errors_exit() -> Iterator[None]:
    """Write standard output inside the block, then flush it; a closed pipe ends the command
    with :func:`stop_on_broken_pipe`, any other error writing with :func:`stop_on_output_error`.
    """
    try:
        yield
        # Flushed here, where a failure can still be answered with the right status.
        sys.stdout.flush()
    except BrokenPipeError:
        stop_on_broken_pipe()
    except OSError as error:
        stop_on_output_error(OutputError(STDOUT_NAME, error))


def stop_on_broken_pipe() -> NoReturn:
    """Exit with :attr:`ExitStatus.BROKEN_PIPE`: standard output was closed early."""
    _discard_standard_output()
    raise SystemExit(ExitStatus.BROKEN_PIPE)


def stop_on_output_error(error: OutputError) -> NoReturn:
    """Say on standard error, in one line, that the output cannot be written, and exit with
    :attr:`ExitStatus.IO_ERROR`."""
    _discard_standard_output()
    print(f"k2safety: {error}", file=sys.stderr)
    raise SystemExit(ExitStatus.IO_ERROR)


def _discard_standard_output() -> None:
    # Point stdout at devnull so that flushing what is left of it at exit cannot fail again.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
