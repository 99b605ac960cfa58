"""Keep the bot's status line up to date: "Watching 3 servers • 250 members".

Miniature of the seed's ``status_updater`` (``@tasks.loop(seconds=30)`` that counts the
bot's guilds and members and calls ``bot.change_presence``). Here it runs every 3 seconds
against ``FakeBot``, a stand-in with a list of guilds and a presence; a second loop makes
guilds join and leave so the status actually changes while you watch.

Run it with::

    looptui examples/status_updater.py
"""

import asyncio
from dataclasses import dataclass

from looptui import tasks


@dataclass
class FakeGuild:
    name: str
    member_count: int


class FakeBot:
    """Just enough of a Discord bot for a status loop: guilds and a presence."""

    def __init__(self) -> None:
        self.guilds = [FakeGuild("python", 180), FakeGuild("asyncio", 70)]
        self.activity = ""

    async def change_presence(self, *, activity: str) -> None:
        await asyncio.sleep(0.2)  # pretend this is a round trip to Discord
        self.activity = activity


bot = FakeBot()


@tasks.loop(seconds=3)
async def status_updater():
    """Count servers and members and show them as the bot's activity."""
    guild_count = len(bot.guilds)
    member_count = sum(guild.member_count for guild in bot.guilds)
    await bot.change_presence(activity=f"Watching {guild_count} servers • {member_count} members")
    print(f"status: {bot.activity}")


@tasks.loop(seconds=2)
async def guild_churn():
    """Simulate servers inviting and kicking the bot (between 2 and 6 servers)."""
    n = guild_churn.current_loop
    if n % 8 < 4:
        bot.guilds.append(FakeGuild(f"server-{n}", 25 + 15 * (n % 5)))
        print(f"joined server-{n}")
    elif len(bot.guilds) > 2:
        left = bot.guilds.pop()
        print(f"left {left.name}")


if __name__ == "__main__":
    # Without looptui too (python examples/status_updater.py): the loops run until Ctrl+C.
    async def main() -> None:
        status_updater.start()
        guild_churn.start()
        await asyncio.Event().wait()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
