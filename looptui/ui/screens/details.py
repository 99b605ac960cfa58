"""The details view (``enter``): everything known about one loop.

State and since when, the schedule with its next runs (absolute times), counters,
iteration history (a sparkline of durations, a strip of outcomes, a table of the last
records), every distinct exception with its full traceback (highlighted with Rich, after
sanitising), the loop's own captured output, and where it is defined.

The app calls :meth:`DetailsScreen.refresh_view` on its refresh tick; parts are rebuilt
only when the tracker changed, and the tracebacks only when the exceptions did.
"""

from __future__ import annotations

import datetime
import math
from typing import TYPE_CHECKING, Any, ClassVar, Sequence

from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from looptui.core import clock
from looptui.core.schedule import next_slot
from looptui.core.states import LoopState
from looptui.core.tracebacks import is_own_frame

from .. import format as fmt
from ..colours import colours_of
from ..text import one_line, safe_text
from ..widgets.key_bar import KeyBar
from ..widgets.log_pane import output_lines
from ..widgets.text_lines import TextLines

if TYPE_CHECKING:
    from rich.console import JustifyMethod

    from looptui.core.records import ExceptionInfo
    from looptui.core.tracker import Tracker
    from looptui.session.interface import SessionView

__all__ = ["DetailsScreen", "next_runs", "traceback_lines"]

NEXT_RUNS = 5
"""How many upcoming runs are listed."""
RECORDS = 10
"""How many of the latest iteration records are listed."""
HIGHLIGHT_LIMIT = 200_000
"""Tracebacks longer than this are shown without syntax highlighting (still complete)."""
LAZY_CHARS = 100_000
LAZY_LINES = 2_000
"""Beyond this many characters or lines, tracebacks are shown as plain lines styled only
when on screen (a 3,000-line traceback or a 200,000-line message would otherwise stall
every loop while the view is built)."""

_OUTCOME_MARK = {
    "ok": ("·", "green"),
    "failed": ("✖", "bold red"),
    "retried": ("↻", "dark_orange"),
    "cancelled": ("⊘", "yellow"),
    None: ("…", "bold bright_green"),
}
_SCHEDULED = frozenset({LoopState.SLEEPING, LoopState.RUNNING, LoopState.RETRYING,
                        LoopState.WAITING, LoopState.PAUSED})
_UTC = datetime.timezone.utc


def _interval_seconds(controls: Any) -> float | None:
    """A relative loop's interval, from a discord.py-style Loop's attributes."""
    try:
        total = 0.0
        found = False
        for attr, factor in (("seconds", 1.0), ("minutes", 60.0), ("hours", 3600.0)):
            value = getattr(controls, attr, None)
            if isinstance(value, (int, float)):
                total += value * factor
                found = True
        return total if found else None
    except Exception:  # a foreign loop's property failing must not break the view
        return None


def next_runs(tracker: Tracker, controls: Any, n: int = NEXT_RUNS) -> list[float]:
    """Epoch seconds of the next *n* runs: ``next_run`` then, when the controls say how
    the loop is scheduled (``time`` list or ``seconds``/``minutes``/``hours``), the ones
    after it. Empty when no run is scheduled."""
    first = tracker.next_run
    if first is None or tracker.state not in _SCHEDULED:
        return []
    if not math.isfinite(first):  # never (an infinite interval set by the program)
        return [first]
    runs = [first]
    times = None
    try:
        times = getattr(controls, "time", None)
    except Exception:
        times = None
    if isinstance(times, datetime.time):
        times = [times]
    if isinstance(times, (list, tuple)) and times and \
            all(isinstance(t, datetime.time) for t in times):
        after = datetime.datetime.fromtimestamp(first, _UTC)
        for _ in range(n - 1):
            try:
                after = next_slot(times, after)
            except Exception:
                break
            runs.append(after.timestamp())
        return runs
    step = _interval_seconds(controls)
    if step and 0 < step < math.inf:
        runs.extend(first + step * k for k in range(1, n))
    return runs


_BARS = " ▁▂▃▄▅▆▇█"


