"""What a monitored loop remembers: one record per iteration attempt, and its exceptions.

Records are cheap to create on the hot path: tracebacks are formatted only when someone
reads them (the details view, a JSON event), never when the exception happens.
"""

from __future__ import annotations

from typing import Literal

from .tracebacks import format_user_exception

__all__ = ["ExceptionInfo", "IterationRecord", "Outcome"]

Outcome = Literal["ok", "failed", "retried", "cancelled"]


class ExceptionInfo:
    """An exception seen by a loop, with its traceback text formatted lazily.

    Attributes:
        type_name: The exception class's name (``ValueError``).
        message: ``str(exc)`` — may contain anything the user's code put there.
        where: What was running: ``body``, ``before_loop``, ``after_loop`` or ``error``.
        time: Epoch seconds when it was recorded.
        retried: Whether the loop retried after it (reconnect) instead of ending.
    """

    __slots__ = ("exc", "type_name", "message", "where", "time", "retried", "_text")

    def __init__(
        self, exc: BaseException, where: str, time: float, retried: bool = False
    ) -> None:
        self.exc: BaseException | None = exc
        self.type_name = type(exc).__name__
        try:
            self.message = str(exc)
        except Exception as err:  # a broken __str__ must not break the loop
            self.message = f"<unprintable {self.type_name}: {type(err).__name__}>"
        self.where = where
        self.time = time
        self.retried = retried
        self._text: str | None = None

    @classmethod
    def from_text(cls, type_name: str, message: str, where: str, time: float,
                  retried: bool, traceback: str) -> ExceptionInfo:
        """An exception known only by its text (one seen in another process)."""
        info = cls.__new__(cls)
        info.exc = None
        info.type_name = type_name
        info.message = message
        info.where = where
        info.time = time
        info.retried = retried
        info._text = traceback
        return info

    @property
    def traceback(self) -> str:
        """The formatted traceback without looptui's own frames (formatted on first read)."""
        if self._text is None:
            exc = self.exc
            try:
                self._text = format_user_exception(exc) if exc is not None else ""
            except Exception as err:  # pragma: no cover - defensive
                self._text = f"{self.type_name}: {self.message}\n<traceback unavailable: {err!r}>\n"
        return self._text

    @property
    def formatted(self) -> bool:
        """Whether :attr:`traceback` was formatted already (reading it is cheap now)."""
        return self._text is not None

    @property
    def summary(self) -> str:
        """``Type: message`` on one line (the message's first line only)."""
        first = self.message.splitlines()[0] if self.message else ""
        return f"{self.type_name}: {first}" if first else self.type_name

    def signature(self) -> tuple[str, str]:
        """What makes two exceptions "the same" for the list of distinct ones."""
        return (self.type_name, self.message)

    def __repr__(self) -> str:
        return f"<ExceptionInfo {self.summary!r} in {self.where}>"


class IterationRecord:
    """One attempt at running the loop's body.

    Attributes:
        iteration: ``current_loop`` when the attempt started (0-based; a retry keeps it).
        scheduled: Epoch seconds the attempt was due, or ``None`` (a manual trigger).
        started: Epoch seconds the body started.
        duration: Seconds the body took, ``None`` while it runs.
        lateness: ``started - scheduled`` in seconds (``0.0`` when unscheduled).
        outcome: ``ok``, ``failed``, ``retried`` or ``cancelled`` (``None`` while running).
        exception: The exception, when the outcome is not ``ok``.
        triggered: True when started by :meth:`Loop.trigger` rather than the schedule.
        seq: Its sequence number in the loop's history (``-1`` for a record made by hand).
    """

    __slots__ = (
        "iteration", "scheduled", "started", "duration", "lateness", "outcome", "exception",
        "triggered", "seq",
    )

    def __init__(
        self, iteration: int, scheduled: float | None, started: float, triggered: bool = False
    ) -> None:
        self.iteration = iteration
        self.scheduled = scheduled
        self.started = started
        self.lateness = started - scheduled if scheduled is not None else 0.0
        self.duration: float | None = None
        self.outcome: Outcome | None = None
        self.exception: ExceptionInfo | None = None
        self.triggered = triggered
        self.seq = -1

    def __repr__(self) -> str:
        return (
            f"<IterationRecord #{self.iteration} {self.outcome or 'running'} "
            f"duration={self.duration!r} lateness={self.lateness:.6f}>"
        )
