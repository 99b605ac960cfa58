"""Give the terminal back after the TUI on every exit path, including a forced one.

Textual restores the terminal when the app ends normally. When it does not — a third
SIGINT/SIGTERM interrupts whatever runs, or the app is torn down by an exception — the
terminal would be left in the alternate screen, with the cursor hidden, keys in raw
mode and mouse reporting on. :class:`TerminalGuard` remembers the terminal's settings
before the app starts and, when the app did not finish cleanly, puts them back and
writes the sequences that undo what the app turned on. No Textual import here.

When the terminal hangs up (SIGHUP: the ssh session or the tmux window closed), there is
nothing left to restore, and every write to it fails (``EIO``): output that cannot be
written would end Textual's writer thread and leave the app waiting on it for good, and
the interpreter's last flush would turn the exit status into 120.
:meth:`TerminalGuard.hang_up` points the descriptors that were the terminal at
``/dev/null`` instead, so that the graceful quit runs to its end and writes nowhere.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable

__all__ = ["TerminalGuard", "RESET"]

RESET = (
    "\x1b[?2026l"  # end a synchronized update left open
    "\x1b[<u"  # pop the kitty keyboard protocol mode
    "\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1015l\x1b[?1006l\x1b[?1016l"  # mouse reporting off
    "\x1b[?1004l"  # focus events off
    "\x1b[?2004l"  # bracketed paste off
    "\x1b[?1049l"  # leave the alternate screen
    "\x1b[?25h"  # show the cursor
)
"""What a restore writes: each undoes a mode a Textual app may have turned on."""


class TerminalGuard:
    """Snapshot of the terminal before the TUI, restored if the TUI did not end cleanly.

    Usage: create before the app starts, call :meth:`entered` just before running it
    and :meth:`left` once it returned normally; :meth:`restore` (in a ``finally``)
    then acts only when the app was entered and not left.
    """

    def __init__(self, fd_in: int | None = None, fd_out: int | None = None) -> None:
        """Remember the settings of the terminal on *fd_in* (default: the process's
        stdin); restores write to *fd_out* (default: its stderr, where Textual draws)."""
        self.active = False
        self.on_restore: list[Callable[[], Any]] = []
        """Called first by a restore that acts (the app was abandoned): to end the app's
        input thread, which the interpreter would wait for at exit, and its output."""
        self._attrs: Any = None
        self._in = fd_in if fd_in is not None else self._fileno(sys.__stdin__)
        self._out = fd_out if fd_out is not None else self._fileno(sys.__stderr__)
        self._outputs = [fd for fd in {self._out, self._fileno(sys.__stdout__)}
                         if fd is not None and os.isatty(fd)]
        if self._in is not None:
            try:
                import termios

                self._attrs = termios.tcgetattr(self._in)
            except Exception:  # not a terminal (termios.error), or not POSIX
                self._attrs = None

    @staticmethod
    def _fileno(stream: Any) -> int | None:
        try:
            return stream.fileno() if stream is not None else None
        except (OSError, ValueError, AttributeError):
            return None

    def entered(self) -> None:
        """The app is about to take over the terminal."""
        self.active = True

    def left(self) -> None:
        """The app ended normally and restored the terminal itself."""
        self.active = False

    def restore(self) -> bool:
        """Put the terminal back if the app was entered and not left; True if it did."""
        if not self.active:
            return False
        self.active = False
        for callback in self.on_restore:
            try:
                callback()
            except Exception:  # a restore must reach the terminal whatever failed here
                pass
        if self._attrs is not None and self._in is not None:
            try:
                import termios

                termios.tcsetattr(self._in, termios.TCSANOW, self._attrs)
            except Exception:  # termios.error: the terminal is gone
                pass
        if self._out is not None:
            try:
                os.write(self._out, RESET.encode("ascii"))
            except OSError:  # the terminal is gone (hung up): nothing to restore
                pass
        return True

    def hang_up(self) -> bool:
        """The terminal may have hung up (SIGHUP): if it has, send what is still written to
        it to ``/dev/null`` and leave nothing to restore. True if it had hung up.

        A terminal that is still there (``kill -HUP`` by hand) is left alone: the quit that
        follows gives it back as usual. Safe to call from a signal handler.
        """
        gone = [fd for fd in self._outputs if not os.isatty(fd)]  # EIO once hung up
        if not gone:
            return False
        self.active = False
        try:
            sink = os.open(os.devnull, os.O_WRONLY)
        except OSError:
            return True
        try:
            for fd in gone:
                os.dup2(sink, fd)
        finally:
            os.close(sink)
        self._outputs = [fd for fd in self._outputs if fd not in gone]
        return True
