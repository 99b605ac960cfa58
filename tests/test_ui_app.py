"""Pilot tests of the TUI: every key, both outcomes of the interval dialog, the filter,
details, log pane, help and quit — against hand-made trackers with time frozen."""

from __future__ import annotations

import asyncio
import datetime
from typing import Any, Callable, Iterator

import pytest
from textual.pilot import Pilot

from looptui.core.states import LoopState
from looptui.ui.app import LoopTuiApp
from looptui.ui.screens.details import DetailsScreen
from looptui.ui.screens.help import HelpScreen
from looptui.ui.screens.interval_dialog import IntervalDialog
from looptui.ui.screens.stopping import StoppingScreen
from looptui.ui.widgets.filter_input import FilterInput
from looptui.ui.widgets.text_lines import TextLines

from polling import until_drawn
from ui_reading import plain
from ui_fakes import FakeSession, FrozenClock, demo_session, frozen_time, run_body

pytestmark = pytest.mark.asyncio

UTC = datetime.timezone.utc
SIZE = (120, 34)


class RecordingApp(LoopTuiApp):
    """The real app, remembering the notifications it shows."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("tz", UTC)
        super().__init__(*args, **kwargs)
        self.notes: list[tuple[str, str]] = []

    def notify(self, message: str, **kwargs: Any) -> None:  # type: ignore[override]
        self.notes.append((message, kwargs.get("severity", "information")))
        super().notify(message, **kwargs)

    @property
    def last_note(self) -> str:
        return self.notes[-1][0] if self.notes else ""


@pytest.fixture
def clock() -> Iterator[FrozenClock]:
    with frozen_time() as fake:
        yield fake


@pytest.fixture
def session(clock: FrozenClock) -> FakeSession:
    return demo_session(clock)


async def until(pilot: Pilot, predicate: Callable[[], object], what: str = "") -> None:
    """Let the app process events until *predicate* holds (bounded number of rounds)."""
    await until_drawn(pilot, predicate, rounds=200, what=what)


def selected(app: LoopTuiApp) -> str | None:
    return app.table.selected_name


# ------------------------------------------------------------------ the table

async def test_table_shows_every_loop_with_the_contract_columns(session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=SIZE):
        table = app.table
        labels = [column.label.plain for column in table.ordered_columns]
        assert labels == ["Loop", "Status", "Iter", "Every", "Next", "Last", "Took", "Errors",
                          "Last exception"]
        assert table.names == [t.name for t in session.registry.trackers()]
        assert table.shown_cells("update_status") == [
            "update_status", "sleeping", "54", "30s", "13s", "18s ago", "34ms", "0", ""]
        assert table.shown_cells("startup_checks")[:3] == ["startup_checks", "finished", "3/3"]
        assert table.shown_cells("fetch_prices")[-2:] == ["1", "KeyError: 'price'"]
        assert table.shown_cells("send_reports")[3] == "09:00, 15:00 Europe/Paris"
        assert session.captured, "install_capture() is called on mount"


async def test_header_counts_states_and_shows_lag(session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=(200, 30)):
        header = app.query_one("#status").plain  # type: ignore[attr-defined]
        assert "mybot" in header
        assert "11 loops" in header
        assert "1 running" in header and "4 sleeping" in header and "1 failed" in header
        assert "lag 0.4 ms" in header


async def test_countdowns_follow_the_clock(session: FakeSession, clock: FrozenClock) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=SIZE):
        assert app.table.shown_cells("update_status")[4:6] == ["13s", "18s ago"]
        clock.advance(10)
        app.refresh_now()
        assert app.table.shown_cells("update_status")[4:6] == ["3s", "28s ago"]
        clock.advance(5)
        app.refresh_now()
        assert app.table.shown_cells("update_status")[4] == "due"


async def test_new_loops_appear_and_removed_ones_disappear(session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=SIZE):
        session.add("late_comer", seconds=5, next_in=5)
        app.refresh_now()
        assert app.table.names[-1] == "late_comer"
        assert app.table.shown_cells("late_comer")[1] == "sleeping"
        session.registry.unregister(session.registry.get("backup_database"))
        app.refresh_now()
        assert "backup_database" not in app.table.names
        assert app.table.row_count == 11


async def test_a_changed_loop_redraws_only_its_row(session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=SIZE):
        t = session.registry.get("flaky_api")
        t.set_state(LoopState.RUNNING)
        app.refresh_now()
        assert app.table.shown_cells("flaky_api")[1] == "running"


async def test_empty_state_names_the_module(clock: FrozenClock) -> None:
    session = FakeSession("emptybot")
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        hint = app.query_one("#empty")
        assert hint.has_class("-shown")
        assert "No loops found in emptybot" in plain(hint)
        assert "@loop" in plain(hint)
        session.add("first", seconds=1)
        app.refresh_now()
        await until(pilot, lambda: not hint.has_class("-shown"))
        assert app.table.names == ["first"]


# ---------------------------------------------------------------- navigation

async def test_up_down_and_j_k_move_the_selection(session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        assert selected(app) == "update_status"
        await pilot.press("j")
        assert selected(app) == "backup_database"
        await pilot.press("down")
        assert selected(app) == "cleanup_temp_files"
        await pilot.press("k")
        assert selected(app) == "backup_database"
        await pilot.press("up")
        assert selected(app) == "update_status"


async def test_enter_opens_details_and_escape_returns(session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(7):
            await pilot.press("j")
        assert selected(app) == "fetch_prices"
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DetailsScreen))
        screen = app.screen
        assert isinstance(screen, DetailsScreen)
        assert screen.tracker.name == "fetch_prices"
        title = plain(screen.query_one("#details-title"))
        assert "fetch_prices" in title and "failed" in title
        traceback = screen.query_one("#details-traceback", TextLines).plain_lines
        assert any('price = payload["price"]' in line for line in traceback)
        assert traceback[-1] == "KeyError: 'price'"
        info = plain(screen.query_one("#details-info"))
        assert "mybot.py:112" in info
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, DetailsScreen))
        assert selected(app) == "fetch_prices"


async def test_details_lists_next_runs_and_history(session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=(140, 60)) as pilot:
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DetailsScreen))
        info = plain(app.screen.query_one("#details-info"))
        # next_run is T0 + 12.2 s; then every 30 s.
        assert "12:00:12 (in 13s), 12:00:42, 12:01:12, 12:01:42, 12:02:12" in info
        records = plain(app.screen.query_one("#details-records"))
        assert "34ms" in records and "ok" in records
        bars = plain(app.screen.query_one("#details-spark")).splitlines()
        assert len(bars) == 3 and bars[2] == "·" * 12, "one column per iteration"


async def test_details_next_runs_of_a_time_loop(session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=(140, 60)) as pilot:
        app.table.select("send_reports")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DetailsScreen))
        info = plain(app.screen.query_one("#details-info"))
        # 09:00 and 15:00 Paris (UTC+1 in March before DST): 08:00 and 14:00 UTC.
        assert "15:00:00 (in 3h)" in info
        assert "Sun 08:00:00, Sun 14:00:00, Mon 08:00:00" in info


async def test_details_shows_the_loops_output(session: FakeSession) -> None:
    session.registry.get("update_status").add_output("stdout", "hello from the loop")
    app = RecordingApp(session)
    async with app.run_test(size=(140, 60)) as pilot:
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DetailsScreen))
        lines = app.screen.query_one("#details-output", TextLines).plain_lines
        assert lines == ["12:00:00 hello from the loop"]
        session.registry.get("update_status").add_output("stderr", "and a warning")
        app.refresh_now()
        await until(pilot, lambda: len(app.screen.query_one("#details-output",
                                                              TextLines).plain_lines) == 2)


# ------------------------------------------------------------------- actions

async def test_s_stops_a_sleeping_loop_at_once(session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("s")
        controls = session.controls["update_status"]
        assert controls.actions == ["stop"]
        assert session.registry.get("update_status").state is LoopState.STOPPED
        assert app.table.shown_cells("update_status")[1] == "stopped"
        assert app.last_note == "update_status: stopped"


async def test_s_on_a_running_loop_reports_it_finishes_its_body(session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "s")
        assert session.controls["backup_database"].actions == ["stop"]
        assert app.table.shown_cells("backup_database")[1] == "stopping"
        assert "after the current iteration" in app.last_note


async def test_s_on_a_stopped_loop_does_nothing(session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        app.table.select("stats_export")
        await pilot.press("s")
        assert session.controls["stats_export"].actions == []
        assert "is stopped" in app.last_note


async def test_x_cancels(session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("x")
        assert session.controls["update_status"].actions == ["cancel"]
        assert app.table.shown_cells("update_status")[1] == "cancelled"


async def test_r_starts_a_stopped_loop_and_restarts_a_running_one(session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        app.table.select("stats_export")
        await pilot.press("r")
        assert session.controls["stats_export"].actions == ["start"]
        assert app.table.shown_cells("stats_export")[1] == "sleeping"
        app.table.select("remind_user_1042")  # idle: never started
        await pilot.press("r")
        assert session.controls["remind_user_1042"].actions == ["start"]
        app.table.select("update_status")
        await pilot.press("r")
        assert session.controls["update_status"].actions == ["restart"]


async def test_t_triggers_one_iteration(session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t")
        assert session.controls["update_status"].actions == ["trigger"]
        assert "running one iteration now" in app.last_note


async def test_p_pauses_then_resumes(session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("p")
        assert app.table.shown_cells("update_status")[1] == "paused"
        await pilot.press("p")
        assert session.controls["update_status"].actions == ["pause", "resume"]
        assert app.table.shown_cells("update_status")[1] == "sleeping"


async def test_unsupported_actions_are_refused_with_the_reason(clock: FrozenClock) -> None:
    session = FakeSession()
    reason = "discord.py's Loop has no pause"
    session.add("foreign", source="discord.py",
                reasons={"pause": reason, "trigger": reason, "change_interval": reason})
    app = RecordingApp(session)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        for key in ("p", "t", "i"):
            await pilot.press(key)
            assert reason in app.last_note
            assert app.notes[-1][1] == "warning"
        assert session.controls["foreign"].actions == []
        assert not isinstance(app.screen, IntervalDialog)


async def test_an_action_that_raises_is_reported_not_raised(session: FakeSession) -> None:
    def boom() -> None:
        raise RuntimeError("engine said no")

    session.controls["update_status"].ui_trigger = boom  # type: ignore[method-assign]
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t")
        assert "trigger failed: RuntimeError: engine said no" in app.last_note


async def test_actions_in_details_act_on_the_loop_shown(session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        app.table.select("flaky_api")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DetailsScreen))
        await pilot.press("p")
        assert session.controls["flaky_api"].actions == ["pause"]
        await until(pilot, lambda: "paused" in plain(app.screen.query_one("#details-title")))


# ------------------------------------------------------------ interval dialog

async def test_interval_dialog_applies_a_valid_interval(session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("i")
        await until(pilot, lambda: isinstance(app.screen, IntervalDialog))
        await pilot.press(*"1h30m", "enter")
        await until(pilot, lambda: not isinstance(app.screen, IntervalDialog))
        assert session.controls["update_status"].calls == [
            ("change_interval", {"seconds": 5400.0, "times": None})]
        assert app.table.shown_cells("update_status")[3] == "1h30m"
        assert app.last_note == "update_status: interval changed to 1h30m"


async def test_interval_dialog_applies_times_with_a_zone(session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("i")
        await until(pilot, lambda: isinstance(app.screen, IntervalDialog))
        await pilot.press(*"09:00, 15:00 Europe/Paris", "enter")
        await until(pilot, lambda: not isinstance(app.screen, IntervalDialog))
        (name, kwargs), = session.controls["update_status"].calls
        assert [(t.hour, str(t.tzinfo)) for t in kwargs["times"]] == [
            (9, "Europe/Paris"), (15, "Europe/Paris")]
        assert app.table.shown_cells("update_status")[3] == "09:00, 15:00 Europe/Paris"


async def test_interval_dialog_refuses_bad_text_in_the_dialog(session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("i")
        await until(pilot, lambda: isinstance(app.screen, IntervalDialog))
        dialog = app.screen
        assert isinstance(dialog, IntervalDialog)
        await pilot.press(*"every day", "enter")
        assert app.screen is dialog, "the dialog stays open"
        assert "not an interval" in dialog.error
        assert "not an interval" in plain(dialog.query_one("#interval-error"))
        assert session.controls["update_status"].calls == []
        assert app.table.shown_cells("update_status")[3] == "30s"
        # Typing again clears the error; escape cancels and changes nothing.
        await pilot.press("backspace")
        assert dialog.error == ""
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, IntervalDialog))
        assert session.controls["update_status"].calls == []


async def test_interval_dialog_shows_the_loops_own_refusal(session: FakeSession) -> None:
    def refuse(**kwargs: Any) -> None:
        raise ValueError("seconds must be positive for this adapter")

    session.controls["update_status"].ui_change_interval = refuse  # type: ignore[method-assign]
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("i")
        await until(pilot, lambda: isinstance(app.screen, IntervalDialog))
        await pilot.press("0", "enter")
        dialog = app.screen
        assert isinstance(dialog, IntervalDialog)
        assert "back to back" in dialog.error, "0 is explained before it is applied"
        assert app.table.shown_cells("update_status")[3] == "30s"
        await pilot.press("enter")  # confirmed: now the loop is asked, and refuses
        assert "the loop refused it: seconds must be positive" in dialog.error
        assert app.table.shown_cells("update_status")[3] == "30s"


async def test_typing_q_in_the_dialog_does_not_quit(session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("i")
        await until(pilot, lambda: isinstance(app.screen, IntervalDialog))
        await pilot.press("q", "s", "x")
        assert not app.quitting
        assert session.controls["update_status"].calls == []


# -------------------------------------------------------------------- filter

async def test_filter_narrows_rows_and_enter_selects_the_first_match(session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        box = app.query_one("#filter", FilterInput)
        await until(pilot, lambda: box.has_focus)
        await pilot.press(*"DATA")
        assert app.table.names == ["backup_database", "DatabaseManager.sync"]
        await pilot.press("enter")
        assert app.table.has_focus
        assert selected(app) == "backup_database"
        await pilot.press("j")
        assert selected(app) == "DatabaseManager.sync"
        # Keys act on the filtered selection.
        await pilot.press("t")
        assert session.controls["DatabaseManager.sync"].actions == ["trigger"]
        # escape (from the table) clears the filter and keeps the selection.
        await pilot.press("escape")
        assert len(app.table.names) == 11
        assert selected(app) == "DatabaseManager.sync"
        assert not box.has_class("-shown")


async def test_escape_in_the_filter_clears_it(session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", *"zzz")
        assert app.table.names == []
        hint = app.query_one("#empty")
        await until(pilot, lambda: hint.has_class("-shown"))
        assert "No loop name contains 'zzz'" in plain(hint)
        await pilot.press("escape")
        assert len(app.table.names) == 11
        assert app.table.has_focus
        assert app.query_one("#filter", FilterInput).value == ""


async def test_filter_keeps_new_matching_loops_live(session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", *"remind", "enter")
        assert app.table.names == ["remind_user_1042"]
        session.add("remind_user_7", seconds=60)
        session.add("unrelated", seconds=60)
        app.refresh_now()
        assert app.table.names == ["remind_user_1042", "remind_user_7"]


# ------------------------------------------------------------ log pane, help

async def test_l_toggles_the_log_pane_with_everyones_output(clock: FrozenClock) -> None:
    session = FakeSession()
    session.add("update_status")
    session.add("DatabaseManager.sync")
    session.add("flaky_api")
    session.print("bot connected as mybot#0001")
    session.registry.get("update_status").add_output("stdout", "status set")
    clock.advance(1)
    session.registry.get("flaky_api").add_output("stderr", "retrying soon\nsecond line")
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        pane = app.log_pane
        assert not pane.shown
        await pilot.press("l")
        await until(pilot, lambda: pane.shown and pane.lines.line_count == 4)
        lines = pane.lines.plain_lines
        # In time order; same-time lines keep loops first, then general output.
        # Loop names are padded to the longest (DatabaseManager.sync, 20 characters).
        assert lines == [
            "12:00:00 update_status        │ status set",
            "12:00:00 ·                    │ bot connected as mybot#0001",
            "12:00:01 flaky_api            │ retrying soon",
            "                              │ second line",
        ]
        session.registry.get("update_status").add_output("stdout", "again")
        session.print("general line")
        app.refresh_now()
        assert pane.lines.plain_lines[-2].endswith("│ again")
        assert pane.lines.plain_lines[-1].endswith("│ general line")
        await pilot.press("l")
        assert not pane.shown


async def test_log_pane_counts_lines_it_skips_in_a_flood(session: FakeSession) -> None:
    t = session.registry.get("update_status")
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("l")
        await until(pilot, lambda: app.log_pane.shown)
        for k in range(5000):
            t.add_output("stdout", f"line {k}")
        app.refresh_now()
        lines = app.log_pane.lines.plain_lines
        assert any("lines skipped" in line for line in lines)
        assert lines[-1].endswith("line 4999")
        assert app.log_pane.skipped >= 4500


async def test_help_lists_every_key(session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        keys = [key for key, _ in app.screen.rows]  # type: ignore[attr-defined]
        for key in ("↑/↓ j/k", "enter", "s", "x", "r", "i", "t", "p", "/", "l", "?", "q", "R"):
            assert key in keys
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, HelpScreen))


async def test_footer_shows_the_keys(session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=(160, 30)) as pilot:
        await pilot.pause()
        shown = {b.key for _, b, enabled, _ in app.screen.active_bindings.values() if b.show}
        assert {"enter", "s", "x", "r", "i", "t", "p", "slash", "l", "question_mark",
                "q"} <= shown


# -------------------------------------------------------------------- reload

async def test_a_session_that_refuses_to_reload_says_why(session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("R")
        assert app.last_note == "reload is not available here"


async def test_reload_calls_the_session(session: FakeSession) -> None:
    calls: list[str] = []

    async def reload() -> None:
        calls.append("reload")

    session.reload = reload  # type: ignore[attr-defined]
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("R")
        await until(pilot, lambda: app.last_note == "reloaded")
        assert calls == ["reload"]


# ---------------------------------------------------------------------- quit

async def test_q_stops_loops_gracefully_and_exits(session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        await until(pilot, lambda: app.return_value is not None)
    assert session.shutdown_calls == [5.0]
    assert app.return_value == []
    assert app.ignored_cancellation == []
    assert all(not t.is_active for t in session.registry.trackers())


async def test_q_names_loops_that_ignore_cancellation(session: FakeSession) -> None:
    session.stubborn = {"backup_database"}
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        await until(pilot, lambda: app.return_value is not None)
    assert app.return_value == ["backup_database"]
    assert app.ignored_cancellation == ["backup_database"]


async def test_stopping_screen_lists_loops_and_a_second_q_forces(session: FakeSession) -> None:
    release = asyncio.Event()

    async def slow_shutdown(timeout: float = 5.0) -> list[str]:
        await release.wait()
        return []

    session.shutdown = slow_shutdown  # type: ignore[method-assign]
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        await until(pilot, lambda: isinstance(app.screen, StoppingScreen))
        app.refresh_now()
        body = plain(app.screen.query_one("#stopping-list"))
        assert "still stopping" in body and "backup_database" in body
        assert "stopping…" in app.query_one("#status").plain  # type: ignore[attr-defined]
        await pilot.press("q")
        await until(pilot, lambda: app.return_value is not None)
    assert "backup_database" in app.return_value
    assert "stats_export" not in app.return_value  # already stopped


async def test_ctrl_c_quits_gracefully_too(session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+c")
        await until(pilot, lambda: app.return_value is not None)
    assert session.shutdown_calls == [5.0]


# ------------------------------------------------------- small terminals, main

@pytest.mark.parametrize("size", [(20, 5), (10, 3), (1, 1), (40, 8)])
async def test_tiny_terminals_do_not_crash(session: FakeSession, size: tuple[int, int]) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=size) as pilot:
        await pilot.press("l", "j", "enter")
        await pilot.pause()
        await pilot.press("escape", "question_mark")
        await pilot.pause()
        await pilot.press("escape", "i")
        await pilot.pause()
        await pilot.press("escape")
        app.refresh_now()


async def test_resize_to_tiny_and_back(session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("l")
        for size in ((8, 2), (1, 1), (30, 6), SIZE):
            await pilot.resize_terminal(*size)
            await pilot.pause()
            app.refresh_now()
        assert app.table.shown_cells("update_status")[1] == "sleeping"
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DetailsScreen))
        for size in ((5, 2), SIZE):
            await pilot.resize_terminal(*size)
            await pilot.pause()


async def test_failure_of_main_is_reported_once(session: FakeSession, clock: FrozenClock) -> None:
    t = session.registry.get("update_status")
    run_body(t, clock, ago=1, took=0.1, error=RuntimeError("token invalid"))
    session.main_state = "failed"
    session.main_exception = t.last_exception
    app = RecordingApp(session)
    async with app.run_test(size=(200, 30)):
        app.refresh_now()
        app.refresh_now()
        mains = [m for m, _ in app.notes if m.startswith("main ")]
        assert mains == ["main failed: RuntimeError: token invalid"]
        assert "main failed" in app.query_one("#status").plain  # type: ignore[attr-defined]


async def test_a_failed_bot_main_suggests_offline(session: FakeSession,
                                                 clock: FrozenClock) -> None:
    t = session.registry.get("update_status")
    t.source = "discord.py"  # a bot's loop
    run_body(t, clock, ago=1, took=0.1, error=RuntimeError("token invalid"))
    session.main_state = "failed"
    session.main_exception = t.last_exception
    app = RecordingApp(session)
    async with app.run_test(size=(200, 30)):
        app.refresh_now()
        assert [m for m, _ in app.notes if m.startswith("main ")] == [
            "main failed: RuntimeError: token invalid\n"
            "--offline runs the bot's setup and loops without Discord"]


async def test_the_header_names_the_main_and_says_offline(session: FakeSession,
                                                          clock: FrozenClock) -> None:
    t = session.registry.get("update_status")
    run_body(t, clock, ago=1, took=0.1, error=RuntimeError("token invalid"))
    session.main_state = "failed"
    session.main_exception = t.last_exception
    session.main_name = "bot.run() at bot.py:88"  # type: ignore[attr-defined]
    session.offline = True  # type: ignore[attr-defined]
    app = RecordingApp(session)
    async with app.run_test(size=(200, 30)):
        app.refresh_now()
        header = app.query_one("#status").plain  # type: ignore[attr-defined]
        assert "· offline ·" in header
        assert "main failed (bot.run() at bot.py:88)" in header
        assert [m for m, _ in app.notes if m.startswith("main ")] == [
            "main bot.run() at bot.py:88 failed: RuntimeError: token invalid"]


async def test_a_loop_that_blocked_the_event_loop_is_named(session: FakeSession,
                                                           clock: FrozenClock) -> None:
    t = session.registry.get("update_status")
    t.notes["blocked"] = {"time": clock.t, "duration": 2.1,
                          "stack": '  File "mybot.py", line 20, in update_status\n'
                                   "    time.sleep(2)"}
    t.version += 1
    app = RecordingApp(session)
    async with app.run_test(size=(200, 40)) as pilot:
        assert app.table.shown_cells("update_status")[-1] == "blocked 2.1s"
        assert "blocked 1×" in app.query_one("#status").plain  # type: ignore[attr-defined]
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DetailsScreen))
        info = plain(app.screen.query_one("#details-info"))
        assert "time 12:00:00 (now) · duration 2.10s" in info and "time.sleep(2)" in info
        await pilot.press("escape")
        clock.advance(120)
        app.refresh_now()
        assert "blocked" not in app.query_one("#status").plain  # type: ignore[attr-defined]


async def test_reloads_are_reported_once(session: FakeSession) -> None:
    from types import SimpleNamespace

    session.reload_version = 0  # type: ignore[attr-defined]
    session.reloading = False  # type: ignore[attr-defined]
    session.reload_error = None  # type: ignore[attr-defined]
    app = RecordingApp(session)
    async with app.run_test(size=(200, 30)):
        session.last_reload_attempt = SimpleNamespace(  # type: ignore[attr-defined]
            ok=True, changed=["update_status"], added=["new_loop"], removed=[],
            duration=0.12, stragglers=[])
        session.reload_version = 1  # type: ignore[attr-defined]
        app.refresh_now()
        app.refresh_now()
        reloads = [m for m, _ in app.notes if m.startswith("reload")]
        assert reloads == ["reloaded: changed update_status; added new_loop (120ms)"]

        error = SimpleNamespace(summary="SyntaxError: invalid syntax (mybot.py:3)")
        attempt = SimpleNamespace(ok=False, error=error)
        session.last_reload_attempt = attempt  # type: ignore[attr-defined]
        session.reload_error = error  # type: ignore[attr-defined]
        session.reload_version = 2  # type: ignore[attr-defined]
        app.refresh_now()
        message, severity = app.notes[-1]
        assert message.startswith("reload failed: SyntaxError: invalid syntax (mybot.py:3)")
        assert severity == "error"
        assert "reload failed" in app.query_one("#status").plain  # type: ignore[attr-defined]


async def test_a_stuck_body_is_highlighted_with_how_long_it_ran(session: FakeSession,
                                                                clock: FrozenClock) -> None:
    t = session.registry.get("backup_database")  # running for 3.4 s
    t.notes["stuck"] = {"since": clock.t - 42, "running_for": 42.0, "threshold": 10.0,
                        "iteration": 7}
    t.version += 1
    app = RecordingApp(session)
    async with app.run_test(size=(160, 40)) as pilot:
        assert app.table.shown_cells("backup_database")[1] == "running"
        assert app.table._cells["backup_database"][1][1] == "alarm"
        assert app.colours.style("alarm").reverse
        assert app.table.shown_cells("backup_database")[-1] == "stuck 42s"
        app.table.select("backup_database")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DetailsScreen))
        info = plain(app.screen.query_one("#details-info"))
        assert "running_for 42.0s" in info and "Awaiting" in info


async def test_click_selects_and_a_second_click_opens(session: FakeSession) -> None:
    app = RecordingApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#loops", offset=(5, 3))  # header, then rows 0, 1, 2
        assert selected(app) == "cleanup_temp_files"
        await pilot.click("#loops", offset=(5, 3))
        await until(pilot, lambda: isinstance(app.screen, DetailsScreen))
        assert app.screen.tracker.name == "cleanup_temp_files"  # type: ignore[attr-defined]


async def test_e_shows_the_full_traceback_of_a_failed_reload(session: FakeSession) -> None:
    from types import SimpleNamespace

    from looptui.ui.screens.reload_error import ReloadErrorScreen

    app = RecordingApp(session)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("e")
        assert app.last_note == "no failed reload"
        session.reload_error = SimpleNamespace(  # type: ignore[attr-defined]
            summary="NameError: name 'x' is not defined (mybot.py:7)",
            traceback='Traceback (most recent call last):\n  File "mybot.py", line 7, in <module>\n'
                      "    x\nNameError: name 'x' is not defined\n\x1b[2J",
        )
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, ReloadErrorScreen))
        shown = "\n".join(plain(w) for w in app.screen.query("Static"))
        assert 'File "mybot.py", line 7, in <module>' in shown
        assert "Reload failed: NameError: name 'x' is not defined (mybot.py:7)" in shown
        assert "\x1b" not in shown
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, ReloadErrorScreen))
