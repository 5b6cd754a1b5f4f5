"""check_many(): screen many profiles, in order, on one core or several, losing no row.

Every input row gives exactly one result, in input order: the row's :class:`Report`, or the
:class:`ProfileError` that says why the row cannot be screened (a row that is not a mapping
included). An exception of any other type is a bug in k2safety, not a property of the row; it is
raised from the iterator after every earlier result has been yielded, with a note naming the row,
so a batch never skips a row silently. An exception the rows' own iterator raises (a file that
cannot be read further, a generator with a bug) is raised the same way: after the results of
every row it gave, with a note saying how many it gave.

The results do not depend on ``processes``. A row that cannot travel to a worker process (it
cannot be pickled, as a generator or a lambda, or the worker cannot unpickle it) is screened in
the calling process instead, so it gives the result it gives without ``processes``, and every
other row of its chunk still goes to the worker.

With ``processes``, rows go to worker processes in chunks, round robin, and come back in the same
order. Each worker loads the knowledge base, the unit registry and the medication index once,
when it starts. At most two chunks per worker are in flight, so the input is read only as fast as
results are consumed: an endless generator or a slow consumer never fills memory.

Why not ``multiprocessing.Pool``: ``imap`` buffers every finished result until the caller takes
it, so a slow consumer fills memory, and its helper threads contend with the caller for the GIL
(in our measurements the caller spent about twice the CPU per row). Here the caller's thread
sends and receives itself, one pipe per worker.

Each report is pickled in the worker and unpickled in the caller (as its fields only, see
:class:`k2safety._construct.Lightly`), which costs the caller about a quarter of what screening
costs a worker; on a machine with as many cores as workers, that caps how much more processes
can give. ``k2safety batch`` avoids it by having the workers write the output lines themselves.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import cycle, islice
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from k2safety._engine import check
from k2safety._errors import ProfileError
from k2safety._profile import Profile
from k2safety._report import Report

if TYPE_CHECKING:
    import queue
    from multiprocessing.connection import Connection
    from multiprocessing.context import BaseContext
    from multiprocessing.process import BaseProcess

__all__ = ["DEFAULT_CHUNKSIZE", "Result", "WorkerDied", "check_many", "screen", "screen_rows"]

Result = Report | ProfileError
"""What each input row becomes."""

DEFAULT_CHUNKSIZE = 64
"""Rows sent to a worker at a time: enough to make the cost of a round trip small."""

_CHUNKS_IN_FLIGHT_PER_WORKER = 2  # one being screened, one waiting: the worker never idles
_STOP = b""

_Row = TypeVar("_Row")
_Out = TypeVar("_Out")

# A profile that touches the knowledge base, the unit registry and the medication index.
_WARM_UP_PROFILE = {
    "medications": ["warfarin"],
    "supplements": [{"ingredient": "MK-7", "dose": "180 mcg"}],
}


class WorkerDied(RuntimeError):
    """A worker process ended without answering (killed, or out of memory)."""


def check_many(
    profiles: Iterable[object],
    *,
    processes: int | None = None,
    chunksize: int = DEFAULT_CHUNKSIZE,
) -> Iterator[Result]:
    """Screen each profile; yield its :class:`Report` or its :class:`ProfileError`, in order.

    ``profiles`` may be any iterable of :class:`Profile` objects or mappings, a generator
    included; it is read lazily. A row that is not a mapping gives a :class:`ProfileError` like
    any other invalid row. ``processes=None`` screens in this process; a number spreads the rows
    over that many worker processes, which each load the knowledge base once; ``chunksize`` rows
    travel to a worker at a time. The results are the same whatever ``processes`` is: a row that
    cannot travel to a worker (it cannot be pickled, or unpickled there) is screened in this
    process instead.

    >>> from k2safety._batch import check_many
    >>> rows = [
    ...     {"supplements": [{"ingredient": "MK-7", "dose": "180 mcg"}]},
    ...     {"supplements": [{"ingredient": "MK-7", "dose": "180"}]},
    ...     "not a profile",
    ... ]
    >>> [type(result).__name__ for result in check_many(rows)]
    ['Report', 'ProfileError', 'ProfileError']

    Any other exception means a bug in k2safety: it is raised after the results of all earlier
    rows, with a note giving the 0-based index of the row. An exception that ``profiles`` itself
    raises while it is read is raised the same way, after the results of every row it gave. A
    worker process that dies raises :class:`WorkerDied`.
    """
    return screen_rows(profiles, screen, processes=processes, chunksize=chunksize)


def screen(profile: object) -> Result:
    """One row's result: its report, or the reason it cannot be screened."""
    try:
        # check() answers a row that is not a mapping with a ProfileError of its own.
        return check(cast("Profile | Mapping[str, Any]", profile))
    except ProfileError as error:
        # Now a result, not a raised error: its traceback would only keep frames alive.
        error.__traceback__ = None
        return error


