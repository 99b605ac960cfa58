"""SIGINT, SIGTERM and SIGHUP while looptui runs: graceful first, forceful if it has to be.

1. The first signal asks for a graceful quit (loops stop, ``after_loop`` hooks run, the
   summary is printed) — the same path as ``q`` in the TUI or the end of ``--for``.
2. The second one forces it (headless: every loop is cancelled; TUI: a second ``q``).
3. The third one raises :class:`ForcedInterrupt` (a ``KeyboardInterrupt``) right where
   the main thread is. This is the way out of a loop that blocks the event loop for
   good (``while True: pass`` in a body): the first two are served by the event loop,
   which a blocked loop never lets run; the third needs no event loop at all.

While the program is being imported (:attr:`QuitSignals.importing`) the event loop is
not turning, so the first signal interrupts at once instead of waiting for it.

**SIGHUP** says the terminal hung up (a closed ssh session, a killed tmux window). That
happens once: a second SIGHUP (the kernel's and the TUI driver's own report of the same
hang-up, or a repeated ``kill -HUP``) is not counted again. The *on_hangup* callback runs
at once, in the handler, before anything is scheduled: the TUI points its output away
from a dead terminal there, before any code of the quit path writes to it.

**The program's own handlers.** Bots install SIGINT/SIGTERM handlers of their own, at
import or in their main coroutine (``signal.signal`` or ``loop.add_signal_handler``).
Left alone they would replace looptui's, and nothing could stop the monitor gently.
So looptui keeps its handlers in place — :meth:`QuitSignals.reassert` puts them back
after every import and reload and a few times a second — and *chains*: the program's
handler is remembered and called on the first signal, after looptui's graceful quit is
scheduled, so the program's own shutdown (closing a client, saving state) still runs.
``loop.add_signal_handler`` calls on the running event loop for these signals are
recorded the same way instead of being installed. A chained handler runs as an
event-loop callback (a ``signal.signal`` one gets ``None`` as its frame), never in the
middle of a loop's body: a ``sys.exit(n)`` in it quits looptui gracefully with ``n``
instead of failing whichever loop happened to be running.

Once a forced interrupt happened, the process is on its way out with status 130, and a
further signal must not turn that into "killed by SIGTERM" (``-15``): the way out (the
file watcher's thread noticing its stop, atexit handlers, the interpreter's teardown)
takes a tenth of a second or more. :meth:`QuitSignals.uninstall` then leaves a handler
that ends the process at once with status 130 (a thread that never ends would otherwise
keep it alive for good), and the last atexit function ignores the two signals for the
interpreter's own teardown, where CPython gives them back their default action and no
Python handler can run any more.

The handlers are plain ``signal.signal`` handlers rather than
``loop.add_signal_handler`` ones for the third case. Python runs them between two
bytecodes of the main thread, or when a system call is interrupted; the lag probe's
tick keeps every ``select`` of the event loop short, so a signal is served within a
tenth of a second.
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import os
import signal
import sys
import threading
from types import FrameType
from typing import Any, Callable

__all__ = ["QuitSignals", "ForcedInterrupt", "FORCE_AT", "REASSERT_EVERY", "forced_exit_started"]

FORCE_AT = 3
"""The signal number (1st, 2nd, …) that raises :class:`ForcedInterrupt`."""
REASSERT_EVERY = 0.25
"""Seconds between checks that looptui's handlers are still the ones installed."""
FORCED_STATUS = 130
"""Exit status of a process ended by force (the shell's 128 + SIGINT)."""


class ForcedInterrupt(KeyboardInterrupt):
    """The user sent SIGINT/SIGTERM :data:`FORCE_AT` times: stop whatever is running."""


def _quit_signals() -> tuple[signal.Signals, ...]:
    names = ("SIGINT", "SIGTERM", "SIGHUP")
    return tuple(getattr(signal, name) for name in names if hasattr(signal, name))


