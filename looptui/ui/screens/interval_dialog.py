"""The ``i`` dialog: type a new interval or times of day for the selected loop.

The text is parsed by :func:`looptui.ui.interval_parse.parse_interval`; a refusal (by the
parser or by the loop itself) is shown inside the dialog, which stays open, and nothing
changes. The dialog dismisses with the session's reply only when the loop accepted it.
An interval of ``0`` is applied only when confirmed (``enter`` again): the dialog says
first that the loop will then run back to back, as often as the event loop allows.
"""

from __future__ import annotations

from typing import Awaitable, Callable, ClassVar, Union

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from looptui.session.interface import Reply

from ..interval_parse import HINT, parse_interval
from ..text import one_line

__all__ = ["IntervalDialog", "Apply", "ZERO_WARNING"]

ZERO_WARNING = ("0 runs the loop back to back: the next iteration starts as soon as one "
                "ends (thousands a second for a quick body). Press enter again to apply.")

Apply = Callable[[str, object], Awaitable[Reply]]
"""Asks the session to apply ``("seconds", float)`` or ``("times", [time, ...])``."""


class IntervalDialog(ModalScreen[Union[Reply, None]]):
    """Ask for a new interval; ``enter`` applies, ``escape`` cancels.

    Args:
        loop_name: Shown in the title (sanitised here).
        current: The loop's schedule text now.
        apply: Awaited with ``("seconds", float)`` or ``("times", [time, ...])``; a
            reply that is not ``ok`` refuses the value with the reply's reason.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
    ]

    DEFAULT_CSS = """
    IntervalDialog {
        align: center middle;
    }
    IntervalDialog > Vertical {
        width: 64;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: round $primary;
        background: $surface;
        padding: 0 1;
    }
    IntervalDialog #interval-error {
        color: $error;
        height: auto;
    }
    IntervalDialog #interval-hint {
        color: $text-muted;
    }
    """

    def __init__(self, loop_name: str, current: str, apply: Apply) -> None:
        super().__init__()
        self.loop_name = loop_name
        self.current = current
        self.apply = apply
        self.error: str = ""
        """The reason the last value was refused (empty when none was)."""
        self._confirming: str | None = None
        """The text of a ``0`` interval shown with its warning, applied on a second enter."""

    def compose(self) -> ComposeResult:
        title = Text("Change interval of ", style="bold", end="")
        title.append(one_line(self.loop_name, 80), style="bold cyan")
        with Vertical():
            yield Static(title)
            yield Static(Text(f"now: {one_line(self.current, 80) or '—'}", style="dim"))
            yield Input(placeholder="30s · 1h30m · 09:00, 15:00 Europe/Paris",
                        id="interval-input")
            yield Static("", id="interval-error")
            yield Static(Text(f"{HINT}\nenter applies · escape cancels", end=""),
                         id="interval-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def _refuse(self, reason: str, mark: str = "✖") -> None:
        self.error = reason
        self.query_one("#interval-error", Static).update(Text(f"{mark} {reason}", end=""))

    @on(Input.Changed)
    def _clear_error(self) -> None:
        self._confirming = None
        if self.error:
            self.error = ""
            self.query_one("#interval-error", Static).update("")

    @on(Input.Submitted)
    async def _submit(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            kind, value = parse_interval(event.value)
        except ValueError as err:
            self._refuse(str(err))
            return
        if kind == "seconds" and value == 0 and self._confirming != event.value:
            self._confirming = event.value
            self._refuse(ZERO_WARNING, "⚠")
            return
        reply = await self.apply(kind, value)
        if not reply.ok:  # the loop refused it: say why, change nothing
            self._refuse(f"the loop refused it: {reply.reason}")
            return
        self.dismiss(reply)

    def action_cancel(self) -> None:
        self.dismiss(None)
