"""Empty and idle states tell the truth: why no loop is listed, with file:line and the next
step; and one iteration count in the table, the details and the summary.

Headless runs of the fixture bots under ``fixtures/bots/structures/dpy`` (subprocesses,
no token: discord.py refuses to log in locally), and the TUI's empty table over a real
session (Pilot).
"""

from __future__ import annotations

import asyncio
import functools
import subprocess
import sys
from pathlib import Path

import pytest

import ui_reading
from looptui import loop
from looptui.session import Session
from looptui.session.events.build import loop_summary
from looptui.ui import format as fmt

DPY = Path(__file__).parent / "fixtures" / "bots" / "structures" / "dpy"
until = functools.partial(ui_reading.until, rounds=500)


@pytest.fixture(autouse=True)
def _isolation(isolated_imports: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOOPTUI_FIXTURE_TOKEN", raising=False)


def readable(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "looptui", "--headless", "--no-reload", "--for", "1", *args],
        capture_output=True, text=True, timeout=90,
    )
    return done.stdout


@pytest.mark.parametrize("args, what, then", [
    (("run.py",),
     "main bot.run() at run.py:20 failed before any loop was created: TypeError: expected "
     "token to be a str, received NoneType instead",
     "try --offline: the bot's setup_hook, cogs and on_ready run without Discord"),
    (("hook_fails.py", "--offline"),
     "MyBot.setup_hook failed (hook_fails.py:14): AttributeError:",
     "fix it and save, or guard the call that needs Discord"),
    (("entry.py",),
     "main() (entry.py:19) is never called: nothing in the program starts it",
     "--main main"),
])
def test_no_loops_says_why_and_what_to_do(args: tuple[str, ...], what: str, then: str) -> None:
    out = readable(str(DPY / args[0]), *args[1:])
    assert f"no loops found in {args[0]}" in out
    assert what in out and then in out
    assert "Decorate a coroutine" not in out and "Define one at module level" not in out


def test_a_failed_first_iteration_counts_the_same_everywhere() -> None:
    @loop(seconds=0.01, count=3)
    async def breaks() -> None:
        raise KeyError("first")

    async def main() -> None:
        breaks.start()
        await asyncio.wait([breaks.get_task()])  # it ends failed, raising KeyError

    asyncio.run(main())
    tracker = breaks.tracker
    assert tracker.state == "failed"
    assert fmt.iter_text(tracker.iterations, tracker.count) == "1/3"  # the table's Iter
    assert tracker.stats.iterations == 1  # the details' total
    assert loop_summary(tracker)["iterations"] == 1  # the summary


@pytest.mark.asyncio
async def test_the_tui_empty_table_says_the_main_failed_before_any_loop() -> None:
    from looptui.ui.app import LoopTuiApp

    session = Session(str(DPY / "run.py"), watch=False)
    await session.start()
    app = LoopTuiApp(session)
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            await until(pilot, lambda: session.main_state == "failed")
            app.refresh_now()
            await pilot.pause()
            hint = ui_reading.plain(app.query_one("EmptyHint"))
            assert "No loops yet in run.py" in hint
            assert "main bot.run() at run.py:20 failed before any loop was created" in hint
            assert "try --offline" in hint and "Decorate a coroutine" not in hint
    finally:
        await session.shutdown()
