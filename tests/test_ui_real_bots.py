"""The TUI over an unmodified nextcord bot (``tests/fixtures/bots/nextcord_run``) whose
login fails without a token: the waiting loop says why and suggests ``--offline``, the
never-started loop says so in its details and ``r`` starts it."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest

from looptui.core.registry import REGISTRY
from looptui.core.states import LoopState
from looptui.session import Session
from looptui.ui.app import LoopTuiApp
from looptui.ui.screens.details import DetailsScreen

import ui_reading
from ui_reading import plain

until = functools.partial(ui_reading.until, rounds=500)

pytestmark = pytest.mark.asyncio

BOTS = Path(__file__).parent / "fixtures" / "bots"
BOT = str(BOTS / "nextcord_run" / "bot.py")


@pytest.fixture(autouse=True)
def _isolation(isolated_imports: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh import of the bot; no token, so the library refuses to log in locally."""
    monkeypatch.delenv("LOOPTUI_FIXTURE_TOKEN", raising=False)


def tracker(name: str) -> Any:
    return REGISTRY.get(name)


async def test_waiting_and_never_started_loops_explain_themselves() -> None:
    session = Session(BOT, watch=False)
    await session.start()
    app = LoopTuiApp(session)
    try:
        async with app.run_test(size=(200, 40)) as pilot:
            await until(pilot, lambda: session.main_state == "failed")
            await until(pilot, lambda: "waiting" in tracker("Heartbeat.beat").notes)
            app.refresh_now()
            table = app.table
            assert table.shown_cells("Heartbeat.beat")[1] == "waiting"
            assert table.shown_cells("Heartbeat.beat")[-1] == (
                "client not ready: main failed · try --offline")
            assert table.shown_cells("Heartbeat.cleanup")[1] == "idle"
            header = app.query_one("#status").plain  # type: ignore[attr-defined]
            assert "main failed (bot.run() at bot.py:17)" in header

            note = tracker("Heartbeat.beat").notes["waiting"]
            assert note["in"] == "Heartbeat.before_beat at cogs/heartbeat.py:17"
            assert note["awaiting"] == "Client.wait_until_ready()"
            assert "await self.bot.wait_until_ready()" in note["stack"]

            table.select("Heartbeat.cleanup")
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, DetailsScreen))
            info = plain(app.screen.query_one("#details-info"))
            assert "Started     never started: nothing called .start() on it (r starts it)" in info
            await pilot.press("escape")
            await until(pilot, lambda: not isinstance(app.screen, DetailsScreen))
            table.select("Heartbeat.cleanup")
            await pilot.press("r")
            await until(pilot, lambda: tracker("Heartbeat.cleanup").state is LoopState.SLEEPING)
            assert tracker("Heartbeat.cleanup").total_iterations == 1
            await pilot.press("q")
    finally:
        await session.shutdown()


async def test_an_idle_loop_started_in_on_ready_says_the_failed_main_kept_it_from_starting() -> None:
    """discord.py's ``bot.run`` at module level with no token: ``presence`` is started in
    ``on_ready`` (never reached), ``forgotten`` by nothing."""
    session = Session(str(BOTS / "dpy_run" / "bot.py"), watch=False)
    await session.start()
    app = LoopTuiApp(session)
    try:
        async with app.run_test(size=(200, 40)) as pilot:
            await until(pilot, lambda: session.main_state == "failed")
            await until(pilot, lambda: "idle" in tracker("MyBot.presence").notes)
            app.refresh_now()
            assert app.table.shown_cells("MyBot.presence")[-1] == (
                "not started: main failed before bot.py:21 ran · try --offline")
            assert app.table.shown_cells("MyBot.forgotten")[-1] == ""
            app.table.select("MyBot.presence")
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, DetailsScreen))
            info = plain(app.screen.query_one("#details-info"))
            assert "Started     not started: its start (self.presence.start() at bot.py:21)" in info
            assert "TypeError: expected token to be a str" in info
            await pilot.press("escape")
            app.table.select("MyBot.forgotten")
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, DetailsScreen))
            info = plain(app.screen.query_one("#details-info"))
            assert "never started: nothing called .start() on it (r starts it)" in info
            await pilot.press("escape")
            await pilot.press("q")
    finally:
        await session.shutdown()
