"""The ``e`` screen: the full traceback of the last failed reload.

A failed reload keeps the old code running and says so in the header; this screen is where
the user's traceback (file and line) can be read in full, however much output the loops
print meanwhile. ``escape`` or ``e`` closes it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from looptui.core.records import ExceptionInfo

from ..text import one_line
from .details import traceback_lines

__all__ = ["ReloadErrorScreen"]


class ReloadErrorScreen(ModalScreen[None]):
    """Summary and traceback of a failed reload (``session.reload_error``)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,e,q", "close", "Close", key_display="esc"),
    ]

    DEFAULT_CSS = """
    ReloadErrorScreen {
        align: center middle;
    }
    ReloadErrorScreen > VerticalScroll {
        width: 100%;
        max-width: 120;
        height: auto;
        max-height: 100%;
        border: round $error;
        background: $surface;
        padding: 0 1;
    }
    """

    def __init__(self, error: Any) -> None:
        super().__init__()
        self.error = error

    def compose(self) -> ComposeResult:
        summary = getattr(self.error, "summary", "") or "reload failed"
        info = ExceptionInfo.from_text("", summary, "reload", 0.0, False,
                                       getattr(self.error, "traceback", "") or "")
        body = Text("\n", end="").join(traceback_lines(info))
        with VerticalScroll():
            yield Static(Text(f"Reload failed: {one_line(summary, 200)}", style="bold red"))
            yield Static(Text("The previous code keeps running until the file imports.\n",
                              style="dim"))
            yield Static(body)
            yield Static(Text("\nesc closes this", style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)
