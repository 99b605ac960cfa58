"""The screen shown when the target fails to import at start: its traceback, then waiting.

As nodemon-style tools do, looptui keeps watching the program's folder: each save of a
``.py`` file there tries the import again (*retry*); when it succeeds this app ends and
the table takes over with the loops; when it fails again, the new traceback is shown.
``q`` (or ``ctrl+c``) gives up: looptui exits with status 1, as without the wait.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from .screens.details import traceback_lines
from .text import one_line

__all__ = ["ImportErrorApp", "Retry"]

Retry = Callable[[], Awaitable["str | None"]]
"""Tries the import again: ``None`` when it worked, else the new error text."""


class ImportErrorApp(App[bool]):
    """Shows *error* and waits for a save in *folder*; returns True once *retry* worked.

    Args:
        target: What was imported (shown in the title).
        error: The error message (the user's traceback included).
        folder: Where saves are watched (``.py`` files, as hot reload watches them).
        retry: Called after each save (see :data:`Retry`).
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q,ctrl+c,escape", "give_up", "Quit", priority=True),
    ]

    CSS = """
    #import-title { background: $error 30%; padding: 0 1; text-style: bold; }
    #import-body { padding: 0 1; }
    #import-wait { background: $panel; padding: 0 1; }
    """

    def __init__(self, target: str, error: str, folder: str, retry: Retry) -> None:
        super().__init__()
        self.target = target
        self.error = error
        self.folder = folder
        self.retry = retry
        self.attempts = 0
        """Imports tried after a save."""
        self._stop = asyncio.Event()

    def compose(self) -> ComposeResult:
        yield Static(id="import-title")
        with VerticalScroll(id="import-body"):
            yield Static(id="import-error")
        yield Static(id="import-wait")

    def on_mount(self) -> None:
        self._show(self.error, "waiting")
        self._watch()

    def _show(self, error: str, what: str) -> None:
        self.query_one("#import-title", Static).update(
            Text(f"{one_line(self.target, 100)} failed to import", end=""))
        lines = error.rstrip().split("\n")
        if lines and lines[-1].startswith("Fix it and run looptui again"):
            lines.pop()  # it is watched instead: saving the fix is enough
        body = Text("\n", end="").join(traceback_lines(SimpleNamespace(  # type: ignore[arg-type]
            traceback="\n".join(lines), type_name="", message="")))
        self.query_one("#import-error", Static).update(body)
        line = Text(end="")
        line.append("waiting for a save", style="bold")
        line.append(f" in {one_line(self.folder, 60)}", style="dim")
        if what == "again":
            line.append(f" · failed again ({self.attempts})", style="bold red")
        line.append(" · q quits", style="dim")
        self.query_one("#import-wait", Static).update(line)

    @work(exclusive=True, group="watch")
    async def _watch(self) -> None:
        from watchfiles import awatch

        from looptui.session.front import python_source_filter

        async for _changes in awatch(self.folder, watch_filter=python_source_filter,
                                     stop_event=self._stop):
            self.attempts += 1
            error = await self.retry()
            if error is None:
                self._stop.set()
                self.exit(True)
                return
            self._show(error, "again")

    def action_give_up(self) -> None:
        self._stop.set()
        self.exit(False)
