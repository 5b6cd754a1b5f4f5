"""Input and output shared by the commands: JSON in from a file or stdin, bytes and text out.

``check`` reads one JSON document and ``batch`` one per line; both go through
:func:`parse_json`, so they accept and reject the same text. Whatever a command writes, a
standard output closed early (as by ``head``) ends it with :attr:`ExitStatus.BROKEN_PIPE`
and no traceback: :func:`broken_pipe_exits` around the writing, or :func:`stop_on_broken_pipe`
where something else (rich) notices the closed pipe.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import IO, Any, NoReturn

from k2safety.cli._exit import ExitStatus

__all__ = [
    "STDIN",
    "InputError",
    "bad_input",
    "broken_pipe_exits",
    "open_input",
    "open_output",
    "parse_json",
    "read_json",
    "source_name",
    "stop_on_broken_pipe",
    "write_bytes",
    "write_json",
    "write_text",
]

STDIN = "-"
"""The file name that means standard input (or, for an output, standard output)."""


class InputError(Exception):
    """The input is not a JSON document that could be read.

    ``kind`` is ``unreadable``, ``not_json`` or ``blank``, the names ``batch`` gives these
    errors in its output.
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def source_name(file: str) -> str:
    """How messages name an input: its path, or ``<stdin>``."""
    return "<stdin>" if file == STDIN else file


def open_input(file: str, stack: ExitStack) -> IO[bytes]:
    """The input ``file`` (standard input for ``-``) as bytes; ``stack`` closes a file."""
    if file == STDIN:
        return sys.stdin.buffer
    return stack.enter_context(open(file, "rb"))


def open_output(file: str, stack: ExitStack) -> IO[bytes]:
    """The output ``file`` (standard output for ``-``), replaced if it exists."""
    if file == STDIN:
        # Text already written to sys.stdout must come out before these bytes.
        sys.stdout.flush()
        return sys.stdout.buffer
    return stack.enter_context(open(file, "wb"))


def read_json(file: str) -> Any:
    """The JSON document in ``file`` (standard input for ``-``); :class:`InputError` if none."""
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
    :class:`InputError`.

    >>> parse_json(b'\\xef\\xbb\\xbf{"age": 40}')
    {'age': 40}
    >>> parse_json(b"{", line=2)
    Traceback (most recent call last):
    ...
    k2safety.cli._io.InputError: not valid JSON: Expecting property name enclosed in double quotes (column 2)
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
        return json.loads(text)
    except json.JSONDecodeError as error:
        # A line's number is already in the output line that reports it.
        where = f"line {error.lineno}, " if line is None else ""
        message = f"not valid JSON: {error.msg} ({where}column {error.colno})"
        raise InputError("not_json", message) from None
    except RecursionError:
        raise InputError("not_json", "not valid JSON: nested too deeply") from None


def bad_input(name: str, problem: object) -> ExitStatus:
    """Say on standard error why input ``name`` cannot be screened; the status to exit with."""
    print(f"k2safety: {name}: {problem}", file=sys.stderr)
    return ExitStatus.BAD_INPUT


def write_json(document: Any) -> None:
    """Write ``document`` to standard output as indented JSON."""
    # JSON is UTF-8 whatever the terminal's encoding, so write bytes.
    write_bytes((json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))


def write_bytes(data: bytes) -> None:
    """Write ``data`` to standard output, after any text already written to it."""
    with broken_pipe_exits():
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()


def write_text(text: str) -> None:
    """Write ``text`` to standard output in its encoding (unknown characters replaced)."""
    with broken_pipe_exits():
        sys.stdout.write(text)
        # Flushed here, where a closed pipe can still be answered with the right status.
        sys.stdout.flush()


@contextmanager
def broken_pipe_exits() -> Iterator[None]:
    """Turn a closed standard output inside the block into :func:`stop_on_broken_pipe`."""
    try:
        yield
    except BrokenPipeError:
        stop_on_broken_pipe()


def stop_on_broken_pipe() -> NoReturn:
    """Exit with :attr:`ExitStatus.BROKEN_PIPE`: standard output was closed early."""
    # Point stdout at devnull so that flushing it at exit cannot fail a second time.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    raise SystemExit(ExitStatus.BROKEN_PIPE)
