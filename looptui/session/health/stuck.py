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
``stuck`` event; an ``error`` handler or ``after_loop`` hook running longer than 10 s is
marked the same way (with ``hook``, and ``iteration`` null). :func:`await_stack` says
what it is waiting for. Cancelling the loop (``x``) ends it.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from looptui.core import clock
from looptui.session.health.stacks import task_await_text
from looptui.session.program.owners import task_of

if TYPE_CHECKING:
    from looptui.core.registry import Registry
    from looptui.core.tracker import Tracker

__all__ = [
    "StuckWatch", "stuck_after", "await_stack", "STUCK_MIN_SECONDS", "STUCK_INTERVALS",
    "CHECK_EVERY", "debugger_time",
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


def debugger_time(tracker: Tracker, seq: int) -> float:
    """Seconds the body *seq* of *tracker*'s loop spent stopped in a debugger
    (``tracker.notes["debugger"]``, see :mod:`looptui.session.debug.handover`): a body
    paused in ``pdb`` is not stuck."""
    note = tracker.notes.get("debugger") if tracker.notes else None
    if isinstance(note, dict) and note.get("_seq") == seq:
        return float(note.get("duration", 0.0))
    return 0.0


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
    return task_await_text(task, f"task {task.get_name()!r}:\n")


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
        """Mark bodies (and error / after_loop hooks) that became stuck, refresh the
        marked ones, unmark ended ones."""
        now = clock.now()
        for key, (tracker, marked) in list(self._marked.items()):
            if _identity(_running(tracker)) != marked:  # that body or hook ended
                del self._marked[key]
                if tracker.notes.pop("stuck", None) is not None:
                    tracker.version += 1
        for tracker in self.registry.trackers():
            token = _running(tracker)
            if token is None:
                continue
            if isinstance(token, dict):  # a hook: the 10 s floor
                since, iteration, limit = token["since"], None, STUCK_MIN_SECONDS
                hook = token.get("hook")
            else:
                since, iteration, limit = token.started, token.iteration, stuck_after(tracker)
                hook = None
                since += debugger_time(tracker, token.seq)  # stopped in pdb: not stuck
            running_for = now - since
            if running_for < limit:
                continue
            note = {"since": since, "running_for": running_for, "threshold": limit,
                    "iteration": iteration}
            if hook is not None:
                note["hook"] = hook
            tracker.notes["stuck"] = note
            tracker.version += 1
            if id(tracker) not in self._marked:
                self._marked[id(tracker)] = (tracker, _identity(token))
                registry = tracker.registry
                if registry is not None and registry.listeners:
                    fields = {"iteration": iteration, "running_for": running_for,
                              "threshold": limit}
                    if hook is not None:
                        fields["hook"] = hook
                    registry.emit("stuck", tracker, fields)


def _identity(token: Any) -> tuple[str, int] | None:
    """What tells one running body or hook from the next: records are snapshots made
    on each read, so a body is known by its sequence number; a hook by its note."""
    if token is None:
        return None
    if isinstance(token, dict):
        return ("hook", id(token))
    return ("body", token.seq)


def _running(tracker: Tracker) -> Any:
    """What *tracker*'s loop is running now: the body's record, a hook's note
    (``{"hook", "since"}``: the error handler or ``after_loop``), or ``None``."""
    record = tracker.current
    if record is not None:
        return record
    return tracker.notes.get("hook") if tracker.notes else None
