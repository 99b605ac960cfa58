"""Text from user code is shown inert: no markup, no escape sequences, bounded in the table,
complete in the details."""

from __future__ import annotations

import datetime
from typing import Iterator

import pytest
from rich.text import Text

from looptui.core.states import LoopState
from looptui.ui.app import LoopTuiApp
from looptui.ui.rows import row_cells
from looptui.ui.screens.details import DetailsScreen
from looptui.ui.widgets.text_lines import TextLines

from ui_fakes import FakeSession, FrozenClock, frozen_time, run_body

UTC = datetime.timezone.utc
EVIL_NAME = "[red]evil[/red]\x1b]0;pwned\x07\x1b[2J"
EVIL_MESSAGE = (
    "\x1b[31mred\x1b[0m \x1b]8;;http://x.example\x1b\\link\x1b]8;;\x1b\\ "
    "bell\x07 cr\r del\x7f csi\x9b2J rtl\u202eevil \udcff [bold]markup[/bold]"
)
RAW_CONTROLS = ("\x1b", "\x07", "\r", "\x7f", "\x9b", "\u202e", "\udcff")


@pytest.fixture
def clock() -> Iterator[FrozenClock]:
    with frozen_time() as fake:
        yield fake


@pytest.fixture
def session(clock: FrozenClock) -> FakeSession:
    s = FakeSession("[b]bot[/b]\x1b[2J")
    t = s.add(EVIL_NAME, seconds=5, next_in=3)
    run_body(t, clock, ago=2, took=0.1, error=RuntimeError(EVIL_MESSAGE),
             traceback_text=f"Traceback (most recent call last):\nRuntimeError: {EVIL_MESSAGE}\n")
    t.add_output("stdout", f"printed {EVIL_MESSAGE}")
    big = s.add("huge", seconds=5, next_in=3)
    run_body(big, clock, ago=1, took=0.1, error=ValueError("x" * 1_000_000 + "THE-END"),
             traceback_text="Traceback (most recent call last):\nValueError: "
                            + "x" * 1_000_000 + "THE-END\n")
    s.print(f"general {EVIL_MESSAGE}")
    return s


def assert_inert(text: str) -> None:
    for ch in RAW_CONTROLS:
        assert ch not in text, f"raw {ch!r} reached the screen"


def test_row_cells_are_sanitised_and_bounded(session: FakeSession, clock: FrozenClock) -> None:
    cells = row_cells(session.registry.get(EVIL_NAME), clock.t)
    for text, _style in cells:
        assert_inert(text)
    assert cells[0][0] == "[red]evil[/red]␛]0;pwned␇␛[2J"
    assert "[bold]markup[/bold]" in cells[-1][0]
    huge = row_cells(session.registry.get("huge"), clock.t)
    assert len(huge[-1][0]) <= 310, "the table never holds a 1 MB message"


