"""Events as the JSON lines of ``--record``: the general encoder and the fast one of every iteration.

:func:`encode_line` writes any event dict. With thousands of loops nearly every event is
one of the four each iteration makes (``state`` running, ``iteration_started``,
``iteration_finished``, ``state`` sleeping); :func:`encode_loop_event` writes those
straight from the registry's fields, without an event dict, and for the exact field
shapes the tracker emits it fills one template per kind. Every path writes the same
text :func:`encode_line` writes for ``loop_event(kind, tracker, fields)``: same keys in
the same order, same numbers, same escaping (``tests/test_record_encoding.py`` holds
them equal, hostile text included).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, cast

from looptui.session.events.build import iso, loop_event

if TYPE_CHECKING:
    from looptui.core.tracker import Tracker

__all__ = ["encode_line", "encode_loop_event", "encode_batch", "iteration_line", "RAW_KINDS"]

# Characters JSON allows raw in a string but a terminal may act on (``cat events.jsonl``):
# DEL and the C1 controls (8-bit CSI, OSC …), line/paragraph separators and the
# bidirectional overrides. Written as \u escapes they decode to the same text, and the
# line stays valid JSON (outside strings, JSON is plain ASCII).
_INERT = re.compile("[\x7f-\x9f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def encode_line(event: dict[str, Any]) -> str:
    """*event* as one JSON line, readable text kept, terminal-active characters escaped.

    ASCII text (the common case) needs no escaping pass; other text gets one regular
    expression scan, linear in its length (a 5 MB message costs milliseconds).
    """
    text = json.dumps(event, ensure_ascii=False, default=str)
    if not text.isascii():
        text = _INERT.sub(_escape, text)
    return text + "\n"


RAW_KINDS = frozenset({"state", "iteration_started", "iteration_finished"})
"""Loop events of every iteration, which the recorder can take without an event dict
(``Recorder.take_raw``): with thousands of loops they are nearly all the events."""
_EPOCH_FIELDS = frozenset({"time", "scheduled"})
_INFINITIES = (float("inf"), float("-inf"))
_KEPT = 100_000
"""Entries a cache of encoded strings holds before it starts again (names come and go
with reloads; a bounded cache never grows without end)."""

_TEXTS: dict[str, str] = {}
"""Loop names and short strings (state words) already encoded as JSON strings, escaped
as :func:`encode_line` escapes them: a loop's name is written at every event."""


def _json_text(value: str) -> str:
    """*value* as the JSON string :func:`encode_line` writes for it (cached when short)."""
    text = _TEXTS.get(value)
    if text is None:
        text = json.dumps(value, ensure_ascii=False)
        if not text.isascii():  # the escaping is per character: a part escapes as the whole
            text = _INERT.sub(_escape, text)
        if len(value) <= 200:
            if len(_TEXTS) >= _KEPT:
                _TEXTS.clear()
            _TEXTS[value] = text
    return text


def _json_value(value: Any) -> str | None:
    """*value* as JSON the way :func:`encode_line` writes it, or ``None`` if not a plain one."""
    kind = type(value)
    if kind is float:
        if value != value or value in _INFINITIES:
            return json.dumps(value)
        return float.__repr__(value)  # what json.dumps writes for a finite float
    if kind is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is str:
        return _json_text(value)
    return None


_FINISHED_KEYS = ("iteration", "duration", "lateness", "time")
_STARTED_KEYS = ("iteration", "scheduled", "triggered", "time")
_STATE_KEYS = ("state", "time")
_INF = float("inf")
_float_text = float.__repr__


def iteration_line(kind: str, name: str, fields: dict[str, Any]) -> str | None:
    """The line of one of the tracker's own iteration events, or ``None`` when *fields*
    is not exactly the shape the tracker emits (then the general path writes it)."""
    stamp = fields.get("time")
    if type(stamp) is not float or not 0.0 <= stamp < _INF:
        return None
    keys = tuple(fields)
    if kind == "iteration_finished":
        if keys != _FINISHED_KEYS:
            return None
        iteration, duration, lateness = fields["iteration"], fields["duration"], fields["lateness"]
        if (type(iteration) is not int or type(duration) is not float
                or type(lateness) is not float or not -_INF < duration < _INF
                or not -_INF < lateness < _INF):
            return None
        return (f'{{"event": "iteration_finished", "time": "{iso(stamp)}", '
                f'"loop": {_json_text(name)}, "iteration": {int.__repr__(iteration)}, '
                f'"duration": {_float_text(duration)}, "lateness": {_float_text(lateness)}}}\n')
    if kind == "state":
        state = fields["state"]
        if keys != _STATE_KEYS or type(state) is not str:
            return None
        return (f'{{"event": "state", "time": "{iso(stamp)}", "loop": {_json_text(name)}, '
                f'"state": {_json_text(state)}}}\n')
    if kind == "iteration_started":
        if keys != _STARTED_KEYS:
            return None
        iteration, scheduled, triggered = (
            fields["iteration"], fields["scheduled"], fields["triggered"])
        if type(iteration) is not int or type(triggered) is not bool:
            return None
        if scheduled is None:
            when = "null"
        elif type(scheduled) is float and 0.0 <= scheduled < _INF:
            when = f'"{iso(scheduled)}"'
        else:
            return None
        return (f'{{"event": "iteration_started", "time": "{iso(stamp)}", '
                f'"loop": {_json_text(name)}, "iteration": {int.__repr__(iteration)}, '
                f'"scheduled": {when}, "triggered": {"true" if triggered else "false"}}}\n')
    return None


def encode_loop_event(kind: str, name: str, fields: dict[str, Any], now: float) -> str:
    """The line :func:`encode_line` writes for ``loop_event(kind, tracker, fields)``,
    built directly: same keys in the same order, same text, a fraction of the cost.

    *now* is the time the event happened (used when *fields* has no ``time``).
    """
    line = iteration_line(kind, name, fields)
    if line is not None:
        return line
    parts = []
    for key, value in fields.items():
        if key == "time":
            continue
        if key in _EPOCH_FIELDS and isinstance(value, (int, float)) and not isinstance(value, bool):
            text = _json_value(iso(value))
        else:
            text = _json_value(value)
        if text is None:  # something unusual: the general path
            event = loop_event(kind, cast("Tracker", _Named(name)), dict(fields, time=fields.get("time", now)))
            return encode_line(event)
        parts.append(f', "{key}": {text}')
    stamp = iso(fields["time"] if "time" in fields else now)
    line = f'{{"event": "{kind}", "time": "{stamp}", "loop": {_json_text(name)}{"".join(parts)}}}\n'
    return line if line.isascii() else _INERT.sub(_escape, line)  # (a key of its own)


class _Named:
    """Stands in for a tracker where only its name is read (``loop_event``)."""

    def __init__(self, name: str) -> None:
        self.name = name


def encode_batch(items: list[Any]) -> str:
    """The lines of a recorder's batch, in order: event dicts; raw loop events as four
    items each, kind (a ``str``), loop name, fields and time (see
    :func:`encode_loop_event`); and lines already encoded, as a 1-tuple of their text."""
    lines = []
    index, end = 0, len(items)
    while index < end:
        item = items[index]
        kind = type(item)
        if kind is str:
            lines.append(encode_loop_event(item, *items[index + 1:index + 4]))
            index += 4
            continue
        lines.append(item[0] if kind is tuple else encode_line(item))
        index += 1
    return "".join(lines)