# --- processes ---------------------------------------------------------------------------------


def screen_rows(
    rows: Iterable[_Row],
    function: Callable[[_Row], _Out],
    *,
    processes: int | None = None,
    chunksize: int = DEFAULT_CHUNKSIZE,
) -> Iterator[_Out]:
    """``map(function, rows)`` in order, in this process or over warmed-up worker processes.

    ``function`` must be a module-level function when ``processes`` is given, so that a worker
    can be told which one to run. The CLI uses this to have workers return finished lines.
    """
    if processes is not None and processes < 1:
        raise ValueError(f"processes must be at least 1, got {processes}")
    if chunksize < 1:
        raise ValueError(f"chunksize must be at least 1, got {chunksize}")
    if processes is None:
        return _in_process(rows, function)
    return _in_workers(rows, function, processes, chunksize)


def _in_process(rows: Iterable[_Row], function: Callable[[_Row], _Out]) -> Iterator[_Out]:
    iterator = iter(rows)
    index = 0
    while True:
        try:
            row = next(iterator)
        except StopIteration:
            return
        except Exception as error:
            _note_source_failed(error, index)
            raise
        yield _here(function, row, index)
        index += 1


def _here(function: Callable[[_Row], _Out], row: _Row, index: int) -> _Out:
    """``function(row)`` in this process; an exception gets a note naming the row."""
    try:
        return function(row)
    except Exception as error:
        error.add_note(f"while screening row {index} (0-based) of the batch")
        raise


def _note_source_failed(error: Exception, index: int) -> None:
    """Note on the exception the rows' iterator raised how far it got."""
    error.add_note(
        f"while reading row {index} (0-based) of the batch from the iterator of the rows; "
        "every row before it was screened"
    )


def _in_workers(
    rows: Iterable[_Row], function: Callable[[_Row], _Out], processes: int, chunksize: int
) -> Iterator[_Out]:
    # Imported here so that ``import k2safety`` does not pay for multiprocessing.
    import multiprocessing

    context = multiprocessing.get_context()
    workers: list[_Worker[_Row, _Out]] = []
    finished = False
    source: _Source[_Row] = _Source(iter(rows))  # not iterable: a TypeError, before any worker
    try:
        for _ in range(processes):
            workers.append(_Worker(context, function, [w.connection for w in workers]))
        pending: deque[_Sent[_Row]] = deque()
        limit = processes * _CHUNKS_IN_FLIGHT_PER_WORKER
        for (start, chunk), worker in zip(source.chunks(chunksize), cycle(workers)):
            pending.append(worker.send(start, chunk))
            if len(pending) >= limit:
                yield from _receive(pending.popleft(), function)
        while pending:
            yield from _receive(pending.popleft(), function)
        finished = True
    finally:
        for worker in workers:
            worker.stop(gracefully=finished)
    if source.error is not None:
        # Every row the iterator gave has its result: now say why there are no more.
        _note_source_failed(source.error, source.read)
        raise source.error


