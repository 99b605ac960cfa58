"""The attach protocol's messages: versioned JSON lines, and a loop's snapshot as a dict.

Both ends use this module: the agent turns a :class:`~looptui.core.tracker.Tracker` into
a snapshot dict (:func:`tracker_snapshot`), the attached side rebuilds a mirror from it.
Every message is one JSON object on one line with a ``type``:

* ``hello`` (agent → client, first): ``protocol``, ``looptui``, ``pid``, ``program``,
  ``auth`` (``token`` or ``none``), ``events`` (the modes it serves: ``all``, ``table``);
  the client answers ``hello`` with ``protocol``, ``token`` and ``events`` (``all`` when
  absent); a wrong token gets ``error`` and the connection is closed.
* ``snapshot``: ``loops`` (every loop), ``session`` (lag, blocks), ``events`` (the mode
  granted); then ``update`` (the loops that changed, ``removed`` names, ``session``) a
  few times a second.
* ``event``: ``data`` is an event dict (:mod:`looptui.session.events.build`): every one for an ``all`` client; for a
  ``table`` client all but the routine ones of each iteration (``iteration_started``,
  ``iteration_finished``, state changes to ``running``/``sleeping``), whose effect its
  updates carry.
* ``events`` (client → agent): ``events`` (``all`` or ``table``) changes what the
  client gets from now on.
* ``command`` (client → agent): ``id``, ``loop``, ``command``, ``value``; answered by
  ``reply`` with ``id``, ``ok``, ``text``, ``severity``, ``reason`` (and ``loop``, a
  full snapshot with every history record and exception, for ``details``).
"""

from __future__ import annotations

import datetime
import json
import zoneinfo
from typing import TYPE_CHECKING, Any

from looptui.session.events.build import json_safe
from looptui.session.output.clip import clip_traceback

if TYPE_CHECKING:
    from looptui.core.records import ExceptionInfo, IterationRecord
    from looptui.core.tracker import Tracker

__all__ = [
    "PROTOCOL", "MAX_LINE", "ACTIONS", "encode", "decode", "tracker_snapshot",
    "record_dict", "exception_dict", "encode_times", "decode_times", "ProtocolError",
]

PROTOCOL = 1
"""Version of the message format; a client refuses an agent speaking another one."""
MAX_LINE = 1 << 20
"""Longest message line accepted (bytes); a longer one ends the connection."""
ACTIONS = ("start", "stop", "cancel", "restart", "change_interval", "trigger", "pause")
"""Actions whose availability (``unsupported``) travels with each snapshot."""
HISTORY_SENT = 200
"""Iteration records in a first snapshot (the whole ring)."""


class ProtocolError(ValueError):
    """A line that is not a message of this protocol."""


def encode(message: dict[str, Any]) -> bytes:
    """One message as a JSON line (ASCII only, so any text is safe on the wire)."""
    return (json.dumps(message, ensure_ascii=True, separators=(",", ":")) + "\n").encode()


def decode(line: bytes) -> dict[str, Any]:
    """One JSON line back into a message dict.

    Raises:
        ProtocolError: the line is not a JSON object with a string ``type``.
    """
    try:
        message = json.loads(line)
    except (ValueError, UnicodeDecodeError) as err:
        raise ProtocolError(f"not JSON: {err}") from None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise ProtocolError("not a message (a JSON object with a 'type')")
    return message


# ------------------------------------------------------------------------ times
def _zone(tz: datetime.tzinfo | None) -> Any:
    if tz is None:
        return None
    if isinstance(tz, zoneinfo.ZoneInfo):
        return tz.key
    key = getattr(tz, "zone", None)  # pytz
    if isinstance(key, str):
        return key
    offset = tz.utcoffset(None)
    return offset.total_seconds() if offset is not None else None


def encode_times(times: Any) -> list[list[Any]] | None:
    """``datetime.time`` values (with their zones) as ``[["09:00:00", "Europe/Paris"], …]``."""
    if isinstance(times, datetime.time):
        times = [times]
    if not isinstance(times, (list, tuple)):
        return None
    return [[t.replace(tzinfo=None).isoformat(), _zone(t.tzinfo)]
            for t in times if isinstance(t, datetime.time)]


