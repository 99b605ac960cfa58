"""Pilot tests of how trouble stands out: state colours from the theme, ``o`` (sort),
``f`` (trouble only), header and row clicks, and the command palette."""

from __future__ import annotations

import datetime
from typing import Iterator

import pytest
from rich.style import Style
from textual.command import CommandPalette
from textual.theme import Theme

from looptui.core.states import LoopState
from looptui.ui.colours import Colours
from looptui.ui.screens.details import DetailsScreen
from looptui.ui.sort_orders import CYCLE, ORDERS, next_order
from looptui.ui.trouble import CALM, Context, in_trouble, trouble_rank

from test_ui_app import RecordingApp, selected, until
from ui_fakes import FakeSession, FrozenClock, demo_session, frozen_time, run_body

pytestmark = pytest.mark.asyncio

UTC = datetime.timezone.utc
SIZE = (140, 34)
TROUBLE = ["fetch_prices", "DatabaseManager.sync", "flaky_api"]
"""The demo's loops in trouble, worst first: failed, retrying, errors since start."""


@pytest.fixture
def clock() -> Iterator[FrozenClock]:
    with frozen_time() as fake:
        yield fake


@pytest.fixture
def session(clock: FrozenClock) -> FakeSession:
    return demo_session(clock)


def colour_of(app: RecordingApp, name: str, column: int) -> Style:
    """The Rich style the table drew a cell with."""
    key = app.table._column_keys[column]
    return app.table._data[app.table._row_keys[name]][key].style  # type: ignore[return-value]


# ------------------------------------------------------------------ trouble
async def test_trouble_ranks_follow_the_design(session: FakeSession, clock: FrozenClock) -> None:
    context = Context(clock.t)
    ranks = {t.name: trouble_rank(t, context) for t in session.registry.trackers()}
    assert ranks["fetch_prices"] == 0 and ranks["DatabaseManager.sync"] == 1
    assert ranks["flaky_api"] == 4  # recovered, but errors since it started
    assert sorted((n for n, r in ranks.items() if r < CALM), key=ranks.get) == TROUBLE
    waiting = session.add("wait_ready", state=LoopState.WAITING)
    assert not in_trouble(waiting, context)
    assert trouble_rank(waiting, Context(clock.t, main_failed=True)) == 3
    backup = session.registry.get("backup_database")
    backup.notes["blocked"] = {"time": clock.t - 5, "duration": 1.5}
    assert trouble_rank(backup, context) == 2
    assert not in_trouble(backup, Context(clock.t + 120))  # long ago: not "lately"
    backup.notes["stuck"] = {"running_for": 42.0}
    assert trouble_rank(backup, context) == 1


