"""The TUI at the size terminals open at (80×24) and the keys users expect from other
tools: columns by priority, trouble first in the header, a footer that fits, copy out,
open in the editor, first/last, screens closed with ``q``."""

from __future__ import annotations

from typing import Any

import pytest
from test_ui_app import RecordingApp, clock, session, until  # noqa: F401  (the fixtures)
from textual.selection import Selection
from textual.widgets import Static
from textual.widgets.data_table import ColumnKey
from ui_fakes import FakeSession, FrozenClock, demo_session

from looptui.core.states import LoopState
from looptui.ui import column_layout
from looptui.ui.app import TABLE_KEYS
from looptui.ui.column_layout import PRIORITY, fit, hidden_hint
from looptui.ui.editor import NO_EDITOR, editor_command
from looptui.ui.palette_commands import palette_commands
from looptui.ui.report import loop_report
from looptui.ui.screens.details import DetailsScreen
from looptui.ui.screens.help import HelpScreen
from looptui.ui.screens.interval_dialog import IntervalDialog
from looptui.ui.widgets.key_bar import KeyBar, fit_keys
from looptui.ui.widgets.loop_table import LoopTable
from looptui.ui.widgets.status_header import fit_header, header_text

NARROW = (80, 24)
ORDER = ["loop", "status", "iter", "every", "next", "last", "took", "errors", "exception"]
WANTS = {"loop": 20, "status": 8, "iter": 4, "every": 25, "next": 5, "last": 7, "took": 5,
         "errors": 6, "exception": 60}


# ------------------------------------------------------------------ column layout
@pytest.mark.parametrize("width", [30, 40, 60, 78, 80, 100, 120, 160, 240])
def test_columns_never_overflow_and_keep_loop_status_exception(width: int) -> None:
    fitted = fit(ORDER, WANTS, width, 2)
    assert sum(w + 2 for w in fitted.widths.values()) == width, "fills the width exactly"
    assert {"loop", "status", "exception"} <= set(fitted.widths)
    assert list(fitted.widths) == [k for k in ORDER if k in fitted.widths], "display order"
    assert set(fitted.widths) | set(fitted.hidden) == set(ORDER)


def test_lower_columns_drop_first_and_exception_gets_room_before_every() -> None:
    fitted = fit(ORDER, WANTS, 80, 2)
    rank = {key: k for k, key in enumerate(PRIORITY)}
    shown = [rank[k] for k in fitted.widths]
    assert all(rank[k] > max(shown) for k in fitted.hidden), "only lower ones are dropped"
    assert "every" in fitted.hidden and "next" in fitted.widths
    assert fitted.widths["exception"] >= 80 * column_layout.EXCEPTION_SHARE - 2
    assert fitted.widths["loop"] == 20, "a 20-character name is whole at 80 columns"


def test_wider_terminals_widen_the_capped_columns() -> None:
    wide = {**WANTS, "loop": 70, "every": 50, "exception": 20}
    at_120 = fit(ORDER, wide, 120, 2).widths
    at_240 = fit(ORDER, wide, 240, 2).widths
    assert at_240["loop"] > at_120["loop"] and at_240["every"] > at_120["every"]
    assert at_240["loop"] <= 70 and at_240["every"] <= 50


def test_the_second_page_shows_what_the_first_hides() -> None:
    first = fit(ORDER, WANTS, 80, 2)
    second = fit(ORDER, WANTS, 80, 2, page=1)
    assert first.hidden and set(first.hidden) & set(second.widths)
    assert {"loop", "status", "exception"} <= set(second.widths)
    assert hidden_hint(3, 0, 40) == "+3 columns: → or wider terminal"
    assert hidden_hint(1, 0, 8) == "+1 →"
    assert hidden_hint(0, 0, 40) == "" and hidden_hint(2, 1, 40) == "← back"


