"""Stuck iterations: a body that has run far longer than its loop's interval.

A body that awaits something that never comes (a lost response, a lock never released)
does not block the event loop, so the watchdog cannot see it; the loop just never runs
again. Once a second the session looks at every body in progress and marks the ones
running longer than :func:`stuck_after`:

    max(STUCK_MIN_SECONDS, STUCK_INTERVALS × interval)   = max(10 s, 3 × interval)

where *interval* is the time between the run now in progress and the next one (the
loop's ``seconds``/``minutes``/``hours``, or the gap between two ``time=`` slots). A
triggered run, or a loop whose next run is unknown, uses the 10 s floor. A stuck body
gets ``tracker.notes["stuck"]`` (updated every check, removed when the body ends) and one
``stuck`` event; :func:`await_stack` says what it is waiting for. Cancelling the loop
(``x``) ends it.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from looptui.core import clock

from looptui.session.program.owners import task_of
from looptui.session.health.stacks import await_chain

if TYPE_CHECKING:
    from looptui.core.registry import Registry
    from looptui.core.tracker import Tracker

__all__ = [
    "StuckWatch", "stuck_after", "await_stack", "STUCK_MIN_SECONDS", "STUCK_INTERVALS",
    "CHECK_EVERY",
]

STUCK_MIN_SECONDS = 10.0
"""A body is never called stuck before it has run this long."""
STUCK_INTERVALS = 3.0
"""…nor before it has run this many of its loop's intervals."""
CHECK_EVERY = 1.0
"""Seconds between checks."""


def stuck_after(tracker: Tracker) -> float:
    """Seconds after which the body *tracker* is running now counts as stuck."""
    record = tracker.current
    interval = 0.0
    if record is not None and record.scheduled is not None and tracker.next_run is not None:
        interval = max(0.0, tracker.next_run - record.scheduled)
    return max(STUCK_MIN_SECONDS, STUCK_INTERVALS * interval)


def await_stack(tracker: Tracker) -> str:
    """What *tracker*'s loop is awaiting right now, as traceback-style text.

    Follows the task's coroutine through every ``await`` down to the future it waits
    for (outermost first, looptui's own frames left out). Cheap enough to call on
    demand from a details view; not meant for every refresh of a big table.
    """
    task = task_of(tracker)
    if task is None:
        return "(the loop has no task)\n"
    if task.done():
        return "(the loop's task has ended)\n"
    head = f"task {task.get_name()!r}:\n"
    lines = await_chain(task.get_coro(), waiting_on=getattr(task, "_fut_waiter", None))
    return head + ("".join(lines) if lines else "  (running: not at an await)\n")


class StuckWatch:
    """Checks the bodies in progress once a second and marks stuck ones."""

    def __init__(self, registry: Registry, every: float = CHECK_EVERY) -> None:
        self.registry = registry
        self.every = every
        self._handle: asyncio.TimerHandle | None = None
        self._marked: dict[int, Any] = {}  # id(tracker) -> (tracker, seq of the stuck body)

    def start(self) -> None:
        if self._handle is None:
            self._handle = asyncio.get_running_loop().call_later(self.every, self._tick)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _tick(self) -> None:
        try:
            self.check()
        finally:
            self._handle = asyncio.get_running_loop().call_later(self.every, self._tick)

    def check(self) -> None:
        """Mark bodies that became stuck, refresh the marked ones, unmark ended ones."""
        now = clock.now()
        for key, (tracker, seq) in list(self._marked.items()):
            if tracker.current_seq != seq:  # that body ended (records are snapshots)
                del self._marked[key]
                if tracker.notes.pop("stuck", None) is not None:
                    tracker.version += 1
        for tracker in self.registry.trackers():
            record = tracker.current
            if record is None:
                continue
            running_for = now - record.started
            limit = stuck_after(tracker)
            if running_for < limit:
                continue
            tracker.notes["stuck"] = {
                "since": record.started, "running_for": running_for,
                "threshold": limit, "iteration": record.iteration,
            }
            tracker.version += 1
            if id(tracker) not in self._marked:
                self._marked[id(tracker)] = (tracker, record.seq)
                registry = tracker.registry
                if registry is not None and registry.listeners:
                    registry.emit("stuck", tracker, {
                        "iteration": record.iteration, "running_for": running_for,
                        "threshold": limit,
                    })
