"""Parse what a user types in the change-interval dialog.

Accepted: a number of seconds (``30``, ``0.5``), a duration with units (``30s``, ``1.5m``,
``1h30m``, ``2h``, ``500ms``, ``1d``), or times of day (``09:00``, ``09:00, 15:00``,
``09:00:30``) optionally followed by a time zone (``09:00 Europe/Paris``, ``07:30 UTC``).
Times without a zone are UTC, as in discord.py's ``time=``.

Anything else raises :class:`ValueError` whose message says what is wrong in words a
user can act on; the dialog shows it and changes nothing. No textual import here.
"""

from __future__ import annotations

import datetime
import math
import re
import zoneinfo
from typing import Literal, Union

__all__ = ["parse_interval", "Parsed", "MAX_SECONDS"]

Parsed = Union[tuple[Literal["seconds"], float], tuple[Literal["times"], "list[datetime.time]"]]

MAX_SECONDS = 366 * 86400.0
"""Longest relative interval accepted (a year): anything more is almost surely a typo."""

_UNITS = {
    "ms": 0.001,
    "s": 1.0, "sec": 1.0, "secs": 1.0, "second": 1.0, "seconds": 1.0,
    "m": 60.0, "min": 60.0, "mins": 60.0, "minute": 60.0, "minutes": 60.0,
    "h": 3600.0, "hr": 3600.0, "hrs": 3600.0, "hour": 3600.0, "hours": 3600.0,
    "d": 86400.0, "day": 86400.0, "days": 86400.0,
}
_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)"
_PART = re.compile(rf"\s*({_NUMBER})\s*([a-zA-Z]+)\s*")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")

HINT = "e.g. 30, 30s, 1.5m, 1h30m, 2h, 09:00 or 09:00, 15:00 Europe/Paris"
"""Examples of accepted input, for the dialog."""


def parse_interval(text: str) -> Parsed:
    """Turn the dialog's text into ``("seconds", float)`` or ``("times", [time, ...])``.

    Raises:
        ValueError: With a human-readable reason when *text* is not an interval.
    """
    raw = text.strip()
    if not raw:
        raise ValueError("type an interval (30s, 1h30m) or a time of day (09:00)")
    if ":" in raw:
        return ("times", _parse_times(raw))
    return ("seconds", _parse_seconds(raw))


def _parse_seconds(raw: str) -> float:
    if raw.startswith("-"):
        raise ValueError("an interval cannot be negative")
    try:
        value = float(raw)
    except ValueError:
        value = None
    if value is None:
        total = 0.0
        pos = 0
        seen: set[float] = set()
        while pos < len(raw):
            match = _PART.match(raw, pos)
            if match is None:
                raise ValueError(
                    f"{raw!r} is not an interval: use a number of seconds or units, e.g. 1h30m"
                )
            number, unit = match.groups()
            factor = _UNITS.get(unit.lower())
            if factor is None:
                raise ValueError(f"unknown unit {unit!r}: use ms, s, m, h or d")
            if factor in seen:
                raise ValueError(f"the unit {unit!r} is given twice in {raw!r}")
            seen.add(factor)
            total += float(number) * factor
            pos = match.end()
        value = total
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"{raw!r} is not a finite number of seconds")
    if value < 0:
        raise ValueError("an interval cannot be negative")
    if value > MAX_SECONDS:
        raise ValueError("an interval longer than a year is not accepted")
    return value


def _zone(name: str) -> datetime.tzinfo:
    if name.upper() in {"UTC", "Z", "GMT"}:
        return datetime.timezone.utc
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(
            f"unknown time zone {name!r}: use a name such as UTC or Europe/Paris"
        ) from None


def _parse_time(token: str) -> datetime.time:
    match = _TIME.match(token)
    if match is None:
        raise ValueError(f"{token!r} is not a time of day: use HH:MM, e.g. 09:00")
    hour, minute = int(match.group(1)), int(match.group(2))
    second = int(match.group(3) or 0)
    if hour > 23:
        raise ValueError(f"{token!r}: the hour must be 0–23")
    if minute > 59:
        raise ValueError(f"{token!r}: the minutes must be 0–59")
    if second > 59:
        raise ValueError(f"{token!r}: the seconds must be 0–59")
    return datetime.time(hour, minute, second)


def _parse_times(raw: str) -> list[datetime.time]:
    items = [item.strip() for item in raw.split(",")]
    if any(not item for item in items):
        raise ValueError(f"empty time in {raw!r}: separate times with commas, e.g. 09:00, 15:00")
    parsed: list[tuple[datetime.time, datetime.tzinfo | None]] = []
    for item in items:
        words = item.split()
        if len(words) > 2:
            raise ValueError(f"{item!r} is not a time of day: use HH:MM [zone], e.g. 09:00 UTC")
        when = _parse_time(words[0])
        zone = _zone(words[1]) if len(words) == 2 else None
        parsed.append((when, zone))
    zoned = [zone for _, zone in parsed if zone is not None]
    # "09:00, 15:00 Europe/Paris": a zone written only after the last time applies to all.
    shared = parsed[-1][1] if len(zoned) == 1 and parsed[-1][1] is not None else None
    times: list[datetime.time] = []
    seen: set[tuple[datetime.time, str]] = set()
    for when, zone in parsed:
        tz = zone or shared or datetime.timezone.utc
        key = (when, str(tz))
        if key not in seen:  # the same slot typed twice runs once
            seen.add(key)
            times.append(when.replace(tzinfo=tz))
    return times
