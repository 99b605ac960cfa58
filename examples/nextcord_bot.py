"""A nextcord bot whose ``nextcord.ext.tasks`` loops run under looptui, even offline.

The seed documentation is nextcord's; these are its real loops, which looptui shows in
the same table as its own. A loop only needs a running asyncio event loop, not a Discord
connection:

* ``status_rotation`` — module-level, every 2 seconds; not started by this file, so
  looptui starts it.
* ``startup_checks`` — module-level, ``count=3``: ends finished.
* ``daily_report`` — ``time=`` at 13:00 UTC: sleeping, with a countdown. nextcord only
  accepts fixed-offset ``datetime.timezone`` zones here (a ``ZoneInfo`` or ``pytz`` zone
  raises ``TypeError``); looptui's own ``tasks.loop`` takes both, see ``daily_times.py``.
* ``StatsCog.collect`` — in a Cog, started from the Cog's ``__init__`` (created at import).
* ``StatsCog.update_presence`` — started in ``__init__`` too, but its ``before_loop``
  awaits ``wait_until_ready()``: offline it stays ``waiting``, the state you would see if
  the bot never managed to log in. With a token it starts once the bot is ready.

Run it with::

    looptui examples/nextcord_bot.py --main main

Without ``DISCORD_TOKEN`` in the environment ``main()`` returns at once and the loops
keep running offline. With it, ``main()`` logs the bot in and runs it (needs network).
"""

import datetime
import itertools
import os

import nextcord
from nextcord.ext import commands, tasks

intents = nextcord.Intents.default()
bot = commands.Bot(command_prefix=commands.when_mentioned, intents=intents)

STATUSES = itertools.cycle(["with loops", "with timers", "the waiting game"])


@tasks.loop(seconds=2)
async def status_rotation():
    status = next(STATUSES)
    if bot.is_ready():
        await bot.change_presence(activity=nextcord.Game(name=status))
    print(f"status: playing {status}")


@tasks.loop(seconds=1, count=3)
async def startup_checks():
    print(f"Startup check {startup_checks.current_loop + 1}/3")


@tasks.loop(time=datetime.time(hour=13, tzinfo=datetime.timezone.utc))
async def daily_report():
    print(f"daily report for {datetime.date.today():%Y-%m-%d}")


class StatsCog(commands.Cog):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot
        self.samples: list[int] = []
        self.collect.start()
        self.update_presence.start()

    def cog_unload(self) -> None:
        self.collect.cancel()
        self.update_presence.cancel()

    @tasks.loop(seconds=3)
    async def collect(self):
        """Sample the member count (zero while offline); keep the last ten samples."""
        members = sum(guild.member_count or 0 for guild in self.bot.guilds)
        self.samples = [*self.samples[-9:], members]
        print(f"members: {members} (last {len(self.samples)} samples)")

    @tasks.loop(seconds=30)
    async def update_presence(self):
        activity = nextcord.Activity(
            type=nextcord.ActivityType.watching, name=f"{len(self.bot.guilds)} servers"
        )
        await self.bot.change_presence(activity=activity)

    @update_presence.before_loop
    async def before_update_presence(self):
        await self.bot.wait_until_ready()


stats = StatsCog(bot)
bot.add_cog(stats)


async def main() -> None:
    """Log the bot in when DISCORD_TOKEN is set; otherwise return and stay offline."""
    token = os.environ.get("DISCORD_TOKEN")
    if not token:
        print("DISCORD_TOKEN is not set: the loops run offline, the bot stays logged out")
        return
    await bot.start(token)
