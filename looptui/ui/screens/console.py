"""The ``c`` console: Python evaluated in the program's namespace, on its event loop.

An input line at the bottom, the transcript above. What is typed is sent to the session
(in this process, or the program's agent over attach) only when it is a whole
statement: after ``if x:`` or an open bracket the prompt becomes ``...`` and the next
lines join it (an empty line ends a block). Each result is shown pretty-printed and
highlighted, an exception as its traceback, what the code printed above it. ``↑``/``↓``
walk the history (kept while looptui runs), ``ctrl+c`` cancels an evaluation that is
waiting (or clears the line), ``escape`` goes back to the table.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any, ClassVar

from rich.highlighter import ReprHighlighter
from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input, RichLog, Static

from looptui.session.front import is_complete

from ..text import one_line, safe_text

__all__ = ["HISTORY_SIZE", "ConsoleInput", "ConsoleScreen"]

HISTORY_SIZE = 500
"""Statements kept in the history."""
_IDS = itertools.count(1)


class ConsoleInput(Input):
    """The console's input line: ``↑``/``↓`` walk the history; ``enter`` hands the line
    over and empties the input at once (keys typed right after it, a paste, start the
    next line instead of joining the one being handed over)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "history(-1)", "Previous", show=False),
        Binding("down", "history(1)", "Next", show=False),
    ]

    class Line(Message):
        """A line was entered."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    async def action_submit(self) -> None:
        text, self.value = self.value, ""
        self.post_message(self.Line(text))

    async def _on_key(self, event: events.Key) -> None:
        # ``enter`` is taken here, in order with the keys typed around it: as a binding
        # it would be handled after the printable keys that follow it in one read
        # (typed fast, or sent by tmux), which would join the next line to this one.
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            await self.action_submit()
        # other keys: Input's own handler runs after this one (Textual calls each class's)

    def _on_paste(self, event: events.Paste) -> None:
        """Pasted lines are entered one by one, as if typed (the last one stays in the
        input, unless the paste ends with a newline)."""
        text = event.text.replace("\r\n", "\n").replace("\r", "\n")
        if "\n" not in text:
            return  # Input's own paste
        event.prevent_default()
        event.stop()
        *lines, rest = text.split("\n")
        lines[0] = self.value + lines[0]
        for line in lines:
            self.post_message(self.Line(line))
        self.value = rest
        self.cursor_position = len(rest)

    def action_history(self, step: int) -> None:
        screen = self.screen
        if isinstance(screen, ConsoleScreen):
            screen.walk_history(step)


class ConsoleScreen(Screen[None]):
    """See the module doc.

    Args:
        ask: Sends one request to the session and returns its reply (``session.debug``).
        history: The statements typed so far (shared between openings; newest last).
        where: What the code runs in, for the title (``bot.py``, ``bot[1234]``).
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", key_display="esc"),
        Binding("ctrl+l", "clear", "Clear", key_display="ctrl+l"),
    ]

    DEFAULT_CSS = """
    ConsoleScreen #console-title { height: 1; background: $panel; padding: 0 1; }
    ConsoleScreen #console-log { height: 1fr; padding: 0 1; }
    ConsoleScreen #console-input { height: 1; border: none; padding: 0 1; }
    """

    def __init__(self, ask: Callable[[dict[str, Any]], Any], history: list[str],
                 where: str = "") -> None:
        super().__init__()
        self.ask = ask
        self.history = history
        self.where = where
        self.buffer: list[str] = []
        self.running: int | None = None
        self.typed_ahead: list[str] = []
        self.results: list[dict[str, Any]] = []
        self._walk = len(history)
        self._highlight = ReprHighlighter()
        self._log = RichLog(wrap=True, markup=False, highlight=False, max_lines=5000,
                            id="console-log")
        self._input = ConsoleInput(placeholder=">>> Python here: module globals, loops, "
                                   "clients; await works", id="console-input")

    def compose(self) -> ComposeResult:
        title = Text(end="", no_wrap=True, overflow="ellipsis")
        title.append("console", style="bold")
        if self.where:
            title.append(f" · in {one_line(self.where, 60)}")
        title.append(" · loops, clients · await works · ctrl+c cancels · esc back",
                     style="dim")
        yield Static(title, id="console-title")
        yield self._log
        yield self._input
        yield Footer()

    def on_mount(self) -> None:
        self._input.focus()

    # ------------------------------------------------------------ typing
    @property
    def prompt(self) -> str:
        return "... " if self.buffer else ">>> "

    def on_console_input_line(self, event: ConsoleInput.Line) -> None:
        event.stop()
        line = event.text.replace(" ⏎ ", "\n")  # a statement recalled from the history
        if self.running is not None:  # typed ahead: entered when the evaluation is done
            self.typed_ahead.append(line)
            return
        self.enter_line(line)

    def enter_line(self, line: str) -> None:
        """One line, as if typed at the prompt: a whole statement is evaluated."""
        self._log.write(Text(self.prompt + safe_text(line), style="bold", end=""))
        self.buffer.append(line)
        source = "\n".join(self.buffer)
        if not source.strip():
            self.buffer.clear()
            return
        if not is_complete(source):
            self._input.placeholder = "... (an empty line ends the block)"
            return
        self.buffer.clear()
        self._input.placeholder = ">>>"
        self.remember(source)
        ident = next(_IDS)
        self.running = ident  # at once: a line typed right after waits for this one
        self.evaluate(source, ident)

    def remember(self, source: str) -> None:
        if not self.history or self.history[-1] != source:
            self.history.append(source)
            del self.history[:-HISTORY_SIZE]
        self._walk = len(self.history)

    def walk_history(self, step: int) -> None:
        if not self.history:
            return
        self._walk = max(0, min(len(self.history), self._walk + step))
        text = self.history[self._walk] if self._walk < len(self.history) else ""
        self._input.value = text.replace("\n", " ⏎ ") if "\n" in text else text
        self._input.cursor_position = len(self._input.value)

    # ------------------------------------------------------------ running
    @work(group="console-eval")
    async def evaluate(self, source: str, ident: int) -> None:
        """Send *source* to the program and show what came back; then the lines typed
        meanwhile."""
        try:
            reply = await self.ask({"type": "eval", "source": source, "eval": ident})
        finally:
            if self.running == ident:
                self.running = None
        reply = reply if isinstance(reply, dict) else {"ok": False, "reason": "no answer"}
        self.results.append(reply)
        self.show_reply(reply)
        while self.typed_ahead and self.running is None:
            self.enter_line(self.typed_ahead.pop(0))

    def show_reply(self, reply: dict[str, Any]) -> None:
        log = self._log
        output = reply.get("output")
        if output:
            log.write(Text(safe_text(str(output)).rstrip("\n"), end=""))
        if reply.get("cancelled"):
            log.write(Text("cancelled", style="bold yellow", end=""))
        elif reply.get("error"):
            log.write(Text(safe_text(str(reply["error"])).rstrip("\n"), style="red", end=""))
        elif reply.get("result") is not None:
            log.write(self._highlight(Text(safe_text(str(reply["result"])), end="")))
        elif not reply.get("ok") and reply.get("reason"):
            log.write(Text(f"refused: {safe_text(str(reply['reason']))}", style="bold red",
                           end=""))

    def interrupt(self) -> None:
        """``ctrl+c``: cancel the evaluation in progress, else drop what is typed."""
        if self.running is not None:
            self.typed_ahead.clear()
            self._send_cancel(self.running)
            return
        self.buffer.clear()
        self._input.value = ""
        self._input.placeholder = ">>>"
        self._log.write(Text("KeyboardInterrupt", style="dim", end=""))

    @work(group="console-cancel")
    async def _send_cancel(self, ident: int) -> None:
        await self.ask({"type": "eval", "action": "cancel", "eval": ident})

    def action_clear(self) -> None:
        self._log.clear()

    def action_back(self) -> None:
        self.dismiss(None)
