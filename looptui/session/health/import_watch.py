"""Say where a slow import is: ``importing bot.py… 5.2 s at bot.py:12 in connect``.

The program is imported on the event loop's thread, so while an import blocks (a
database client connecting, a sleep) nothing else of looptui runs — the TUI has not
taken the screen yet. :class:`ImportWatch` samples that thread from a thread of its own:
once the import has stayed at one place for :data:`FIRST_NOTICE` seconds it writes
where it is (the program's own
innermost frame, and the innermost frame of all) to the terminal, then keeps that line
up to date on a terminal, or says it once otherwise. :attr:`ImportWatch.where` is the
last place seen, for the message when the user interrupts the import.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import TextIO

from looptui.session.health.stacks import is_monitor_code, is_stdlib

__all__ = ["ImportWatch", "FIRST_NOTICE"]

FIRST_NOTICE = 1.0
"""Seconds an import may take before looptui says where it is."""
_EVERY = 0.5
"""Seconds between updates of the line on a terminal."""
_SAMPLE = 0.25
"""Seconds between samples before the first notice."""


def _relative(filename: str, root: str) -> str:
    rel = os.path.relpath(filename, root)
    return filename if rel.startswith("..") else rel


class ImportWatch:
    """Samples the importing thread while a ``with`` block runs (see the module docstring)."""

    def __init__(self, label: str, root: str, out: TextIO | None) -> None:
        self.label = label
        self.root = root
        self.out = out
        self.where: str | None = None
        self.said = False
        self._thread_id = threading.get_ident()
        self._done = threading.Event()
        self._sampler: threading.Thread | None = None
        self._started = 0.0

    def __enter__(self) -> ImportWatch:
        import time

        self._started = time.monotonic()
        self._sampler = threading.Thread(target=self._run, name="looptui import watch",
                                         daemon=True)
        self._sampler.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._done.set()
        if self._sampler is not None:
            self._sampler.join()
        if self.said and self._is_tty():
            self._write("\n")

    def sample(self) -> str | None:
        """Where the importing thread is now: ``bot.py:12 in connect`` (+ innermost)."""
        frame = sys._current_frames().get(self._thread_id)
        innermost = None
        user = None
        while frame is not None:
            code = frame.f_code
            name = code.co_filename
            if innermost is None:
                innermost = f"{os.path.basename(name)}:{frame.f_lineno} in {code.co_name}"
            if user is None and not (is_stdlib(name) or is_monitor_code(name)
                                     or "site-packages" in name):
                user = f"{_relative(name, self.root)}:{frame.f_lineno} in {code.co_name}"
            frame = frame.f_back
        if user is None:
            return innermost
        return user if innermost is None or innermost.endswith(user.split(":", 1)[1]) else \
            f"{user} → {innermost}"

    def _is_tty(self) -> bool:
        try:
            return bool(self.out is not None and self.out.isatty())
        except (ValueError, OSError):
            return False

    def _write(self, text: str) -> None:
        if self.out is None:
            return
        try:
            self.out.write(text)
            self.out.flush()
        except (ValueError, OSError):
            pass

    def _run(self) -> None:
        import time

        # A blocked import stays in one place; one that is merely slow (importing big
        # libraries on a busy machine) moves on: only the first is worth a word.
        same_since = time.monotonic()
        while not self._done.wait(_SAMPLE):
            where = self.sample()
            now = time.monotonic()
            if where != self.where:
                self.where, same_since = where, now
            if now - same_since >= FIRST_NOTICE and now - self._started >= FIRST_NOTICE:
                break
        else:
            return
        tty = self._is_tty()
        while True:
            elapsed = time.monotonic() - self._started
            line = f"looptui: importing {self.label}… {elapsed:.1f} s, at {self.where or '?'}"
            if tty:
                self._write("\r\x1b[2K" + line[:300])
            elif not self.said:
                self._write(line[:1000] + "\n")
            self.said = True
            if not tty:
                self._done.wait()
                return
            if self._done.wait(_EVERY):
                return
            where = self.sample()
            if where:
                self.where = where
