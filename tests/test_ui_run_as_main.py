"""The TUI over real bots run as ``__main__`` (``fixtures/bots/structures/dpy``, offline):
the header names the main at the program's own line and its loops fill the table; a
``setup_hook`` that fails offline is a notification, and the empty table says why."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest

import ui_reading
from looptui.session import Session
from looptui.ui.app import LoopTuiApp

until = functools.partial(ui_reading.until, rounds=500)
pytestmark = pytest.mark.asyncio
DPY = Path(__file__).parent / "fixtures" / "bots" / "structures" / "dpy"


@pytest.fixture(autouse=True)
def _isolation(isolated_imports: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOOPTUI_FIXTURE_TOKEN", raising=False)


class NotingApp(LoopTuiApp):
    """The real app, remembering its notifications."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.notes: list[str] = []

    def notify(self, message: str, **kwargs: Any) -> None:  # type: ignore[override]
        self.notes.append(message)
        super().notify(message, **kwargs)


async def test_a_guarded_bot_run_is_the_main_and_its_cog_loop_is_listed() -> None:
    session = Session(str(DPY / "run.py"), watch=False, offline=True)
    await session.start()
    app = LoopTuiApp(session)
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            await until(pilot, lambda: session.registry.get("Ticker.tick") is not None
                        and session.registry.get("Ticker.tick").total_iterations >= 2)
            app.refresh_now()
            await pilot.pause()
            header = app.query_one("#status").plain  # type: ignore[attr-defined]
            assert "main running (bot.run() at run.py:20)" in header and "offline" in header
            assert app.table.shown_cells("Ticker.tick")[1] in ("running", "sleeping")
    finally:
        await session.shutdown()


async def test_a_failing_offline_setup_hook_is_notified_and_explains_the_empty_table() -> None:
    session = Session(str(DPY / "hook_fails.py"), watch=False, offline=True)
    await session.start()
    app = NotingApp(session)
    try:
        async with app.run_test(size=(120, 30), notifications=True) as pilot:
            await until(pilot, lambda: bool(session.hook_failures))
            await until(pilot, lambda: any("MyBot.setup_hook failed" in n for n in app.notes))
            app.refresh_now()
            await pilot.pause()
            hint = ui_reading.plain(app.query_one("EmptyHint"))
            assert "MyBot.setup_hook failed (hook_fails.py:14)" in hint
    finally:
        await session.shutdown()
