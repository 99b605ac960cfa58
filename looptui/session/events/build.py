"""Build the JSON-ready event dicts that ``--json`` and ``--record`` write (their keys are a
contract: README "Headless mode and events").

Loop events come from registry listener calls ``(kind, tracker, fields)``; session events
(``log`` without a loop, ``blocked``, ``reload``, ``summary``) are built here too so the
shape of every line is decided in one place. Every dict has ``event`` and ``time``
(ISO-8601 UTC); loop events have ``loop`` (the tracker's display name, or ``None``).
"""

from __future__ import annotations

import datetime
import enum
from typing import TYPE_CHECKING, Any, Iterable

from looptui.core import clock
from looptui.core.records import ExceptionInfo
from looptui.session.output.clip import clip_traceback

if TYPE_CHECKING:
    from looptui.core.tracker import Tracker

__all__ = [
    "iso", "loop_event", "session_event", "summary_event", "loop_summary", "json_safe",
]

_UTC = datetime.timezone.utc
_EPOCH_FIELDS = frozenset({"time", "scheduled"})


_SECONDS: dict[int, str] = {}
"""Whole seconds :func:`iso` formatted lately, and their text up to the seconds: events
come in bursts within a few seconds (their time, the time they were scheduled for), and
formatting a date is most of an event's cost."""
_SECONDS_KEPT = 64
_MILLIS = tuple(f".{ms:03d}Z" for ms in range(1000))
"""The end of every stamp, by its milliseconds (``.000Z`` … ``.999Z``)."""


def iso(ts: float | None) -> str | None:
    """Epoch seconds as ISO-8601 UTC with milliseconds (``2024-05-01T09:00:00.000Z``)."""
    if ts is None:
        return None
    if ts < 0:  # before 1970: no shortcut
        stamp = datetime.datetime.fromtimestamp(ts, _UTC).isoformat(timespec="milliseconds")
        return stamp.replace("+00:00", "Z")
    second = int(ts)
    micro = round((ts - second) * 1e6)  # as datetime.fromtimestamp rounds
    if micro >= 1_000_000:
        second, micro = second + 1, micro - 1_000_000
    text = _SECONDS.get(second)
    if text is None:
        if len(_SECONDS) >= _SECONDS_KEPT:
            _SECONDS.clear()
        text = _SECONDS[second] = datetime.datetime.fromtimestamp(second, _UTC).strftime(
            "%Y-%m-%dT%H:%M:%S")
    return text + _MILLIS[micro // 1000]


def json_safe(value: Any) -> Any:
    """*value* with everything ``json.dumps`` cannot encode turned into text."""
    if value is None or isinstance(value, (bool, int, float, str)):
        if isinstance(value, enum.Enum):
            return value.value
        return value
    if isinstance(value, ExceptionInfo):
        return clip_traceback(value.traceback)  # bounded; the whole text stays on the loop
    if isinstance(value, enum.Enum):
        return json_safe(value.value)
    if isinstance(value, datetime.datetime):
        return value.astimezone(_UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, (datetime.date, datetime.time, datetime.timedelta)):
        return str(value)
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_safe(v) for v in value]
    return str(value)


def loop_event(kind: str, tracker: Tracker, fields: dict[str, Any]) -> dict[str, Any]:
    """Turn one registry listener call into its event dict.

    ``time`` and ``scheduled`` (epoch seconds) become ISO strings, ``traceback`` fields
    (:class:`ExceptionInfo`) their formatted text; other fields pass through unchanged,
    so kinds the core adds later (``iteration_cancelled``, ``hook_failed``,
    ``loop_removed`` …) come out with their own keys.
    """
    event: dict[str, Any] = {
        "event": kind,
        "time": iso(fields["time"] if "time" in fields else clock.now()),
        "loop": tracker.name,
    }
    for key, value in fields.items():
        if key in _EPOCH_FIELDS:
            event[key] = iso(value) if isinstance(value, (int, float)) else json_safe(value)
        elif key not in event:
            event[key] = json_safe(value)
    return event


def session_event(kind: str, *, time: float | None = None, **fields: Any) -> dict[str, Any]:
    """An event built by the session (``log`` with ``loop: None``, ``blocked``, ``reload``)."""
    event: dict[str, Any] = {"event": kind, "time": iso(clock.now() if time is None else time)}
    event.update((k, json_safe(v)) for k, v in fields.items())
    return event


def loop_summary(tracker: Tracker) -> dict[str, Any]:
    """One entry of ``summary.loops``."""
    last = tracker.last_exception
    return {
        "loop": tracker.name,
        "state": tracker.state.value,
        "iterations": tracker.total_iterations,
        "failures": tracker.failures,
        "retries": tracker.retries,
        "last_error": last.summary if last is not None else None,
    }


def summary_event(trackers: Iterable[Tracker],
                  main: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``summary`` event: every loop's final state and counters, and the main's fate
    (``{name, state, error}``, or ``None`` when the program has no main)."""
    return session_event("summary", loops=[loop_summary(t) for t in trackers], main=main)
