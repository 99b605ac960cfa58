"""Logging records the program sends elsewhere (a file, its own stream), seen per loop too.

Records that a ``logging.StreamHandler`` writes to the captured ``sys.stdout`` /
``sys.stderr`` are already attributed to the loop that logged them (see
:mod:`~looptui.session.output.capture`). A program that logs to a file
(``logging.basicConfig(filename=...)``), to a stream of its own, or through a handler
looptui cannot read, keeps doing so; :class:`RecordTap` hands looptui a copy of each such
record, formatted by the program's own handler, so the loop's output shows it as well.

The tap is not a handler: a handler on the root logger would turn the program's own
``logging.basicConfig()`` into a no-op (it configures nothing once the root logger has a
handler) and would keep :data:`logging.lastResort` from printing. It wraps
``Logger.callHandlers`` instead, after the program's handlers have run, while installed.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

__all__ = ["RecordTap"]

_PLAIN = logging.Formatter()
"""What a handler without a formatter prints: the message."""


class RecordTap:
    """Copies records no captured stream handler shows to *write* (see the module docstring).

    Args:
        write: Receives each record's formatted text (one or more lines, no final newline);
            called on the thread that logged.
        captured: Whether a stream is one looptui captures (its proxies).
    """

    def __init__(self, write: Callable[[str], None], captured: Callable[[object], bool]) -> None:
        self._write = write
        self._captured = captured
        self._saved: Any = None

    @property
    def installed(self) -> bool:
        return self._saved is not None

    def install(self) -> None:
        """Wrap ``logging.Logger.callHandlers`` (idempotent)."""
        if self._saved is not None:
            return
        original = logging.Logger.__dict__["callHandlers"]
        tap = self

        def callHandlers(self: logging.Logger, record: logging.LogRecord) -> None:
            original(self, record)
            tap.copy(self, record)

        callHandlers.__wrapped__ = original  # type: ignore[attr-defined]
        self._saved = original
        logging.Logger.callHandlers = callHandlers  # type: ignore[method-assign]  # on purpose

    def uninstall(self) -> None:
        """Put ``logging.Logger.callHandlers`` back (idempotent)."""
        if self._saved is None:
            return
        logging.Logger.callHandlers = self._saved  # type: ignore[method-assign]
        self._saved = None

    def copy(self, logger: logging.Logger, record: logging.LogRecord) -> None:
        """Hand *record* over unless a captured stream handler (or lastResort) showed it."""
        try:
            handlers = _handlers_of(logger)
            if not handlers:
                return  # logging.lastResort printed it to the captured stderr
            for handler in handlers:
                if (isinstance(handler, logging.StreamHandler) and self._captured(handler.stream)
                        and record.levelno >= handler.level):
                    return  # shown already, as that handler formats it
            shown = [h for h in handlers if record.levelno >= h.level]
            if shown:
                self._write((shown[0].formatter or _PLAIN).format(record))
        except Exception:  # a broken formatter: the program's handler reports it already
            pass


def _handlers_of(logger: logging.Logger) -> list[logging.Handler]:
    """The handlers ``callHandlers`` runs for a record of *logger*, nearest first."""
    found: list[logging.Handler] = []
    current: logging.Logger | None = logger
    while current is not None:
        found.extend(current.handlers)
        if not current.propagate:
            break
        current = current.parent
    return found
