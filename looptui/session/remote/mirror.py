"""Trackers that mirror loops of another process, rebuilt from the agent's snapshots.

A :class:`MirrorTracker` is an ordinary :class:`~looptui.core.tracker.Tracker` as far as
the front ends can tell: the same fields, bumped ``version`` on every update. Its
:class:`MirrorControls` answer ``unsupported(action)`` and ``is_paused()`` from the
snapshot (and refuse everything while the program is not connected); actions themselves
go to the program through the session's ``command``, never through the controls.
"""

from __future__ import annotations

import collections
import datetime
from typing import Any, cast

from looptui.core.records import ExceptionInfo, IterationRecord
from looptui.core.states import LoopState
from looptui.core.tracker import (
    DISTINCT_EXCEPTIONS,
    HISTORY_SIZE,
    OUTPUT_SIZE,
    Notes,
    Tracker,
    kept_line,
)

from .wire import decode_times

__all__ = ["MirrorTracker", "MirrorControls", "MirrorStats", "NOT_CONNECTED"]

NOT_CONNECTED = "the program is not connected"


class MirrorStats:
    """The loop's :class:`~looptui.core.tracker.Stats` as the program computed them."""

    __slots__ = ("iterations", "failures", "retries", "last_duration", "mean_duration",
                 "p95_duration", "max_lateness")
    iterations: int
    failures: int
    retries: int
    last_duration: float | None
    mean_duration: float | None
    p95_duration: float | None
    max_lateness: float

    def __init__(self, values: dict[str, Any]) -> None:
        for name in self.__slots__:
            setattr(self, name, values.get(name))
        self.iterations = self.iterations or 0
        self.failures = self.failures or 0
        self.retries = self.retries or 0
        self.max_lateness = self.max_lateness or 0.0

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


class MirrorControls:
    """Read-only controls of a mirrored loop: what can be done, and whether it is paused.

    Attributes:
        connected: False while the program is unreachable (every action is refused).
        seconds, minutes, hours, time: The loop's interval, for the next runs listed in
            the details view.
    """

    def __init__(self) -> None:
        self.connected = True
        self._unsupported: dict[str, str | None] = {}
        self._paused = False
        self.seconds: float | None = None
        self.minutes: float | None = None
        self.hours: float | None = None
        self.time: list[datetime.time] | None = None

    def update(self, values: dict[str, Any]) -> None:
        unsupported = values.get("unsupported")
        self._unsupported = dict(unsupported) if isinstance(unsupported, dict) else {}
        self._paused = bool(values.get("paused"))
        for attr in ("seconds", "minutes", "hours"):
            value = values.get(attr)
            setattr(self, attr, value if isinstance(value, (int, float)) else None)
        try:
            times = values.get("time")
            self.time = decode_times(times) if times else None
        except (ValueError, LookupError):
            self.time = None

    def unsupported(self, action: str) -> str | None:
        if not self.connected:
            return NOT_CONNECTED
        reason = self._unsupported.get(action)
        return str(reason) if reason else None

    def is_paused(self) -> bool:
        return self._paused

    def _not_here(self, *_: Any, **__: Any) -> None:
        raise RuntimeError("a mirrored loop is controlled through its session's command()")

    ui_start = ui_stop = ui_cancel = ui_restart = ui_trigger = _not_here
    ui_pause = ui_resume = ui_change_interval = _not_here


def _exception(values: Any) -> ExceptionInfo | None:
    if not isinstance(values, dict):
        return None
    return ExceptionInfo.from_text(
        str(values.get("type") or "Exception"), str(values.get("message") or ""),
        str(values.get("where") or "body"), float(values.get("time") or 0.0),
        bool(values.get("retried")), str(values.get("traceback") or ""),
    )


def _record(values: dict[str, Any]) -> IterationRecord:
    record = IterationRecord(int(values.get("iteration") or 0), values.get("scheduled"),
                             float(values.get("started") or 0.0),
                             bool(values.get("triggered")))
    record.duration = values.get("duration")
    record.outcome = values.get("outcome")
    record.exception = _exception(values.get("exception"))
    return record


