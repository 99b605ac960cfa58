"""Give the terminal back after the TUI on every exit path, including a forced one.

Textual restores the terminal when the app ends normally. When it does not — a third
SIGINT/SIGTERM interrupts whatever runs, or the app is torn down by an exception — the
terminal would be left in the alternate screen, with the cursor hidden, keys in raw
mode and mouse reporting on. :class:`TerminalGuard` remembers the terminal's settings
before the app starts and, when the app did not finish cleanly, puts them back and
writes the sequences that undo what the app turned on. No Textual import here.
"""

from __future__ import annotations

import os
import sys
from typing import Any

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
        self._attrs: Any = None
        self._in = fd_in if fd_in is not None else self._fileno(sys.__stdin__)
        self._out = fd_out if fd_out is not None else self._fileno(sys.__stderr__)
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
