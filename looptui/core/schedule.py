"""Schedule arithmetic: daily ``time=`` slots, DST resolution, human-readable intervals.

``is_ambiguous``, ``is_imaginary`` and ``resolve_datetime`` behave as discord.py's
functions of the same names. :func:`next_slot` is where looptui deliberately differs:
it picks the earliest *real instant* among all times, whatever their zones, so lists that
mix time zones (or cross a DST change) run in the right order and never skip or repeat a
slot. pytz zones are localised properly instead of taking their first historical (LMT)
offset.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence

__all__ = [
    "is_ambiguous", "is_imaginary", "resolve_datetime", "next_slot", "slot_instant",
    "normalize_times", "format_interval", "describe_times",
]

UTC = datetime.timezone.utc
_DAY = datetime.timedelta(days=1)


def _is_simple(tz: datetime.tzinfo | None) -> bool:
    """Naive or fixed-offset: no DST, nothing to resolve."""
    return tz is None or isinstance(tz, datetime.timezone)


def is_ambiguous(dt: datetime.datetime) -> bool:
    """True if *dt*'s wall time occurs twice in its zone (a DST fall-back hour)."""
    if _is_simple(dt.tzinfo):
        return False
    first, second = dt.replace(fold=0), dt.replace(fold=1)
    return first.utcoffset() != second.utcoffset() or first.dst() != second.dst()


