"""The header line: module, how many loops are in each state, event-loop lag."""

from __future__ import annotations

from collections import Counter
from operator import attrgetter
from typing import TYPE_CHECKING, Sequence

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from looptui.core.states import LoopState

from .. import format as fmt
from ..colours import DEFAULT_COLOURS, Colours
from ..text import one_line

if TYPE_CHECKING:
    from looptui.core.tracker import Tracker

__all__ = ["StatusHeader", "header_text"]

_STATE = attrgetter("state")
_ORDER = [s for s in (
    LoopState.RUNNING, LoopState.SLEEPING, LoopState.WAITING, LoopState.RETRYING,
    LoopState.PAUSED, LoopState.STOPPING, LoopState.IDLE, LoopState.FINISHED,
    LoopState.STOPPED, LoopState.CANCELLED, LoopState.FAILED,
)]


def header_text(
    module: str,
    trackers: Sequence[Tracker],
    lag: float | None,
    lag_max: float | None = None,
    *,
    status: str = "",
    main_state: str | None = None,
    blocked: int = 0,
    main_name: str | None = None,
    offline: bool = False,
    view: str = "",
    colours: Colours = DEFAULT_COLOURS,
    failed_tasks: int = 0,
) -> tuple[Text, Text]:
    """Left and right parts of the header.

    Left: ``looptui · mybot · offline · 12 loops: 3 running, 5 sleeping, 1 failed ·
    main failed (bot.run() at bot.py:88)``; right: ``lag 0.4 ms (max 2.1 ms)`` plus any
    status (``stopping…``) and how the table is sorted and filtered (*view*:
    ``sort: trouble first · trouble only, 9 hidden``). The right part is never cut; the
    left one is, with ``…``, on narrow terminals. Counts are in their state's colour
    (*colours*, from the app's theme).
    """
    counts = Counter(map(_STATE, trackers))
    left = Text(end="", no_wrap=True, overflow="ellipsis")
    left.append("looptui", style="bold")
    left.append(" · ", style="dim")
    left.append(one_line(module, 60), style="bold cyan")
    left.append(" · ", style="dim")
    if offline:
        left.append("offline", style="bold magenta")
        left.append(" · ", style="dim")
    n = len(trackers)
    left.append(f"{n} loop{'s' if n != 1 else ''}")
    if counts:
        left.append(": ")
        first = True
        for state in _ORDER:
            if counts.get(state):
                if not first:
                    left.append(" ")
                first = False
                left.append(f"{counts[state]} {state.value}",
                            style=colours.state(state))
    if blocked:
        left.append(" · ", style="dim")
        left.append(f"blocked {blocked}×", style=colours.style("trouble"))
    if failed_tasks:  # tasks that died with an exception nobody retrieved (a: tasks)
        left.append(" · ", style="dim")
        left.append(f"{failed_tasks} task{'s' if failed_tasks != 1 else ''} failed (a)",
                    style=colours.style("failed"))
    if main_state:
        left.append(" · ", style="dim")
        left.append(f"main {one_line(main_state, 20)}",
                    style=colours.style("failed" if main_state == "failed" else ""))
        if main_name:
            left.append(f" ({one_line(main_name, 80)})", style="dim")

    right = Text(end="", no_wrap=True)
    if status:
        alarm = "failed" in status
        right.append(f" {status} ", style=colours.style("failed" if alarm else "trouble")
                     + Style(reverse=True))
        right.append("  ")
    if view:
        right.append(view, style="bold")
        right.append("  ")
    lag_style = ""
    if lag is not None and lag > 0.1:
        lag_style = "failed"
    elif lag is not None and lag > 0.015:
        lag_style = "trouble-text"
    right.append(f"lag {fmt.lag_ms(lag)}", style=colours.style(lag_style))
    if lag_max is not None and lag_max > 0:
        right.append(f" (max {fmt.lag_ms(lag_max)})", style="dim")
    return left, right


class StatusHeader(Widget):
    """One line at the top: counts on the left, lag on the right.

    :meth:`show` repaints only when the text changed.
    """

    DEFAULT_CSS = """
    StatusHeader {
        height: 1;
        background: $panel;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._parts: tuple[Text, Text] = (Text(""), Text(""))
        self._key: object = None

    @property
    def plain(self) -> str:
        """The whole header as plain text (tests)."""
        return f"{self._parts[0].plain}  {self._parts[1].plain}"

    def show(self, parts: tuple[Text, Text]) -> None:
        left, right = parts
        key = (left.plain, right.plain, tuple(str(s.style) for s in left.spans),
               tuple(str(s.style) for s in right.spans))
        if key != self._key:
            self._key = key
            self._parts = parts
            self.refresh()

    def render(self) -> Text:
        left, right = self._parts
        width = self.content_region.width or self.size.width
        room = max(0, width - right.cell_len - 2)
        line = left.copy()
        if line.cell_len > room:
            line.truncate(room, overflow="ellipsis")
        line.pad_right(max(0, width - line.cell_len - right.cell_len))
        line.append_text(right)
        line.truncate(width, overflow="crop")
        return line
