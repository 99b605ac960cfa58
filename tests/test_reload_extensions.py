"""Hot reload of a cog the bot loaded as an extension: through the library, not a re-import.

Bots of discord.py (extension loaded in ``setup_hook``, so after the import) and nextcord
(``load_extension`` at import) run ``--offline``; a saved cog file is reloaded with the
library's ``reload_extension``: the bot (and the main running it) stays, the old cog's
loops stop, the new cog's loops take over names and history, and only real changes are
reported. A broken save leaves the previous code running; the fix reloads it. Real
files, real libraries, real time; every wait is on a condition.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from reload_support import install_probe, marks_of, run, wait_for, write

from looptui.core.registry import REGISTRY
from looptui.session import Session


pytestmark = pytest.mark.usefixtures("isolated_imports")
"""Every test here loads user programs: see ``isolated_imports`` in conftest.py."""


@pytest.fixture()
def probe():
    return install_probe()


DPY_BOT = """
    import discord
    from discord.ext import commands


    class MyBot(commands.Bot):
        async def setup_hook(self):
            await self.load_extension("cogs.ticker")


    bot = MyBot(command_prefix="!", intents=discord.Intents.default())
    bot.run("not-a-token")
"""

NEXTCORD_BOT = """
    import nextcord
    from nextcord.ext import commands

    bot = commands.Bot(command_prefix="!", intents=nextcord.Intents.default())
    bot.load_extension("cogs.ticker")
    bot.run("not-a-token")
"""

COG = """
    import looptui_reload_probe as probe
    from {lib}.ext import commands, tasks

    VERSION = 1


    class Ticker(commands.Cog):
        def __init__(self, bot):
            self.bot = bot
            self.pulse.start()  # never stopped by the cog itself

        {prefix}def cog_load(self):
            self.tick.start()

        {prefix}def cog_unload(self):
            self.tick.cancel()

        @tasks.loop(seconds=0.02)
        async def tick(self):
            probe.hit("tick", VERSION)

        @tick.before_loop
        async def before_tick(self):
            await self.bot.wait_until_ready()

        @tasks.loop(seconds=0.02)
        async def pulse(self):
            probe.hit("pulse", VERSION)

        @tasks.loop(hours=1)
        async def someday(self):
            probe.hit("someday", VERSION)


    {prefix}def setup(bot):
        {await_}bot.add_cog(Ticker(bot))
