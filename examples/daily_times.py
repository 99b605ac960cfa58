"""Loops that run at fixed times of day (``time=``), with real time zones.

Miniature of the seed's time-based patterns:

* ``daily_reset`` — ``time=time(hour=0, minute=0)``: midnight UTC (a time without
  ``tzinfo`` means UTC).
* ``reminder_check`` — several daily times, here 09:00, 15:00 and 21:00 in Paris.
* ``eastern_morning_report`` — 9 AM Eastern, with ``zoneinfo`` (standard library).
  ``eastern_morning_report_pytz`` is the seed's exact ``pytz`` version, defined only when
  ``pytz`` is installed. looptui gives both the same EST/EDT instant; discord.py would
  take the ``pytz`` zone's first historical offset (UTC-4:56) for the second one.
* ``world_standup`` — 09:00 in Tokyo, Paris and New York in one list: slots are ordered by
  their real instant, whatever the zones.
* ``weekly_summary`` — the seed's "daily at 10 AM, return unless it is Sunday" idiom.
* ``soon`` — three times computed a few seconds after import, so that something actually
  happens while you watch; afterwards it waits for the same times tomorrow.

The Next column shows the countdown to each loop's next slot; the details view lists the
upcoming runs.

Run it with::

    looptui examples/daily_times.py
"""

import asyncio
import datetime
from zoneinfo import ZoneInfo

from looptui import tasks

UTC = datetime.timezone.utc
PARIS = ZoneInfo("Europe/Paris")
EASTERN = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")

stats = {"messages": 0, "commands": 0}


@tasks.loop(time=datetime.time(hour=0, minute=0))  # midnight UTC
async def daily_reset():
    """Reset the daily counters and report them."""
    print(f"daily reset: {stats['messages']} messages, {stats['commands']} commands yesterday")
    stats.update(messages=0, commands=0)


@tasks.loop(
    time=[
        datetime.time(9, tzinfo=PARIS),
        datetime.time(15, tzinfo=PARIS),
        datetime.time(21, tzinfo=PARIS),
    ]
)
async def reminder_check():
    """Check for due reminders three times a day (Paris time)."""
    print(f"checking reminders at {datetime.datetime.now(PARIS):%H:%M %Z}")


@tasks.loop(time=datetime.time(hour=9, minute=0, tzinfo=EASTERN))
async def eastern_morning_report():
    """Morning report at 9 AM New York time, EST or EDT as the date requires."""
    print(f"Good morning! It's {datetime.datetime.now(EASTERN):%A, %B %d, %Y}")


try:
    import pytz
except ImportError:  # optional: zoneinfo above does the same job
    pytz = None

if pytz is not None:

    @tasks.loop(time=datetime.time(hour=9, minute=0, tzinfo=pytz.timezone("US/Eastern")))
    async def eastern_morning_report_pytz():
        """The seed's version, with a pytz zone."""
        eastern = pytz.timezone("US/Eastern")
        print(f"Good morning! It's {datetime.datetime.now(eastern):%A, %B %d, %Y}")


@tasks.loop(
    time=[
        datetime.time(9, tzinfo=TOKYO),
        datetime.time(9, tzinfo=PARIS),
        datetime.time(9, tzinfo=EASTERN),
    ]
)
async def world_standup():
    """One stand-up reminder per office, each at 09:00 local time."""
    print(f"stand-up time somewhere (UTC now {datetime.datetime.now(UTC):%H:%M})")


@tasks.loop(time=datetime.time(hour=10, minute=0))
async def weekly_summary():
    """Runs every day at 10:00 UTC but only does something on Sundays."""
    if datetime.datetime.now(UTC).weekday() != 6:
        return
    print("weekly summary: sent")


def seconds_from_now(*offsets: int) -> list[datetime.time]:
    """Times of day (UTC) that fall the given numbers of seconds after now."""
    now = datetime.datetime.now(UTC).replace(microsecond=0)
    return [(now + datetime.timedelta(seconds=s)).timetz() for s in offsets]


@tasks.loop(time=seconds_from_now(3, 6, 9))
async def soon():
    """Fires three times within ten seconds of startup, then again tomorrow."""
    stats["messages"] += 40
    stats["commands"] += 3
    print(f"soon: slot {soon.current_loop + 1} at {datetime.datetime.now(UTC):%H:%M:%S} UTC")


if __name__ == "__main__":
    # Without looptui too (python examples/daily_times.py): the loops run until Ctrl+C.
    async def main() -> None:
        for each in (daily_reset, reminder_check, eastern_morning_report, world_standup,
                     weekly_summary, soon):
            each.start()
        await asyncio.Event().wait()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