def decode_times(value: Any) -> list[datetime.time]:
    """The inverse of :func:`encode_times`.

    Raises:
        ValueError: *value* is not a list of ``[time, zone]`` pairs.
    """
    if not isinstance(value, list):
        raise ValueError("times must be a list")
    out = []
    for item in value:
        if not isinstance(item, list) or len(item) != 2 or not isinstance(item[0], str):
            raise ValueError(f"not a [time, zone] pair: {item!r}")
        when = datetime.time.fromisoformat(item[0])
        zone = item[1]
        if isinstance(zone, str):
            tz: datetime.tzinfo | None = zoneinfo.ZoneInfo(zone)
        elif isinstance(zone, (int, float)):
            tz = datetime.timezone(datetime.timedelta(seconds=zone))
        else:
            tz = None
        out.append(when.replace(tzinfo=tz))
    return out


# --------------------------------------------------------------------- snapshot
def exception_dict(info: ExceptionInfo) -> dict[str, Any]:
    return {
        "type": info.type_name, "message": info.message, "where": info.where,
        "time": info.time, "retried": info.retried,
        "traceback": clip_traceback(info.traceback),
    }


def record_dict(record: IterationRecord) -> dict[str, Any]:
    return {
        "iteration": record.iteration, "scheduled": record.scheduled,
        "started": record.started, "duration": record.duration,
        "outcome": record.outcome, "triggered": record.triggered,
        "exception": (exception_dict(record.exception)
                      if record.exception is not None else None),
    }


def _controls(tracker: Tracker) -> dict[str, Any]:
    """What the attached side needs to refuse actions and list the next runs."""
    controls = tracker.controls
    unsupported = {action: tracker.unsupported(action) for action in ACTIONS}
    out: dict[str, Any] = {"unsupported": unsupported, "paused": False}
    if controls is None:
        return out
    try:
        out["paused"] = bool(controls.is_paused())
    except Exception:
        pass
    for attr in ("seconds", "minutes", "hours"):
        try:
            value = getattr(controls, attr, None)
        except Exception:
            value = None
        if isinstance(value, (int, float)):
            out[attr] = value
    try:
        out["time"] = encode_times(getattr(controls, "time", None))
    except Exception:
        out["time"] = None
    return out


def tracker_snapshot(tracker: Tracker, *, since: float | None = None,
                     output_after: int = 0, full: bool = False) -> dict[str, Any]:
    """Everything the table and the details view show of one loop, as plain data.

    Args:
        tracker: The loop.
        since: Send only iteration records that started at or after this epoch time
            (the records the other side may not have complete); ``None``: all of them.
        output_after: ``output_total`` the other side already has; only later lines go.
        full: Also every distinct exception (the ``details`` command).
    """
    stats = tracker.stats
    history = tracker.history
    if since is None:
        records = list(history)[-HISTORY_SENT:]
    else:
        records = []
        for record in reversed(history):
            if record.started < since:
                break
            records.append(record)
        records.reverse()
    new_output = min(max(0, tracker.output_total - output_after), len(tracker.output))
    output = list(tracker.output)[len(tracker.output) - new_output:] if new_output else []
    last = tracker.last_exception
    snap: dict[str, Any] = {
        "name": tracker.name, "source": tracker.source, "state": tracker.state.value,
        "state_since": tracker.state_since, "schedule": tracker.schedule,
        "count": tracker.count, "iterations": tracker.iterations,
        "total_iterations": tracker.total_iterations, "failures": tracker.failures,
        "retries": tracker.retries, "next_run": tracker.next_run,
        "last_duration": tracker.last_duration, "file": tracker.file, "line": tracker.line,
        "stats": stats.as_dict(),
        "history_since": since, "history": [record_dict(r) for r in records],
        "current": tracker.current.started if tracker.current is not None else None,
        "last_exception": exception_dict(last) if last is not None else None,
        "output_total": tracker.output_total, "dropped": tracker.dropped,
        "output": [list(line) for line in output],
        "notes": json_safe(tracker.notes),
        "controls": _controls(tracker),
    }
    if full:
        snap["exceptions"] = [exception_dict(info) for info in tracker.exceptions]
    return snap