class QuitSignals:
    """Installs SIGINT/SIGTERM/SIGHUP handlers calling *on_first*, then *on_second*, then raising.

    The callbacks run on the event loop (scheduled with ``call_soon_threadsafe``).

    Attributes:
        count: Signals received so far.
        received: Name of the last signal received (``SIGTERM``), or ``None``.
        hung_up: Whether a SIGHUP came (counted once, see the module docstring).
        importing: While true, the first signal raises :class:`ForcedInterrupt` at
            once (the event loop is busy importing the program and cannot serve it).
        program_handlers: The program's own handlers, by signal number, chained on
            the first signal (each a callable taking no arguments).
    """

    SIGNALS = _quit_signals()

    def __init__(self, on_first: Callable[[], Any], on_second: Callable[[], Any],
                 signals: tuple[int, ...] | None = None,
                 on_hangup: Callable[[], Any] | None = None) -> None:
        """*signals* defaults to :attr:`SIGNALS`; *on_hangup*, if given, is called in the
        handler of the first SIGHUP, before it is counted (see the module docstring)."""
        self.signals = self.SIGNALS if signals is None else signals
        self.count = 0
        self.received: str | None = None
        self.hung_up = False
        self._on_hangup = on_hangup
        self.importing = False
        self.program_handlers: dict[int, Callable[[], Any]] = {}
        self._callbacks = (on_first, on_second)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._previous: dict[int, Any] = {}
        self._patched: list[str] = []
        self._timer: asyncio.TimerHandle | None = None

    # ------------------------------------------------------------- install
    def install(self) -> bool:
        """Take over the signals (main thread only; returns False elsewhere)."""
        if self._previous or threading.current_thread() is not threading.main_thread():
            return bool(self._previous)
        self._loop = asyncio.get_running_loop()
        for sig in self.signals:
            try:
                previous = signal.signal(sig, self._handle)
            except (ValueError, OSError):  # not supported on this platform
                continue
            self._previous[sig] = previous
            self._adopt(sig, previous)
        self._patch_loop()
        self._timer = self._loop.call_later(REASSERT_EVERY, self._tick)
        return bool(self._previous)

    def uninstall(self) -> None:
        """Give the signals their previous handlers back (after a forced interrupt: see
        the module docstring)."""
        global _forced
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        loop = self._loop
        for name in self._patched:
            try:
                delattr(loop, name)
            except AttributeError:
                pass
        self._patched = []
        previous, self._previous = self._previous, {}
        forced = self.count >= FORCE_AT
        _forced = _forced or forced
        for sig, handler in previous.items():
            if forced:
                handler = _exit_forced
            try:
                signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
            except (ValueError, OSError):
                pass

    def reassert(self) -> None:
        """Put looptui's handlers back where the program replaced them, and remember
        the program's to chain to. Cheap; call it after every import."""
        if not self._previous:
            return
        for sig in self._previous:
            current = signal.getsignal(sig)
            if current == self._handle:
                continue
            self._adopt(sig, current)
            try:
                signal.signal(sig, self._handle)
            except (ValueError, OSError):
                pass

    def _tick(self) -> None:
        self.reassert()
        loop = self._loop
        if loop is not None and not loop.is_closed() and self._previous:
            self._timer = loop.call_later(REASSERT_EVERY, self._tick)

    def _adopt(self, sig: int, handler: Any) -> None:
        """Remember *handler* (found installed for *sig*) if it is the program's own."""
        if not callable(handler) or handler is signal.default_int_handler:
            return
        if getattr(handler, "__module__", None) == "asyncio.unix_events":
            return  # asyncio's no-op: its callback was recorded by add_signal_handler
        self.program_handlers[sig] = functools.partial(self._call_soon, handler, sig, None)

    def _patch_loop(self) -> None:
        """Record ``loop.add_signal_handler`` calls for our signals instead of installing them."""
        loop = self._loop
        original_add = getattr(loop, "add_signal_handler", None)
        original_remove = getattr(loop, "remove_signal_handler", None)
        if original_add is None or original_remove is None:
            return
        ours = set(self._previous)

        def add_signal_handler(sig: int, callback: Callable[..., Any], *args: Any) -> None:
            if sig not in ours:
                return original_add(sig, callback, *args)
            if asyncio.iscoroutine(callback) or asyncio.iscoroutinefunction(callback):
                raise TypeError("coroutines cannot be used with add_signal_handler()")
            self.program_handlers[sig] = functools.partial(self._call_soon, callback, *args)
            return None

        def remove_signal_handler(sig: int) -> bool:
            if sig not in ours:
                return original_remove(sig)
            return self.program_handlers.pop(sig, None) is not None

        for name, func in (("add_signal_handler", add_signal_handler),
                           ("remove_signal_handler", remove_signal_handler)):
            try:
                setattr(loop, name, func)
            except (AttributeError, TypeError):  # a loop written in C (uvloop)
                continue
            self._patched.append(name)

    def _call_soon(self, callback: Callable[..., Any], *args: Any) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(callback, *args)

    # -------------------------------------------------------------- handle
    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if signum == getattr(signal, "SIGHUP", None):
            if self.hung_up:
                return  # the same hang-up, reported again
            self.hung_up = True
            if self._on_hangup is not None:
                self._on_hangup()
        self.count += 1
        self.received = signal.Signals(signum).name
        loop = self._loop
        if self.count >= FORCE_AT or self.importing or loop is None or loop.is_closed():
            raise ForcedInterrupt(f"{self.received} received {self.count} times")
        callback = self._callbacks[min(self.count, len(self._callbacks)) - 1]
        loop.call_soon_threadsafe(callback)
        chained = self.program_handlers.get(signum) if self.count == 1 else None
        if chained is not None:
            chained()  # on the event loop, not here: see the class docstring


def _exit_forced(signum: int, frame: FrameType | None) -> None:
    """A signal after a forced interrupt: end the process now, with the forced status."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # mid-write, closed: the status is what matters now
            pass
    os._exit(FORCED_STATUS)


_forced = False
"""Whether a forced interrupt happened in this process (read at exit)."""


def forced_exit_started() -> None:
    """A forced interrupt has ended the front end, perhaps before it could uninstall its
    handlers (blocking code held the event loop to the end): from now on each of the
    signals ends the process at once with the forced status."""
    global _forced
    _forced = True
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in QuitSignals.SIGNALS:
        try:
            signal.signal(sig, _exit_forced)
        except (ValueError, OSError):
            pass


def _ignore_in_final_teardown() -> None:
    """Registered when looptui starts, so it runs after every atexit function of the program."""
    if not _forced or threading.current_thread() is not threading.main_thread():
        return
    for sig in QuitSignals.SIGNALS:
        try:
            signal.signal(sig, signal.SIG_IGN)
        except (ValueError, OSError):
            pass


atexit.register(_ignore_in_final_teardown)
