"""The ``?`` help screen: every key, generated from the bindings themselves."""

from __future__ import annotations

import textwrap
from typing import ClassVar, Iterable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from looptui.core.states import LoopState

from ..colours import colours_of

__all__ = ["HelpScreen", "key_rows", "two_columns"]

_STATE_HELP = {
    "idle": "created, not started",
    "waiting": "in before_loop",
    "sleeping": "waiting for its next run",
    "running": "body in progress",
    "retrying": "backing off after a reconnect-class error",
    "paused": "no body starts until resumed (p)",
    "stopping": "stop requested, finishing the current body",
    "stopped": "ended by stop",
    "cancelled": "ended by cancellation",
    "finished": "count iterations done",
    "failed": "ended by an unhandled exception",
}


def key_rows(bindings: Iterable[Binding]) -> list[tuple[str, str]]:
    """``(keys, what they do)`` for the bindings that have a description."""
    rows: list[tuple[str, str]] = []
    for binding in bindings:
        if not binding.description:
            continue
        keys = binding.key_display or binding.key
        rows.append((keys, binding.tooltip or binding.description))
    return rows


_BOX_WIDTH = 84
"""Columns of the help box on a wide terminal (its CSS width)."""


def two_columns(rows: list[tuple[Text, str]], width: int) -> Text:
    """Two columns two spaces apart, as ``Table.grid(padding=(0, 2))`` lays them out:
    the first as wide as its widest cell, the second wrapped within *width*."""
    first = max((cell.cell_len for cell, _ in rows), default=0)
    room = max(10, width - first - 2)
    wrapped = [textwrap.wrap(what, room) or [""] for _, what in rows]
    second = max((len(line) for lines in wrapped for line in lines), default=0)
    out = Text()
    for index, ((cell, _), lines) in enumerate(zip(rows, wrapped, strict=True)):
        if index:
            out.append("\n")
        out.append_text(cell)
        out.append(" " * (first - cell.cell_len + 2) + lines[0].ljust(second))
        for line in lines[1:]:
            out.append("\n" + " " * (first + 2) + line.ljust(second))
    return out


class HelpScreen(ModalScreen[None]):
    """Keys and state colours. ``escape``, ``q``, ``?`` or ``enter`` closes it (``q``
    goes back to the table, as in htop or k9s; only the table's ``q`` quits)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,enter", "close", "Close", key_display="esc"),
    ]

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
    }
    HelpScreen > VerticalScroll {
        width: 84;  /* _BOX_WIDTH */
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: round $primary;
        background: $surface;
        padding: 0 1;
    }
    """

    def __init__(self, rows: list[tuple[str, str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        # Plain text laid out as the two-column grid it shows (keys, then what they do,
        # long lines wrapped under their column): a Rich table is measured and rendered
        # again at every layout pass, tens of milliseconds the loops would wait for.
        inner = min(_BOX_WIDTH, self.app.size.width) - 6  # border, padding, scroll bar
        colours = colours_of(self.app)
        keys = two_columns([(Text(key, style="bold cyan"), what) for key, what in self.rows],
                           inner)
        states = two_columns([(Text(state.value, style=colours.state(state)),
                               _STATE_HELP[state.value]) for state in LoopState], inner)
        with VerticalScroll():
            yield Static(Text("Keys", style="bold"))
            yield Static(keys)
            yield Static(Text("\nStates", style="bold"))
            yield Static(states)
            yield Static(Text("\nesc or q closes this help", style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)
