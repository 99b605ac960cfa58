"""SIGINT and SIGTERM while looptui runs: graceful first, forceful if it has to be.

1. The first signal asks for a graceful quit (loops stop, ``after_loop`` hooks run, the
   summary is printed) — the same path as ``q`` in the TUI or the end of ``--for``.
2. The second one forces it (headless: every loop is cancelled; TUI: a second ``q``).
3. The third one raises :class:`ForcedInterrupt` (a ``KeyboardInterrupt``) right where
   the main thread is. This is the way out of a loop that blocks the event loop for
   good (``while True: pass`` in a body): the first two are served by the event loop,
   which a blocked loop never lets run; the third needs no event loop at all.

Once a forced interrupt happened, the process is on its way out with status 130, and a
further signal must not turn that into "killed by SIGTERM" (``-15``): the way out (the
file watcher's thread noticing its stop, atexit handlers, the interpreter's teardown)
takes a tenth of a second or more. :meth:`QuitSignals.uninstall` then leaves a handler
that ends the process at once with status 130 (a thread that never ends would otherwise
keep it alive for good), and the last atexit function ignores the two signals for the
interpreter's own teardown, where CPython gives them back their default action and no
Python handler can run any more.

The handlers are plain ``signal.signal`` handlers rather than
``loop.add_signal_handler`` ones for that third case. Python runs them between two
bytecodes of the main thread, or when a system call is interrupted; the lag probe's
tick keeps every ``select`` of the event loop short, so a signal is served within a
tenth of a second.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import signal
import sys
import threading
from types import FrameType
from typing import Any, Callable

__all__ = ["QuitSignals", "ForcedInterrupt", "FORCE_AT"]

FORCE_AT = 3
"""The signal number (1st, 2nd, …) that raises :class:`ForcedInterrupt`."""
FORCED_STATUS = 130
"""Exit status of a process ended by force (the shell's 128 + SIGINT)."""


class ForcedInterrupt(KeyboardInterrupt):
    """The user sent SIGINT/SIGTERM :data:`FORCE_AT` times: stop whatever is running."""


class QuitSignals:
    """Installs SIGINT/SIGTERM handlers calling *on_first*, then *on_second*, then raising.

    The callbacks run on the event loop (scheduled with ``call_soon_threadsafe``).

    Attributes:
        count: Signals received so far.
        received: Name of the last signal received (``SIGTERM``), or ``None``.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, on_first: Callable[[], Any], on_second: Callable[[], Any]) -> None:
        self.count = 0
        self.received: str | None = None
        self._callbacks = (on_first, on_second)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._previous: dict[int, Any] = {}

    def install(self) -> bool:
        """Take over SIGINT/SIGTERM (main thread only; returns False elsewhere)."""
        if self._previous or threading.current_thread() is not threading.main_thread():
            return bool(self._previous)
        self._loop = asyncio.get_running_loop()
        for sig in self.SIGNALS:
            try:
                self._previous[sig] = signal.signal(sig, self._handle)
            except (ValueError, OSError):  # not supported on this platform
                continue
        return bool(self._previous)

    def uninstall(self) -> None:
        """Give the signals their previous handlers back (after a forced interrupt: see
        the module docstring)."""
        global _forced
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

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.count += 1
        self.received = signal.Signals(signum).name
        loop = self._loop
        if self.count >= FORCE_AT or loop is None or loop.is_closed():
            raise ForcedInterrupt(f"{self.received} received {self.count} times")
        callback = self._callbacks[min(self.count, len(self._callbacks)) - 1]
        loop.call_soon_threadsafe(callback)


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
