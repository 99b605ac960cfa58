"""The loop table's cost model: keyed rows, only visible rows computed, only changed
cells written, bounded redraw per tick — and that DataTable's model stays consistent."""

from __future__ import annotations

from typing import Iterator

import pytest
from textual.widgets.data_table import ColumnKey, RowKey

from looptui.core.states import LoopState
from looptui.ui.app import LoopTuiApp
from looptui.ui.column_layout import soft_cap
from looptui.ui.widgets.loop_table import LoopTable
from looptui.ui.widgets.status_header import StatusHeader

from ui_fakes import FakeSession, FrozenClock, frozen_time

pytestmark = pytest.mark.asyncio


@pytest.fixture
def clock() -> Iterator[FrozenClock]:
    with frozen_time() as fake:
        yield fake


def many(n: int) -> FakeSession:
    session = FakeSession("many")
    for i in range(n):
        session.add(f"loop_{i:04d}", seconds=60, next_in=30 + i)
    return session


async def test_rows_are_keyed_by_loop_name_in_registry_order(clock: FrozenClock) -> None:
    session = many(30)
    app = LoopTuiApp(session)
    async with app.run_test(size=(120, 20)):
        table = app.table
        assert table.row_count == 30
        assert [table.coordinate_to_cell_key((i, 0)).row_key.value for i in range(30)] == [
            f"loop_{i:04d}" for i in range(30)]
        assert table.get_row_index("loop_0007") == 7
        assert table.get_cell("loop_0003", "loop").plain == "loop_0003"
        # DataTable's own model agrees with the bulk insertion.
        assert list(table.rows) == [RowKey(f"loop_{i:04d}") for i in range(30)]
        assert table.cursor_row == 0


async def test_only_visible_rows_are_computed(clock: FrozenClock) -> None:
    session = many(200)
    app = LoopTuiApp(session)
    async with app.run_test(size=(120, 20)) as pilot:
        table = app.table
        visible = table.visible_range()
        assert 0 < len(visible) < 30
        assert table.shown_cells("loop_0000")[1] == "sleeping"
        assert table.shown_cells("loop_0150")[1] == "", "off-screen rows are never filled"
        # Scrolling a row into view fills it at once.
        table.select("loop_0150")
        await pilot.pause()
        assert table.shown_cells("loop_0150")[1] == "sleeping"


async def test_unchanged_rows_write_nothing(clock: FrozenClock) -> None:
    session = many(10)
    app = LoopTuiApp(session)
    async with app.run_test(size=(120, 20)):
        table = app.table
        generations = dict(table._row_gen)
        app.refresh_now()
        assert table._row_gen == generations, "no cell changed, so no row was redrawn"
        session.registry.get("loop_0004").set_state(LoopState.RUNNING)
        app.refresh_now()
        changed = {key.value for key, gen in table._row_gen.items() if generations.get(key) != gen}
        assert changed == {"loop_0004"}


async def test_a_tick_redraws_a_bounded_number_of_rows(clock: FrozenClock) -> None:
    session = many(40)
    app = LoopTuiApp(session, refresh_hz=4)
    async with app.run_test(size=(120, 44)):
        table: LoopTable = app.table
        rows = len(table.visible_range())
        assert rows == 40
        for t in session.registry.trackers():
            t.set_state(LoopState.PAUSED)
        seen: list[int] = []
        for _ in range(5):
            before = dict(table._row_gen)
            app.refresh_now(budgeted=True)
            seen.append(sum(1 for k, g in table._row_gen.items() if before.get(k) != g))
        # 40 visible rows at 4 ticks a second: 10 per tick, all within a second.
        assert seen[:4] == [10, 10, 10, 10] and seen[4] == 0
        assert all(table.shown_cells(t.name)[1] == "paused"
                   for t in session.registry.trackers())


async def test_membership_changes_keep_rows_and_selection(clock: FrozenClock) -> None:
    session = many(10)
    app = LoopTuiApp(session)
    async with app.run_test(size=(120, 20)):
        table = app.table
        table.select("loop_0005")
        registry = session.registry
        registry.unregister(registry.get("loop_0002"))
        session.add("loop_new", seconds=1)
        app.refresh_now()
        assert table.names == [f"loop_{i:04d}" for i in range(10) if i != 2] + ["loop_new"]
        assert table.selected_name == "loop_0005"
        assert table.get_row_index("loop_new") == 9
        # A loop replaced under the same name (a reload) is redrawn from the new tracker.
        old = registry.get("loop_0007")
        registry.unregister(old)
        fresh = session.add("loop_0007", seconds=5, state=LoopState.RUNNING)
        app.refresh_now()
        assert table.names[-1] == "loop_0007"
        assert table.shown_cells("loop_0007")[1:4] == ["running", "0", "5s"]
        assert table._trackers["loop_0007"] is fresh