@pytest.mark.asyncio
async def test_at_80_columns_the_table_shows_name_state_and_last_exception(
        session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=NARROW) as pilot:
        table = app.table
        shown = table.shown_columns
        assert {"loop", "status", "exception"} <= set(shown)
        assert table.hidden_columns and set(shown).isdisjoint(table.hidden_columns)
        assert table.virtual_size.width <= table.size.width, "no horizontal scrollbar"
        label = table.columns[ColumnKey(shown[-1])].label.plain
        assert label.startswith("Last exception") and label.endswith(
            f"+{len(table.hidden_columns)} columns: →")
        row = table._render_line(table.names.index("fetch_prices") + 1, 0, 80,
                                 table.rich_style).text
        assert "fetch_prices" in row and "failed" in row and "KeyError: 'price'" in row
        hidden = table.hidden_columns
        await pilot.press("right")
        assert set(hidden) & set(table.shown_columns), "→ shows the hidden columns"
        assert table.virtual_size.width <= table.size.width
        await pilot.press("left")
        assert table.shown_columns == shown
        cells = table.shown_cells("fetch_prices")
        assert len(cells) == 9, "rows keep every cell, shown or not"


@pytest.mark.asyncio
async def test_the_layout_is_computed_only_when_the_width_changes(
        session: FakeSession, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real_fit = column_layout.fit

    def counting_fit(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[2])
        return real_fit(*args, **kwargs)

    from looptui.ui.widgets import loop_table

    monkeypatch.setattr(loop_table, "fit", counting_fit)
    app = RecordingApp(session)
    async with app.run_test(size=NARROW) as pilot:
        await pilot.pause()
        calls.clear()
        for _ in range(20):
            app.refresh_now(budgeted=True)
        assert calls == [], "a refresh tick does not lay the columns out again"
        await pilot.resize_terminal(120, 30)
        await until(pilot, lambda: bool(calls), "a layout for the new width")
        assert "every" in app.table.shown_columns


# ------------------------------------------------------------------------ header
def _trackers(*states: LoopState) -> list[Any]:
    from types import SimpleNamespace

    return [SimpleNamespace(state=state) for state in states]


def test_the_header_puts_trouble_first_and_never_cuts_it() -> None:
    trackers = _trackers(LoopState.RUNNING, *[LoopState.SLEEPING] * 4, LoopState.PAUSED,
                         LoopState.RETRYING, LoopState.FAILED, LoopState.STOPPED)
    parts = header_text("mybot", trackers, 0.0004, 0.12)
    wide = fit_header(parts, 200).plain
    assert wide.index("1 failed") < wide.index("1 retrying") < wide.index("4 sleeping")
    assert "1 failed · 1 retrying · 1 running · 4 sleeping" in wide
    for width in (80, 60, 40):
        line = fit_header(parts, width).plain
        assert len(line) == width
        assert "1 failed · 1 retrying" in line, line
        assert "sleeping" not in line or line.index("1 failed") < line.index("sleeping")
    assert "…" in fit_header(parts, 60).plain, "dropped counts are marked"


def test_a_failed_reload_gives_way_before_the_counts() -> None:
    trackers = _trackers(LoopState.FAILED, LoopState.SLEEPING, LoopState.SLEEPING)
    status = "reload failed: SyntaxError: invalid syntax (mybot.py:3) (e: traceback)"
    parts = header_text("mybot", trackers, 0.0004, status=status)
    at_80 = fit_header(parts, 80).plain
    assert "1 failed" in at_80 and "2 sleeping" in at_80 and "reload failed (e)" in at_80
    assert "reload failed: SyntaxError" in fit_header(parts, 200).plain
    assert "1 failed" in fit_header(parts, 40).plain


# ------------------------------------------------------------------------ footer
def test_the_footer_fits_and_always_ends_with_more() -> None:
    entries = [("⏎", "details"), ("s", "stop"), ("r", "restart"), ("i", "interval")] * 5
    for width in (20, 40, 78, 120):
        shown = fit_keys(entries, width)
        assert shown[-1] == ("?", "more")
        assert sum(len(k) + 1 + len(w) for k, w in shown) + 2 * (len(shown) - 1) <= width


@pytest.mark.asyncio
async def test_the_footer_at_80_columns_and_every_key_in_help_and_palette(
        session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=NARROW) as pilot:
        await pilot.pause()
        bar = app.query_one("#keys", KeyBar)
        text = bar.plain
        assert text.startswith("⏎ details  s stop") and text.endswith("? more")
        assert len(text) <= 78
        assert bar.render().cell_len <= bar.content_region.width, "no stray characters"
        bindings = [*LoopTable.BINDINGS, *app.BINDINGS]
        ids = {b.id for b in bindings if getattr(b, "id", None)}  # type: ignore[union-attr]
        assert set(TABLE_KEYS) <= ids
        titles = [c.title for c in palette_commands(app, bindings, "fetch_prices",  # type: ignore[arg-type]
                                                    [app.table])]
        for wanted in ("Copy the last traceback of fetch_prices", "Select the first loop",
                       "Open in $EDITOR the source of fetch_prices", "Select the last loop"):
            assert wanted in titles
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "help")
        keys = {key for key, _ in app.screen.rows}  # type: ignore[attr-defined]
        assert {"y", "E", "g/home", "G/end", "→", "ctrl+c", "?", "q"} <= keys
        await pilot.press("q")
        await until(pilot, lambda: not isinstance(app.screen, HelpScreen), "help closed")
        assert app.is_running and not app.quitting, "q on help goes back, it does not quit"


