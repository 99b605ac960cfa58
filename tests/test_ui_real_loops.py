"""The TUI over a real session and real ``looptui.loop`` loops (real time, short intervals).

Every wait is on a condition (the loop's tracker reaching a state, a count growing), with a
generous bound; nothing asserts how long anything took.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from looptui.core.registry import REGISTRY
from looptui.core.states import LoopState
from looptui.session import Session
from looptui.ui.app import LoopTuiApp
from looptui.ui.screens.details import DetailsScreen
from looptui.ui.screens.interval_dialog import IntervalDialog

from ui_reading import until

pytestmark = [pytest.mark.asyncio, pytest.mark.usefixtures("isolated_imports")]
# (every test here loads user programs: see ``isolated_imports`` in conftest.py)

BOT = textwrap.dedent(
    '''
    import asyncio
    from looptui import loop

    after = []

    @loop(seconds=0.05)
    async def ticker():
        print(f"tick {ticker.current_loop}")

    @ticker.after_loop
    async def ticker_done():
        after.append("ticker")

    @loop(seconds=30)
    async def slow():
        pass

    @loop(seconds=0.02)
    async def broken():
        raise ValueError("bad [red]value[/red] \\x1b[2J")

    @loop(seconds=0.02, count=3)
    async def limited():
        pass
    '''
)


@pytest.fixture
def bot(tmp_path: Path) -> str:
    path = tmp_path / "realbot.py"
    path.write_text(BOT, encoding="utf-8")
    return str(path)


def tracker(name: str) -> Any:
    return REGISTRY.get(name)


async def test_real_loops_in_the_table_and_every_action(bot: str) -> None:
    session = Session(bot, watch=False)
    await session.start()
    app = LoopTuiApp(session)
    try:
        async with app.run_test(size=(140, 30)) as pilot:
            await until(pilot, lambda: tracker("broken").state is LoopState.FAILED)
            await until(pilot, lambda: tracker("limited").state is LoopState.FINISHED)
            app.refresh_now()
            table = app.table
            assert table.names == ["ticker", "slow", "broken", "limited"]
            assert table.shown_cells("limited")[1:3] == ["finished", "3/3"]
            assert table.shown_cells("broken")[1] == "failed"
            assert table.shown_cells("broken")[-1] == "ValueError: bad [red]value[/red] ␛[2J"
            assert table.shown_cells("slow")[3] == "30s"

            # s on a sleeping loop: stopped at once, no other body starts.
            table.select("slow")
            await until(pilot, lambda: tracker("slow").state is LoopState.SLEEPING)
            bodies = tracker("slow").total_iterations
            await pilot.press("s")
            await until(pilot, lambda: tracker("slow").state is LoopState.STOPPED)
            assert tracker("slow").total_iterations == bodies

            # r starts it again; i changes its interval; t runs one body now.
            await pilot.press("r")
            await until(pilot, lambda: tracker("slow").is_active)
            await pilot.press("i")
            await until(pilot, lambda: isinstance(app.screen, IntervalDialog))
            await pilot.press(*"2h", "enter")
            await until(pilot, lambda: not isinstance(app.screen, IntervalDialog))
            assert tracker("slow").schedule == "2h"
            before = tracker("slow").total_iterations
            await pilot.press("t")
            await until(pilot, lambda: tracker("slow").total_iterations > before)

            # p pauses and resumes a real loop.
            table.select("ticker")
            await pilot.press("p")
            await until(pilot, lambda: tracker("ticker").state is LoopState.PAUSED)
            await pilot.press("p")
            await until(pilot, lambda: tracker("ticker").state is not LoopState.PAUSED)

            # The failed loop's details: its traceback, with the user's frame.
            table.select("broken")
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, DetailsScreen))
            view = app.screen.query_one("#details-traceback")
            lines = view.plain_lines  # type: ignore[attr-defined]
            assert any("realbot.py" in line and "in broken" in line for line in lines)
            assert lines[-1] == "ValueError: bad [red]value[/red] ␛[2J"
            await pilot.press("escape")

            # x cancels.
            table.select("slow")
            await pilot.press("x")
            await until(pilot, lambda: tracker("slow").state is LoopState.CANCELLED)

            # q: graceful, after_loop hooks run.
            await pilot.press("q")
            await until(pilot, lambda: app.return_value is not None)
        assert app.return_value == []
        assert session.module.after == ["ticker"]
        assert tracker("ticker").state is LoopState.STOPPED
    finally:
        await session.shutdown()


async def test_print_in_a_real_loop_lands_in_its_output(bot: str) -> None:
    session = Session(bot, watch=False)
    await session.start()
    app = LoopTuiApp(session)
    try:
        async with app.run_test(size=(140, 30)) as pilot:
            await until(pilot, lambda: tracker("ticker").output_total >= 3)
            await pilot.press("l")
            await until(pilot, lambda: any("ticker" in line and "│ tick" in line
                                           for line in app.log_pane.lines.plain_lines))
            app.table.select("ticker")
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, DetailsScreen))
            view = app.screen.query_one("#details-output")
            output = view.plain_lines  # type: ignore[attr-defined]
            assert any(line.endswith("tick 0") for line in output), output[:5]
    finally:
        await session.shutdown()


async def test_r_reloads_edited_code(bot: str) -> None:
    session = Session(bot, watch=False)
    await session.start()
    notes: list[str] = []

    class Recording(LoopTuiApp):
        def notify(self, message: str, **kwargs: Any) -> None:  # type: ignore[override]
            notes.append(message)
            super().notify(message, **kwargs)

    app = Recording(session)
    try:
        async with app.run_test(size=(140, 30)) as pilot:
            await until(pilot, lambda: "slow" in app.table.names)
            path = Path(bot)
            path.write_text(path.read_text().replace("@loop(seconds=30)",
                                                     "@loop(seconds=45)"))
            await pilot.press("R")
            await until(pilot, lambda: any(n.startswith("reloaded") for n in notes))
            app.refresh_now()
            assert app.table.shown_cells("slow")[3] == "45s"
            path.write_text(path.read_text() + "\ndef broken(:\n")
            await pilot.press("R")
            await until(pilot, lambda: any(n.startswith("reload failed") for n in notes))
            assert "SyntaxError" in notes[-1]
            assert app.table.shown_cells("slow")[3] == "45s", "the old code keeps running"
    finally:
        await session.shutdown()


async def test_watchdog_and_watcher_start_after_the_first_frame(bot: str) -> None:
    session = Session(bot, watch=True)
    await session.start(background=False)
    assert not session.background_started and not session.watching
    app = LoopTuiApp(session)
    try:
        async with app.run_test(size=(140, 30)) as pilot:
            await until(pilot, lambda: session.background_started)
            assert session.watching
            assert app.table.names == ["ticker", "slow", "broken", "limited"]
    finally:
        await session.shutdown()
    assert not session.watching
