"""The one replaceable source of time for everything that schedules or measures.

Scheduling code never calls ``time.time()`` or ``datetime.now()`` directly: it asks
:func:`now` (epoch seconds, wall clock) so that tests can swap in a virtual clock
(see :mod:`looptui.testing`) and check "next run in 5 s" exactly, with no real sleeps.
"""

from __future__ import annotations

import datetime
import time as _time
from typing import Protocol, overload

__all__ = ["Clock", "SystemClock", "get_clock", "set_clock", "now", "now_datetime", "to_datetime"]

UTC = datetime.timezone.utc


class Clock(Protocol):
    """Anything with a ``time()`` method returning wall-clock epoch seconds."""

    def time(self) -> float: ...


class SystemClock:
    """The real wall clock (``time.time``)."""

    time = staticmethod(_time.time)


_clock: Clock = SystemClock()
#: Bound ``time`` of the current clock: the hot path calls this directly.
now = _clock.time


def get_clock() -> Clock:
    """Return the clock currently in use."""
    return _clock


def set_clock(clock: Clock) -> Clock:
    """Install *clock* as the time source and return the previous one."""
    global _clock, now
    previous = _clock
    _clock = clock
    now = clock.time
    return previous


def now_datetime() -> datetime.datetime:
    """The current time as an aware UTC datetime."""
    return datetime.datetime.fromtimestamp(now(), UTC)


@overload
def to_datetime(ts: float) -> datetime.datetime: ...
@overload
def to_datetime(ts: None) -> None: ...
def to_datetime(ts: float | None) -> datetime.datetime | None:
    """Convert epoch seconds to an aware UTC datetime (``None`` passes through)."""
    if ts is None:
        return None
    return datetime.datetime.fromtimestamp(ts, UTC)