# -------------------------------------------------------------------- the keys
@pytest.mark.asyncio
async def test_q_and_escape_go_back_from_details(session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=NARROW) as pilot:
        for key in ("q", "escape"):
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, DetailsScreen), "details")
            await pilot.press(key)
            await until(pilot, lambda: not isinstance(app.screen, DetailsScreen), "back")
            assert not app.quitting
        await pilot.press("q")
        assert app.quitting, "the table's q quits"


@pytest.mark.asyncio
async def test_y_copies_the_traceback_in_the_table_and_in_details(
        session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=NARROW) as pilot:
        app.table.select("fetch_prices")
        await pilot.press("y")
        traceback = session.registry.get("fetch_prices").last_exception.traceback
        assert app.clipboard == traceback.rstrip() + "\n"
        assert app.last_note.startswith("copied the traceback of fetch_prices (")
        app.table.select("update_status")
        await pilot.press("y")
        assert app.last_note == "update_status has no exception to copy"
        app.table.select("flaky_api")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DetailsScreen), "details")
        await pilot.press("y")
        assert "TimeoutError: upstream took too long" in app.clipboard
        app.action_copy_report()
        report = app.clipboard
        assert report.startswith("loop flaky_api (looptui)\nstate: sleeping")
        assert "last exception (in body):" in report and "TimeoutError" in report
        assert app.last_note == "copied the report of flaky_api to the clipboard"


@pytest.mark.asyncio
async def test_ctrl_c_copies_a_selection_and_otherwise_quits(session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=NARROW) as pilot:
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DetailsScreen), "details")
        title = app.screen.query_one("#details-title", Static)
        app.screen.selections = {title: Selection(None, None)}
        await pilot.press("ctrl+c")
        assert "update_status" in app.clipboard and not app.quitting
        assert app.last_note.startswith("copied ")
        app.screen.selections = {}
        await pilot.press("ctrl+c")
        assert app.quitting


