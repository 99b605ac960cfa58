"""Pure formatting helpers for the monitor: durations, countdowns, "ago", clock times.

No textual import here (and nothing that needs a terminal), so front ends and tests can use
them directly. Every function takes the current time as an argument instead of reading a
clock, which keeps them exact under test; callers pass ``looptui.core.clock.now()``.
"""

from __future__ import annotations

import datetime
import math

from ..core.schedule import format_interval

__all__ = [
    "duration",
    "interval",
    "countdown",
    "ago",
    "took",
    "clock_time",
    "lag_ms",
    "iter_text",
]

_MINUTE = 60.0
_HOUR = 3600.0
_DAY = 86400.0
_NEVER = 100 * 365 * _DAY
"""Spans from a century on read as ``never`` (an interval of 1e308 seconds, infinity)."""


interval = format_interval
"""An interval as people write it (``30s``, ``1h30m``): the same text as the Every column."""


def duration(seconds: float | None) -> str:
    """A span rounded for reading at a glance: ``42s``, ``5m``, ``1h30m``, ``3d4h``.

    Two units at most, the smaller one dropped when it is zero; used for countdowns and ages.
    """
    if seconds is None or seconds != seconds:
        return "—"
    if seconds >= _NEVER:
        return "never"
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        m, sec = divmod(s, 60)
        return f"{m}m{sec:02d}s" if sec else f"{m}m"
    if s < 86400:
        h, rest = divmod(s, 3600)
        m = rest // 60
        return f"{h}h{m:02d}m" if m else f"{h}h"
    d, rest = divmod(s, 86400)
    h = rest // 3600
    return f"{d}d{h}h" if h else f"{d}d"


def took(seconds: float | None) -> str:
    """How long a body ran: ``85µs``, ``2.3ms``, ``35ms``, ``1.25s``, ``42s``, ``2m05s``."""
    if seconds is None:
        return "—"
    if seconds < 0:
        seconds = 0.0
    if seconds < 0.001:
        return f"{seconds * 1e6:.0f}µs"
    if seconds < 0.01:
        return f"{seconds * 1000:.1f}ms"
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 10:
        return f"{seconds:.2f}s"
    if seconds < 60:
        return f"{seconds:.1f}s"
    return duration(seconds)


def countdown(next_run: float | None, now: float) -> str:
    """Time until *next_run*: ``4s``, ``1m30s``, ``<1s``, ``due`` when past, ``—`` if none."""
    if next_run is None or next_run != next_run:
        return "—"
    left = next_run - now
    if left >= _NEVER:  # a loop told to wait (next to) forever
        return "never"
    if left <= 0:
        return "due"
    if left < 1:
        return "<1s"
    return duration(math.ceil(left))


def ago(ts: float | None, now: float) -> str:
    """How long ago *ts* was: ``now``, ``12s ago``, ``5m ago``, ``2h ago``, ``3d ago``."""
    if ts is None or not math.isfinite(ts):
        return "—"
    delta = now - ts
    if delta < 1:
        return "now"
    if delta < 60:
        return f"{int(delta)}s ago"
    if delta < 3600:
        return f"{int(delta // 60)}m ago"
    if delta < 86400:
        return f"{int(delta // 3600)}h ago"
    return f"{int(delta // 86400)}d ago"


def clock_time(
    ts: float | None, now: float, tz: datetime.tzinfo | None = None, seconds: bool = True
) -> str:
    """An absolute time: ``14:03:07`` today, ``Tue 09:00:00`` within a week, else a date.

    Args:
        ts: Epoch seconds (``None`` gives ``—``).
        now: Current epoch seconds, to decide how much of the date to show.
        tz: Time zone to show it in (``None``: the local zone).
        seconds: Include seconds.
    """
    if ts is None:
        return "—"
    try:
        when = datetime.datetime.fromtimestamp(ts, tz)
        today = datetime.datetime.fromtimestamp(now, tz)
    except (OverflowError, ValueError, OSError):  # NaN, infinity, beyond year 9999
        return "never" if ts == math.inf or (ts == ts and ts > now) else "—"
    hms = when.strftime("%H:%M:%S" if seconds else "%H:%M")
    if when.date() == today.date():
        return hms
    if abs((when.date() - today.date()).days) < 7:
        return f"{when.strftime('%a')} {hms}"
    return f"{when.strftime('%Y-%m-%d')} {hms}"


def lag_ms(lag: float | None) -> str:
    """Event-loop lag in milliseconds: ``0.4 ms``, ``12 ms``, ``1,250 ms``."""
    if lag is None or lag != lag:
        return "— ms"
    ms = max(0.0, lag * 1000)
    if ms < 10:
        return f"{ms:.1f} ms"
    return f"{ms:,.0f} ms"


def iter_text(iterations: int, count: int | None) -> str:
    """The Iter column: ``n``, or ``n/count`` for a loop limited by ``count``."""
    return f"{iterations}/{count}" if count is not None else str(iterations)
