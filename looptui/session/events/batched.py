"""Events as JSON lines to an open file, in batches: the one writing path of ``--record`` and ``--json``.

Events wait at most :data:`FLUSH_EVERY` seconds and then go out as one batch. While an
event loop runs, a batch is handed to a writer process (:mod:`.writer_process`) that
encodes and writes it, so the loops pay only for handing it over, even when thousands of
them iterate; without an event loop, or where no process can start, the batch is
encoded and written here, with the same encoder (:func:`~.encode.encode_batch`), so the
bytes are the same either way.

The routine events of every iteration are taken raw (:meth:`BatchedLines.take_raw`:
kind, loop name, fields, time), without an event dict, and waiting events are kept in
one flat list, not a tuple each: a tuple waiting 50 ms survives a young garbage
collection, and with thousands of loops those made the collector scan the whole heap
again and again (seconds of pauses in a 10 s run); strings, numbers and dicts of them
are not tracked by the collector at all.

A write that fails (disk full, the reader of a pipe went away) stops the writing; the
reason is kept in :attr:`BatchedLines.error` and handed to ``on_error`` at once.
"""

from __future__ import annotations

import asyncio
import threading
from typing import IO, Any, Callable

from looptui.core import clock
from looptui.session.events.encode import encode_batch
from looptui.session.events.writer_process import WriterProcess
from looptui.session.output.line_writer import why_write_failed

__all__ = ["FLUSH_EVERY", "BatchedLines", "ThreadedLines"]

FLUSH_EVERY = 0.05
"""Seconds an event may wait before it is written."""
_MAX_BATCH = 400_000
"""Items waiting (one per event dict, four per raw event) that force a write before
:data:`FLUSH_EVERY` is up (bounds memory)."""


