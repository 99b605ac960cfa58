"""Snapshot tests of the TUI (pytest-textual-snapshot), with time frozen and fixed data.

Update the stored SVGs after an intended change with ``pytest --snapshot-update`` and look
at the report before committing them.
"""

from __future__ import annotations

import datetime
from typing import Iterator

import pytest
from textual.pilot import Pilot

from looptui.ui.app import LoopTuiApp

from ui_fakes import FakeSession, FrozenClock, demo_session, frozen_time, run_body

UTC = datetime.timezone.utc
SIZE = (120, 34)


@pytest.fixture
def clock() -> Iterator[FrozenClock]:
    with frozen_time() as fake:
        yield fake


@pytest.fixture
def app(clock: FrozenClock) -> LoopTuiApp:
    session = demo_session(clock)
    t = session.registry.get("update_status")
    for k in range(4):
        clock.advance(0.5)
        t.add_output("stdout", f"presence set to 'watching {k + 3} servers'")
    clock.advance(0.5)
    session.registry.get("flaky_api").add_output("stderr", "upstream slow, retrying later")
    clock.advance(0.5)
    return LoopTuiApp(session, tz=UTC)


def test_table(snap_compare, app: LoopTuiApp) -> None:
    """Every state, countdowns, errors and last exceptions in one table."""
    assert snap_compare(app, terminal_size=SIZE)


def test_table_narrow(snap_compare, app: LoopTuiApp) -> None:
    """At 80 columns: Loop, Status, Next and Last exception (the hidden columns counted),
    trouble first in the header, the footer's most used keys then ``? more``."""
    assert snap_compare(app, terminal_size=(80, 24))


async def open_failed(pilot: Pilot) -> None:
    """Open the details of the failed loop."""
    pilot.app.table.select("fetch_prices")  # type: ignore[attr-defined]
    await pilot.press("enter")


def test_details_with_traceback(snap_compare, app: LoopTuiApp) -> None:
    """Details of a failed loop: its traceback, history and records."""
    assert snap_compare(app, terminal_size=(120, 44), run_before=open_failed)


def test_details_with_output(snap_compare, app: LoopTuiApp) -> None:
    """Details of a healthy loop: next runs, sparkline of durations, captured output."""
    assert snap_compare(app, press=["enter"], terminal_size=(120, 44))


def test_log_pane(snap_compare, app: LoopTuiApp) -> None:
    assert snap_compare(app, press=["l"], terminal_size=SIZE)


def test_help(snap_compare, app: LoopTuiApp) -> None:
    assert snap_compare(app, press=["question_mark"], terminal_size=(120, 40))


def test_interval_dialog_refusal(snap_compare, app: LoopTuiApp) -> None:
    """A refused interval: the reason is shown in the dialog, which stays open."""

    async def type_bad_interval(pilot: Pilot) -> None:
        await pilot.press("i")
        await pilot.pause()
        pilot.app.screen.query_one("Input").cursor_blink = False
        await pilot.press(*"every day", "enter")

    assert snap_compare(app, terminal_size=SIZE, run_before=type_bad_interval)


def test_filter(snap_compare, app: LoopTuiApp) -> None:
    async def filter_rows(pilot: Pilot) -> None:
        await pilot.press("slash")
        await pilot.pause()
        pilot.app.query_one("#filter").cursor_blink = False
        await pilot.press(*"data")

    assert snap_compare(app, terminal_size=SIZE, run_before=filter_rows)


def test_empty_state(snap_compare, clock: FrozenClock) -> None:
    assert snap_compare(LoopTuiApp(FakeSession("mybot.py"), tz=UTC), terminal_size=SIZE)


def test_tiny_terminal(snap_compare, app: LoopTuiApp) -> None:
    assert snap_compare(app, terminal_size=(30, 8))


def test_hostile_names_render_inert(snap_compare, clock: FrozenClock) -> None:
    """Markup and escape sequences in names and messages are shown as text."""
    session = FakeSession("[b]bot[/b]")
    t = session.add("[red]evil[/red]\x1b]0;pwned\x07", seconds=5, next_in=3)
    run_body(t, clock, ago=2, took=0.1,
             error=RuntimeError("\x1b[31mred\x1b[0m [bold]not bold[/bold] bell\x07"))
    session.add("normal_loop", seconds=5, next_in=1)
    assert snap_compare(LoopTuiApp(session, tz=UTC), terminal_size=(100, 10))


def test_trouble_first_and_trouble_only(snap_compare, app: LoopTuiApp) -> None:
    """``o`` puts the failed loop on top; ``f`` hides the healthy ones (header says so)."""
    assert snap_compare(app, press=["o", "f"], terminal_size=SIZE)


def test_no_color(snap_compare, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """With ``NO_COLOR`` the states are told apart by their words (and bold), not colour."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = LoopTuiApp(demo_session(clock), tz=UTC)
    assert app.no_color
    assert snap_compare(app, press=["o"], terminal_size=SIZE)


@pytest.mark.parametrize("size", [(80, 24), (120, 35)], ids=["80x24", "120x35"])
def test_failed_reload_keeps_the_counts(snap_compare, app: LoopTuiApp,
                                        size: tuple[int, int]) -> None:
    """During a failed reload the header keeps trouble first and the counts, and says
    the reload failed in a short form; the table keeps Loop, Status and Last exception
    (lower columns counted as hidden); the footer ends with ``? more``."""
    from types import SimpleNamespace

    app.session.reload_error = SimpleNamespace(  # type: ignore[attr-defined]
        summary="SyntaxError: invalid syntax (mybot.py:3)", traceback="")
    assert snap_compare(app, terminal_size=size)


def test_details_at_80_columns(snap_compare, app: LoopTuiApp) -> None:
    """Details of a failed loop at 80×24: its footer (esc back, y copy, E edit …, ? more)."""
    assert snap_compare(app, terminal_size=(80, 24), run_before=open_failed)


def test_hidden_columns_page(snap_compare, app: LoopTuiApp) -> None:
    """``→`` at 80 columns shows the columns the narrow table left out."""
    assert snap_compare(app, press=["right"], terminal_size=(80, 24))
