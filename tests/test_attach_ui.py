"""The TUI attached to a real program over its socket: the same table, details and keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from looptui.session.remote.address import parse_address
from looptui.session.remote.remote_session import RemoteSession
from looptui.ui.app import LoopTuiApp

from agent_helpers import Program, until

pytestmark = pytest.mark.asyncio


async def test_keys_control_the_programs_loops(tmp_path: Path) -> None:
    sock = tmp_path / "a.sock"
    with Program(sock) as program:
        session = RemoteSession([parse_address(str(sock))])
        await session.start()
        app = LoopTuiApp(session)
        async with app.run_test(size=(140, 30)) as pilot:
            await until(lambda: "tick" in app.table.names, "the tick row")
            app.table.select("tick")
            await pilot.press("p")
            tick = session.registry.get("tick")
            await until(lambda: tick.state == "paused", "tick paused by p")
            app.refresh_now()
            assert app.table.shown_cells("tick")[1] == "paused"
            await pilot.press("enter")
            await pilot.pause()
            assert app.selected() is tick
            await pilot.press("escape")
            program.kill()
            await until(lambda: not session.connections[0].connected, "the disconnection")
            app.refresh_now()
            assert "disconnected since" in app.query_one("#status").plain
            await pilot.press("s")
            await pilot.pause()
            await pilot.press("q")
            await until(lambda: app.return_value is not None or not app.is_running, "quit")
        assert await session.shutdown() == []  # already detached by q: nothing left to do
