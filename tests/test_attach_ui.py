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


async def test_two_programs_show_a_process_column_and_commands_reach_the_right_one(
        tmp_path: Path) -> None:
    with Program(tmp_path / "a.sock") as first, Program(tmp_path / "b.sock") as second:
        session = RemoteSession([parse_address(str(first.socket)),
                                 parse_address(str(second.socket))])
        await session.start()
        one, two = session.connections
        app = LoopTuiApp(session)
        async with app.run_test(size=(160, 30)) as pilot:
            table = app.table
            await until(lambda: {"tick", "tick#2"} <= set(table.names), "both programs' tick")
            app.refresh_now()
            assert table.shows_process
            assert [str(c.label) for c in table.ordered_columns][:3] == [
                "Loop", "Process", "Status"]
            # Both rows say "tick" (the table's keys stay unique: whichever program answered
            # second has "tick#2"); the Process column says which program each is in.
            ours, theirs = one.mirrors["tick"], two.mirrors["tick"]
            assert {ours.name, theirs.name} == {"tick", "tick#2"}
            assert table.shown_cells(ours.name)[:2] == ["tick", one.label]
            assert table.shown_cells(theirs.name)[:2] == ["tick", two.label]
            assert one.label != two.label and str(second.pid) in two.label

            # p on the second program's tick pauses that loop, in that program only.
            table.select(theirs.name)
            await pilot.press("p")
            await until(lambda: theirs.state == "paused", "the second program's tick paused")
            reply = await two.request("tick", "details")  # ask each program itself
            assert reply["snapshot"]["state"] == "paused"
            reply = await one.request("tick", "details")
            assert reply["ok"] and reply["snapshot"]["state"] != "paused"
            assert ours.state != "paused"
            app.refresh_now()
            assert table.shown_cells(theirs.name)[:3] == ["tick", two.label, "paused"]

            # The filter matches the program's label; a click on Process sorts by it.
            table.set_filter(str(second.pid))
            assert set(table.names) == {m.name for m in two.mirrors.values()}
            assert len(table.names) >= 2 and theirs.name in table.names
            table.set_filter("")
            process_x = table.ordered_columns[0].get_render_width(table)
            await pilot.click("#loops", offset=(process_x + 1, 0))
            await until(lambda: table.row_order.id == "process", "sorted by process")
            labels = [session.registry.get(n).process for n in table.names]
            assert labels == sorted(labels, key=str.lower)
            await pilot.press("q")
            await until(lambda: app.return_value is not None or not app.is_running, "quit")
        await session.shutdown()


async def test_rows_of_a_program_that_went_away_are_greyed_and_reload_is_refused(
        tmp_path: Path) -> None:
    from looptui.ui.screens.details import DetailsScreen

    sock = tmp_path / "a.sock"
    with Program(sock) as program:
        session = RemoteSession([parse_address(str(sock))])
        await session.start()
        app = LoopTuiApp(session)
        notes: list[str] = []
        real_notify = app.notify

        def notify(message: str, **kwargs: object) -> None:
            notes.append(message)
            real_notify(message, **kwargs)  # type: ignore[arg-type]

        app.notify = notify  # type: ignore[method-assign]
        async with app.run_test(size=(120, 30)) as pilot:
            await until(lambda: "tick" in app.table.names, "the tick row")
            app.refresh_now()
            assert app.table.shown_cells("tick")[1] != "disconnected"
            state_before = session.registry.get("tick").state
            program.kill()
            await until(lambda: not session.connections[0].connected, "the disconnection")
            app.refresh_now()
            cells = app.table._cells["tick"]
            assert cells[1] == ("disconnected", "muted")
            assert all(style == "muted" for _, style in cells), "the whole row is grey"
            assert session.registry.get("tick").state == state_before, "state kept"
            await pilot.press("R")
            await pilot.pause()
            assert notes[-1].startswith("reload is not available when attached")
            app.table.select("tick")
            await pilot.press("enter")
            await until(lambda: isinstance(app.screen, DetailsScreen), "details")
            title = str(app.screen.query_one("#details-title").render())
            assert state_before.value in title, "details keep the last known state"
            await pilot.press("escape")
            await pilot.press("q")
            await until(lambda: app.return_value is not None or not app.is_running, "quit")
