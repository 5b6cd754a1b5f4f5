"""check_many(): screen many profiles, in order, on one core or several, losing no row.

Every input row gives exactly one result, in input order: the row's :class:`Report`, or the
:class:`ProfileError` that says why the row cannot be screened (a row that is not a mapping
included). An exception of any other type is a bug in k2safety, not a property of the row; it is
raised from the iterator after every earlier result has been yielded, with a note naming the row,
so a batch never skips a row silently.

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
    travel to a worker at a time.

    >>> from k2safety._batch import check_many
    >>> rows = [
    ...     {"supplements": [{"ingredient": "MK-7", "dose": "180 mcg"}]},
    ...     {"supplements": [{"ingredient": "MK-7", "dose": "180"}]},
    ...     "not a profile",
    ... ]
    >>> [type(result).__name__ for result in check_many(rows)]
    ['Report', 'ProfileError', 'ProfileError']

    Any other exception means a bug in k2safety: it is raised after the results of all earlier
    rows, with a note giving the 0-based index of the row. A worker process that dies raises
    :class:`WorkerDied`.
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
    for index, row in enumerate(rows):
        try:
            yield function(row)
        except Exception as error:
            error.add_note(f"while screening row {index} (0-based) of the batch")
            raise


def _in_workers(
    rows: Iterable[_Row], function: Callable[[_Row], _Out], processes: int, chunksize: int
) -> Iterator[_Out]:
    # Imported here so that ``import k2safety`` does not pay for multiprocessing.
    import multiprocessing

    context = multiprocessing.get_context()
    workers: list[_Worker[_Row, _Out]] = []
    finished = False
    try:
        for _ in range(processes):
            workers.append(_Worker(context, function, [w.connection for w in workers]))
        pending: deque[tuple[int, _Worker[_Row, _Out]]] = deque()
        limit = processes * _CHUNKS_IN_FLIGHT_PER_WORKER
        for (start, chunk), worker in zip(_chunks(rows, chunksize), cycle(workers)):
            worker.send(chunk)
            pending.append((start, worker))
            if len(pending) >= limit:
                yield from _receive(*pending.popleft())
        while pending:
            yield from _receive(*pending.popleft())
        finished = True
    finally:
        for worker in workers:
            worker.stop(gracefully=finished)


def _chunks(rows: Iterable[_Row], size: int) -> Iterator[tuple[int, list[_Row]]]:
    iterator = iter(rows)
    start = 0
    while chunk := list(islice(iterator, size)):
        yield start, chunk
        start += len(chunk)


def _receive(start: int, worker: _Worker[_Row, _Out]) -> Iterator[_Out]:
    outcome = worker.receive()
    if not isinstance(outcome, _Failure):
        return iter(outcome)
    return _fail_after(start, outcome)


def _fail_after(start: int, failure: _Failure) -> Iterator[Any]:
    yield from failure.done
    error = failure.error
    error.add_note(f"while screening row {start + len(failure.done)} (0-based) of the batch")
    raise error


class _Failure:
    """An unexpected exception in a worker, and the results of the rows before it in its chunk."""

    def __init__(self, error: Exception, done: list[Any]) -> None:
        self.error = error
        self.done = done


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

    def send(self, chunk: list[_Row]) -> None:
        import pickle

        self.connection.send_bytes(pickle.dumps(chunk, protocol=pickle.HIGHEST_PROTOCOL))

    def receive(self) -> list[_Out] | _Failure:
        import pickle

        try:
            data = self.connection.recv_bytes()
        except (EOFError, OSError):
            self.process.join(timeout=5)
            raise WorkerDied(
                f"a k2safety worker process stopped unexpectedly (exit code "
                f"{self.process.exitcode}); the machine may be out of memory"
            ) from None
        return cast("list[_Out] | _Failure", pickle.loads(data))

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
        outcome = _apply(function, pickle.loads(data))
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
