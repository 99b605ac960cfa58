"""The tasks view's and the console's requests over a real socket to a real program.

The program is a plain ``python`` process with the agent; the client is the same
:class:`RemoteSession` that ``looptui attach`` uses, then the TUI over it.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from agent_helpers import Program, until
from looptui.agent.debugging import TCP_CONSOLE_REFUSED
from looptui.session.remote.address import parse_address
from looptui.session.remote.remote_session import RemoteSession
from looptui.ui.app import LoopTuiApp
from looptui.ui.screens.console import ConsoleScreen
from looptui.ui.screens.tasks import TasksScreen
from ui_reading import until as ui_until

pytestmark = pytest.mark.asyncio

SCRIPT = Path(__file__).parent / "fixtures" / "agent" / "debug_program.py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def attached(address: str, token: str | None = None) -> RemoteSession:
    session = RemoteSession([parse_address(address, token)])
    await session.start()
    await until(lambda: session.registry.get("tick"), "the program's loops")
    return session


async def test_tasks_over_the_unix_socket(tmp_path: Path) -> None:
    with Program(tmp_path / "a.sock", script=SCRIPT) as program:
        session = await attached(str(program.socket))
        try:
            reply = await session.debug({"type": "tasks", "action": "list", "own": False})
            assert reply["ok"], reply
            poller = next(r for r in reply["tasks"] if r["name"] == "poller")
            assert poller["coro"] == "poll_forever" and poller["where"].endswith(
                "debug_program.py:31")
            assert poller["process"].startswith("debug_program[")
            assert any(r.get("loop") == "tick" for r in reply["tasks"])
            failed = reply["failures"]
            assert [f["name"] for f in failed] == ["doomed"]
            assert "KeyError: 'missing'" in failed[0]["traceback"]
            assert reply["failed_total"] == 1
            stack = await session.debug({"type": "tasks", "action": "stack",
                                         "task": poller["id"]})
            assert "await asyncio.sleep(3600)" in stack["text"]
            cancel = await session.debug({"type": "tasks", "action": "cancel",
                                          "task": poller["id"]})
            assert cancel["ok"], cancel
            again = await session.debug({"type": "tasks", "action": "list", "own": False})
            assert "poller" not in [r["name"] for r in again["tasks"]]
        finally:
            await session.shutdown()


async def test_eval_over_the_unix_socket(tmp_path: Path) -> None:
    with Program(tmp_path / "a.sock", script=SCRIPT) as program:
        session = await attached(str(program.socket))
        try:
            async def run(source: str) -> dict[str, Any]:
                return await session.debug({"type": "eval", "source": source, "eval": 1})

            assert (await run('cache["users"] + 1'))["result"] == "4"
            assert (await run("await asyncio.sleep(0, 'slept')"))["result"] == "'slept'"
            assert "tick" in (await run("loops"))["result"]
            error = await run("{}['nope']")
            assert error["ok"] is False and "KeyError: 'nope'" in error["error"]
            printed = await run("print('in the program')")
            assert printed["output"] == "in the program\n"
            assert (await run("cache['users'] = 7; cache['users']"))["result"] == "7"
        finally:
            await session.shutdown()


async def test_console_refused_over_tcp_unless_enabled(tmp_path: Path) -> None:
    port = free_port()
    with Program(tmp_path / "a.sock", "--tcp", f"127.0.0.1:{port}", "--token", "t0k",
                 script=SCRIPT):
        session = await attached(f"127.0.0.1:{port}", "t0k")
        try:
            reply = await session.debug({"type": "eval", "source": "1 + 1", "eval": 1})
            assert reply["ok"] is False and reply["reason"] == TCP_CONSOLE_REFUSED
            tasks = await session.debug({"type": "tasks", "action": "list"})
            assert tasks["ok"]  # the tasks view is not the console
        finally:
            await session.shutdown()
    port = free_port()
    with Program(tmp_path / "b.sock", "--tcp", f"127.0.0.1:{port}", "--token", "t0k",
                 "--console", script=SCRIPT):
        session = await attached(f"127.0.0.1:{port}", "t0k")
        try:
            reply = await session.debug({"type": "eval", "source": "1 + 1", "eval": 1})
            assert reply["ok"] and reply["result"] == "2"
        finally:
            await session.shutdown()


async def test_the_tui_over_attach_shows_tasks_and_runs_the_console(tmp_path: Path) -> None:
    with Program(tmp_path / "a.sock", script=SCRIPT) as program:
        session = await attached(str(program.socket))
        app = LoopTuiApp(session)
        try:
            async with app.run_test(size=(140, 30)) as pilot:
                await ui_until(pilot, lambda: session.failed_tasks == 1)
                app.refresh_now()
                assert "1 task failed (a)" in app.query_one("#status").plain
                await pilot.press("a")
                await ui_until(pilot, lambda: isinstance(app.screen, TasksScreen)
                               and app.screen.readings)
                screen = app.screen
                assert isinstance(screen, TasksScreen)
                assert screen.shown_rows()[0]["name"] == "doomed"
                assert "poller" in [r["name"] for r in screen.rows]
                await pilot.press("escape")
                await pilot.press("c")
                await ui_until(pilot, lambda: isinstance(app.screen, ConsoleScreen))
                console = app.screen
                assert isinstance(console, ConsoleScreen)
                console._input.value = 'cache["users"] * 10'
                await pilot.press("enter")
                await ui_until(pilot, lambda: console.results)
                assert console.results[-1]["result"] == "30"
                console._input.value = "await asyncio.sleep(3600)"
                await pilot.press("enter")
                await ui_until(pilot, lambda: console.running is not None)
                await pilot.press("ctrl+c")
                await ui_until(pilot, lambda: len(console.results) == 2)
                assert console.results[-1]["cancelled"] is True
        finally:
            await session.shutdown()