class _Source(Generic[_Row]):
    """The rows in chunks, read lazily; an exception of the rows' iterator ends the chunks and
    is kept in ``error``, so that the rows read before it are still screened."""

    def __init__(self, rows: Iterator[_Row]) -> None:
        self._rows = rows
        self.read = 0
        self.error: Exception | None = None

    def chunks(self, size: int) -> Iterator[tuple[int, list[_Row]]]:
        while True:
            start = self.read
            chunk: list[_Row] = []
            try:
                # One row at a time: a row read before the iterator fails is not lost.
                for row in islice(self._rows, size):
                    chunk.append(row)
            except Exception as error:
                self.error = error
            self.read += len(chunk)
            if chunk:
                yield start, chunk
            if self.error is not None or len(chunk) < size:
                return


class _Sent(Generic[_Row]):
    """A chunk sent to a worker: the rows the worker screens, and those kept to screen here."""

    def __init__(
        self, start: int, chunk: list[_Row], worker: _Worker[_Row, Any] | None, here: set[int]
    ) -> None:
        self.start = start
        self.chunk = chunk
        self.worker = worker
        self.here = here
        """Positions in ``chunk`` of the rows that could not be sent, screened in this process."""


def _receive(sent: _Sent[_Row], function: Callable[[_Row], _Out]) -> Iterator[_Out]:
    outcome = [] if sent.worker is None else sent.worker.receive()
    if isinstance(outcome, _Unreadable):
        # The worker could not unpickle the chunk: screen it here, as without processes.
        return (
            _here(function, row, sent.start + position) for position, row in enumerate(sent.chunk)
        )
    if not sent.here and not isinstance(outcome, _Failure):
        return iter(outcome)
    return _merge(sent, outcome, function)


def _merge(
    sent: _Sent[_Row], outcome: list[_Out] | _Failure, function: Callable[[_Row], _Out]
) -> Iterator[_Out]:
    """The chunk's results in order: the worker's, with those of the rows kept here between."""
    from_worker = iter(outcome.done if isinstance(outcome, _Failure) else outcome)
    for position, row in enumerate(sent.chunk):
        index = sent.start + position
        if position in sent.here:
            yield _here(function, row, index)
            continue
        result = next(from_worker, _MISSING)
        if result is _MISSING:  # the worker failed on this row
            assert isinstance(outcome, _Failure)
            error = outcome.error
            error.add_note(f"while screening row {index} (0-based) of the batch")
            raise error
        yield cast("_Out", result)


_MISSING: Any = object()


class _Failure:
    """An unexpected exception in a worker, and the results of the rows before it in its chunk."""

    def __init__(self, error: Exception, done: list[Any]) -> None:
        self.error = error
        self.done = done


