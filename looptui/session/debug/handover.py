"""Give the real terminal to a debugger that the user's code starts, and take it back.

``breakpoint()``, ``pdb.set_trace()`` and ``pdb.post_mortem()`` run the debugger
synchronously on the event-loop thread: it holds the loop while it reads commands. Under
the monitor three things would get in its way: the TUI (its input thread reads the keys,
its screen hides the prompt), the output capture (the prompt would become loop output)
and the blocking watchdog (the pause would be reported as a block). While a debugger
*stops* — any :class:`bdb.Bdb`, so ``pdb``, ``ipdb`` and ``pudb`` alike — this module:

1. asks the front end to step aside (:attr:`DebuggerHandover.front`: the TUI's
   ``App.suspend()``, which stops its input thread before the debugger reads stdin);
2. takes the output capture off ``sys.stdout``/``sys.stderr`` and points the debugger's
   own streams at the terminal when they were the capture's;
3. excuses the stall from every running watchdog and notes the stop on the loop that
   was running (``tracker.notes["debugger"]``: its iteration, where, how long), so the
   stuck check does not count the time either.

It is done when a debugger is created (``pdb.Pdb()`` reads the streams then) and when it
stops (its ``interaction``); the terminal is handed back on the event loop's next turn,
so a ``next`` that stays in synchronous code keeps the debugger's screen, and after
``continue`` the TUI comes back redrawn. ``PYTHONBREAKPOINT`` is Python's own business:
``0`` disables ``breakpoint()``, another debugger module is imported and run by Python
itself; nothing here replaces ``sys.breakpointhook`` (a Python wrapper would be the
frame the debugger stops in).
"""

from __future__ import annotations

import asyncio
import bdb
import contextlib
import functools
import os
import sys
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from looptui.core import clock
from looptui.core.context import current_tracker
from looptui.session.health import watchdog

if TYPE_CHECKING:
    from types import FrameType, TracebackType

    from looptui.core.tracker import Tracker
    from looptui.session.output.capture import OutputCapture

__all__ = ["DebuggerHandover"]

_ACTIVE: list[DebuggerHandover] = []
"""Installed handovers, newest last (the newest one serves a debugger stop)."""
_ORIGINAL_INIT = bdb.Bdb.__init__


def _patched_init(self: bdb.Bdb, *args: Any, **kwargs: Any) -> None:
    """``bdb.Bdb.__init__`` while a handover is installed: the debugger is created with
    the terminal's streams, and each of its stops goes through the handover."""
    handover = _ACTIVE[-1] if _ACTIVE else None
    if handover is None or not handover.on_loop_thread():
        _ORIGINAL_INIT(self, *args, **kwargs)
        return
    handover.take_terminal(None)
    try:
        _ORIGINAL_INIT(self, *args, **kwargs)
        interaction = getattr(self, "interaction", None)
        if callable(interaction) and not getattr(interaction, "looptui_wrapped", False):
            self.interaction = handover.wrap_interaction(self, interaction)  # type: ignore[attr-defined]
    finally:
        handover.give_back_soon()


