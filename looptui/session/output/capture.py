"""Capture what user code writes (``print``, stdout/stderr, logging) and say who wrote it.

While capture is on, ``sys.stdout`` and ``sys.stderr`` are proxies: nothing the user's
code writes reaches the terminal raw (it would tear the TUI). Each complete line is handed
to a *deliver* callback with the loop that wrote it — read from
:data:`looptui.core.context.current_tracker`, which a loop sets for its body and hooks —
or ``None`` when no loop was running.

Logging: records reach the terminal through ``logging.StreamHandler`` (including
:data:`logging.lastResort`, which prints warnings when nothing is configured). Lines
written by a stream handler are labelled ``logging`` instead of ``stderr``/``stdout``, so
a record shows up once, formatted the way the user configured, and logging levels keep
their usual meaning. Stream handlers created before capture began, which hold the real
terminal streams, are pointed at the proxies until capture ends. Records the program sends
elsewhere (a log file, a stream of its own) are copied to the loop that logged them as
well (:mod:`~looptui.session.output.log_records`).
"""

from __future__ import annotations

import asyncio
import io
import logging
import sys
import threading
from typing import TYPE_CHECKING, Any, Callable, TextIO

from looptui.core.context import current_tracker, output_redirect
from looptui.session.output.flood import INBOX_SIZE, ThreadInbox
from looptui.session.output.log_records import RecordTap

if TYPE_CHECKING:
    from looptui.core.tracker import Tracker

__all__ = ["OutputCapture", "Deliver"]

Deliver = Callable[["Tracker | None", str, str], None]
"""``deliver(tracker_or_None, stream, line)``, called on the event-loop thread."""

MAX_PENDING = 8192
"""A partial line longer than this is delivered without waiting for its newline."""

_STREAM_HANDLER_EMIT = logging.StreamHandler.emit.__code__


class _BinaryProxy:
    """``sys.stdout.buffer`` stand-in: decodes bytes and writes them to the text proxy."""

    def __init__(self, text: _StreamProxy) -> None:
        self._text = text

    def write(self, data: bytes) -> int:
        self._text.write(bytes(data).decode(self._text.encoding, "replace"))
        return len(data)

    def flush(self) -> None:
        pass


class _StreamProxy(io.TextIOBase):
    """Replacement for ``sys.stdout``/``sys.stderr`` that routes lines to the capture."""

    looptui_capture = True
    """Marks the capture's streams (a debugger created while they were in place is
    pointed at the terminal instead: see :mod:`looptui.session.debug.handover`)."""

    def __init__(self, capture: OutputCapture, stream: str) -> None:
        super().__init__()
        self._capture = capture
        self._stream = stream
        self.buffer = _BinaryProxy(self)

    @property
    def _original(self) -> TextIO:
        c = self._capture
        return c.original_stdout if self._stream == "stdout" else c.original_stderr

    # TextIO declares encoding and errors as attributes; here they follow the stream.
    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._original, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str:  # type: ignore[override]
        return "replace"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        if self._capture.tee:  # the program's own terminal still gets it all: ask it
            return self._original.isatty()
        return False  # user libraries then write plain text, not colour codes

    def fileno(self) -> int:
        return self._original.fileno()

    def flush(self) -> None:
        """Partial lines wait for their newline; a tee flushes the original stream."""
        if self._capture.tee:
            self._original.flush()

    def write(self, s: str) -> int:
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        capture = self._capture
        if not capture.active:
            return self._original.write(s)
        redirect = output_redirect.get()
        if redirect is not None and redirect(self._stream, s):
            return len(s)
        if capture.tee:
            self._original.write(s)
        label = self._stream
        if sys._getframe(1).f_code is _STREAM_HANDLER_EMIT:
            label = "logging"
        capture.write(current_tracker.get(), label, s)
        return len(s)