class _Unreadable:
    """A worker's answer to a chunk it could not unpickle."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


class _Worker(Generic[_Row, _Out]):
    """One worker process and the parent's end of its pipe."""

    def __init__(
        self,
        context: BaseContext,
        function: Callable[[_Row], _Out],
        other_parent_ends: list[Connection],
    ) -> None:
        self.connection, child_end = context.Pipe()
        # The child closes every parent end it inherits, so that it sees end-of-file, and
        # stops, if the parent dies without saying goodbye.
        inherited = [*other_parent_ends, self.connection]
        self.process: BaseProcess = context.Process(  # type: ignore[attr-defined]
            target=_serve,
            args=(child_end, function, inherited),
            name="k2safety-batch-worker",
            daemon=True,
        )
        self.process.start()
        child_end.close()

    def send(self, start: int, chunk: list[_Row]) -> _Sent[_Row]:
        """Send ``chunk`` (rows ``start`` onwards) to the worker; a row that cannot be pickled
        is kept back, to be screened in this process."""
        import pickle

        try:
            data = pickle.dumps(chunk, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:
            # Rare: find the rows that cannot travel, and send the others.
            here = set()
            for position, row in enumerate(chunk):
                try:
                    pickle.dumps(row, protocol=pickle.HIGHEST_PROTOCOL)
                except Exception:
                    here.add(position)
            sendable = [row for position, row in enumerate(chunk) if position not in here]
            if not sendable:
                return _Sent(start, chunk, None, here)
            data = pickle.dumps(sendable, protocol=pickle.HIGHEST_PROTOCOL)
            self.connection.send_bytes(data)
            return _Sent(start, chunk, self, here)
        self.connection.send_bytes(data)
        return _Sent(start, chunk, self, set())

    def receive(self) -> list[_Out] | _Failure | _Unreadable:
        import pickle

        try:
            data = self.connection.recv_bytes()
        except (EOFError, OSError):
            self.process.join(timeout=5)
            raise WorkerDied(
                f"a k2safety worker process stopped unexpectedly (exit code "
                f"{self.process.exitcode}); the machine may be out of memory"
            ) from None
        return cast("list[_Out] | _Failure | _Unreadable", pickle.loads(data))

    def stop(self, *, gracefully: bool) -> None:
        if gracefully:
            with contextlib.suppress(OSError):  # the worker has already gone
                self.connection.send_bytes(_STOP)
            self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join()
        self.connection.close()


def _serve(
    connection: Connection, function: Callable[[Any], Any], inherited: list[Connection]
) -> None:
    """A worker's life: warm up, then screen each chunk the parent sends, until told to stop."""
    import gc
    import pickle
    import queue
    import threading

    for parent_end in inherited:
        parent_end.close()
    _warm_up()
    gc.freeze()  # the knowledge base lives as long as the worker: keep it out of collections
    inbox: queue.SimpleQueue[bytes] = queue.SimpleQueue()
    # Reading in a thread keeps the parent's sends from ever waiting on this worker's replies.
    threading.Thread(target=_read_into, args=(connection, inbox), daemon=True).start()
    while (data := inbox.get()) != _STOP:
        try:
            chunk = pickle.loads(data)
        except Exception as error:  # a row this process cannot rebuild: the parent screens it
            reply = pickle.dumps(_Unreadable(f"{type(error).__name__}: {error}"))
        else:
            outcome = _apply(function, chunk)
            try:
                reply = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception as error:  # a bug: something that cannot be pickled
                reply = pickle.dumps(_unpicklable(outcome, error))
        try:
            connection.send_bytes(reply)
        except OSError:
            return  # the parent has gone


def _unpicklable(outcome: list[Any] | _Failure, error: Exception) -> _Failure:
    if isinstance(outcome, _Failure):
        stand_in = RuntimeError(f"{type(outcome.error).__name__}: {outcome.error}")
        stand_in.add_note(f"(the original exception could not be sent back: {error})")
        return _Failure(stand_in, outcome.done)
    return _Failure(RuntimeError(f"a result could not be sent back from a worker: {error}"), [])


def _read_into(connection: Connection, inbox: queue.SimpleQueue[bytes]) -> None:
    while True:
        try:
            data = connection.recv_bytes()
        except (EOFError, OSError):
            data = _STOP
        inbox.put(data)
        if data == _STOP:
            return


def _apply(function: Callable[[Any], Any], chunk: list[Any]) -> list[Any] | _Failure:
    import traceback

    results = []
    for row in chunk:
        try:
            results.append(function(row))
        except Exception as error:
            error.add_note("traceback in the worker process:\n" + traceback.format_exc())
            return _Failure(error, results)
    return results


def _warm_up() -> None:
    """Load the knowledge base, unit registry and medication index once per worker.

    Workers ignore Ctrl-C: the parent gets it, stops, and ends its workers, so an interrupted
    batch stops cleanly instead of printing a traceback per worker.
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    check(_WARM_UP_PROFILE)
