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

Sizes are bounded (:mod:`.framing`): a message longer than a line may be is sent in
``part`` lines; the snapshot and the updates come in pages of at most
:data:`PAGE_BYTES` of loops (``"more": true`` on all but the last snapshot page), so any
number of loops attaches; the texts in a loop's snapshot are cut (an exception's message
to :data:`MESSAGE_CHARS`, a history record's to :data:`RECORD_MESSAGE_CHARS` without its
traceback, the output to the newest :data:`OUTPUT_CHARS` characters).
"""

from __future__ import annotations

import datetime
import json
import math
import zoneinfo
from typing import TYPE_CHECKING, Any

from looptui.session.events.build import json_safe
from looptui.session.output.clip import clip_line, clip_traceback

from .framing import MAX_LINE, MAX_MESSAGE, ProtocolError, fit, frame, loads

if TYPE_CHECKING:
    from looptui.core.records import ExceptionInfo, IterationRecord
    from looptui.core.tracker import Tracker

__all__ = [
    "PROTOCOL", "MAX_LINE", "MAX_MESSAGE", "ACTIONS", "encode", "decode", "pages",
    "tracker_snapshot", "record_dict", "exception_dict", "encode_times", "decode_times",
    "ProtocolError", "is_int", "is_number",
]

PROTOCOL = 2
"""Version of the message format; a client refuses an agent speaking another one.
(2: messages in parts, snapshot and updates in pages.)"""
PAGE_BYTES = 256 * 1024
"""Loops' JSON in one page of a snapshot or an update (a bigger loop is a page alone)."""
MESSAGE_CHARS = 64 * 1024
"""Characters of an exception's message in a snapshot (the event has all of it)."""
RECORD_MESSAGE_CHARS = 500
"""Characters of the message of a history record's exception (the details list shows 200)."""
OUTPUT_CHARS = 256 * 1024
"""Characters of a loop's output lines in one snapshot: the newest lines that fit."""
MAX_ZONE_OFFSET = 86400.0
"""A fixed zone offset is less than a day either way (as ``datetime.timezone`` takes)."""
ACTIONS = ("start", "stop", "cancel", "restart", "change_interval", "trigger", "pause")
"""Actions whose availability (``unsupported``) travels with each snapshot."""
HISTORY_SENT = 200
"""Iteration records in a first snapshot (the whole ring)."""


def is_int(value: object) -> bool:
    """An integer and not a bool (JSON ``true`` is not ``1`` here)."""
    return value.__class__ is int


def is_number(value: object) -> bool:
    """A finite int or float, not a bool."""
    return (value.__class__ is int or value.__class__ is float) and \
        value == value and value not in (math.inf, -math.inf)


def _dumps(message: Any) -> str:
    return json.dumps(message, ensure_ascii=True, separators=(",", ":"))


def encode(message: dict[str, Any]) -> bytes:
    """One message as JSON line(s): ASCII only, so any text is safe on the wire; longer
    than a line may be, in parts; never over :data:`MAX_MESSAGE` (long strings cut)."""
    text = _dumps(message)
    if len(text) < MAX_LINE:
        return (text + "\n").encode()
    return frame(fit(message, text))


def pages(kind: str, items: Any, extra: dict[str, Any], *, more_key: str | None = None,
          last: dict[str, Any] | None = None) -> Any:
    """Messages of *kind* carrying *items* (loop snapshots) in ``loops``, a page of at
    most :data:`PAGE_BYTES` each (one item alone may be more, then sent in parts).

    Each page has *extra*; *last* is added to the last page only; with *more_key*, every
    page but the last has ``more_key: true`` (the last: ``false``). *items* is consumed
    lazily, so a page is built only when the one before was taken (the snapshot of ten
    thousand loops is never all in memory, nor built in one go).
    """
    batch: list[str] = []
    size = 0

    def page(final: bool) -> bytes:
        fields = dict(extra, **(last or {})) if final else dict(extra)
        if more_key is not None:
            fields[more_key] = not final
        head = _dumps({"type": kind, **fields})
        body = f'{head[:-1]},"loops":[{",".join(batch)}]}}'
        if len(body) < MAX_LINE:
            return (body + "\n").encode()
        return frame(body if len(body) <= MAX_MESSAGE else fit(loads(body), body))

    for item in items:
        text = _dumps(item)
        if batch and size + len(text) > PAGE_BYTES:
            yield page(False)
            batch, size = [], 0
        batch.append(text)
        size += len(text) + 1
    yield page(True)


def decode(line: bytes) -> dict[str, Any]:
    """One JSON line back into a message dict.

    Raises:
        ProtocolError: the line is not a JSON object with a string ``type``.
    """
    return loads(line)


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
    if not value or len(value) > 1000:
        raise ValueError("give between 1 and 1000 times")
    out = []
    for item in value:
        if not isinstance(item, list) or len(item) != 2 or not isinstance(item[0], str) \
                or len(item[0]) > 40:
            raise ValueError(f"not a [time, zone] pair: {clip_line(repr(item), 80)}")
        when = datetime.time.fromisoformat(item[0])
        zone = item[1]
        if isinstance(zone, str):
            try:
                tz: datetime.tzinfo | None = zoneinfo.ZoneInfo(zone)
            except (LookupError, ValueError, OSError):  # unknown, or a path, not a key
                raise ValueError(f"unknown time zone {clip_line(zone, 80)!r}") from None
        elif is_number(zone) and abs(zone) < MAX_ZONE_OFFSET:
            tz = datetime.timezone(datetime.timedelta(seconds=zone))
        elif zone is None:
            tz = None
        else:
            raise ValueError(f"a zone offset is seconds under a day either way, "
                             f"not {clip_line(repr(zone), 40)}")
        out.append(when.replace(tzinfo=tz))
    return out


# --------------------------------------------------------------------- snapshot
def exception_dict(info: ExceptionInfo, *, brief: bool = False) -> dict[str, Any]:
    """*info* as sent: the message cut to :data:`MESSAGE_CHARS`, the traceback clipped
    (*brief*: the message cut to :data:`RECORD_MESSAGE_CHARS`, no traceback)."""
    return {
        "type": info.type_name,
        "message": clip_line(info.message, RECORD_MESSAGE_CHARS if brief else MESSAGE_CHARS),
        "where": info.where, "time": info.time, "retried": info.retried,
        "traceback": "" if brief else clip_traceback(info.traceback),
    }


def record_dict(record: IterationRecord) -> dict[str, Any]:
    return {
        "iteration": record.iteration, "scheduled": record.scheduled,
        "started": record.started, "duration": record.duration,
        "outcome": record.outcome, "triggered": record.triggered,
        "exception": (exception_dict(record.exception, brief=True)
                      if record.exception is not None else None),
    }


def _newest_output(lines: list[Any]) -> list[list[Any]]:
    """The newest of *lines* whose texts fit in :data:`OUTPUT_CHARS` (at least one, cut)."""
    kept: list[list[Any]] = []
    size = 0
    for line in reversed(lines):
        size += len(line[2])
        if kept and size > OUTPUT_CHARS:
            break
        kept.append([line[0], line[1], clip_line(line[2], OUTPUT_CHARS)])
    kept.reverse()
    return kept


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
        "output": _newest_output(output),
        "notes": json_safe(tracker.notes),
        "controls": _controls(tracker),
    }
    if full:
        snap["exceptions"] = [exception_dict(info) for info in tracker.exceptions]
    return snap
