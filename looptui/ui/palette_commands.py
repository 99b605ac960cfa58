"""The command palette's entries (ctrl+p): every action of the app, titled with its key.

Entries are made from the key bindings themselves, so the palette, the footer and the
``?`` help never disagree. Actions on a loop name the loop they will act on (the one
selected, or the one whose details are open) and are left out when there is none.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

from textual.actions import parse as parse_action
from textual.app import SystemCommand
from textual.binding import Binding
from textual.markup import escape

from .text import one_line

if TYPE_CHECKING:
    from textual.app import App

__all__ = ["LOOP_ACTIONS", "palette_commands"]

LOOP_ACTIONS = frozenset({"details", "stop", "cancel", "restart", "interval", "trigger",
                          "pause", "copy", "edit"})
"""Actions that act on one loop."""

_TITLES = {
    "details": "Details of", "stop": "Stop", "cancel": "Cancel", "restart": "Restart",
    "interval": "Change the interval of", "trigger": "Trigger now", "pause": "Pause / resume",
    "cycle_sort": "Sort: next order", "toggle_trouble": "Trouble only: on / off",
    "filter": "Filter by name", "toggle_log": "Log pane: show / hide", "help": "Help: keys",
    "request_quit": "Quit (loops stop gracefully)",
    "reload_error": "Traceback of the last failed reload", "reload": "Reload the module",
    "copy": "Copy the last traceback of", "edit": "Open in $EDITOR the source of",
    "first": "Select the first loop", "last": "Select the last loop",
    "columns_page": "Columns hidden on a narrow terminal: show / back",
}
"""Palette titles, by action (a binding's own description is shorter, for the footer)."""


def _key(binding: Binding) -> str:
    return binding.key_display or binding.key


def palette_commands(
    app: App[Any], bindings: Iterable[Binding], loop_name: str | None,
    others: Sequence[object] = (),
) -> list[SystemCommand]:
    """One entry per binding that has an id (the footer's and help's keys).

    Args:
        app: The app whose ``action_*`` methods run the commands.
        bindings: The bindings to list, in order.
        loop_name: The loop that loop actions apply to (``None``: leave them out).
        others: Where actions the app does not have are looked for next (the table's
            ``first``, ``last``...).
    """
    commands: list[SystemCommand] = []
    seen: set[str] = set()
    for binding in bindings:
        _, action, params = parse_action(binding.action.removeprefix("app."))
        if not binding.id or action in seen:
            continue
        method: Callable[..., object] | None = None
        for target in (app, *others):
            method = getattr(target, f"action_{action}", None)
            if method is not None:
                break
        if method is None:
            continue
        if params:
            method = functools.partial(method, *params)
        seen.add(action)
        title = _TITLES.get(action, binding.description)
        if action in LOOP_ACTIONS:
            if loop_name is None:
                continue
            title = f"{title} {one_line(loop_name, 60)}"
        help_text = f"key {_key(binding)} · {binding.tooltip or binding.description}"
        # The palette reads titles as markup: a loop named "[red]" stays those characters.
        commands.append(SystemCommand(escape(title), escape(help_text), method))
    return commands
