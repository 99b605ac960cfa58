"""The tasks view (``a``) and the console (``c``) over a real session and a real program.

Pilot drives the real app; waits are on conditions (bounded), never on durations.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from looptui.session import Session
from looptui.ui.app import LoopTuiApp
from looptui.ui.screens.console import ConsoleScreen
from looptui.ui.screens.tasks import ConfirmScreen, TasksScreen, TaskStackScreen
from ui_reading import plain, until

pytestmark = pytest.mark.asyncio

PROGRAM = textwrap.dedent(
    '''
    import asyncio
    from looptui import loop

    cache = {"users": 3}

    @loop(seconds=30)
    async def ticker():
        pass

    async def poll_forever():
        while True:
            await asyncio.sleep(3600)

    async def doomed():
        await asyncio.sleep(0)
        return {}["missing"]

    hand = asyncio.get_event_loop().create_task(poll_forever(), name="poller")
    asyncio.get_event_loop().create_task(doomed(), name="doomed")
    '''
)
SLEEP_LINE = PROGRAM.splitlines().index("        await asyncio.sleep(3600)") + 1


@pytest.fixture(autouse=True)
def _isolation(isolated_imports: None) -> None:
    """The program is imported afresh for each test."""


@pytest.fixture
def program(tmp_path: Path) -> str:
    path = tmp_path / "prog.py"
    path.write_text(PROGRAM, encoding="utf-8")
    return str(path)


@contextlib.asynccontextmanager
async def running(program: str, events: list[dict[str, Any]] | None = None
                  ) -> AsyncIterator[tuple[Session, LoopTuiApp, Any]]:
    """The program under a real session, the app over it: ``(session, app, pilot)``."""
    session = Session(program, watch=False)
    if events is not None:
        session.add_sink(events.append)
    await session.start()
    app = LoopTuiApp(session)
    try:
        async with app.run_test(size=(140, 30)) as pilot:
            yield session, app, pilot
    finally:
        await session.shutdown()


def _module() -> Any:
    return next(m for name, m in sys.modules.items() if name.endswith("prog") or
                getattr(m, "__file__", "") and str(getattr(m, "__file__", "")).endswith("prog.py"))


async def _open_tasks(pilot: Any, app: LoopTuiApp) -> TasksScreen:
    await pilot.press("a")
    await until(pilot, lambda: isinstance(app.screen, TasksScreen) and app.screen.readings)
    screen = app.screen
    assert isinstance(screen, TasksScreen)
    return screen


async def test_a_hand_written_task_and_where_it_waits(program: str) -> None:
    async with running(program) as (session, app, pilot):
        screen = await _open_tasks(pilot, app)
        row = next(r for r in screen.rows if r["name"] == "poller")
        assert row["coro"] == "poll_forever"
        assert row["state"] == "waiting"
        assert row["where"] == f"prog.py:{SLEEP_LINE}"
        assert row["born"] is True  # its creation was noted: a real age
        assert row["parent"] == asyncio.current_task().get_name()  # the import ran here
        loop_row = next(r for r in screen.rows if r.get("loop") == "ticker")
        assert loop_row["own"] is False
        # looptui's and Textual's own tasks are hidden until h
        assert not any(r["own"] for r in screen.rows)
        await pilot.press("h")
        await until(pilot, lambda: any(r["own"] for r in screen.rows))
        # the whole await chain
        screen._table.move_cursor(row=[r["name"] for r in screen.shown_rows()].index("poller"))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, TaskStackScreen))
        stack = app.screen
        assert isinstance(stack, TaskStackScreen)
        assert "poll_forever" in stack.text and "await asyncio.sleep(3600)" in stack.text
        await pilot.press("escape")
        # filter
        await pilot.press("slash", *"poll", "enter")
        await until(pilot, lambda: [r["name"] for r in screen.shown_rows()] == ["poller"])


async def test_a_task_that_died_unretrieved_is_trouble_with_its_traceback(program: str) -> None:
    events: list[dict[str, Any]] = []
    async with running(program, events) as (session, app, pilot):
        def died() -> bool:
            gc.collect()  # asyncio reports the task when it is deleted
            return session.failed_tasks == 1
        await until(pilot, died)
        app.refresh_now()
        assert "1 task failed (a)" in app.query_one("#status").plain
        screen = await _open_tasks(pilot, app)
        first = screen.shown_rows()[0]
        assert first["name"] == "doomed" and first["failed"] and first["error"] == "KeyError"
        assert 'return {}["missing"]' in first["traceback"]
        screen._table.move_cursor(row=0)
        await pilot.pause()
        assert "KeyError: 'missing'" in plain(screen._trouble)
        assert "1 failed, never retrieved" in plain(screen._title)
    failed = [e for e in events if e["event"] == "task_failed"]
    assert len(failed) == 1
    assert failed[0]["task"] == "doomed" and failed[0]["error"] == "KeyError"
    assert failed[0]["where"].startswith("prog.py:")


async def test_cancel_a_task_and_confirm_for_looptuis_own(program: str) -> None:
    async with running(program) as (session, app, pilot):
        screen = await _open_tasks(pilot, app)
        names = [r["name"] for r in screen.shown_rows()]
        screen._table.move_cursor(row=names.index("poller"))
        await pilot.press("x")
        hand = _module().hand
        await until(pilot, hand.done)
        assert hand.cancelled()
        await until(pilot, lambda: "poller" not in [r["name"] for r in screen.rows])
        # looptui's own tasks ask first; n keeps them
        await pilot.press("h")
        await until(pilot, lambda: any(r["own"] for r in screen.rows))
        own = next(r for r in screen.shown_rows() if r["own"])
        screen._table.move_cursor(row=screen.shown_rows().index(own))
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        await until(pilot, lambda: app.screen is screen)
        assert any(t for t in asyncio.all_tasks() if id(t) == own["id"] and not t.done())


async def _console(pilot: Any, app: LoopTuiApp) -> ConsoleScreen:
    await pilot.press("c")
    await until(pilot, lambda: isinstance(app.screen, ConsoleScreen))
    screen = app.screen
    assert isinstance(screen, ConsoleScreen)
    return screen


async def _run(pilot: Any, screen: ConsoleScreen, text: str) -> dict[str, Any]:
    count = len(screen.results)
    screen._input.value = text
    await pilot.press("enter")
    await until(pilot, lambda: len(screen.results) > count)
    return screen.results[-1]


async def test_console_globals_await_exceptions_print_and_history(program: str) -> None:
    async with running(program) as (session, app, pilot):
        screen = await _console(pilot, app)
        assert (await _run(pilot, screen, 'cache["users"] * 2'))["result"] == "6"
        reply = await _run(pilot, screen, 'await asyncio.sleep(0, "slept")')
        assert reply["result"] == "'slept'"
        reply = await _run(pilot, screen, "loops")
        assert "ticker" in reply["result"]
        reply = await _run(pilot, screen, "1/0")
        assert reply["ok"] is False and "ZeroDivisionError: division by zero" in reply["error"]
        reply = await _run(pilot, screen, 'print("hello from the console")')
        assert reply["output"] == "hello from the console\n"
        assert not any("hello from the console" in text
                       for _t, _s, text in session.general_output)
        # assignments reach the program; a block over several lines
        screen._input.value = "if True:"
        await pilot.press("enter")
        assert screen.buffer == ["if True:"]
        screen._input.value = "    cache['users'] = 10"
        await pilot.press("enter")
        await _run(pilot, screen, "")
        assert _module().cache["users"] == 10
        # history
        await pilot.press("up")
        assert "cache['users'] = 10" in screen._input.value
        await pilot.press("up")
        assert screen._input.value == 'print("hello from the console")'
        # typed letters are text, not the table's keys
        assert app.quitting is False


async def test_console_ctrl_c_cancels_a_long_statement_not_the_app(program: str) -> None:
    async with running(program) as (session, app, pilot):
        screen = await _console(pilot, app)
        screen._input.value = "await asyncio.sleep(3600)"
        await pilot.press("enter")
        await until(pilot, lambda: screen.running is not None)
        await pilot.press("ctrl+c")
        await until(pilot, lambda: screen.results)
        assert screen.results[-1]["cancelled"] is True
        assert app.quitting is False and app.is_running
        assert (await _run(pilot, screen, "1 + 1"))["result"] == "2"  # still works


async def test_creation_noting_keeps_the_factories_that_were_there() -> None:
    """The births factory goes through the factory already installed and puts it back."""
    from looptui.session.debug.births import TaskBirths

    loop = asyncio.get_running_loop()
    made: list[Any] = []

    def theirs(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> Any:
        task = asyncio.Task(coro, loop=loop, **kwargs)
        made.append(task)
        return task

    loop.set_task_factory(theirs)
    births = TaskBirths()
    try:
        births.install()

        async def child() -> None:
            pass

        task = asyncio.create_task(child(), name="child")
        await task
        assert made == [task]
        when, parent = births.get(task) or (None, None)
        assert parent == asyncio.current_task().get_name() and when is not None
        births.uninstall()
        assert loop.get_task_factory() is theirs
    finally:
        loop.set_task_factory(None)