@pytest.mark.asyncio
async def test_hostile_text_renders_literally_everywhere(session: FakeSession) -> None:
    app = LoopTuiApp(session, tz=UTC)
    async with app.run_test(size=(160, 40)) as pilot:
        table = app.table
        name_cell = table.get_cell(EVIL_NAME, "loop")
        assert isinstance(name_cell, Text), "cells are Text, never markup strings"
        assert name_cell.plain.startswith("[red]evil[/red]")
        assert name_cell.spans == [] or all(s.style in ("bold", "") for s in name_cell.spans)

        await pilot.press("l")
        await pilot.pause()
        app.refresh_now()
        log_lines = app.log_pane.lines.plain_lines
        assert any("[bold]markup[/bold]" in line for line in log_lines)
        for line in log_lines:
            assert_inert(line)

        svg = app.export_screenshot()
        assert "[red]evil[/red]" in svg.replace("&#160;", " ")
        assert "[b]bot[/b]" in svg.replace("&#160;", " ")
        assert_inert(svg)

        await pilot.press("l", "enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailsScreen)
        traceback = app.screen.query_one("#details-traceback", TextLines).plain_lines
        assert any("[bold]markup[/bold]" in line for line in traceback)
        output = app.screen.query_one("#details-output", TextLines).plain_lines
        assert any("printed ␛[31mred" in line for line in output)
        for line in traceback + output:
            assert_inert(line)
        assert_inert(app.export_screenshot())


@pytest.mark.asyncio
async def test_notifications_do_not_parse_markup_in_names(session: FakeSession) -> None:
    shown: list[tuple[str, bool]] = []

    class Recording(LoopTuiApp):
        def notify(self, message: str, **kwargs: object) -> None:  # type: ignore[override]
            shown.append((message, bool(kwargs.get("markup", True))))
            super().notify(message, **kwargs)  # type: ignore[arg-type]

    app = Recording(session, tz=UTC)
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        await pilot.press("t")
        message, markup = shown[-1]
        assert message.startswith("[red]evil[/red]␛]0;pwned␇␛[2J: ")
        assert markup is False


@pytest.mark.asyncio
async def test_a_one_megabyte_message_is_complete_in_details(session: FakeSession) -> None:
    app = LoopTuiApp(session, tz=UTC)
    async with app.run_test(size=(120, 40)) as pilot:
        app.table.select("huge")
        await pilot.press("enter")
        await pilot.pause()
        view = app.screen.query_one("#details-traceback", TextLines)
        lines = view.plain_lines
        assert lines[-1].endswith("THE-END")
        assert sum(len(line) for line in lines) > 1_000_000
        # Wrapped to the width, so it scrolls instead of running off screen.
        assert view.virtual_size.height > 1_000_000 // 120
        view.scroll_end(animate=False, immediate=True)
        app.screen.query_one("#details-body").scroll_to_widget(view, animate=False)
        await pilot.pause()
        assert "THE-END" in app.export_screenshot()


@pytest.mark.asyncio
async def test_state_words_stay_contract_words(session: FakeSession) -> None:
    t = session.registry.get("huge")
    app = LoopTuiApp(session, tz=UTC)
    async with app.run_test(size=(160, 40)):
        for state in LoopState:
            t.set_state(state)
            app.refresh_now()
            assert app.table.shown_cells("huge")[1] == state.value


@pytest.mark.asyncio
@pytest.mark.parametrize("shape", ["lines", "frames"])
async def test_huge_tracebacks_are_complete_and_drawn_only_where_seen(
    session: FakeSession, clock: FrozenClock, shape: str
) -> None:
    if shape == "lines":  # a 200,000-line message
        body = "\n".join(f"message line {i}" for i in range(200_000))
        text = f"Traceback (most recent call last):\nValueError: {body}\n"
    else:  # a 3,000-frame traceback
        frames = "".join(f'  File "bot.py", line {i}, in f{i}\n    f{i + 1}()\n'
                         for i in range(3000))
        text = f"Traceback (most recent call last):\n{frames}ValueError: message line 199999\n"
    t = session.add("lengthy", seconds=5, next_in=3)
    run_body(t, clock, ago=1, took=0.1, error=ValueError("x"), traceback_text=text)
    app = LoopTuiApp(session, tz=UTC)
    async with app.run_test(size=(100, 40)) as pilot:
        app.table.select("lengthy")
        await pilot.press("enter")
        await pilot.pause()
        view = app.screen.query_one("#details-traceback", TextLines)
        lines = view.plain_lines
        assert lines[-1].endswith("message line 199999")  # complete
        assert view.line_count == text.count("\n") + 1  # + the heading
        styled = []
        real_styler = view.styler  # count what gets styled
        assert real_styler is not None

        def counting(index: int, line: str) -> Text:
            styled.append(index)
            return real_styler(index, line)

        view.styler = counting
        view.scroll_end(animate=False, immediate=True)
        app.screen.query_one("#details-body").scroll_to_widget(view, animate=False)
        await pilot.pause()
        assert "line&#160;199999" in app.export_screenshot()
        assert 0 < len(styled) < 200  # only the lines on screen were turned into text
