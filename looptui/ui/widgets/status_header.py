"""The header line: trouble first, then module, how many loops are in each state, lag."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
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

__all__ = ["Part", "StatusHeader", "fit_header", "header_text"]

_STATE = attrgetter("state")
TROUBLE_STATES = (LoopState.FAILED, LoopState.RETRYING)
"""States counted first and never cut from the header."""
_ORDER = [
    LoopState.RUNNING, LoopState.SLEEPING, LoopState.WAITING, LoopState.PAUSED,
    LoopState.STOPPING, LoopState.IDLE, LoopState.FINISHED, LoopState.STOPPED,
    LoopState.CANCELLED,
]
"""The other states, in the order they are counted (dropped from the end when narrow)."""

NEVER = 0.0
"""Rank of the parts a narrow header never drops: trouble comes first and stays."""


@dataclass
class Part:
    """One part of the header: its text and, when room is short, a shorter form.

    Parts are dropped (or shortened first, when they have a *short* form) from the
    highest *rank* down until the header fits; rank :data:`NEVER` parts always stay.
    """

    text: Text
    rank: float
    right: bool = False
    """Drawn at the right end of the line (status, view, lag) instead of the left."""
    short: Text | None = None
    short_rank: float = NEVER
    count: bool = False
    """A state count: when some are dropped, ``…`` says so."""


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
    startup: float | None = None,
    failed_tasks: int = 0,
) -> list[Part]:
    """The parts of the header, in the order they are drawn.

    Left: ``looptui · mybot · offline · 12 loops: 1 failed · 1 retrying · 3 running ·
    5 sleeping · main failed (bot.run() at bot.py:88)``; right: any status
    (``reload failed: … (e: traceback)``, ``stopping…``), how the table is sorted and
    filtered (*view*), and ``lag 0.4 ms (max 2.1 ms)``. Trouble (failed and retrying
    counts, loops that blocked the event loop, tasks that died with an exception nobody
    retrieved, a failed main) comes first and is never
    cut; on a narrow terminal the lag, the view, the name of the program and the calm
    counts give way first, and a status keeps a short form. Counts are in their state's
    colour (*colours*, from the app's theme). *startup*: how long start-up (the program's
    import) held the event loop, shown apart from ``max`` for a few seconds after it
    (``max 2.1 ms · start-up 1,138 ms``), so it does not read as a loop blocking.
    """
    counts = Counter(map(_STATE, trackers))
    parts: list[Part] = [Part(Text("looptui", style="bold"), 9.0),
                         Part(Text(one_line(module, 60), style="bold cyan"), 6.0)]
    if offline:
        parts.append(Part(Text("offline", style="bold magenta"), 4.0))
    n = len(trackers)
    parts.append(Part(Text(f"{n} loop{'s' if n != 1 else ''}" + (":" if counts else "")), 3.0))
    for state in TROUBLE_STATES:
        if counts.get(state):
            parts.append(Part(Text(f"{counts[state]} {state.value}",
                                   style=colours.state(state)), NEVER, count=True))
    if blocked:
        parts.append(Part(Text(f"blocked {blocked}×", style=colours.style("trouble")), NEVER))
    if failed_tasks:  # tasks that died with an exception nobody retrieved (a: tasks)
        word = "task" if failed_tasks == 1 else "tasks"
        parts.append(Part(Text(f"{failed_tasks} {word} failed (a)",
                               style=colours.style("failed")), NEVER))
    main = Text(f"main {one_line(main_state or '', 20)}",
                style=colours.style("failed" if main_state == "failed" else ""))
    named = main.copy()
    if main_name:
        named.append(f" ({one_line(main_name, 80)})", style="dim")
    if main_state == "failed":
        parts.append(Part(named, 7.0, short=main, short_rank=NEVER))
    calm = [state for state in _ORDER if counts.get(state)]
    for k, state in enumerate(calm):
        parts.append(Part(Text(f"{counts[state]} {state.value}", style=colours.state(state)),
                          2.0 + (k + 1) / 100, count=True))
    if main_state and main_state != "failed":
        parts.append(Part(named, 7.0, short=main, short_rank=2.5))
    if status:
        alarm = "failed" in status
        style = colours.style("failed" if alarm else "trouble") + Style(reverse=True)
        short = "reload failed (e)" if status.startswith("reload failed") else one_line(status, 24)
        parts.append(Part(Text(f" {status} ", style=style), 5.0, right=True,
                          short=Text(f" {short} ", style=style), short_rank=1.0))
    if view:
        parts.append(Part(Text(view, style="bold"), 5.5, right=True))
    lag_style = ""
    if lag is not None and lag > 0.1:
        lag_style = "failed"
    elif lag is not None and lag > 0.015:
        lag_style = "trouble-text"
    lag_text = Text(f"lag {fmt.lag_ms(lag)}", style=colours.style(lag_style))
    extra = []
    if lag_max is not None and lag_max > 0:
        extra.append(f"max {fmt.lag_ms(lag_max)}")
    if startup:
        extra.append(f"start-up {fmt.lag_ms(startup)}")
    if extra:
        full = lag_text.copy()
        full.append(f" ({' · '.join(extra)})", style="dim")
        parts.append(Part(full, 8.0, right=True, short=lag_text, short_rank=8.5))
    else:
        parts.append(Part(lag_text, 8.5, right=True))
    return parts


def fit_header(parts: Sequence[Part], width: int) -> Text:
    """One line of *width* cells: left parts joined by `` · ``, right parts at the end.

    Parts are shortened or dropped by rank (highest first) until the line fits; a part
    of rank :data:`NEVER` is kept, and only if those alone do not fit is the line cut.
    """
    forms: list[Text | None] = [p.text for p in parts]
    ranks = [p.rank for p in parts]

    def line_width() -> int:
        left = [f for p, f in zip(parts, forms, strict=False) if f is not None and not p.right]
        right = [f for p, f in zip(parts, forms, strict=False) if f is not None and p.right]
        total = sum(f.cell_len for f in left) + 3 * max(0, len(left) - 1)
        total += sum(f.cell_len for f in right) + 2 * max(0, len(right) - 1)
        if left and right:
            total += 2
        if dropped_count():
            total += 2
        return total

    def dropped_count() -> bool:
        return any(p.count and f is None for p, f in zip(parts, forms, strict=False))

    while line_width() > width:
        k = max(range(len(parts)), key=lambda i: ranks[i] if forms[i] is not None else -1)
        if forms[k] is None or ranks[k] <= NEVER:
            break
        part = parts[k]
        if part.short is not None and forms[k] is part.text:
            forms[k] = part.short
            ranks[k] = part.short_rank
        else:
            forms[k] = None
    # Dropping by rank may leave room a dropped part fits in: put back what fits, most
    # important first (the lag after the counts were cut, say).
    def keep_first(i: int) -> float:
        part = parts[i]
        return min(part.rank, part.short_rank) if part.short is not None else part.rank

    for k in sorted(range(len(parts)), key=keep_first):
        if forms[k] is None:
            for form in (parts[k].text, parts[k].short):
                if form is not None:
                    forms[k] = form
                    if line_width() <= width:
                        break
                    forms[k] = None
    line = Text(end="", no_wrap=True, overflow="ellipsis")
    right = Text(end="", no_wrap=True)
    last_count = max((i for i, (p, f) in enumerate(zip(parts, forms, strict=False))
                      if p.count and f is not None), default=-1)
    more = dropped_count()
    for i, (part, form) in enumerate(zip(parts, forms, strict=False)):
        if form is None:
            continue
        if part.right:
            if right.cell_len:
                right.append("  ")
            right.append_text(form)
            continue
        if line.cell_len:
            line.append(" " if part.count and line.plain.endswith(":") else " · ", style="dim")
        line.append_text(form)
        if more and i == last_count:
            line.append(" …", style="dim")
    room = max(0, width - right.cell_len - (2 if right.cell_len else 0))
    if line.cell_len > room:
        line.truncate(room, overflow="ellipsis")
    line.pad_right(max(0, width - line.cell_len - right.cell_len))
    line.append_text(right)
    line.truncate(width, overflow="crop")
    return line


class StatusHeader(Widget):
    """One line at the top: trouble and counts on the left, status and lag on the right.

    :meth:`show` repaints only when the text changed; :func:`fit_header` fits it to the
    width when it is drawn.
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
        self._parts: list[Part] = []
        self._key: object = None

    @property
    def plain(self) -> str:
        """The whole header as plain text, nothing left out (tests)."""
        return fit_header(self._parts, 10_000).plain.rstrip()

    def show(self, parts: list[Part]) -> None:
        key = tuple((p.text.plain, str(p.text.style), p.rank) for p in parts)
        if key != self._key:
            self._key = key
            self._parts = parts
            self.refresh()

    def render(self) -> Text:
        return fit_header(self._parts, self.content_region.width or self.size.width)