async def test_many_removals_rebuild_the_table(clock: FrozenClock) -> None:
    session = many(100)
    app = LoopTuiApp(session)
    async with app.run_test(size=(120, 20)):
        registry = session.registry
        for t in registry.trackers()[::2]:
            registry.unregister(t)
        app.refresh_now()
        assert app.table.names == [f"loop_{i:04d}" for i in range(1, 100, 2)]
        assert app.table.row_count == 50


async def test_columns_grow_to_fit_and_never_beyond_their_cap(clock: FrozenClock) -> None:
    """Columns grow to fit what they show, up to caps that widen with the terminal."""
    session = FakeSession()
    session.add("short", seconds=30)
    app = LoopTuiApp(session)
    async with app.run_test(size=(200, 20)):
        table = app.table
        width_before = table.columns[ColumnKey("every")].width
        session.add("x" * 80, seconds=30)
        t = session.registry.get("short")
        t.set_schedule("09:00, 10:00, 11:00, 12:00, 13:00, 14:00 Europe/Amsterdam")
        app.refresh_now()
        available = table.scrollable_content_region.width
        loop_width = table.columns[ColumnKey("loop")].width
        every_width = table.columns[ColumnKey("every")].width
        assert loop_width == soft_cap("loop", available) < 80, \
            "long names are cut (with …), details show them whole"
        assert soft_cap("loop", available) > soft_cap("loop", 100), "wider terminal, wider cap"
        assert width_before < every_width <= soft_cap("every", available)
        assert str(table._render_line(2, 0, 200, table.rich_style).text).find("…") > 0
        assert table.virtual_size.width <= table.size.width, "never a horizontal scrollbar"


async def test_filtering_after_scrolling_down(clock: FrozenClock) -> None:
    """Rebuilding the rows scrolls to the top; that must not sync rows being replaced."""
    session = many(300)
    app = LoopTuiApp(session)
    async with app.run_test(size=(120, 20)) as pilot:
        await pilot.press("ctrl+end")
        assert app.table.selected_name == "loop_0299"
        await pilot.press("slash", *"029")
        assert app.table.names == ["loop_0029"] + [f"loop_{i:04d}" for i in range(290, 300)]
        assert app.table.selected_name == "loop_0299"
        await pilot.press("escape")
        assert app.table.row_count == 300


async def test_crash_reports_go_to_the_real_terminal(clock: FrozenClock) -> None:
    import sys

    app = LoopTuiApp(many(1))
    assert app.error_console.file is sys.__stderr__


async def test_a_timer_tick_does_not_look_at_every_loop(clock: FrozenClock) -> None:
    """Ticks reuse the list of loops until the registry changes, and recount the
    header's states at most once a second: a tick costs what the screen shows."""
    session = many(300)
    listed = []
    real_trackers = session.registry.trackers
    session.registry.trackers = lambda: listed.append(1) or real_trackers()  # type: ignore[method-assign]
    app = LoopTuiApp(session)
    async with app.run_test(size=(120, 20)):
        app.refresh_now()
        listed.clear()
        session.registry.get("loop_0299").set_state(LoopState.FAILED)  # off screen
        for _ in range(5):
            app.refresh_now(budgeted=True)
        assert listed == []  # the same registry: the list is not rebuilt
        assert "1 failed" not in app.query_one("#status", StatusHeader).plain  # recounted at most once a second
        clock.advance(1.0)
        app.refresh_now(budgeted=True)
        assert "1 failed" in app.query_one("#status", StatusHeader).plain
        session.add("newcomer", seconds=5)
        app.refresh_now(budgeted=True)
        assert listed  # loops came: listed again (by the header and the table) ...
        assert "301 loops" in app.query_one("#status", StatusHeader).plain
        listed.clear()
        for _ in range(5):
            app.refresh_now(budgeted=True)
        assert listed == []  # ... and not on the ticks after