class OutputCapture:
    """Installs the stream proxies and turns writes into attributed lines.

    Attributes:
        original_stdout / original_stderr: The streams replaced by :meth:`install`;
            front ends that print (headless) write to these.
        active: True between :meth:`install` and :meth:`uninstall`.
        tee: Every write also goes to the original stream, unchanged (the agent: the
            program's own stdout/stderr keep everything while a client also sees it).
    """

    def __init__(self, deliver: Deliver, nested: Callable[[str, str], None] | None = None,
                 *, tee: bool = False):
        """
        Args:
            deliver: Receives each complete line with its loop (or ``None``).
            nested: Receives lines written *while* a line is being delivered (a sink
                that prints); they must not be delivered again, or output would loop.
            tee: See :attr:`tee`.
        """
        self.tee = tee
        self._deliver = deliver
        self._nested = nested or (lambda stream, text: None)
        self.stdout = _StreamProxy(self, "stdout")
        self.stderr = _StreamProxy(self, "stderr")
        self.original_stdout: TextIO = sys.stdout
        self.original_stderr: TextIO = sys.stderr
        self.active = False
        self._pending: dict[tuple[Any, str], str] = {}
        self._cut: set[tuple[Any, str]] = set()  # delivered early, before their newline
        self._delivering = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.get_ident()
        self._handlers: list[tuple[logging.StreamHandler[Any], Any]] = []
        self._inbox: ThreadInbox | None = None
        self._tap = RecordTap(self._tapped, lambda stream: stream in (self.stdout, self.stderr))

    # ------------------------------------------------------------- install
    def install(self) -> None:
        """Put the proxies in place (again, if something replaced them). Idempotent."""
        if not self.active:
            # (a proxy put back by someone else after uninstall is not an original)
            if sys.stdout is not self.stdout:
                self.original_stdout = sys.stdout
            if sys.stderr is not self.stderr:
                self.original_stderr = sys.stderr
            self.active = True
            try:
                self._loop = asyncio.get_running_loop()
            except RuntimeError:
                self._loop = None
            self._thread = threading.get_ident()
            if self._loop is not None and (self._inbox is None or self._inbox.loop is not self._loop):
                # writes from other threads: handed over in batches, bounded (see flood)
                self._inbox = ThreadInbox(self._loop, self._from_thread, self._threads_dropped)
        if sys.stdout is not self.stdout:
            sys.stdout = self.stdout
        if sys.stderr is not self.stderr:
            sys.stderr = self.stderr
        self._retarget_handlers()
        self._tap.install()

    def uninstall(self) -> None:
        """Deliver partial lines, then give the original streams back. Idempotent."""
        if self.active:
            self.flush_pending()
            self.active = False
            for handler, stream in self._handlers:
                if handler.stream in (self.stdout, self.stderr):
                    handler.setStream(stream)
            self._handlers.clear()
            self._tap.uninstall()
        if sys.stdout is self.stdout:
            sys.stdout = self.original_stdout
        if sys.stderr is self.stderr:
            sys.stderr = self.original_stderr

    def _retarget_handlers(self) -> None:
        """Point stream handlers that write to the real terminal at the proxies."""
        originals = {
            id(self.original_stdout): self.stdout, id(sys.__stdout__): self.stdout,
            id(self.original_stderr): self.stderr, id(sys.__stderr__): self.stderr,
        }
        loggers = [logging.getLogger()] + [
            lg for lg in list(logging.Logger.manager.loggerDict.values())
            if isinstance(lg, logging.Logger)
        ]
        for lg in loggers:
            for handler in list(lg.handlers):
                if not isinstance(handler, logging.StreamHandler):
                    continue
                proxy = originals.get(id(handler.stream))
                if proxy is not None:
                    stream = handler.stream
                    try:
                        handler.setStream(proxy)
                    except AttributeError:  # a handler whose stream is read-only
                        continue
                    self._handlers.append((handler, stream))

    # --------------------------------------------------------------- lines
    def write(self, tracker: Tracker | None, stream: str, text: str) -> None:
        """Buffer *text* written by *tracker* on *stream*; deliver complete lines."""
        if threading.get_ident() != self._thread:
            loop = self._loop
            if loop is None or loop.is_closed():
                (self.original_stderr if stream != "stdout" else self.original_stdout).write(text)
                return
            inbox = self._inbox
            if inbox is not None and inbox.loop is loop:
                inbox.put((tracker, stream, text))
            else:
                loop.call_soon_threadsafe(self.write, tracker, stream, text)
            return
        if not text:
            return
        key = (tracker, stream)
        if self._cut and key in self._cut:
            self._cut.discard(key)
            if text.startswith("\n"):  # ends the line already delivered: not a new one
                text = text[1:]
                if not text:
                    return
        pending = self._pending.pop(key, "") + text
        if "\n" not in pending:
            if len(pending) > MAX_PENDING:
                self._cut.add(key)
                self._emit(tracker, stream, pending)
            else:
                self._pending[key] = pending
            return
        *lines, rest = pending.split("\n")
        if rest:
            self._pending[key] = rest
        for line in lines:
            self._emit(tracker, stream, line)

    def _tapped(self, text: str) -> None:
        """A record the program logged somewhere looptui does not read (see log_records)."""
        if self.active:
            self.write(current_tracker.get(), "logging", text + "\n")

    def _from_thread(self, item: tuple[Tracker | None, str, str]) -> None:
        self.write(*item)

    def _threads_dropped(self, count: int) -> None:
        self._emit(None, "stderr", f"looptui: {count} writes from other threads were dropped "
                                   f"(more than {INBOX_SIZE:,} were waiting and the event "
                                   "loop did not take them)")

    def flush_pending(self) -> None:
        """Deliver every partial line now (at shutdown), writes from threads first."""
        inbox = self._inbox
        if inbox is not None and threading.get_ident() == self._thread:
            inbox.drain(everything=True)
        pending, self._pending = self._pending, {}
        self._cut.clear()
        for (tracker, stream), text in pending.items():
            self._emit(tracker, stream, text)

    def _emit(self, tracker: Tracker | None, stream: str, line: str) -> None:
        if "\r" in line:  # what a terminal would show: the text after the last return
            line = line.rstrip("\r").rsplit("\r", 1)[-1]
        if self._delivering:
            self._nested(stream, line)
            return
        self._delivering = True
        try:
            self._deliver(tracker, stream, line)
        finally:
            self._delivering = False
