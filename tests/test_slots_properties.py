"""Properties of ``time=`` slot computation (:func:`looptui.core.schedule.next_slot`).

``next_slot(times, after)`` must return the first real instant strictly after ``after`` at
which one of ``times`` occurs. It is checked against a brute-force oracle written here
from first principles (try every offset the zone uses around that date and keep the wall
times that round-trip), not from the code under test:

* a wall time that occurs twice (DST fall-back) runs once, at its *second* occurrence —
  discord.py's ``resolve_datetime`` uses ``fold=1``;
* a wall time that does not occur (DST spring-forward gap) runs at the instant it would
  have had under the offset in force before the gap, i.e. shifted forward by the gap
  (02:30 on a New York spring-forward day runs at 03:30 EDT), as discord.py does;
* a ``pytz`` zone attached to a ``datetime.time`` means that *named zone*. discord.py
  combines the time with the zone object as is, and an unlocalised pytz zone carries its
  first historical offset (local mean time: -4:56 for US/Eastern, +9:19 for Asia/Tokyo),
  so its 09:00 US/Eastern runs at 08:56 EST. looptui localises through the zone's rules;
  the oracle uses ``zoneinfo.ZoneInfo(zone.zone)``.

Zones cover 1-hour and 30-minute (Lord Howe) DST shifts, fixed offsets whose local date
differs from UTC (+9 twice — JST and KST are the same instant, so the two must not run
twice — and -10), mixed lists, naive times (= UTC) and pytz.
"""

from __future__ import annotations

import datetime
import zoneinfo
from functools import lru_cache

import pytest
import pytz
from hypothesis import example, given, settings
from hypothesis import strategies as st

from looptui.core.schedule import next_slot, normalize_times

UTC = datetime.timezone.utc
DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
LONDON = zoneinfo.ZoneInfo("Europe/London")
LORD_HOWE = zoneinfo.ZoneInfo("Australia/Lord_Howe")
JST = datetime.timezone(datetime.timedelta(hours=9), "JST")
KST = datetime.timezone(datetime.timedelta(hours=9), "KST")
MINUS10 = datetime.timezone(datetime.timedelta(hours=-10))

DST_ZONES: list[datetime.tzinfo] = [NEW_YORK, LONDON, LORD_HOWE]
FIXED_ZONES: list[datetime.tzinfo] = [UTC, JST, KST, MINUS10]
PYTZ_ZONES: list[datetime.tzinfo] = [
    pytz.timezone("US/Eastern"),
    pytz.timezone("Europe/London"),
    pytz.timezone("Australia/Lord_Howe"),
    pytz.timezone("Asia/Tokyo"),
]
ALL_ZONES = DST_ZONES + FIXED_ZONES + PYTZ_ZONES

YEARS = (datetime.datetime(2020, 1, 1, tzinfo=UTC), datetime.datetime(2030, 12, 31, tzinfo=UTC))
MAX_WAIT = datetime.timedelta(hours=26)
"""A time of day recurs within 24 h, give or take one DST shift and one gap shift."""

# derandomize: the same examples on every run (Hypothesis may still vary them slightly
# with the set of loaded modules, whose literals it mines); known hard cases are pinned
# with @example.
SLOTS = settings(derandomize=True, deadline=None, max_examples=200)


# -- the oracle ------------------------------------------------------------------------


def oracle_zone(tz: datetime.tzinfo | None) -> datetime.tzinfo:
    """The zone whose rules a time's tzinfo stands for (pytz: by its name)."""
    if tz is None:
        return UTC
    name = getattr(tz, "zone", None)
    if name is not None and hasattr(tz, "localize"):
        return zoneinfo.ZoneInfo(name)
    return tz


def offsets_around(tz: datetime.tzinfo, wall: datetime.datetime) -> set[datetime.timedelta]:
    """The UTC offsets *tz* uses around the wall time *wall* (before and after any DST
    change within a day and a bit of it; zones here change at most once in that span)."""
    found = set()
    for hours in (-30, 0, 30):
        instant = (wall + datetime.timedelta(hours=hours)).replace(tzinfo=UTC)
        offset = instant.astimezone(tz).utcoffset()
        assert offset is not None
        found.add(offset)
    return found


def occurrence(day: datetime.date, t: datetime.time) -> datetime.datetime:
    """The instant (UTC) at which wall time *t* runs on local date *day*."""
    # Not cached on (day, t): a time whose zone has no fixed offset (zoneinfo, pytz)
    # compares and hashes as if naive, so 09:00 New York == 09:00 London == 09:00.
    return _occurrence(day, t.replace(tzinfo=None), oracle_zone(t.tzinfo))