class MirrorTracker(Tracker):
    """A loop of another process, kept up to date from snapshots.

    Attributes:
        remote_name: The loop's name in its program (``name`` may differ when several
            programs have a loop of the same name).
        process: The program's label (``bot[1234]``), for the Process column and events.
    """

    # A mirror holds what the other program sends in plain deques of records (set in
    # __init__). For history that is not the core's ring type, but it reads the same to
    # every front end (len, iteration, [-1], reversed): the one override mypy refuses.
    history: collections.deque[IterationRecord]  # type: ignore[assignment]
    exceptions: collections.deque[ExceptionInfo]
    output: collections.deque[tuple[float, str, str]]

    def __init__(self, snapshot: dict[str, Any], process: str) -> None:
        self.mirror_controls = MirrorControls()
        super().__init__(str(snapshot.get("name") or "?"),
                         source=str(snapshot.get("source") or "looptui"),
                         controls=self.mirror_controls)
        # A mirror holds what the other program sends, in plain deques of records: the
        # compact rings and the shared memory budget are for this process's own loops
        # (a mirror's buffers are bounded per loop, and there are few of them).
        self.release_buffers()
        self.history = collections.deque(maxlen=HISTORY_SIZE)
        self.exceptions = collections.deque(maxlen=DISTINCT_EXCEPTIONS)
        self.output = collections.deque(maxlen=OUTPUT_SIZE)
        self._mirror_current: IterationRecord | None = None
        self.remote_name = self.base_name
        self.process = process
        self._stats = MirrorStats({})
        self.apply(snapshot)

    @property
    def stats(self) -> MirrorStats:  # type: ignore[override]  # same fields, as the program sent
        return self._stats

    @property
    def current(self) -> IterationRecord | None:
        """The record of the body running in the other program, if any."""
        return self._mirror_current

    @current.setter
    def current(self, record: IterationRecord | None) -> None:
        self._mirror_current = record

    @property
    def last_started(self) -> float | None:
        return self.history[-1].started if self.history else None

    def rejoin_budget(self, budget: object = None) -> None:
        """A mirror's buffers do not count against this process's budget."""

    def set_connected(self, connected: bool, since: float | None = None) -> None:
        """The program went away (or came back): say so in the details, refuse actions."""
        self.mirror_controls.connected = connected
        if connected:
            self.notes.pop("disconnected", None)
        else:
            self.notes["disconnected"] = {"since": since}
        self.version += 1

    def apply(self, snap: dict[str, Any]) -> None:
        """Take over what *snap* (a :func:`~looptui.session.remote.wire.tracker_snapshot`) says."""
        try:
            self.state = LoopState(snap.get("state"))
        except ValueError:
            pass
        for attr in ("state_since", "schedule", "count", "iterations", "total_iterations",
                     "failures", "retries", "next_run", "last_duration", "file", "line",
                     "dropped"):
            if attr in snap:
                setattr(self, attr, snap[attr])
        self.schedule = self.schedule or ""
        if isinstance(snap.get("stats"), dict):
            self._stats = MirrorStats(snap["stats"])
            self.max_lateness = self._stats.max_lateness
        since = snap.get("history_since")
        history = snap.get("history") or []
        if since is None:
            self.history.clear()
        else:
            while self.history and self.history[-1].started >= since:
                self.history.pop()
        for values in history:
            self.history.append(_record(values))
        current = snap.get("current")
        self.current = None
        if current is not None:
            for record in reversed(self.history):
                if record.started == current:
                    self.current = record
                    break
        if "last_exception" in snap:
            self.last_exception = _exception(snap["last_exception"])
        if isinstance(snap.get("exceptions"), list):
            self.exceptions.clear()
            self.exceptions.extend(i for i in map(_exception, snap["exceptions"]) if i)
        elif self.last_exception is not None and not any(
                e.signature() == self.last_exception.signature() for e in self.exceptions):
            self.exceptions.append(self.last_exception)
        for line in snap.get("output") or []:
            if isinstance(line, list) and len(line) == 3:
                self.output.append((float(line[0]), str(line[1]), kept_line(str(line[2]))))
        if "output_total" in snap:
            self.output_total = int(snap["output_total"])
        notes = snap.get("notes")
        if isinstance(notes, dict):
            disconnected = self.notes.get("disconnected")
            self.notes = cast("Notes", dict(notes))  # the other program's notes, as sent
            if disconnected is not None:
                self.notes["disconnected"] = disconnected
        self.notes["process"] = self.process  # the details say which program it is in
        if isinstance(snap.get("controls"), dict):
            self.mirror_controls.update(snap["controls"])
        self.version += 1