def duration_bars(records: list[Any], now: float) -> Text:
    """Two rows of bars, one column per iteration (newest right), plus an outcome row.

    Bar height is the duration on a scale from 0 to the longest shown (so equal
    durations look equal, not exaggerated); colour and the mark under it give the
    outcome. A body still running counts up to now.
    """
    values = [
        (r.duration if r.duration is not None else max(0.0, now - r.started)) for r in records
    ]
    top = max(values, default=0.0) or 1.0
    rows = (Text(end="", no_wrap=True), Text(end="", no_wrap=True),
            Text(end="", no_wrap=True))
    for record, value in zip(records, values, strict=True):
        level = 0 if value <= 0 else max(1, round(value / top * 16))
        mark, style = _OUTCOME_MARK.get(record.outcome, ("?", ""))
        rows[0].append(_BARS[max(0, level - 8)], style=style)
        rows[1].append(_BARS[min(8, level)], style=style)
        rows[2].append(mark, style=style)
    out = Text(end="", no_wrap=True)
    out.append_text(rows[0])
    out.append(f" {fmt.took(top if values else None)}\n", style="dim")
    out.append_text(rows[1])
    out.append(" 0\n", style="dim")
    out.append_text(rows[2])
    return out


def _await_stack(session: SessionView | None, tracker: Tracker) -> str:
    """What a stuck body is waiting for (the session knows how to find out)."""
    if session is None:  # a details screen in an app that is not looptui's
        return "(unknown)"
    try:
        return safe_text(session.await_stack(tracker.name), 20_000).rstrip()
    except Exception as err:  # a foreign task's frames must not break the view
        return f"(could not read the stack: {type(err).__name__})"


def traceback_lines(info: ExceptionInfo) -> list[Text]:
    """The sanitised traceback of *info*, highlighted when not huge, one Text per line.

    Frames of looptui's own code (the loop machinery around the user's body) are dimmed,
    so the user's frames stand out.
    """
    raw = safe_text(info.traceback or f"{info.type_name}: {info.message}")
    raw = raw.rstrip()
    if len(raw) <= HIGHLIGHT_LIMIT:
        text = Syntax("", "pytb", theme="ansi_dark").highlight(raw)
        text.style = ""
        text.end = ""
    else:
        text = Text(raw, end="")
    lines = list(text.split("\n", allow_blank=True))
    while lines and not lines[-1].plain.strip():
        lines.pop()
    own = False
    for line in lines:
        plain = line.plain
        if plain.startswith('  File "'):
            own = is_own_frame(plain[8:].split('"', 1)[0])
        elif not plain.startswith("    "):
            own = False
        if own:
            line.stylize("dim")
    return lines


def _own_frames(lines: Sequence[str]) -> list[bool]:
    """For each traceback line, whether it belongs to a frame of looptui's own code."""
    flags = []
    own = False
    for plain in lines:
        if plain.startswith('  File "'):
            own = is_own_frame(plain[8:].split('"', 1)[0])
        elif not plain.startswith("    "):
            own = False
        flags.append(own)
    return flags


def _big(infos: Sequence[ExceptionInfo]) -> bool:
    """Whether these tracebacks are too big to style and wrap all at once."""
    chars = lines = 0
    for info in infos:
        text = info.traceback or ""
        chars += len(text)
        lines += text.count("\n")
    return chars > LAZY_CHARS or lines > LAZY_LINES