@lru_cache(maxsize=100_000)
def _occurrence(day: datetime.date, wall_time: datetime.time, tz: datetime.tzinfo) -> datetime.datetime:
    wall = datetime.datetime.combine(day, wall_time)
    offsets = offsets_around(tz, wall)
    assert len(offsets) <= 2, "more than one transition near one date: widen the oracle"
    real = []
    for offset in offsets:
        instant = (wall - offset).replace(tzinfo=UTC)
        if instant.astimezone(tz).replace(tzinfo=None) == wall:
            real.append(instant)
    if real:
        return max(real)  # twice (fall-back): the later one, like fold=1
    # never (spring-forward gap): the offset in force before the gap, which is the
    # smaller one, puts the wall time just past the gap
    return (wall - min(offsets)).replace(tzinfo=UTC)


def utc(dt: datetime.datetime) -> datetime.datetime:
    """*dt* in UTC. Needed for ==: by PEP 495, an aware datetime whose offset depends on
    ``fold`` never equals a datetime in another zone, even at the same instant."""
    return dt.astimezone(UTC)


def all_slots(
    times: list[datetime.time], after: datetime.datetime, days: int
) -> list[datetime.datetime]:
    """Every distinct instant after *after* from local dates around the next *days* days."""
    found = set()
    for t in times:
        local_day = after.astimezone(oracle_zone(t.tzinfo)).date()
        for delta in range(-2, days + 3):
            instant = occurrence(local_day + delta * DAY, t)
            if instant > after:
                found.add(instant)
    return sorted(found)


# -- strategies ------------------------------------------------------------------------


@lru_cache(maxsize=None)
def transitions(tz: datetime.tzinfo) -> tuple[datetime.datetime, ...]:
    """DST transitions of *tz* in 2020-2030, to the minute."""
    found = []
    day = YEARS[0]
    previous = day.astimezone(tz).utcoffset()
    while day < YEARS[1] + DAY:
        nxt = day + DAY
        offset = nxt.astimezone(tz).utcoffset()
        if offset != previous:
            lo, hi = day, nxt
            while hi - lo > datetime.timedelta(minutes=1):
                mid = lo + (hi - lo) / 2
                if mid.astimezone(tz).utcoffset() == previous:
                    lo = mid
                else:
                    hi = mid
            found.append(hi.replace(second=0, microsecond=0))
            previous = offset
        day = nxt
    return tuple(found)


ALL_TRANSITIONS = sorted({t for tz in DST_ZONES for t in transitions(tz)})

uniform_instants = st.datetimes(
    min_value=YEARS[0].replace(tzinfo=None),
    max_value=YEARS[1].replace(tzinfo=None),
    timezones=st.just(UTC),
)
near_transitions = st.builds(
    lambda t, seconds: t + datetime.timedelta(seconds=seconds),
    st.sampled_from(ALL_TRANSITIONS),
    st.integers(min_value=-2 * 86400, max_value=2 * 86400),
)
afters = st.one_of(uniform_instants, near_transitions)

# wall times around the transitions of these zones, or anything at all
special_walls = st.sampled_from(
    [
        datetime.time(0, 0),
        datetime.time(0, 59, 59),
        datetime.time(1, 0),
        datetime.time(1, 30),
        datetime.time(1, 59, 59),
        datetime.time(2, 0),
        datetime.time(2, 15),
        datetime.time(2, 30),
        datetime.time(2, 59, 59),
        datetime.time(3, 0),
        datetime.time(23, 59, 59),
    ]
)
walls = st.one_of(special_walls, st.times())


def times_in(zones: list[datetime.tzinfo]) -> st.SearchStrategy[datetime.time]:
    return st.builds(lambda w, tz: w.replace(tzinfo=tz), walls, st.sampled_from(zones))


naive_times = walls
time_lists = st.one_of(
    st.lists(times_in(DST_ZONES), min_size=1, max_size=4),
    st.lists(times_in(FIXED_ZONES), min_size=1, max_size=4),
    st.lists(times_in(PYTZ_ZONES), min_size=1, max_size=4),
    st.lists(st.one_of(times_in(ALL_ZONES), naive_times), min_size=1, max_size=5),
)


# -- properties ------------------------------------------------------------------------