def is_imaginary(dt: datetime.datetime) -> bool:
    """True if *dt*'s wall time never occurs in its zone (a DST spring-forward gap)."""
    tz = dt.tzinfo
    if _is_simple(tz):
        return False
    wall = dt.replace(tzinfo=None)
    back = wall.replace(tzinfo=tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    return wall != back


def resolve_datetime(dt: datetime.datetime) -> datetime.datetime:
    """Make *dt* a real instant: skip forward over a gap, take the later of two folds."""
    if _is_simple(dt.tzinfo):
        return dt
    if is_imaginary(dt):
        # Shift by the size of the gap: the offset after the change minus the one before.
        after = (dt + _DAY).utcoffset()
        before = (dt - _DAY).utcoffset()
        assert after is not None and before is not None
        return dt + (after - before)
    if is_ambiguous(dt):
        return dt.replace(fold=1)
    return dt


def _is_pytz(tz: datetime.tzinfo | None) -> bool:
    return tz is not None and hasattr(tz, "localize") and hasattr(tz, "normalize")


def slot_instant(day: datetime.date, t: datetime.time) -> datetime.datetime:
    """The real instant at which wall time *t* happens on local date *day* in *t*'s zone."""
    tz = t.tzinfo or UTC
    if _is_pytz(tz):
        naive = datetime.datetime.combine(day, t.replace(tzinfo=None))
        # is_dst=False: the later fold when ambiguous, shifted past the gap when imaginary.
        # a pytz zone (checked just above) has localize/normalize; tzinfo does not
        return tz.normalize(tz.localize(naive, is_dst=False))  # type: ignore[attr-defined]
    return resolve_datetime(datetime.datetime.combine(day, t.replace(tzinfo=None), tzinfo=tz))


def next_slot(
    times: Sequence[datetime.time], after: datetime.datetime, *, inclusive: bool = False
) -> datetime.datetime:
    """The earliest real instant after *after* at which one of *times* occurs.

    Args:
        times: Aware (or naive = UTC) times of day, any mix of zones.
        after: An aware datetime.
        inclusive: Also accept an instant equal to *after*.

    Returns:
        An aware datetime in the zone of the time that matched.
    """
    # Compare in UTC: two aware datetimes in different zones are never equal when one of
    # them is the second occurrence of an ambiguous wall time (PEP 495).
    after_utc = after.astimezone(UTC)
    best: datetime.datetime | None = None
    best_utc: datetime.datetime | None = None
    for t in times:
        tz = t.tzinfo or UTC
        local_day = after.astimezone(tz).date()
        for offset in (-1, 0, 1, 2):
            instant = slot_instant(local_day + offset * _DAY, t)
            instant_utc = instant.astimezone(UTC)
            if instant_utc > after_utc or (inclusive and instant_utc == after_utc):
                if best_utc is None or instant_utc < best_utc:
                    best, best_utc = instant, instant_utc
                break  # later days only give later instants for the same time
    if best is None:  # pragma: no cover - a time always recurs within two days
        raise ValueError("no upcoming slot")
    return best


def normalize_times(
    time: datetime.time | Sequence[datetime.time],
) -> list[datetime.time]:
    """Validate a ``time=`` argument: naive means UTC, duplicates dropped, sorted.

    Raises the same exceptions as discord.py: ``TypeError`` for a wrong type,
    ``ValueError`` for an empty sequence. Lists mixing zone kinds that discord.py cannot
    sort are accepted (sorted by wall time) instead of raising.
    """
    if isinstance(time, datetime.time):
        return [time if time.tzinfo is not None else time.replace(tzinfo=UTC)]
    if not isinstance(time, Sequence):
        raise TypeError(
            "Expected datetime.time or a sequence of datetime.time for ``time``, "
            f"received {type(time)!r} instead."
        )
    if not time:
        raise ValueError("time parameter must not be an empty sequence.")
    result: list[datetime.time] = []
    for index, t in enumerate(time):
        if not isinstance(t, datetime.time):
            raise TypeError(
                f"Expected a sequence of {datetime.time!r} for ``time``, "
                f"received {type(t).__name__!r} at index {index} instead."
            )
        result.append(t if t.tzinfo is not None else t.replace(tzinfo=UTC))
    # Named zones have no fixed offset, so their times hash and compare as if naive:
    # 09:00 New York and 09:00 London would collapse into one. Key them by zone too.
    first_of_key: dict[object, datetime.time] = {}
    for t in result:
        first_of_key.setdefault(_dedupe_key(t), t)
    unique = list(first_of_key.values())
    try:
        return sorted(unique)
    except TypeError:  # zone-aware and fixed-offset times do not compare
        return sorted(unique, key=lambda t: (t.replace(tzinfo=None), _zone_name(t.tzinfo)))


def _dedupe_key(t: datetime.time) -> object:
    """Equal slots share a key: fixed offsets by instant, named zones by wall time + zone."""
    if isinstance(t.tzinfo, datetime.timezone):
        return t
    return (t.replace(tzinfo=None), _zone_name(t.tzinfo))


def format_interval(seconds: float) -> str:
    """An interval as people write it: ``30s``, ``1.5s``, ``5m``, ``1h30m``, ``2d``.

    Exact: ``90`` gives ``1m30s``, never a rounded ``2m``. Sub-second parts are kept to
    the millisecond (``0.25s``); intervals of a day or more use ``d``.
    """
    if seconds != seconds or seconds in (math.inf, -math.inf):
        return str(seconds)
    if seconds < 0:
        return "-" + format_interval(-seconds)
    if seconds >= 100 * 365 * 86400:  # a century or more: not a wall of digits
        return f"{seconds:.3g}s"
    if seconds < 60 and seconds != int(seconds):
        return f"{round(seconds, 3):g}s"
    whole = int(seconds)
    frac = round(seconds - whole, 3)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days}d")
    if hours:
        parts.append(f"{hours}h")
    if minutes:
        parts.append(f"{minutes}m")
    if secs or frac or not parts:
        parts.append(f"{secs + frac:g}s")
    return "".join(parts)


def _zone_name(tz: datetime.tzinfo | None) -> str:
    if tz is None or tz is UTC:
        return "UTC"
    key = getattr(tz, "key", None) or getattr(tz, "zone", None)
    if key:
        return str(key)
    if isinstance(tz, datetime.timezone):
        return tz.tzname(None) or str(tz)
    return str(tz)


def _clock_text(t: datetime.time) -> str:
    text = f"{t.hour:02d}:{t.minute:02d}"
    if t.second or t.microsecond:
        text += f":{t.second:02d}"
    return text


def describe_times(times: Sequence[datetime.time]) -> str:
    """``09:00, 15:00 UTC`` or ``09:00 Europe/Paris, 18:00 UTC`` (zones grouped in order)."""
    groups: list[tuple[str, list[str]]] = []
    for t in times:
        zone = _zone_name(t.tzinfo)
        if groups and groups[-1][0] == zone:
            groups[-1][1].append(_clock_text(t))
        else:
            groups.append((zone, [_clock_text(t)]))
    return ", ".join(f"{', '.join(clocks)} {zone}" for zone, clocks in groups)
