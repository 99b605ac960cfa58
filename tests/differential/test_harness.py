"""The harness itself: discord.py really runs on the virtual clock, and is restored."""

from __future__ import annotations

import datetime

import discord.backoff
import discord.ext.tasks
import discord.utils

from looptui.core import clock
from looptui.testing import run_virtual

from .discord_time import READ_LAG, patch_discord_time

UTC = datetime.timezone.utc
START = datetime.datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)


def test_discord_reads_the_virtual_clock_while_patched() -> None:
    originals = (
        discord.ext.tasks.datetime,
        discord.utils.compute_timedelta,
        discord.utils.utcnow,
        discord.backoff.time,
        discord.backoff.random,
    )

    async def main() -> tuple[datetime.datetime, datetime.datetime, float, float]:
        later = START + datetime.timedelta(seconds=90)
        return (
            discord.ext.tasks.datetime.datetime.now(UTC),
            discord.utils.utcnow(),
            discord.utils.compute_timedelta(later),
            discord.backoff.time.monotonic() - clock.now(),
        )

    with patch_discord_time():
        tasks_now, utcnow, delta, monotonic_skew = run_virtual(main, start=START)
        first = discord.backoff.ExponentialBackoff()
        second = discord.backoff.ExponentialBackoff()
        assert [first.delay() for _ in range(5)] == [second.delay() for _ in range(5)]

    lagged = START + datetime.timedelta(seconds=READ_LAG)
    assert (tasks_now, utcnow, delta, monotonic_skew) == (lagged, lagged, 90.0, 0.0)
    assert originals == (
        discord.ext.tasks.datetime,
        discord.utils.compute_timedelta,
        discord.utils.utcnow,
        discord.backoff.time,
        discord.backoff.random,
    )
    assert discord.ext.tasks.datetime is datetime
