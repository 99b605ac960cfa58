"""The states a monitored loop can be in (a contract: these words appear in the UI and JSON)."""

from __future__ import annotations

import enum

__all__ = ["LoopState", "TERMINAL_STATES", "ACTIVE_STATES"]


class LoopState(str, enum.Enum):
    """Lifecycle of a loop, from creation to its end.

    ``str`` subclass so that ``state == "running"`` and ``json.dumps`` work directly.
    """

    IDLE = "idle"  #: created, not started
    WAITING = "waiting"  #: running ``before_loop``
    SLEEPING = "sleeping"  #: waiting for the next run
    RUNNING = "running"  #: body in progress
    RETRYING = "retrying"  #: backing off after a reconnect-class error
    PAUSED = "paused"  #: paused by the user; no body starts until resumed
    STOPPING = "stopping"  #: stop requested, finishing the current body
    STOPPED = "stopped"  #: ended by stop
    CANCELLED = "cancelled"  #: ended by cancellation
    FINISHED = "finished"  #: ``count`` iterations done
    FAILED = "failed"  #: ended by an unhandled exception

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.value


TERMINAL_STATES = frozenset(
    {LoopState.IDLE, LoopState.STOPPED, LoopState.CANCELLED, LoopState.FINISHED, LoopState.FAILED}
)
"""States in which no task is running (``idle`` included: nothing to stop)."""

ACTIVE_STATES = frozenset(LoopState) - TERMINAL_STATES
