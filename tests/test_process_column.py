"""The Process column's logic over mirror trackers: when it shows, what its cells and the
Loop cell say, what the filter and the sort see, and the table adding and dropping it."""

from __future__ import annotations

from typing import Iterator

import pytest

from looptui.core.tracker import Tracker
from looptui.session.remote.mirror import MirrorTracker
from looptui.ui.app import LoopTuiApp
from looptui.ui.process_column import (
    loop_label, matches, output_tag, process_label, shows_processes,
)
from looptui.ui.rows import COLUMNS, columns_for, row_cells
from looptui.ui.sort_orders import BY_COLUMN, ORDERS, sort_trackers
from looptui.ui.trouble import Context

from ui_fakes import FakeSession, FrozenClock, frozen_time


@pytest.fixture
def clock() -> Iterator[FrozenClock]:
    with frozen_time() as fake:
        yield fake


def mirror(name: str, process: str, state: str = "sleeping") -> MirrorTracker:
    return MirrorTracker({"name": name, "state": state, "schedule": "every 5s"}, process)


def test_the_column_shows_only_for_two_programs_or_more() -> None:
    a1, a2 = mirror("tick", "bot[1]"), mirror("tock", "bot[1]")
    b1 = mirror("tick", "bot[2]")
    assert not shows_processes([])
    assert not shows_processes([a1, a2])  # one program: the table is unchanged
    assert not shows_processes([Tracker("plain"), Tracker("other")])  # looptui bot.py
    assert shows_processes([a1, a2, b1])
    assert columns_for(False) == COLUMNS
    assert [key for key, _ in columns_for(True)][:3] == ["loop", "process", "status"]


def test_cells_show_the_base_name_and_a_sanitised_label() -> None:
    first = mirror("tick", "bot[1]")
    second = mirror("tick", "evil\x1b[31m\nname[2]")
    second.name = "tick#2"  # what the registry makes of the second "tick"
    assert row_cells(second, 0.0)[0][0] == "tick#2"  # without the column: the unique name
    cells = row_cells(second, 0.0, with_process=True)
    assert cells[0][0] == "tick"
    assert "\x1b" not in cells[1][0] and "\n" not in cells[1][0] and "name[2]" in cells[1][0]
    assert cells[2][0] == "sleeping"
    assert len(cells) == len(columns_for(True))
    assert [c[0] for c in row_cells(first, 0.0, True)][:2] == ["tick", "bot[1]"]
    assert process_label(Tracker("plain")) == "" and loop_label(Tracker("p"), True) == "p"


def test_output_is_tagged_with_the_loop_and_its_pid_when_programs_are_merged() -> None:
    first = mirror("tick", "bot[1]")
    second = mirror("tick", "bot[22]")
    second.name = "tick#2"
    assert output_tag(second, True) == "tick [22]"
    assert output_tag(second, False) == "tick#2"
    assert output_tag(mirror("tick", "odd label"), True) == "tick odd label"
    assert output_tag(Tracker("plain"), True) == "plain"


def test_filter_and_sort_see_the_program() -> None:
    a = mirror("tick", "zeta[9]")
    b = mirror("tick", "alpha[3]")
    b.name = "tick#2"
    c = mirror("beat", "alpha[3]")
    assert matches(b, "alpha", with_process=True)
    assert not matches(b, "alpha", with_process=False)  # not while the column is hidden
    assert matches(b, "tick#2", with_process=True) and not matches(a, "[3]", True)
    order = ORDERS[BY_COLUMN["process"]]
    assert sort_trackers([a, b, c], order, Context(0.0)) == [c, b, a]


@pytest.mark.asyncio
async def test_the_table_adds_and_drops_the_column(clock: FrozenClock) -> None:
    session = FakeSession("two")
    first = session.registry.register(mirror("tick", "bot[1]"))
    app = LoopTuiApp(session)
    async with app.run_test(size=(140, 20)) as pilot:
        table = app.table
        app.refresh_now()
        labels = [str(c.label) for c in table.ordered_columns]
        assert labels == [label for _, label in COLUMNS] and not table.shows_process
        table.select("tick")
        second = session.registry.register(mirror("tick", "bot[2]", state="failed"))
        assert second.name == "tick#2"
        app.refresh_now()
        await pilot.pause()
        assert table.shows_process
        assert [str(c.label) for c in table.ordered_columns][:2] == ["Loop", "Process"]
        assert table.shown_cells("tick#2")[:3] == ["tick", "bot[2]", "failed"]
        assert table.selected_name == "tick"  # the cursor stayed on its loop
        table.set_filter("bot[2]")
        assert table.names == ["tick#2"]
        app.refresh_now()
        assert "name/process ~ 'bot[2]'" in app.query_one("#status").plain
        table.set_filter("")
        session.registry.unregister(first)
        app.refresh_now()
        await pilot.pause()
        assert not table.shows_process
        assert table.shown_cells("tick#2")[0] == "tick#2"
        assert len(table.ordered_columns) == len(COLUMNS)


@pytest.mark.asyncio
async def test_the_log_pane_tags_each_programs_output_with_its_pid(clock: FrozenClock) -> None:
    session = FakeSession()
    first = session.registry.register(mirror("tick", "bot[1]"))
    second = session.registry.register(mirror("tick", "bot[22]"))
    first.add_output("stdout", "one")
    second.add_output("stdout", "two")
    app = LoopTuiApp(session)
    async with app.run_test(size=(140, 30)) as pilot:
        await pilot.press("l")
        pane = app.log_pane
        for _ in range(200):
            if pane.lines.line_count >= 2:
                break
            await pilot.pause()
        shown = pane.lines.plain_lines
        assert any("tick [1] " in line and line.endswith("│ one") for line in shown), shown
        assert any("tick [22]" in line and line.endswith("│ two") for line in shown), shown
        assert not any("tick#2" in line for line in shown)
