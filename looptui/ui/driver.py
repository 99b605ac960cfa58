"""Textual's terminal driver, made to survive the terminal hanging up under it.

When the terminal goes away (a closed ssh session, a killed tmux window), every read and
write on it fails with ``EIO``. Textual's own driver then falls apart in three ways that
keep the app from ending, let alone gracefully: its input thread dies and makes the app
panic; its writer thread dies on the first failed write, after which the app blocks for
good once 30 writes are queued (and its shutdown waits on that thread); and the
``SIGCONT`` the kernel sends with the ``SIGHUP`` makes it start application mode again.

:class:`HangupSafeDriver` reports a failed read or write as the hang-up it is — a
``SIGHUP`` to its own process, so the one handler of SIGHUP (``cli``: quit gracefully)
serves it whichever part noticed first — drops output that cannot be written, and does
not restart on a ``SIGCONT`` once the terminal is gone. POSIX only; elsewhere the app
keeps Textual's own driver.
"""

from __future__ import annotations

import os
import signal
import threading
from typing import IO, Any

from textual.drivers.linux_driver import LinuxDriver

from .widgets.textual_internals import driver_output, set_driver_output

__all__ = ["HangupSafeDriver", "TerminalOutput"]


def report_hangup() -> None:
    """Tell the process that its terminal hung up, as the kernel does (``SIGHUP``)."""
    os.kill(os.getpid(), signal.SIGHUP)


class TerminalOutput:
    """The file the driver's writer thread writes to: a failed write is a hang-up.

    Output that cannot be written is dropped (the terminal is gone); the first failure
    is reported once with :func:`report_hangup`. :meth:`mute` ends the output for good,
    so that nothing the writer thread still has queued lands after the terminal guard's
    restore.
    """

    def __init__(self, file: IO[str]) -> None:
        self._file = file
        self._lock = threading.Lock()
        self.failed = False
        self.muted = False

    def _failed(self) -> None:
        first, self.failed = not self.failed, True
        if first:
            report_hangup()

    def write(self, text: str) -> None:
        with self._lock:
            if self.muted:
                return
            try:
                self._file.write(text)
            except (OSError, ValueError):  # EIO: hung up; ValueError: closed
                self._failed()

    def flush(self) -> None:
        with self._lock:
            if self.muted:
                return
            try:
                self._file.flush()
            except (OSError, ValueError):
                self._failed()

    def mute(self) -> None:
        """Write out what is buffered, then drop everything written from now on."""
        self.flush()
        with self._lock:
            self.muted = True

    def fileno(self) -> int:
        return self._file.fileno()

    def isatty(self) -> bool:
        return True


class HangupSafeDriver(LinuxDriver):
    """Textual's Linux/macOS driver that ends cleanly when the terminal hangs up."""

    def __init__(self, app: Any, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        set_driver_output(self, TerminalOutput(driver_output(self)))

    def abandon(self) -> None:
        """The app will not stop this driver (a forced exit while blocking code held the
        event loop): end its input thread, which the interpreter would wait for at exit,
        and its output, so that the terminal guard's restore is the last thing written."""
        self.exit_event.set()
        output = driver_output(self)
        if isinstance(output, TerminalOutput):
            output.mute()

    def terminal_gone(self) -> bool:
        """Whether the output is no longer a terminal (hung up, or sent to /dev/null)."""
        try:
            return not os.isatty(driver_output(self).fileno())
        except (OSError, ValueError):
            return True

    def run_input_thread(self) -> None:
        """Read keys until told to stop; a failed read (``EIO``) is a hang-up, not a crash."""
        try:
            super().run_input_thread()
        except OSError:
            report_hangup()

    def resume_application_mode(self) -> None:
        """Back from a suspension (``SIGCONT``), unless the terminal is gone: the kernel
        sends ``SIGCONT`` with the ``SIGHUP`` of a hang-up, and there is nothing to draw on."""
        if self.terminal_gone():
            return
        super().resume_application_mode()