@pytest.mark.asyncio
async def test_e_opens_the_editor_or_says_none_is_set(session: FakeSession,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Any) -> None:
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.delenv("EDITOR", raising=False)
    source = tmp_path / "mybot.py"
    source.write_text("x = 1\n")
    tracker = session.registry.get("fetch_prices")
    tracker.file, tracker.line = str(source), 1
    app = RecordingApp(session)
    async with app.run_test(size=NARROW) as pilot:
        app.table.select("fetch_prices")
        await pilot.press("E")
        assert app.last_note == NO_EDITOR
        app.table.select("update_status")  # defined in a file that is not here
        await pilot.press("E")
        assert "its source file is unknown" in app.last_note
        monkeypatch.setenv("EDITOR", "true")
        app.table.select("fetch_prices")
        await pilot.press("E")  # a test's terminal cannot be handed over: said, not raised
        await until(pilot, lambda: "cannot open an editor here" in app.last_note, "refusal")
        assert app.is_running


def test_editor_commands_put_the_line_where_each_editor_wants_it() -> None:
    assert editor_command("bot.py", 12, {"EDITOR": "vim"}) == ["vim", "+12", "bot.py"]
    assert editor_command("bot.py", 12, {"VISUAL": "code --wait", "EDITOR": "vi"}) == [
        "code", "--wait", "--goto", "bot.py:12"]
    assert editor_command("bot.py", 12, {"EDITOR": "subl"}) == ["subl", "bot.py:12"]
    assert editor_command("bot.py", None, {"EDITOR": "nano"}) == ["nano", "bot.py"]
    assert editor_command("bot.py", 3, {}) is None
    with pytest.raises(ValueError):
        editor_command("bot.py", 3, {"EDITOR": "vim 'unclosed"})


@pytest.mark.asyncio
async def test_first_and_last_in_table_and_details(session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=NARROW) as pilot:
        names = app.table.names
        for key, expected in (("G", names[-1]), ("g", names[0]), ("end", names[-1]),
                              ("home", names[0])):
            await pilot.press(key)
            assert app.table.selected_name == expected, key
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DetailsScreen), "details")
        body = app.screen.query_one("#details-body")
        await pilot.press("G")
        await until(pilot, lambda: body.scroll_y == body.max_scroll_y > 0, "at the bottom")
        await pilot.press("g")
        await until(pilot, lambda: body.scroll_y == 0, "at the top")


@pytest.mark.asyncio
async def test_the_selection_follows_the_viewport_after_a_wheel_scroll(
        clock: FrozenClock) -> None:
    session = FakeSession()
    for k in range(60):
        session.add(f"loop_{k:02d}", seconds=5)
    app = RecordingApp(session)
    async with app.run_test(size=NARROW) as pilot:
        table = app.table
        assert table.selected_name == "loop_00"
        table.scroll_to(y=30, animate=False)
        await pilot.pause()
        table.on_mouse_scroll_down()  # what a wheel event does after the scroll
        await until(pilot, lambda: table.cursor_row in table.visible_range(), "followed")
        assert table.selected_name == "loop_30"
        await pilot.press("s")
        assert "loop_30" in app.last_note, "the action is on the loop the user sees"


@pytest.mark.asyncio
async def test_an_interval_of_0_is_explained_then_applied_on_a_second_enter(
        session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=NARROW) as pilot:
        app.table.select("update_status")
        await pilot.press("i")
        await until(pilot, lambda: isinstance(app.screen, IntervalDialog), "dialog")
        await pilot.press("0", "enter")
        dialog = app.screen
        assert isinstance(dialog, IntervalDialog) and "back to back" in dialog.error
        assert session.controls["update_status"].actions == []
        await pilot.press("enter")
        await until(pilot, lambda: not isinstance(app.screen, IntervalDialog), "applied")
        assert session.controls["update_status"].calls[-1] == (
            "change_interval", {"seconds": 0.0, "times": None})


def test_a_report_has_the_state_the_traceback_and_the_output(clock: FrozenClock) -> None:
    session = demo_session(clock)
    report = loop_report(session.registry.get("update_status"), clock.t)
    assert "state: sleeping" in report and "schedule: 30s" in report
    assert "\x1b" not in report

