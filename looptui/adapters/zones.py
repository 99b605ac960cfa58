"""Time zones of ``time=`` slots as each library can take them, and the pytz LMT pitfall.

discord.py 2 accepts any ``tzinfo`` on a ``datetime.time``, named zones (``zoneinfo``)
included, and follows their daylight-saving changes. nextcord, disnake and py-cord sort
and compare the times themselves, which fails for a zone whose offset depends on the date
(``TypeError: can't compare offset-naive and offset-aware times``): for them a named zone
becomes the fixed offset it has at the slot's next occurrence (:func:`as_fixed_offsets`),
and the user is told so.

``datetime.time(9, tzinfo=pytz.timezone("Europe/Paris"))`` is a classic bug: a pytz zone
attached without ``localize`` is the zone's first entry, Local Mean Time (``+00:09`` for
Paris), so the loop runs minutes off. :func:`lmt_warning` says so, with the fix.
"""

from __future__ import annotations

import datetime
from typing import Sequence

from ..core import clock

__all__ = ["takes_named_zones", "as_fixed_offsets", "lmt_warning"]


def takes_named_zones(source: str) -> bool:
    """Whether the library of *source* schedules ``time=`` slots in zones like ``Europe/Paris``."""
    return source == "discord.py"


def _zone_name(tz: datetime.tzinfo) -> str:
    return str(getattr(tz, "key", None) or getattr(tz, "zone", None) or tz)


def _offset_text(offset: datetime.timedelta) -> str:
    minutes = round(offset.total_seconds() / 60)
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _next_offset(t: datetime.time, tz: datetime.tzinfo) -> datetime.timedelta | None:
    """The UTC offset of *tz* at the next time its wall clock shows *t*."""
    now = datetime.datetime.fromtimestamp(clock.now(), tz)
    wall = datetime.datetime.combine(now.date(), t.replace(tzinfo=None))
    localize = getattr(tz, "localize", None)
    when = localize(wall) if callable(localize) else wall.replace(tzinfo=tz)
    if when < now:
        wall += datetime.timedelta(days=1)
        when = localize(wall) if callable(localize) else wall.replace(tzinfo=tz)
    return when.utcoffset()


def as_fixed_offsets(times: Sequence[datetime.time]) -> tuple[list[datetime.time], str | None]:
    """*times* with each date-dependent zone replaced by its next fixed offset, and what changed.

    Returns:
        The times to give a library without named zones, and a sentence for the user
        (``None`` when every time already had a fixed offset or none).
    """
    converted: list[datetime.time] = []
    changed: dict[str, str] = {}
    for t in times:
        tz = t.tzinfo
        if tz is None or t.utcoffset() is not None:
            converted.append(t)
            continue
        offset = _next_offset(t, tz)
        if offset is None:
            converted.append(t)
            continue
        converted.append(t.replace(tzinfo=datetime.timezone(offset)))
        changed[_zone_name(tz)] = _offset_text(offset)
    if not changed:
        return converted, None
    parts = ", ".join(f"{zone} as {offset}" for zone, offset in changed.items())
    return converted, (f"set {parts}: the library takes fixed offsets only, "
                       "so the slot will not follow daylight-saving changes")


def lmt_warning(times: Sequence[datetime.time] | None, source: str) -> str | None:
    """A sentence about a slot whose pytz zone was attached without ``localize``, or ``None``."""
    for t in times or ():
        tz = t.tzinfo
        if tz is None or not hasattr(tz, "localize"):
            continue
        # attached as is (not localized), pytz's zone is its first entry: look at that
        as_attached = datetime.datetime.combine(datetime.date(2000, 1, 1), t)
        offset = as_attached.utcoffset()
        if as_attached.tzname() != "LMT" and (offset is None or not offset.total_seconds() % 900):
            continue
        name = _zone_name(tz)
        shown = f"{t.hour:02d}:{t.minute:02d}"
        fix = (f"tzinfo=zoneinfo.ZoneInfo({name!r})" if takes_named_zones(source)
               else "a fixed offset, tzinfo=datetime.timezone(datetime.timedelta(hours=…))")
        offset_text = _offset_text(offset) if offset is not None else "its first offset"
        return (f"likely bug: {shown} {name} runs at {offset_text}, the zone's Local Mean "
                f"Time — tzinfo=pytz.timezone({name!r}) on a datetime.time is not localized. "
                f"Use {fix} (or pytz's localize on a datetime)")
    return None
