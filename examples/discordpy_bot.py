"""A discord.py bot whose ``discord.ext.tasks`` loops run under looptui, even offline.

These are discord.py's own loops, not looptui's: looptui recognises them and shows them
in the same table. A loop only needs a running asyncio event loop, not a Discord
connection, so everything except ``update_presence`` runs without a token:

* ``heartbeat`` — module-level, every 2 seconds; not started by this file, so looptui
  starts it.
* ``warm_up`` — module-level, ``count=3``: ends finished.
* ``StatsCog.collect`` — in a Cog, started from the Cog's ``__init__``. The Cog is created
  at import time; that works because looptui imports this file inside its running
  event loop (plain ``python discordpy_bot.py`` would fail here with "no running event
  loop": in a standalone bot, create the Cog in ``main()`` or ``setup_hook``).
* ``StatsCog.update_presence`` — needs a logged-in bot (its ``before_loop`` awaits
  ``wait_until_ready()``), so it is started from ``cog_load``, which discord.py runs when
  ``main()`` adds the Cog: only with a token.

Run it with::

    looptui examples/discordpy_bot.py --main main

Without ``DISCORD_TOKEN`` in the environment ``main()`` returns at once and the loops
keep running offline. With it, ``main()`` logs the bot in and runs it (needs network).
"""

import os

import discord
from discord.ext import commands, tasks

intents = discord.Intents.default()
bot = commands.Bot(command_prefix=commands.when_mentioned, intents=intents)


@tasks.loop(seconds=2)
async def heartbeat():
    state = "logged in" if bot.is_ready() else "offline"
    print(f"heartbeat {heartbeat.current_loop + 1} ({state}, {len(bot.guilds)} servers)")


@tasks.loop(seconds=1, count=3)
async def warm_up():
    print(f"warming up {warm_up.current_loop + 1}/3")


class StatsCog(commands.Cog):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot
        self.samples: list[int] = []
        self.collect.start()

    async def cog_load(self) -> None:
        self.update_presence.start()

    async def cog_unload(self) -> None:
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
        activity = discord.Activity(
            type=discord.ActivityType.watching, name=f"{len(self.bot.guilds)} servers"
        )
        await self.bot.change_presence(activity=activity)

    @update_presence.before_loop
    async def before_update_presence(self):
        await self.bot.wait_until_ready()


stats = StatsCog(bot)


async def main() -> None:
    """Log the bot in when DISCORD_TOKEN is set; otherwise return and stay offline."""
    token = os.environ.get("DISCORD_TOKEN")
    if not token:
        print("DISCORD_TOKEN is not set: the loops run offline, the bot stays logged out")
        return
    async with bot:
        await bot.add_cog(stats)
        await bot.start(token)