class DebuggerHandover:
    """Hands the terminal to a debugger stop on the event-loop thread (see module doc).

    Args:
        capture: The output capture to take off while a debugger runs (or ``None``).

    Attributes:
        front: Returns a context manager that gives the terminal away while it is
            entered (the TUI's ``App.suspend``); ``None``: nothing draws on it
            (headless, the agent).
        stops: Debugger stops so far.
        active: Whether the debugger has the terminal now.
    """

    def __init__(self, capture: OutputCapture | None) -> None:
        self.capture = capture
        self.front: Callable[[], AbstractContextManager[Any]] | None = None
        self.stops = 0
        self.active = False
        self._thread = threading.get_ident()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._suspended: AbstractContextManager[Any] | None = None
        self._give_back: asyncio.Handle | None = None
        self._since = 0.0
        self._tracker: Tracker | None = None
        self._installed = False
        self._originals: tuple[Any, Any] | None = None

    # ------------------------------------------------------------ install
    def install(self) -> None:
        """Serve debuggers created on this (the event loop's) thread from now on."""
        if self._installed:
            return
        self._installed = True
        self._thread = threading.get_ident()
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None
        _ACTIVE.append(self)
        bdb.Bdb.__init__ = _patched_init  # type: ignore[method-assign]

    def uninstall(self) -> None:
        """Stop serving debuggers (hands the terminal back first if a debugger had it)."""
        if not self._installed:
            return
        self._installed = False
        self.give_back()
        if self in _ACTIVE:
            _ACTIVE.remove(self)
        if not _ACTIVE:
            bdb.Bdb.__init__ = _ORIGINAL_INIT  # type: ignore[method-assign]

    def on_loop_thread(self) -> bool:
        return threading.get_ident() == self._thread

    # ------------------------------------------------------------ a stop
    def wrap_interaction(self, debugger: Any,
                         interaction: Callable[..., Any]) -> Callable[..., Any]:
        """*debugger*'s ``interaction`` run with the terminal handed over."""

        @functools.wraps(interaction)
        def stop(*args: Any, **kwargs: Any) -> Any:
            # pdb's is interaction(frame, traceback); other debuggers' differ: passed on as given
            if not self.on_loop_thread():
                return interaction(*args, **kwargs)
            frame = args[0] if args else kwargs.get("frame")
            tb = args[1] if len(args) > 1 else kwargs.get("tb", kwargs.get("traceback"))
            where = frame if frame is not None else _innermost(tb)
            self.take_terminal(where if hasattr(where, "f_code") else None)
            _point_at_terminal(debugger)
            try:
                return interaction(*args, **kwargs)
            finally:
                self.give_back_soon()

        stop.looptui_wrapped = True  # type: ignore[attr-defined]
        return stop

    def take_terminal(self, frame: FrameType | None) -> None:
        """Give the terminal to the debugger now (if it does not have it already)."""
        if self._give_back is not None:
            self._give_back.cancel()
            self._give_back = None
        if frame is not None:
            self._note_stop(frame)
        capture = self.capture
        if capture is not None and capture.active:
            self._originals = (capture.original_stdout, capture.original_stderr)
            capture.uninstall()
        if self.active:
            return
        self.active = True
        self._since = time.monotonic()
        watchdog.excuse_stall()
        front = self.front
        if front is not None:
            try:
                suspended = front()
                suspended.__enter__()
                self._suspended = suspended
            except Exception:
                # (no terminal of its own, already gone): the debugger runs all the same
                self._suspended = None

    def give_back_soon(self) -> None:
        """The debugger let the program go on: capture its output again at once, and
        hand the terminal back on the event loop's next turn (a debugger that stops
        again before then keeps it)."""
        self._capture_again()
        if not self.active or self._give_back is not None:
            return
        loop = self._loop
        if loop is None or loop.is_closed():
            self.give_back()
            return
        self._give_back = loop.call_soon(self.give_back)

    def give_back(self) -> None:
        """The debugger is done: the front end and the output capture come back."""
        self._give_back = None
        if not self.active:
            return
        self.active = False
        spent = time.monotonic() - self._since
        suspended, self._suspended = self._suspended, None
        if suspended is not None:
            with contextlib.suppress(Exception):
                suspended.__exit__(None, None, None)
        self._capture_again()
        watchdog.excuse_stall()
        tracker = self._tracker
        if tracker is not None:
            note = tracker.notes.get("debugger")
            if isinstance(note, dict):
                note["duration"] = note.get("duration", 0.0) + spent
                tracker.version += 1

    def _capture_again(self) -> None:
        """Put the capture back (also after the front end's resume replaced the streams
        again), with the streams it had replaced before the debugger came."""
        capture = self.capture
        if capture is None or not self._installed or self._originals is None:
            return
        capture.install()
        capture.original_stdout, capture.original_stderr = self._originals

    def _note_stop(self, frame: FrameType) -> None:
        """Note the stop on the loop whose code it is in (its details say so)."""
        self.stops += 1
        tracker = current_tracker.get()
        self._tracker = tracker
        if tracker is None:
            return
        record = tracker.current
        seq = record.seq if record is not None else -1
        note = tracker.notes.get("debugger")
        code = frame.f_code
        where = f"{os.path.basename(code.co_filename)}:{frame.f_lineno}"
        if isinstance(note, dict) and note.get("_seq") == seq and seq >= 0:
            note["where"] = where
        else:
            tracker.notes["debugger"] = {
                "iteration": record.iteration if record is not None else None,
                "where": where, "time": clock.now(), "duration": 0.0,
                "_seq": seq,
            }
        tracker.version += 1


def _innermost(tb: Any) -> FrameType | None:
    """The frame a post-mortem traceback (or exception) ends in."""
    tb = getattr(tb, "__traceback__", tb)
    last: TracebackType | None = None
    while tb is not None:
        last, tb = tb, tb.tb_next
    return last.tb_frame if last is not None else None


def _point_at_terminal(debugger: Any) -> None:
    """A debugger created while the capture held ``sys.stdout`` writes to the terminal."""
    for name, real in (("stdout", sys.__stdout__), ("stdin", sys.__stdin__)):
        stream = getattr(debugger, name, None)
        if real is not None and getattr(stream, "looptui_capture", False):
            setattr(debugger, name, real)
