"""The ``?`` help screen: every key, generated from the bindings themselves."""

from __future__ import annotations

from typing import ClassVar, Iterable

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from looptui.core.states import LoopState

from ..colours import colours_of

__all__ = ["HelpScreen", "key_rows"]

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
        width: 84;
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
        keys = Table.grid(padding=(0, 2))
        keys.add_column(style="bold cyan", no_wrap=True)
        keys.add_column()
        for key, what in self.rows:
            keys.add_row(Text(key), Text(what))
        states = Table.grid(padding=(0, 2))
        states.add_column(no_wrap=True)
        states.add_column()
        for state in LoopState:
            states.add_row(Text(state.value, style=colours_of(self.app).state(state)),
                           Text(_STATE_HELP[state.value]))
        with VerticalScroll():
            yield Static(Text("Keys", style="bold"))
            yield Static(keys)
            yield Static(Text("\nStates", style="bold"))
            yield Static(states)
            yield Static(Text("\nesc or q closes this help", style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)