@SLOTS
@given(times=time_lists, after=afters)
def test_next_slot_is_the_first_real_slot_after(times: list[datetime.time], after: datetime.datetime) -> None:
    got = next_slot(times, after)
    assert got.tzinfo is not None
    assert got > after
    assert got - after <= MAX_WAIT
    assert utc(got) == all_slots(times, after, days=2)[0]


@SLOTS
@given(times=time_lists, after=afters, steps=st.integers(min_value=2, max_value=8))
def test_iterating_never_skips_or_repeats_a_slot(
    times: list[datetime.time], after: datetime.datetime, steps: int
) -> None:
    seen = []
    current = after
    for _ in range(steps):
        current = next_slot(times, current)
        seen.append(current)
    in_utc = [utc(d) for d in seen]
    assert in_utc == all_slots(times, after, days=steps + 1)[:steps]
    assert len(set(in_utc)) == len(in_utc)


@SLOTS
@given(times=time_lists, after=afters)
def test_next_slot_does_not_depend_on_the_zone_of_after(
    times: list[datetime.time], after: datetime.datetime
) -> None:
    expected = utc(next_slot(times, after))
    for tz in (NEW_YORK, JST, LORD_HOWE):
        assert utc(next_slot(times, after.astimezone(tz))) == expected


@SLOTS
@given(times=time_lists, after=afters)
def test_order_and_duplicates_of_times_do_not_matter(
    times: list[datetime.time], after: datetime.datetime
) -> None:
    assert utc(next_slot(list(reversed(times)) + times, after)) == utc(next_slot(times, after))


# -- agreement with discord.py where discord.py is right --------------------------------


def _discord_next(times: list[datetime.time], now: datetime.datetime) -> datetime.datetime:
    from discord.ext import tasks

    async def body() -> None:
        pass

    lp = tasks.loop(time=times)(body)
    return lp._get_next_sleep_time(now)  # the slot discord.py would sleep until


def _far_from_transitions(tz: datetime.tzinfo, after: datetime.datetime) -> bool:
    return all(abs(t - after) > 3 * DAY for t in transitions(tz)) if tz in DST_ZONES else True


@SLOTS
@given(
    zone=st.sampled_from(DST_ZONES + FIXED_ZONES),
    walls_=st.lists(walls, min_size=1, max_size=4),
    after=uniform_instants,
)
def test_single_zone_ordinary_days_agree_with_discord(
    zone: datetime.tzinfo, walls_: list[datetime.time], after: datetime.datetime
) -> None:
    """One zone, away from DST changes: discord.py's slot arithmetic is correct there and
    looptui must pick the same slot (discord.py includes a slot equal to ``now``)."""
    if not _far_from_transitions(zone, after):
        return
    times = [w.replace(tzinfo=zone) for w in walls_]
    assert utc(next_slot(times, after, inclusive=True)) == utc(_discord_next(times, after))


def test_pytz_zone_means_the_named_zone_not_its_lmt_offset() -> None:
    eastern = pytz.timezone("US/Eastern")
    nine = datetime.time(9, tzinfo=eastern)
    after = datetime.datetime(2026, 1, 5, 12, tzinfo=UTC)
    assert utc(next_slot([nine], after)) == datetime.datetime(2026, 1, 5, 14, tzinfo=UTC)  # 09:00 EST
    # discord.py: 09:00 local mean time (-4:56) is 13:56 UTC
    assert _discord_next([nine], after) == datetime.datetime(2026, 1, 5, 13, 56, tzinfo=UTC)


