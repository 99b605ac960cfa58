"""Write text to a stream from a thread of its own, in batches, so printing costs the loops little.

Headless mode prints events while the loops run. Writing and flushing each one from the
event-loop thread costs a system call per event, and every system call gives the
interpreter lock away — to a thread printing without pause, for up to the switch
interval (5 ms) each time. :class:`LineWriter` hands the text to a writer thread
instead: the event-loop thread only appends to a list, the writer takes whatever has
gathered and writes it with one ``write`` and one ``flush``.

Because the writer is a thread, what was printed before a loop body that never gives
the event loop back (``while True: pass``) still comes out. Order is kept. When the
stream stops taking text (a paused pager), at most :data:`MAX_WAITING` pieces wait;
beyond that the caller writes itself and so waits for the stream, as a program writing
to a pipe does. :meth:`LineWriter.flush` writes everything now (at exit).
"""

from __future__ import annotations

import threading
from typing import Callable, TextIO

__all__ = ["LineWriter", "MAX_WAITING"]


def _why(err: BaseException) -> str:
    """A write error in words: ``the reader went away (broken pipe)``, ``No space left
    on device``."""
    if isinstance(err, BrokenPipeError):
        return "the reader went away (broken pipe)"
    if isinstance(err, ValueError):
        return "the stream was closed"
    return getattr(err, "strerror", None) or str(err) or type(err).__name__

MAX_WAITING = 10_000
"""Pieces of text that may wait for the writer thread before writers wait instead."""


class LineWriter:
    """Writes text handed to :meth:`write` to *out* from a daemon thread, in order.

    Args:
        out: The stream.
        on_closed: Called once (from whichever thread saw it) when *out* is closed or
            its reader went away; later text is dropped.
    """

    def __init__(self, out: TextIO, on_closed: Callable[[], None] | None = None) -> None:
        self.out = out
        self.closed = False
        self.error: str | None = None
        """Why the stream stopped taking text (``None`` while it takes it)."""
        self._on_closed = on_closed
        self._waiting: list[str] = []
        self._lock = threading.Lock()  # guards _waiting
        self._writing = threading.Lock()  # one batch at a time, in order
        self._ready = threading.Event()
        self._ending = False
        self._thread: threading.Thread | None = None

    def write(self, text: str) -> None:
        """Queue *text*; the writer thread writes it soon."""
        if self.closed:
            return
        with self._lock:
            self._waiting.append(text)
            full = len(self._waiting) >= MAX_WAITING
        if full:  # the stream is not keeping up: wait for it here
            self.flush()
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="looptui-printer", daemon=True)
            self._thread.start()
        if not self._ready.is_set():
            self._ready.set()

    def flush(self) -> None:
        """Write everything queued so far, now, in this thread."""
        with self._writing:
            self._write_batch()

    def close(self) -> None:
        """Write what is queued and stop the writer thread."""
        self.flush()
        self._ending = True
        self._ready.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=1.0)

    def _run(self) -> None:
        while True:
            self._ready.wait()
            self._ready.clear()
            with self._writing:
                self._write_batch()
            if self._ending:
                return

    def _write_batch(self) -> None:
        with self._lock:
            waiting, self._waiting = self._waiting, []
        if not waiting or self.closed:
            return
        try:
            self.out.write("".join(waiting))
            self.out.flush()
        except (OSError, ValueError) as err:  # reader gone (broken pipe), disk full, closed
            self.closed = True
            self.error = _why(err)
            if self._on_closed is not None:
                self._on_closed()
