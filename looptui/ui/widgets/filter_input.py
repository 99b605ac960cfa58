"""The ``/`` filter: an input that narrows the table to loops whose name contains it."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Input

__all__ = ["FilterInput"]


class FilterInput(Input):
    """Typing narrows the rows; ``enter`` goes back to the table; ``escape`` clears.

    | Key(s) | Description |
    | :- | :- |
    | enter | Back to the table, first match selected (the filter stays). |
    | escape | Clear the filter and go back to the table. |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "submit", "Back to table", key_display="enter"),
        Binding("escape", "clear_filter", "Clear filter", key_display="esc"),
    ]

    DEFAULT_CSS = """
    FilterInput {
        display: none;
        height: 1;
    }
    FilterInput.-shown {
        display: block;
    }
    """

    class Cleared(Message):
        """The user pressed ``escape``: the filter is now empty."""

        def __init__(self, filter_input: FilterInput) -> None:
            super().__init__()
            self.filter_input = filter_input

        @property
        def control(self) -> FilterInput:
            return self.filter_input

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(placeholder="/ filter loops by name", compact=True, id=id)

    def action_clear_filter(self) -> None:
        self.value = ""
        self.post_message(self.Cleared(self))