class BatchedLines:
    """Append events to *file* as JSON lines, in batches.

    Args:
        file: An open text file (a record file, standard output); it is flushed after
            every batch written here, and handed to the writer process by descriptor.
        ascii_only: Write every character outside ASCII as a ``\\u`` escape (``--json``:
            the bytes ``json.dumps`` writes by default, safe for any terminal); otherwise
            readable text is kept and only terminal-active characters are escaped.
        on_error: Called once with the reason when writing fails.
        writer_process: Hand batches to a writer process while an event loop runs
            (``False``: always encode and write here).
        owns_file: Close *file* at the end (``False`` for standard output, which others
            may still write to).

    Attributes:
        error: Why writing stopped, or ``None``.
        written: Events written so far (handed to the writer process, when one writes).
    """

    def __init__(self, file: IO[str], *, ascii_only: bool = False,
                 on_error: Callable[[str], None] | None = None,
                 writer_process: bool = True, owns_file: bool = True) -> None:
        self._file: IO[str] | None = file
        self._owns_file = owns_file
        self.ascii_only = ascii_only
        self.on_error = on_error
        self.error: str | None = None
        self.written = 0
        self._waiting: list[Any] = []
        self._waiting_events = 0
        self._timer: asyncio.TimerHandle | None = None
        self._process: WriterProcess | None = None
        self._process_tried = not writer_process

    @property
    def open(self) -> bool:
        """Whether events are still written (not closed, no failure)."""
        return self._file is not None

    @property
    def writer_pid(self) -> int | None:
        """The id of the process that encodes and writes the batches, while one does;
        ``None`` when they are written by this process."""
        return self._process.pid if self._process is not None else None

    def take_raw(self, kind: str, tracker: Any, fields: dict[str, Any]) -> None:
        """Keep a loop event of :data:`~looptui.session.events.encode.RAW_KINDS` without
        its dict (encoded when written)."""
        if self._file is None:
            return
        self._waiting += (kind, tracker.name, fields,
                          fields["time"] if "time" in fields else clock.now())
        self._waiting_events += 1
        if self._timer is None or len(self._waiting) >= _MAX_BATCH:
            self._arm()

    def __call__(self, event: dict[str, Any]) -> None:
        """Keep *event*; it is written within :data:`FLUSH_EVERY` seconds."""
        if self._file is None:
            return
        self._waiting.append(event)
        self._waiting_events += 1
        self._arm()

    def write_now(self, text: str) -> bool:
        """Write *text* at once, in this process (before any batch went to a writer
        process: a newline that ends a cut last line)."""
        return self._write(text)

    def _arm(self) -> None:
        if self._timer is not None:
            if len(self._waiting) >= _MAX_BATCH:
                self.flush()
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop (tests, shutdown): write at once
            self.flush()
            return
        self._timer = loop.call_later(FLUSH_EVERY, self.flush)

    def flush(self) -> None:
        """Write every waiting event now (hand it to the writer process, when one writes)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        waiting, self._waiting = self._waiting, []
        count, self._waiting_events = self._waiting_events, 0
        if not waiting or self._file is None:
            return
        self._hand_over(waiting, count, self._writer_process())

    def _hand_over(self, waiting: list[Any], count: int, process: WriterProcess | None) -> None:
        """Send a batch of *count* events to *process*, or encode and write it here."""
        if process is not None:
            process.send(waiting)
            if process.reason is None:
                self.written += count
        elif self._write(encode_batch(waiting, ascii_only=self.ascii_only)):
            self.written += count

    def _writer_process(self) -> WriterProcess | None:
        """The child that writes the batches, started at the first one written while an
        event loop runs (``None``: no event loop, or no process could be started)."""
        if self._process is None and not self._process_tried:
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                return None
            self._process_tried = True
            file = self._file
            if file is not None:
                self._process = WriterProcess.start(file, self._failed,
                                                    ascii_only=self.ascii_only)
        return self._process

    def _failed(self, reason: str) -> None:
        if self.error is None:
            self.error = reason
            self._close_file()
            if self.on_error is not None:
                self.on_error(reason)

    def _write(self, text: str) -> bool:
        file = self._file
        if file is None:
            return False
        try:
            file.write(text)
            file.flush()
        except (OSError, ValueError) as exc:
            self._failed(why_write_failed(exc))
            return False
        return True

    def close(self) -> None:
        """Write what is waiting and stop (further events are ignored); with a writer
        process, wait until it has written everything."""
        self.flush()
        process, self._process = self._process, None
        if process is not None:
            process.close()  # a failure it reports comes through _failed
        self._close_file()

    def _close_file(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._waiting = []
        self._waiting_events = 0
        file, self._file = self._file, None
        if file is not None and self._owns_file:
            try:
                file.close()
            except OSError:
                pass


class ThreadedLines(BatchedLines):
    """:class:`BatchedLines` whose batches leave from a thread of their own, every
    :data:`FLUSH_EVERY` seconds, not from a timer on the event loop (``--json``).

    A loop body that never gives the event loop back (``while True: pass``) must not
    hold back what was printed before it: the last lines of a stream are how its reader
    sees where the program hung. So the thread takes the waiting events (under a lock:
    the loops keep adding to them), hands them to the writer process itself (a blocking
    write to its pipe: the thread waits, not the event loop) or encodes and writes them
    where no process can start. Outside an event loop each event is written at once.
    """

    def __init__(self, file: IO[str], **kwargs: Any) -> None:
        super().__init__(file, **kwargs)
        self._lock = threading.Lock()  # guards _waiting
        self._writing = threading.Lock()  # one batch at a time, in order
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:  # made on an event loop: the writer is ready before the first event
            self._arm()

    def take_raw(self, kind: str, tracker: Any, fields: dict[str, Any]) -> None:
        """Keep a routine loop event without its dict (see :meth:`BatchedLines.take_raw`)."""
        if self._file is None:
            return
        with self._lock:
            self._waiting += (kind, tracker.name, fields,
                              fields["time"] if "time" in fields else clock.now())
            self._waiting_events += 1
            full = len(self._waiting) >= _MAX_BATCH
        if self._thread is None or full:
            self._arm()

    def __call__(self, event: dict[str, Any]) -> None:
        """Keep *event*; it is written within :data:`FLUSH_EVERY` seconds."""
        if self._file is None:
            return
        with self._lock:
            self._waiting.append(event)
            self._waiting_events += 1
            full = len(self._waiting) >= _MAX_BATCH
        if self._thread is None or full:
            self._arm()

    def _arm(self) -> None:
        if self._thread is not None:  # far behind: write here, and so wait for the stream
            self.flush()
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # no event loop (tests, shutdown): write at once
            self.flush()
            return
        process = self._writer_process()  # started here, on the event loop
        if process is not None:
            process.blocking = True
        self._thread = threading.Thread(target=self._run, name="looptui-json", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(FLUSH_EVERY):
            if self._waiting:
                self.flush()

    def flush(self) -> None:
        """Write every waiting event now (from whichever thread calls it)."""
        with self._writing:
            with self._lock:
                waiting, self._waiting = self._waiting, []
                count, self._waiting_events = self._waiting_events, 0
            if not waiting or self._file is None:
                return
            self._hand_over(waiting, count, self._process)

    def close(self) -> None:
        """Stop the thread, write what is waiting, and wait for the writer process."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5.0)
        super().close()