@pytest.mark.parametrize(
    ("wall", "tz", "after", "expected_utc"),
    [
        # New York spring forward 2026-03-08 02:00 EST -> 03:00 EDT
        (datetime.time(2, 30), NEW_YORK, datetime.datetime(2026, 3, 8, 5, tzinfo=UTC),
         datetime.datetime(2026, 3, 8, 7, 30, tzinfo=UTC)),  # 03:30 EDT
        # New York fall back 2026-11-01 02:00 EDT -> 01:00 EST: the second 01:30
        (datetime.time(1, 30), NEW_YORK, datetime.datetime(2026, 11, 1, 4, tzinfo=UTC),
         datetime.datetime(2026, 11, 1, 6, 30, tzinfo=UTC)),
        # ... and once it has run, the next one is a day later, not the other 01:30
        (datetime.time(1, 30), NEW_YORK, datetime.datetime(2026, 11, 1, 6, 30, tzinfo=UTC),
         datetime.datetime(2026, 11, 2, 6, 30, tzinfo=UTC)),
        # Lord Howe spring forward 2026-10-04 02:00 +10:30 -> 02:30 +11
        (datetime.time(2, 15), LORD_HOWE, datetime.datetime(2026, 10, 3, 12, tzinfo=UTC),
         datetime.datetime(2026, 10, 3, 15, 45, tzinfo=UTC)),  # 02:45 +11
        # Lord Howe fall back 2026-04-05 02:00 +11 -> 01:30 +10:30: the second 01:45
        (datetime.time(1, 45), LORD_HOWE, datetime.datetime(2026, 4, 4, 12, tzinfo=UTC),
         datetime.datetime(2026, 4, 4, 15, 15, tzinfo=UTC)),
        # London spring forward 2026-03-29 01:00 GMT -> 02:00 BST
        (datetime.time(1, 30), LONDON, datetime.datetime(2026, 3, 29, tzinfo=UTC),
         datetime.datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),  # 02:30 BST
        # Tokyo's 08:00 on Jan 2 is still Jan 1 in UTC
        (datetime.time(8), JST, datetime.datetime(2026, 1, 1, 20, tzinfo=UTC),
         datetime.datetime(2026, 1, 1, 23, tzinfo=UTC)),
        # and Honolulu-like -10's 20:00 on Jan 1 is Jan 2 in UTC
        (datetime.time(20), MINUS10, datetime.datetime(2026, 1, 1, 20, tzinfo=UTC),
         datetime.datetime(2026, 1, 2, 6, tzinfo=UTC)),
    ],
)
def test_known_slots(
    wall: datetime.time, tz: datetime.tzinfo, after: datetime.datetime, expected_utc: datetime.datetime
) -> None:
    t = wall.replace(tzinfo=tz)
    assert utc(next_slot([t], after)) == expected_utc
    assert all_slots([t], after, days=1)[0] == expected_utc  # the oracle agrees


@SLOTS
@given(times=time_lists, after=afters)
@example(  # the second 01:30 of a New York fall-back day
    times=[datetime.time(1, 30, tzinfo=NEW_YORK)],
    after=datetime.datetime(2020, 11, 1, 6, tzinfo=UTC),
)
def test_inclusive_accepts_a_slot_equal_to_after(
    times: list[datetime.time], after: datetime.datetime
) -> None:
    slot = next_slot(times, after)
    for same_instant in (utc(slot), slot):
        assert utc(next_slot(times, same_instant, inclusive=True)) == utc(slot)
        assert utc(next_slot(times, same_instant)) > utc(slot)


def test_inclusive_accepts_the_second_occurrence_of_an_ambiguous_time_given_in_utc() -> None:
    """The instant 06:30 UTC on 2026-11-01 *is* the (second) 01:30 in New York. Compared
    with ``==`` across zones it is not equal (PEP 495), so the comparison must be made
    in one zone."""
    t = datetime.time(1, 30, tzinfo=NEW_YORK)
    after = datetime.datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    assert utc(next_slot([t], after, inclusive=True)) == after


def test_same_instant_in_two_zones_runs_once() -> None:
    times = [datetime.time(9, tzinfo=JST), datetime.time(9, tzinfo=KST), datetime.time(0)]
    after = datetime.datetime(2026, 1, 1, 12, tzinfo=UTC)
    first = next_slot(times, after)
    assert utc(first) == datetime.datetime(2026, 1, 2, tzinfo=UTC)
    assert utc(next_slot(times, first)) == datetime.datetime(2026, 1, 3, tzinfo=UTC)


@SLOTS
@given(times=time_lists, after=afters)
@example(
    times=[datetime.time(0, tzinfo=NEW_YORK), datetime.time(0, tzinfo=LONDON)],
    after=datetime.datetime(2020, 3, 8, 7, tzinfo=UTC),
)
def test_normalised_time_lists_keep_every_slot(
    times: list[datetime.time], after: datetime.datetime
) -> None:
    """``loop(time=...)`` first normalises the list (naive means UTC, duplicates dropped).
    Only true duplicates may go: 09:00 New York and 09:00 London compare equal as
    ``datetime.time`` objects (neither has a fixed offset) but are different slots."""
    assert utc(next_slot(normalize_times(times), after)) == all_slots(times, after, days=2)[0]


def test_same_wall_time_in_two_zones_are_two_slots() -> None:
    times = [datetime.time(9, tzinfo=NEW_YORK), datetime.time(9, tzinfo=LONDON)]
    assert len(normalize_times(times)) == 2
