"""The TUI over an unmodified nextcord bot (``tests/fixtures/bots/nextcord_run``) whose
login fails without a token: the waiting loop says why and suggests ``--offline``, the
never-started loop says so in its details and ``r`` starts it."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Callable

import pytest
from rich.console import Console
from rich.text import Text
from textual.pilot import Pilot

from looptui.core.registry import REGISTRY
from looptui.core.states import LoopState
from looptui.session import Session
from looptui.ui.app import LoopTuiApp
from looptui.ui.screens.details import DetailsScreen

pytestmark = pytest.mark.asyncio

BOT = str(Path(__file__).parent / "fixtures" / "bots" / "nextcord_run" / "bot.py")


@pytest.fixture(autouse=True)
def _isolation(isolated_imports: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh import of the bot; no token, so the library refuses to log in locally."""
    monkeypatch.delenv("LOOPTUI_FIXTURE_TOKEN", raising=False)


def plain(widget: Any) -> str:
    """What a Static shows, as plain text (Rich tables rendered 300 columns wide)."""
    content = widget.content
    if isinstance(content, Text):
        return content.plain
    console = Console(width=300, file=io.StringIO(), color_system=None)
    with console.capture() as capture:
        console.print(content)
    return capture.get()


async def until(pilot: Pilot, predicate: Callable[[], object], rounds: int = 500) -> None:
    for _ in range(rounds):
        if predicate():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"condition never became true: {predicate}")


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