"""

LIBRARIES = {
    # nextcord has no cog_load: the cog starts tick in __init__ there
    "discord": (DPY_BOT, dict(lib="discord", prefix="async ", await_="await ")),
    "nextcord": (NEXTCORD_BOT, dict(lib="nextcord", prefix="", await_="")),
}
NAMES = ["Ticker.tick", "Ticker.pulse", "Ticker.someday"]


def cog_source(library: str) -> str:
    text = textwrap.dedent(COG.format(**LIBRARIES[library][1])).lstrip("\n")
    if library == "nextcord":
        text = text.replace("self.pulse.start()  # never stopped by the cog itself",
                            "self.pulse.start()  # never stopped by the cog itself\n"
                            "        self.tick.start()")
    return text


def make_bot(tmp_path: Path, library: str) -> tuple[Path, Path]:
    pytest.importorskip(library)
    bot = write(tmp_path / "bot.py", LIBRARIES[library][0])
    (tmp_path / "cogs").mkdir()
    cog = write(tmp_path / "cogs" / "ticker.py", cog_source(library))
    return bot, cog


def version(source: str, number: int, new_body: bool = False) -> str:
    text = source.replace("VERSION = 1", f"VERSION = {number}")
    if new_body:
        text = text.replace('probe.hit("tick", VERSION)', 'probe.hit("tick", VERSION, "new")')
    return text


def beats(probe: Any, kind: str) -> list[Any]:
    """The version of each mark of *kind* (a changed tick marks ``(version, "new")``)."""
    return [m[0] if isinstance(m, tuple) else m for m in marks_of(probe, kind)]


def listed() -> list[str]:
    return sorted(t.name for t in REGISTRY.trackers())


async def started(bot: Path, events: list[dict[str, Any]], **options: Any) -> Session:
    session = Session(str(bot), watch=options.pop("watch", False), offline=True, **options)
    session.add_sink(events.append)
    await session.start()
    await wait_for(lambda: sorted(NAMES) == listed(), what="the cog's loops listed")
    return session


@pytest.mark.parametrize("library", sorted(LIBRARIES))
def test_a_saved_cog_is_reloaded_through_the_library(tmp_path, probe, library):
    bot, cog = make_bot(tmp_path, library)
    events: list[dict[str, Any]] = []

    async def main():
        session = await started(bot, events)
        client, main_task = session.module.bot, session.main_task
        old_cog = client.get_cog("Ticker")
        await wait_for(lambda: 1 in beats(probe, "tick") and 1 in beats(probe, "pulse"),
                       what="v1 runs")
        old_ticks = REGISTRY.get("Ticker.tick").total_iterations
        write(cog, version(cog_source(library), 2, new_body=True))
        result = await session.reload(files=[str(cog)])
        await wait_for(lambda: 2 in beats(probe, "tick") and 2 in beats(probe, "pulse"),
                       what="v2 runs")
        seen = {
            "same bot": session.module.bot is client, "main kept": session.main_task is main_task,
            "main running": not main_task.done(), "new cog": client.get_cog("Ticker") is not old_cog,
            "old pulse stopped": not old_cog.pulse.is_running(),
            "old tick stopped": not old_cog.tick.is_running(),
        }
        tick = REGISTRY.get("Ticker.tick")
        someday = REGISTRY.get("Ticker.someday").state.value
        await session.shutdown()
        return result, seen, tick, old_ticks, someday

    result, seen, tick, old_ticks, someday = run(main)
    assert result.ok, result.error
    assert all(seen.values()), seen
    assert listed() == sorted(NAMES)  # no "#2", nothing lost
    assert (result.added, result.removed, result.changed) == ([], [], ["Ticker.tick"])
    assert result.files == ["cogs/ticker.py"]
    assert tick.total_iterations > old_ticks  # history carried over to the new cog's loop
    assert someday == "idle"  # the new cog's never-started loop is listed, not started
    for kind in ("tick", "pulse"):
        marks = beats(probe, kind)
        assert 1 not in marks[marks.index(2):], f"old {kind} ran after the new one began"
    reload = [e for e in events if e["event"] == "reload"]
    assert len(reload) == 1 and reload[0]["extensions"] == ["cogs.ticker"]
    assert not [e for e in events if e["event"] in ("loop_added", "loop_removed")
                and e["time"] >= reload[0]["time"]]
    assert [e["event"] for e in events].count("main_started") == 1


@pytest.mark.parametrize("library", sorted(LIBRARIES))
def test_a_broken_cog_keeps_the_previous_code_and_the_fix_reloads(tmp_path, probe, library):
    bot, cog = make_bot(tmp_path, library)
    events: list[dict[str, Any]] = []
    source = cog_source(library)

    async def main():
        session = await started(bot, events)
        await wait_for(lambda: 1 in beats(probe, "tick"), what="v1 runs")
        tick_tracker = REGISTRY.get("Ticker.tick")
        # a syntax error: refused before the library touches the running cog
        write(cog, version(source, 2).replace("async def pulse(self):", "async def pulse(self:"))
        syntax = await session.reload(files=[str(cog)])
        untouched = REGISTRY.get("Ticker.tick") is tick_tracker and tick_tracker.is_active
        # an error while the cog's module runs: the library sets the previous code up again
        write(cog, version(source, 3).replace("VERSION = 3", "VERSION = 3\nMISSING_NAME"))
        runtime = await session.reload(files=[str(cog)])
        count = len(beats(probe, "tick"))
        await wait_for(lambda: len(beats(probe, "tick")) > count + 2, what="v1 goes on")
        after_failure = listed()
        write(cog, version(source, 4))
        fixed = await session.reload(files=[str(cog)])
        await wait_for(lambda: 4 in beats(probe, "tick") and 4 in beats(probe, "pulse"),
                       what="the fix runs")
        error = session.reload_error
        await session.shutdown()
        return syntax, untouched, runtime, after_failure, fixed, error

    syntax, untouched, runtime, after_failure, fixed, error = run(main)
    assert not syntax.ok and syntax.error.summary.startswith("SyntaxError")
    line = source.splitlines().index("    async def pulse(self):") + 1
    assert syntax.error.summary.endswith(f"(ticker.py:{line})") and untouched
    assert not runtime.ok and runtime.error.summary == (
        "NameError: name 'MISSING_NAME' is not defined (ticker.py:5)")
    assert "MISSING_NAME" in runtime.error.traceback
    assert after_failure == sorted(NAMES)
    assert fixed.ok and error is None
    assert (fixed.added, fixed.removed) == ([], [])
    assert 2 not in beats(probe, "tick") and 3 not in beats(probe, "tick")
    kinds = [e["event"] for e in events if e["event"].startswith("reload")]
    assert kinds == ["reload_failed", "reload_failed", "reload"]
    assert listed() == sorted(NAMES)


def test_the_watcher_reloads_a_cog_loaded_after_the_import(tmp_path, probe):
    bot, cog = make_bot(tmp_path, "discord")
    events: list[dict[str, Any]] = []

    async def main():
        session = await started(bot, events, watch=True)
        await wait_for(lambda: session.watching and 1 in beats(probe, "tick"), what="v1 runs")
        client = session.module.bot
        write(cog, version(cog_source("discord"), 2))
        await wait_for(lambda: 2 in beats(probe, "tick") and session.reload_count == 1,
                       what="the saved cog runs")
        last, same_bot = session.last_reload, session.module.bot is client
        await session.shutdown()
        return last, same_bot

    last, same_bot = run(main)
    assert same_bot and last["files"] == ["cogs/ticker.py"]
    assert (last["added"], last["removed"], last["changed"]) == ([], [], [])
    assert listed() == sorted(NAMES)


def test_a_saved_bot_file_still_reloads_the_whole_program(tmp_path, probe):
    bot, cog = make_bot(tmp_path, "discord")
    events: list[dict[str, Any]] = []

    async def main():
        session = await started(bot, events)
        client = session.module.bot
        await wait_for(lambda: 1 in beats(probe, "tick"), what="v1 runs")
        result = await session.reload(files=[str(bot), str(cog)])
        await wait_for(lambda: sorted(NAMES) == listed(), what="the new bot's cog loops")
        new_bot = session.module.bot
        await session.shutdown()
        return result, client, new_bot

    result, client, new_bot = run(main)
    assert result.ok and new_bot is not client
    assert "extensions" not in next(e for e in events if e["event"] == "reload")
