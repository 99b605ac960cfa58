"""The footer: the most used keys of the screen, as many as fit, then ``? more``.

Each screen names its most used keys by binding id, most important first (the table's
list is :data:`looptui.ui.app.TABLE_KEYS`); the bar shows those whose binding is active
now and that fit in the width, and always ends with ``? more`` (the help screen lists
every key, and the command palette every action). A click on a key presses it.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.widget import Widget

__all__ = ["KeyBar", "fit_keys"]

MORE = ("?", "more")
"""The last entry, always shown: where every other key is."""

_GAP = 2
"""Cells between two entries."""


def fit_keys(entries: Sequence[tuple[str, str]], width: int) -> list[tuple[str, str]]:
    """The leading *entries* (``(key, description)``) that fit in *width* cells together
    with :data:`MORE`, which is always last."""
    room = width - (len(MORE[0]) + 1 + len(MORE[1]))
    shown: list[tuple[str, str]] = []
    for key, what in entries:
        need = len(key) + 1 + len(what) + _GAP
        if need > room:
            break
        room -= need
        shown.append((key, what))
    return [*shown, MORE]


class KeyBar(Widget):
    """One line of key hints for the screen it is on.

    Args:
        ids: Binding ids of the keys to show, most used first.
    """

    DEFAULT_CSS = """
    KeyBar {
        height: 1;
        background: $panel;
        padding: 0 1;
    }
    """

    def __init__(self, ids: Sequence[str], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.ids = tuple(ids)
        self._entries: list[tuple[str, str, str]] = []
        """``(shown key, description, key to press)`` of the active keys, in order."""
        self._spans: list[tuple[int, int, str]] = []

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._bindings_changed()

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, _screen: object = None) -> None:
        found: dict[str, tuple[str, Binding]] = {}
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            if binding.id in self.ids and binding.id not in found and active.enabled:
                found[binding.id] = (key, binding)
        entries = []
        for binding_id in self.ids:
            if binding_id in found:
                key, binding = found[binding_id]
                shown = binding.key_display or self.app.get_key_display(binding)
                entries.append((shown, binding.description.lower(), key))
        if entries != self._entries:
            self._entries = entries
            self.refresh()

    @property
    def plain(self) -> str:
        """What the bar shows now, as plain text (tests)."""
        return self.render().plain.rstrip()

    def render(self) -> Text:
        width = self.content_region.width or self.size.width
        press = {shown: key for shown, _, key in self._entries}
        fitted = fit_keys([(shown, what) for shown, what, _ in self._entries], width)
        line = Text(end="", no_wrap=True, overflow="crop")
        self._spans = []
        for k, (shown, what) in enumerate(fitted):
            if k:
                line.append(" " * _GAP)
            start = line.cell_len
            line.append(shown, style="bold")
            line.append(" ")
            line.append(what, style="dim")
            self._spans.append((start, line.cell_len, press.get(shown, "question_mark")))
        return line

    def on_click(self, event: events.Click) -> None:
        x = event.x - self.styles.padding.left
        for start, end, key in self._spans:
            if start <= x < end:
                event.stop()
                self.app.simulate_key(key)
                return