class DetailsScreen(Screen[None]):
    """One loop in full. ``escape``, ``q`` (or ``backspace``) goes back to the table.

    The action keys of the table (``s``, ``x``, ``r``, ``i``, ``t``, ``p``, ``y`` copy the
    traceback, ``E`` open the source) act on the loop shown here; ``g``/``home`` and
    ``G``/``end`` go to the top and the bottom.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,backspace", "back", "Back", key_display="esc", id="back"),
        Binding("g,home", "top", "Top", key_display="g", show=False, id="top"),
        Binding("G,end", "bottom", "Bottom", key_display="G", show=False, id="bottom"),
    ]

    KEYS = ("back", "copy", "edit", "stop", "restart", "pause", "trigger", "interval", "top",
            "bottom")
    """Binding ids of the footer, most used first (then ``? more``)."""

    DEFAULT_CSS = """
    DetailsScreen #details-title {
        height: 1;
        background: $panel;
        padding: 0 1;
    }
    DetailsScreen #details-body {
        height: 1fr;
        padding: 0 1;
    }
    DetailsScreen .section {
        margin-top: 1;
        text-style: bold;
        color: $accent;
    }
    DetailsScreen #details-spark {
        height: 3;
    }
    DetailsScreen #details-traceback {
        height: 1;
        border-left: thick $error 50%;
        padding-left: 1;
    }
    DetailsScreen #details-output {
        height: 1;
        border-left: thick $primary 50%;
        padding-left: 1;
    }
    """

    def __init__(self, tracker: Tracker, tz: datetime.tzinfo | None = None) -> None:
        super().__init__()
        self.tracker = tracker
        self.tz = tz
        self._drawn_version = -1
        self._drawn_exceptions: tuple[int, ...] = ()
        self._drawn_output = -1
        self._drawn_second = -1
        self._ready = False
        # Widgets are kept as attributes: the refresh tick may come while the screen is
        # being taken down, when a query would find nothing.
        self._title_w = Static(id="details-title")
        self._info_w = Static(id="details-info")
        self._spark_w = Static(id="details-spark")
        self._outcomes_w = Static(id="details-outcomes")
        self._records_w = Static(id="details-records")
        self._exc_title_w = Static(Text("Exceptions", end=""), classes="section",
                                   id="exceptions-title")
        self._traceback_w = TextLines(follow=False, placeholder="No exception so far.",
                                      fit_height=30, id="details-traceback")
        self._out_title_w = Static(Text("Output", end=""), classes="section", id="output-title")
        self._output_w = TextLines(max_lines=2000, placeholder="No output captured.",
                                   fit_height=14, id="details-output")

    def compose(self) -> ComposeResult:
        yield self._title_w
        with VerticalScroll(id="details-body"):
            yield self._info_w
            yield Static(Text("History", end=""), classes="section")
            yield self._spark_w
            yield self._outcomes_w
            yield self._records_w
            yield self._exc_title_w
            yield self._traceback_w
            yield self._out_title_w
            yield self._output_w
        yield KeyBar(self.KEYS, id="details-keys")

    def on_mount(self) -> None:
        self._ready = True
        self.refresh_view()
        self.query_one("#details-body").focus()

    def on_unmount(self) -> None:
        self._ready = False

    def action_back(self) -> None:
        self.dismiss(None)

    def action_top(self) -> None:
        self.query_one("#details-body", VerticalScroll).scroll_home(animate=False)

    def action_bottom(self) -> None:
        self.query_one("#details-body", VerticalScroll).scroll_end(animate=False)

    # -------------------------------------------------------------- rendering
    def refresh_view(self, now: float | None = None) -> None:
        """Redraw what changed since the last call (cheap when nothing did)."""
        if not self._ready:  # composed and mounted, and not being removed
            return
        t = self.tracker
        now = clock.now() if now is None else now
        second = int(now)
        if t.version == self._drawn_version and second == self._drawn_second:
            return
        changed = t.version != self._drawn_version
        self._drawn_second = second
        self._drawn_version = t.version
        self._title_w.update(self._title(now))
        self._info_w.update(self._info(now))
        if changed:
            self._history(now)
            exceptions = tuple(id(e) for e in t.exceptions) + (id(t.last_exception),)
            if exceptions != self._drawn_exceptions:
                self._drawn_exceptions = exceptions
                self._exceptions()
            if t.output_total != self._drawn_output:
                self._output()

    def _title(self, now: float) -> Text:
        t = self.tracker
        text = Text(end="", no_wrap=True, overflow="ellipsis")
        text.append(one_line(t.name, 120), style="bold")
        text.append("  ")
        text.append(t.state.value, style=colours_of(self.app).state(t.state))
        text.append(f" since {fmt.clock_time(t.state_since, now, self.tz)}"
                    f" ({fmt.ago(t.state_since, now)})", style="dim")
        text.append("  · esc back", style="dim")
        return text

    def _info(self, now: float) -> Table:
        t = self.tracker
        controls = t.controls
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column()

        schedule = Text(one_line(t.schedule, 200) or "—", end="")
        if t.count is not None:
            schedule.append(f"  (count {t.count})", style="dim")
        grid.add_row("Schedule", schedule)

        runs = next_runs(t, controls)
        if runs:
            nxt = Text(end="")
            for k, ts in enumerate(runs):
                if k:
                    nxt.append(", ", style="dim")
                nxt.append(fmt.clock_time(ts, now, self.tz))
                if k == 0:
                    left = fmt.countdown(ts, now)
                    nxt.append(" (due)" if left == "due" else f" (in {left})", style="dim")
            if t.state is LoopState.PAUSED:
                nxt.append("  paused", style="magenta")
        else:
            nxt = Text("—", style="dim", end="")
        grid.add_row("Next runs", nxt)

        stats = t.stats
        counts = Text(end="")
        counts.append(fmt.iter_text(t.iterations, t.count))
        counts.append(f" this run · {stats.iterations} total", style="")
        counts.append(" · ")
        counts.append(f"{stats.failures} failed", style="bold red" if stats.failures else "")
        counts.append(f" · {stats.retries} retried")
        grid.add_row("Iterations", counts)

        durations = Text(end="")
        durations.append(f"last {fmt.took(stats.last_duration)}")
        durations.append(f" · mean {fmt.took(stats.mean_duration)}")
        durations.append(f" · p95 {fmt.took(stats.p95_duration)}")
        durations.append(f" · max lateness {fmt.took(stats.max_lateness)}")
        grid.add_row("Durations", durations)

        if t.current is not None:
            running = Text(f"iteration #{t.current.iteration} running for "
                           f"{fmt.took(max(0.0, now - t.current.started))}", end="")
            if t.notes.get("stuck"):
                running.stylize("bold yellow")
            grid.add_row("Now", running)

        where = Text(end="")
        if t.file:
            where.append(one_line(t.file, 300))
            if t.line:
                where.append(f":{t.line}")
        else:
            where.append("unknown", style="dim")
        where.append(f"  ({one_line(t.source, 30)})", style="dim")
        grid.add_row("Defined in", where)

        idle = t.notes.get("idle")
        if t.state is LoopState.IDLE:
            started = (f"not started: {idle['why']}" if isinstance(idle, dict) and idle.get("why")
                       else "never started: nothing called .start() on it (r starts it)")
            grid.add_row("Started", Text(one_line(started, 600), style="yellow", end=""))
        for key, value in sorted(t.notes.items()):
            if key == "idle":  # said in the Started row
                continue
            grid.add_row(Text(one_line(key, 30), end=""), self._note(value, now))
        if t.notes.get("stuck"):  # a body, or the error handler / after_loop
            stack = _await_stack(getattr(self.app, "session", None), t)  # (the looptui app's)
            grid.add_row("Awaiting", Text(stack, style="dim", end=""))
        return grid

    def _note(self, value: Any, now: float) -> Text:
        """Facts other layers attach (``blocked``, ``stuck`` …), shown generically:
        ``time`` as a clock time, ``duration``/``elapsed`` as a span, ``stack`` below."""
        if isinstance(value, dict):
            parts = []
            stack = None
            for key, item in value.items():
                if key.startswith("_"):  # bookkeeping of the layer that made the note
                    continue
                if key == "stack":
                    stack = item
                    continue
                if key in ("time", "since") and isinstance(item, (int, float)):
                    item = f"{fmt.clock_time(item, now, self.tz)} ({fmt.ago(item, now)})"
                elif key in ("duration", "elapsed", "running_for", "threshold") and \
                        isinstance(item, (int, float)):
                    item = fmt.took(item)
                elif isinstance(item, float):
                    item = f"{item:.3f}"
                parts.append(f"{key} {item}")
            text = Text(one_line(" · ".join(str(p) for p in parts), 400), end="")
            if stack:
                text.append("\n" + safe_text(stack, 20_000).rstrip(), style="dim")
            return text
        return Text(safe_text(value, 2000), end="")

    def _history(self, now: float) -> None:
        t = self.tracker
        records = list(t.history)
        durations = [r.duration for r in records if r.duration is not None]
        spark = self._spark_w
        width = max(10, (spark.size.width or 100) - 1)
        spark.update(duration_bars(records[-width:], now))

        summary = Text(end="", no_wrap=True, overflow="ellipsis")
        if durations:
            summary.append(f"{len(records)} records · durations "
                           f"{fmt.took(min(durations))}–{fmt.took(max(durations))} · "
                           "one column per iteration, newest right, height from 0 to the "
                           "longest", style="dim")
        else:
            summary.append("no iteration yet", style="dim")
        self._outcomes_w.update(summary)

        table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold dim")
        columns: tuple[tuple[str, JustifyMethod], ...] = (
            ("#", "right"), ("started", "left"), ("took", "right"), ("late", "right"),
            ("outcome", "left"), ("", "left"))
        for label, justify in columns:
            table.add_column(label, justify=justify, no_wrap=True,
                             overflow="ellipsis", max_width=60 if not label else None)
        note = t.notes.get("debugger") if t.notes else None
        debugged = note.get("_seq", -1) if isinstance(note, dict) else -1
        for record in reversed(records[-RECORDS:]):
            mark, style = _OUTCOME_MARK.get(record.outcome, ("?", ""))
            outcome = Text(f"{mark} {record.outcome or 'running'}", style=style)
            if record.triggered:
                outcome.append(" (trigger)", style="dim")
            if record.seq >= 0 and record.seq == debugged:
                outcome.append(" (in debugger)", style="dim")
            exc = record.exception
            table.add_row(
                str(record.iteration),
                fmt.clock_time(record.started, now, self.tz),
                fmt.took(record.duration),
                fmt.took(record.lateness),
                outcome,
                Text(one_line(f"{exc.type_name}: {exc.message}", 200), style="red") if exc else "",
            )
        self._records_w.update(table)

    def _exceptions(self) -> None:
        t = self.tracker
        infos: list[ExceptionInfo] = []
        if t.last_exception is not None:
            infos.append(t.last_exception)
        for info in reversed(t.exceptions):
            if info is not t.last_exception:
                infos.append(info)
        if _big(infos):
            self._exceptions_lazily(infos)
            return
        lines: list[Text] = []
        for k, info in enumerate(infos):
            head = Text(end="")
            head.append("Last exception" if k == 0 else "Earlier",
                        style="bold red" if k == 0 else "bold")
            head.append(f" · in {info.where} at {fmt.clock_time(info.time, info.time, self.tz)}",
                        style="dim")
            if info.retried:
                head.append(" · retried", style="dark_orange")
            if k:
                lines.append(Text("", end=""))
            lines.append(head)
            lines.extend(traceback_lines(info))
        title = f"Exceptions ({len(infos)} distinct)" if infos else "Exceptions"
        self._exc_title_w.update(Text(title, end=""))
        self._traceback_w.set_lines(lines)

    def _exceptions_lazily(self, infos: list[ExceptionInfo]) -> None:
        """Huge tracebacks: plain lines, styled (own frames dimmed) only when drawn."""
        items: list[str | Text] = []
        dim: set[int] = set()
        for k, info in enumerate(infos):
            head = Text(end="")
            head.append("Last exception" if k == 0 else "Earlier",
                        style="bold red" if k == 0 else "bold")
            head.append(f" · in {info.where} at {fmt.clock_time(info.time, info.time, self.tz)}"
                        " · long: shown without highlighting", style="dim")
            if k:
                items.append("")
            items.append(head)
            raw = safe_text(info.traceback or f"{info.type_name}: {info.message}").rstrip()
            lines = raw.split("\n")
            base = len(items)
            dim.update(base + i for i, own in enumerate(_own_frames(lines)) if own)
            items.extend(lines)

        def styler(index: int, line: str) -> Text:
            return Text(line, style="dim" if index in dim else "", end="")

        title = f"Exceptions ({len(infos)} distinct)"
        self._exc_title_w.update(Text(title, end=""))
        self._traceback_w.set_lazy(items, styler)

    def _output(self) -> None:
        """Show the loop's output: new lines are appended; all of it only at first or
        after more new lines than the loop's buffer keeps."""
        t = self.tracker
        view = self._output_w
        new = t.output_total - self._drawn_output
        output = t.output
        if self._drawn_output < 0 or new > len(output) or new < 0:
            lines = output_lines(list(output), None, self.tz)
            if t.dropped:
                lines.insert(0, Text(f"… {t.dropped:,} earlier lines dropped (buffer full)",
                                     style="dim italic", end=""))
            view.set_lines(lines)
            view.follow_end()
        elif new:
            view.append(output_lines(list(output)[-new:], None, self.tz))
        self._drawn_output = t.output_total
        self._out_title_w.update(
            Text(f"Output ({t.output_total:,} line{'s' if t.output_total != 1 else ''})",
                 end=""))
