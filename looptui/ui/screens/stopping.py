"""Shown while quitting: which loops are still stopping; ``q`` again forces the exit."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from .. import format as fmt
from ..colours import colours_of
from ..text import one_line

if TYPE_CHECKING:
    from looptui.core.tracker import Tracker

__all__ = ["StoppingScreen"]

SHOW = 12
"""Loops named at most (then "and N more")."""


class StoppingScreen(ModalScreen[None]):
    """"stopping…" with the loops not yet stopped; the app drives :meth:`show`."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "app.request_quit", "Force quit", key_display="q"),
    ]

    DEFAULT_CSS = """
    StoppingScreen {
        align: center middle;
    }
    StoppingScreen > Vertical {
        width: 64;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: round $warning;
        background: $surface;
        padding: 0 1;
    }
    """

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout
        self._title = Static(Text("stopping…", style="bold", end=""), id="stopping-title")
        self._list = Static("", id="stopping-list")

    def compose(self) -> ComposeResult:
        with Vertical():
            yield self._title
            yield self._list
            yield Static(Text("after_loop hooks run; q again forces the exit", style="dim",
                              end=""), id="stopping-hint")

    def on_mount(self) -> None:
        refresh = getattr(self.app, "refresh_now", None)
        if callable(refresh):
            refresh()

    def show(self, active: Sequence[Tracker], elapsed: float) -> None:
        """List the loops still active, *elapsed* seconds into the graceful stop."""
        if not self.is_mounted:
            return
        title = Text("stopping…", style="bold", end="")
        title.append(f"  {fmt.took(elapsed)} of up to {fmt.interval(self.timeout)}",
                     style="dim")
        self._title.update(title)
        body = Text(end="")
        if active:
            body.append(f"{len(active)} loop{'s' if len(active) != 1 else ''} still stopping:\n")
            for t in active[:SHOW]:
                body.append(f"  {one_line(t.name, 50)} ")
                body.append(t.state.value, style=colours_of(self.app).state(t.state))
                body.append("\n")
            if len(active) > SHOW:
                body.append(f"  … and {len(active) - SHOW} more\n", style="dim")
        else:
            body.append("all loops stopped\n", style="green")
        self._list.update(body)
