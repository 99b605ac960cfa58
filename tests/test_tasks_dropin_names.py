"""Names and private helpers of ``discord.ext.tasks`` that code written against it uses.

discord.py's own test suite (and some bots) import ``LF``/``FT``/``ET``/``SleepHandle``
from the tasks module and call ``Loop._get_next_sleep_time(now)`` with a datetime,
expecting a datetime back. These check looptui's answers against discord.py's own.
"""

from __future__ import annotations

import asyncio
import datetime
import typing
import zoneinfo

import pytest
from discord.ext import tasks as dtasks

from looptui import tasks
from looptui.core import clock
from looptui.testing import run_virtual

UTC = datetime.timezone.utc
JST = datetime.timezone(datetime.timedelta(hours=9))


async def _noop() -> None:
    pass


def test_type_variables_and_sleep_handle_are_exported() -> None:
    for name in ("LF", "FT", "ET"):
        ours, theirs = getattr(tasks, name), getattr(dtasks, name)
        assert isinstance(ours, typing.TypeVar)
        assert ours.__name__ == theirs.__name__ == name
    assert "SleepHandle" in tasks.__all__
    assert {"future", "loop", "handle"} <= set(tasks.SleepHandle.__slots__)
    hints = typing.get_type_hints(tasks.Loop.error)
    assert hints["coro"] is tasks.ET and hints["return"] is tasks.ET


@pytest.mark.parametrize("now", [
    datetime.datetime(2022, 3, 12, 23, 50, 59, tzinfo=JST),   # just before midnight
    datetime.datetime(2022, 3, 13, 0, 0, 1, tzinfo=JST),      # just after a slot
    datetime.datetime(2022, 3, 13, 5, 59, 0, tzinfo=UTC),     # asked in another zone
    datetime.datetime(2022, 3, 13, 2, 0, 0, tzinfo=JST),      # between slots
    datetime.datetime(2022, 3, 13, 3, 0, 0, tzinfo=JST),      # exactly on a slot
])
def test_next_sleep_time_for_slots_matches_discord_py(now: datetime.datetime) -> None:
    times = [datetime.time(hour=h, tzinfo=JST) for h in range(0, 24, 3)]
    ours = tasks.loop(time=times)(_noop)._get_next_sleep_time(now)
    theirs = dtasks.loop(time=times)(_noop)._get_next_sleep_time(now)
    assert isinstance(ours, datetime.datetime)
    assert ours == theirs
    assert ours.utcoffset() == theirs.utcoffset()
    assert ours.timetz() == theirs.timetz()


def test_next_sleep_time_in_a_named_zone_keeps_the_zone() -> None:
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    lp = tasks.loop(time=datetime.time(9, 30, tzinfo=paris))(_noop)
    got = lp._get_next_sleep_time(datetime.datetime(2030, 7, 1, 8, 0, tzinfo=UTC))
    assert got == datetime.datetime(2030, 7, 2, 9, 30, tzinfo=paris)
    assert got.tzinfo is paris


def test_next_sleep_time_defaults_to_the_looptui_clock() -> None:
    start = datetime.datetime(2030, 1, 1, 10, 0, tzinfo=UTC)

    async def main() -> datetime.datetime:
        lp = tasks.loop(time=[datetime.time(11, 0), datetime.time(9, 0)])(_noop)
        return lp._get_next_sleep_time()

    assert run_virtual(main, start=start) == datetime.datetime(2030, 1, 1, 11, 0, tzinfo=UTC)


def test_next_sleep_time_of_a_relative_loop_is_last_run_plus_interval() -> None:
    start = datetime.datetime(2030, 1, 1, 10, 0, tzinfo=UTC)

    async def main() -> tuple[datetime.datetime, datetime.datetime | None]:
        lp = tasks.loop(seconds=30)(_noop)
        lp.start()
        await asyncio.sleep(45)  # ran at 10:00:00 and 10:00:30
        got = lp._get_next_sleep_time(clock.now_datetime())
        lp.cancel()
        return got, lp.next_iteration

    got, next_iteration = run_virtual(main, start=start)
    assert got == datetime.datetime(2030, 1, 1, 10, 1, tzinfo=UTC) == next_iteration


def test_asking_does_not_move_the_schedule() -> None:
    async def main() -> list[datetime.datetime | None]:
        lp = tasks.loop(time=datetime.time(12, 0))(_noop)
        lp.start()
        await asyncio.sleep(1)
        before = lp.next_iteration
        lp._get_next_sleep_time(clock.now_datetime() + datetime.timedelta(days=3))
        after = lp.next_iteration
        lp.cancel()
        return [before, after]

    before, after = run_virtual(main, start=datetime.datetime(2030, 1, 1, 10, 0, tzinfo=UTC))
    assert before == after == datetime.datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def test_sleep_handle_wakes_at_its_time_and_can_be_re_aimed() -> None:
    start = datetime.datetime(2030, 1, 1, 10, 0, tzinfo=UTC)

    async def main() -> list[float]:
        evloop = asyncio.get_running_loop()
        t0 = clock.now()
        handle = tasks.SleepHandle(start + datetime.timedelta(seconds=60), loop=evloop)
        assert not handle.done()
        await asyncio.sleep(10)
        handle.recalculate(start + datetime.timedelta(seconds=25))
        await handle.wait()
        woke = clock.now() - t0
        assert handle.done()
        past = tasks.SleepHandle(start - datetime.timedelta(hours=1), loop=evloop)
        await past.wait()  # a time already gone completes at once
        woke_past = clock.now() - t0
        cancelled = tasks.SleepHandle(start + datetime.timedelta(hours=1), loop=evloop)
        cancelled.cancel()
        with pytest.raises(asyncio.CancelledError):
            await cancelled.wait()
        return [woke, woke_past]

    assert run_virtual(main, start=start) == [25.0, 25.0]