# ------------------------------------------------------------------ colours
async def test_states_are_coloured_from_theme_variables(session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        failed = colour_of(app, "fetch_prices", 1)
        retrying = colour_of(app, "DatabaseManager.sync", 1)
        sleeping = colour_of(app, "update_status", 1)
        assert failed.bold and failed.color != sleeping.color != retrying.color
        assert failed.color.triplet.hex.upper() == app.theme_variables["looptui-failed"].upper()
        assert colour_of(app, "fetch_prices", 7) == failed  # Errors > 0: as red
        assert colour_of(app, "update_status", 7).dim  # 0 errors stay quiet
        assert "1 failed" in app._header.plain
        header_failed = [p.text.style for p in app._header._parts if p.text.plain == "1 failed"]
        assert header_failed == [failed]

        app.register_theme(Theme("custom", primary="#0000ff", dark=True,
                                 variables={"looptui-failed": "#ff00ff"}))
        app.theme = "custom"
        await until(pilot, lambda: colour_of(app, "fetch_prices", 1).color.triplet.hex
                    == "#ff00ff", "the theme's colour for failed")
        assert app.colours.style("failed").color.triplet.hex == "#ff00ff"


async def test_the_drawn_row_has_the_colours(session: FakeSession) -> None:
    """What reaches the screen: the failed row's segments carry the failed colour."""
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        row = app.table.names.index("fetch_prices")
        strip = app.table.render_line(row + 1)  # below the header line
        failed = app.colours.style("failed").color
        coloured = {seg.text.strip() for seg in strip if seg.style and seg.style.color == failed}
        assert {"fetch_prices", "failed", "1"} <= coloured
        calm = app.table.render_line(app.table.names.index("backup_database") + 1)
        assert not any(seg.style and seg.style.color == failed for seg in calm)


async def test_every_builtin_theme_keeps_failed_and_trouble_apart(session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        for theme in ("textual-light", "nord", "gruvbox", "ansi-dark"):
            app.theme = theme
            await pilot.pause()
            colours = Colours(app.theme_variables)
            assert colours.style("failed").color != colours.style("trouble").color, theme
            assert colours.style("failed").bold and colours.style("trouble").bold


# ------------------------------------------------------------------ sort
async def test_o_cycles_the_sort_orders_and_the_header_says_which(session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        definition = app.table.names
        seen = []
        for _ in CYCLE:
            await pilot.press("o")
            seen.append(app.table.row_order.id)
        assert seen == [*CYCLE[1:], CYCLE[0]]
        assert app.table.names == definition and "sort:" not in app._header.plain

        await pilot.press("o")  # trouble first
        assert app.table.names[:3] == TROUBLE
        assert "sort: trouble first" in app._header.plain
        await pilot.press("o")  # errors: flaky_api has the most
        assert app.table.names[0] == "flaky_api"
        assert "sort: errors" in app._header.plain
        await pilot.press("o")  # next run: the soonest countdown first, none last
        assert app.table.names[0] == "flaky_api"
        assert app.table.names[-1] in {"stats_export", "remind_user_1042", "fetch_prices",
                                       "startup_checks", "cleanup_temp_files",
                                       "backup_database"}
        await pilot.press("o")  # last duration: the slowest body first
        assert app.table.names[0] == "backup_database"


async def test_sorting_keeps_the_selection_on_its_loop(session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        app.table.select("flaky_api")
        await pilot.press("o")
        assert selected(app) == "flaky_api"
        assert app.table.names.index("flaky_api") == 2


async def test_rows_move_as_loops_change_state_while_sorted(session: FakeSession,
                                                            clock: FrozenClock) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("o")  # trouble first
        app.table.select("update_status")
        before = app.table.names
        # update_status fails: it goes to the top, its row keeps its drawn cells.
        t = session.registry.get("update_status")
        run_body(t, clock, ago=1, took=0.1, error=RuntimeError("boom"))
        t.set_state(LoopState.FAILED)
        clock.advance(0.25)
        await until(pilot, lambda: app.table.names[0] == "update_status", "failed on top")
        assert selected(app) == "update_status"
        assert app.table.shown_cells("update_status")[1] == "failed"
        assert sorted(app.table.names) == sorted(before)
        # fetch_prices is restarted and recovers: it leaves the top, without errors first.
        f = session.registry.get("fetch_prices")
        f.set_state(LoopState.SLEEPING)
        f.failures = f.retries = 0
        f.version += 1
        clock.advance(0.25)
        await until(pilot, lambda: app.table.names[:3] == ["update_status",
                    "DatabaseManager.sync", "flaky_api"], "fetch_prices moved down")
        assert selected(app) == "update_status"
        # Ties keep definition order: the calm loops are as they were defined.
        calm = [n for n in before if n not in {"update_status", "fetch_prices", *TROUBLE}]
        assert [n for n in app.table.names if n in calm] == calm


async def test_a_click_on_a_column_header_sorts_by_it(session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#loops", offset=(2, 0))  # the "Loop" header
        await until(pilot, lambda: app.table.row_order.id == "name", "sorted by name")
        names = app.table.names
        assert names == sorted(names, key=str.lower)
        assert "sort: name" in app._header.plain
        errors_x = sum(c.get_render_width(app.table) for c in app.table.ordered_columns[:7])
        await pilot.click("#loops", offset=(errors_x + 1, 0))
        await until(pilot, lambda: app.table.row_order.id == "errors", "sorted by errors")
        assert app.table.names[0] == "flaky_api"


async def test_next_order_starts_over_after_a_header_pick() -> None:
    assert next_order("name") == CYCLE[0]
    assert all(ORDERS[o].label for o in CYCLE)


# ------------------------------------------------------------------ trouble only
async def test_f_shows_only_the_loops_in_trouble(session: FakeSession, clock: FrozenClock) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        total = len(app.table.names)
        await pilot.press("f")
        assert app.table.names == ["DatabaseManager.sync", "fetch_prices", "flaky_api"]
        assert f"filter: trouble only, {total - 3} hidden" in app._header.plain
        # A loop that fails while filtered appears.
        t = session.registry.get("daily_reset")
        t.set_state(LoopState.FAILED)
        clock.advance(0.25)
        await until(pilot, lambda: "daily_reset" in app.table.names, "new trouble shown")
        await pilot.press("f")
        assert len(app.table.names) == total and "filter:" not in app._header.plain


async def test_f_combines_with_the_name_filter_and_the_sort(session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f", "o", "slash", "f", "enter")  # in the filter, "f" is typed
        assert app.table.names == ["fetch_prices", "flaky_api"]  # "f" ∩ trouble, worst first
        header = app._header.plain
        assert "sort: trouble first" in header
        assert "filter: trouble only + name ~ 'f'" in header and "hidden" in header
        await pilot.press("escape")  # clears the name filter only
        assert app.table.names[:3] == TROUBLE and app.table.trouble_only


async def test_f_with_nothing_in_trouble_says_so(clock: FrozenClock) -> None:
    session = FakeSession()
    session.add("calm", next_in=5)
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f")
        await until(pilot, lambda: app.query_one("#empty").has_class("-shown"))
        assert "No loop is in trouble" in str(app.query_one("#empty").content)


# ------------------------------------------------------------------ mouse
async def test_double_click_opens_details_of_the_row(session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.double_click("#loops", offset=(5, 4))  # header, rows 0..3
        await until(pilot, lambda: isinstance(app.screen, DetailsScreen))
        assert app.screen.tracker.name == "daily_reset"  # type: ignore[attr-defined]


async def test_click_selects_the_row_of_the_loop_after_sorting(session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("o")
        await pilot.click("#loops", offset=(5, 1))
        assert selected(app) == "fetch_prices"


# ------------------------------------------------------------------ palette
async def test_palette_lists_every_action_with_its_key(session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        app.table.select("flaky_api")
        commands = {c.title: c.help for c in app.get_system_commands(app.screen)}
        for title, key in [("Stop flaky_api", "s"), ("Cancel flaky_api", "x"),
                           ("Restart flaky_api", "r"), ("Trigger now flaky_api", "t"),
                           ("Pause / resume flaky_api", "p"), ("Details of flaky_api", "enter"),
                           ("Change the interval of flaky_api", "i"),
                           ("Sort: next order", "o"), ("Trouble only: on / off", "f"),
                           ("Filter by name", "/"), ("Help: keys", "?"),
                           ("Quit (loops stop gracefully)", "q")]:
            assert commands[title].startswith(f"key {key} · "), title
        assert "Quit" not in commands  # Textual's own quit would not stop loops gracefully
        assert "Theme" in commands


async def test_palette_runs_the_action_on_the_selected_loop(session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        app.table.select("flaky_api")
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette), "palette open")
        await pilot.press(*"Stop flaky", "enter")
        await until(pilot, lambda: session.controls["flaky_api"].actions == ["stop"],
                    "stop ran")
        assert session.registry.get("flaky_api").state is LoopState.STOPPED


async def test_palette_titles_keep_hostile_loop_names_as_text(clock: FrozenClock) -> None:
    session = FakeSession()
    session.add("[bold red]evil[/]", next_in=5)
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette), "palette open")
        await pilot.press(*"evil")
        await pilot.pause()
        await pilot.press("escape")
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert any("evil" in t and "\\[bold red]" in t for t in titles)


async def test_no_color_keeps_trouble_bold_and_drops_colours(
    session: FakeSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        failed = colour_of(app, "fetch_prices", 1)
        assert failed.bold and failed.color is None
        assert colour_of(app, "DatabaseManager.sync", 1).bold
        assert colour_of(app, "stats_export", 1).dim and not colour_of(app, "fetch_prices", 1).dim
        assert app.table.shown_cells("fetch_prices")[1] == "failed"  # the word says it
