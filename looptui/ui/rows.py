"""What each cell of the loop table shows for a tracker, as plain ``(text, style)`` pairs.

Kept apart from the widget so the text of every column is testable without a terminal,
and so the table can compare a cell's new ``(text, style)`` with what it drew last and
skip the update when nothing changed (the common case on every refresh tick).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from looptui.core.states import LoopState

from . import format as fmt
from .colours import STATE_TOKEN
from .process_column import PROCESS_COLUMN, loop_label, process_label
from .text import one_line

if TYPE_CHECKING:
    from looptui.core.tracker import Tracker

__all__ = ["COLUMNS", "Cell", "columns_for", "row_cells", "time_cells", "recently_blocked"]

Cell = tuple[str, str]
"""``(text, style token)`` of one cell: a token of :mod:`looptui.ui.colours` (``"failed"``,
``"muted"``, ...), turned into colours from the theme only when the cell is drawn."""

COLUMNS: tuple[tuple[str, str], ...] = (
    ("loop", "Loop"),
    ("status", "Status"),
    ("iter", "Iter"),
    ("every", "Every"),
    ("next", "Next"),
    ("last", "Last"),
    ("took", "Took"),
    ("errors", "Errors"),
    ("exception", "Last exception"),
)
"""``(key, label)`` of the table's columns, in order (users and scripts rely on them)."""


def columns_for(with_process: bool) -> tuple[tuple[str, str], ...]:
    """The table's columns: :data:`COLUMNS`, with Process after Loop when several
    programs are watched (see :mod:`looptui.ui.process_column`)."""
    if not with_process:
        return COLUMNS
    return (COLUMNS[0], PROCESS_COLUMN, *COLUMNS[1:])

_SCHEDULED_STATES = frozenset(
    {LoopState.SLEEPING, LoopState.RUNNING, LoopState.RETRYING, LoopState.WAITING}
)
"""States in which a next run can still happen (a countdown is meaningful)."""

EXCEPTION_CHARS = 300
"""Characters of an exception message looked at for the table (the rest is in details)."""


BLOCKED_RECENTLY = 60.0
"""A loop that blocked the event loop within this many seconds counts in the header."""


def recently_blocked(tracker: Tracker, now: float) -> bool:
    """Whether *tracker* blocked the event loop lately (the session notes each block)."""
    note = tracker.notes.get("blocked")
    if not note:
        return False
    when = note.get("time") if isinstance(note, dict) else None
    return not isinstance(when, (int, float)) or now - when < BLOCKED_RECENTLY


def _disconnected(tracker: Tracker) -> bool:
    """Whether *tracker* mirrors a loop of a program that went away (``looptui attach``)."""
    notes = tracker.notes
    return bool(notes) and bool(notes.get("disconnected"))


def time_cells(tracker: Tracker, now: float) -> tuple[Cell, Cell]:
    """The two cells that change with time alone: Next (countdown) and Last (ago)."""
    state = tracker.state
    if _disconnected(tracker):  # nothing is known of its schedule any more
        started = tracker.last_started
        return ("—", "muted"), (fmt.ago(started, now) if started is not None else "—", "muted")
    if state in _SCHEDULED_STATES and tracker.next_run is not None:
        left = tracker.next_run - now
        nxt = (fmt.countdown(tracker.next_run, now), "bold" if left < 1 else "")
    else:  # ended, idle, or paused (nothing runs until resumed)
        nxt = ("—", "dim")
    started = tracker.last_started
    if started is not None:
        last = (fmt.ago(started, now), "")
    else:
        last = ("—", "dim")
    return nxt, last


def _status(tracker: Tracker) -> Cell:
    """The state's word (a contract word, never decorated); a stuck body is highlighted."""
    state = tracker.state.value
    if tracker.notes.get("stuck") and tracker.is_active:  # a body, error handler or after_loop
        return (state, "alarm")
    return (state, STATE_TOKEN.get(state, ""))


def _seconds(note: object, key: str) -> float | None:
    value = note.get(key) if isinstance(note, dict) else getattr(note, key, None)
    return float(value) if isinstance(value, (int, float)) else None


def _exception(tracker: Tracker) -> Cell:
    """``Type: message`` of the last exception, after what the session noticed:
    ``stuck 42s`` (a body running far longer than its interval), ``blocked 2.1s``
    (the last time this loop's code blocked the event loop), why a ``waiting`` loop
    waits (``client not ready: main failed · try --offline``), why an ``idle`` one has not
    started (``not started: main failed before bot.py:21 ran · try --offline``)."""
    info = tracker.last_exception
    notes = tracker.notes
    prefix = ""
    stuck = notes.get("stuck")
    if stuck and tracker.is_active:
        running = _seconds(stuck, "running_for")
        prefix += f"stuck {fmt.duration(running)} · " if running is not None else "stuck · "
    blocked = notes.get("blocked")
    if blocked:
        seconds = _seconds(blocked, "duration")
        prefix += f"blocked {seconds:.1f}s · " if seconds is not None else "blocked · "
    waiting = notes.get("waiting")
    if isinstance(waiting, dict) and tracker.state is LoopState.WAITING and waiting.get("reason"):
        prefix += f"{one_line(str(waiting['reason']), 80)} · "
    idle = notes.get("idle")
    if isinstance(idle, dict) and tracker.state is LoopState.IDLE and idle.get("reason"):
        prefix += f"{one_line(str(idle['reason']), 80)} · "
    if info is None:
        return (prefix.rstrip(" ·"), "trouble-text") if prefix else ("", "")
    text = one_line(f"{info.type_name}: {info.message}" if info.message else info.type_name,
                    EXCEPTION_CHARS)
    failed = tracker.state is LoopState.FAILED or info.where != "body"
    style = "trouble-text" if info.retried or not failed else "failed-text"
    return (prefix + text, style)


def _name_style(tracker: Tracker) -> str:
    """A failed loop's name is as red as its state, so the row stands out at a glance."""
    if tracker.state is LoopState.FAILED:
        return "failed"
    return "bold" if tracker.is_active else ""


def row_cells(tracker: Tracker, now: float, with_process: bool = False) -> tuple[Cell, ...]:
    """Every cell of *tracker*'s row, in :func:`columns_for` order."""
    nxt, last = time_cells(tracker, now)
    failures = tracker.failures + tracker.retries  # every error, retried or not
    name: Cell = (one_line(loop_label(tracker, with_process), 120), _name_style(tracker))
    if with_process:
        cells = (name, (process_label(tracker), ""), *_rest(tracker, nxt, last, failures))
    else:
        cells = (name, *_rest(tracker, nxt, last, failures))
    if _disconnected(tracker):
        return _greyed(cells, 2 if with_process else 1)
    return cells


def _greyed(cells: tuple[Cell, ...], status_at: int) -> tuple[Cell, ...]:
    """A row of a program that went away: every cell grey, Status ``disconnected`` (the
    last state the program reported stays in the details)."""
    greyed = [(text, "muted") for text, _ in cells]
    greyed[status_at] = ("disconnected", "muted")
    return tuple(greyed)


def _rest(tracker: Tracker, nxt: Cell, last: Cell, failures: int) -> tuple[Cell, ...]:
    """The cells after Loop (and Process): Status to Last exception."""
    return (
        _status(tracker),
        (fmt.iter_text(tracker.iterations, tracker.count), ""),
        (one_line(tracker.schedule, 60), ""),
        nxt,
        last,
        (fmt.took(tracker.last_duration), "" if tracker.last_duration is not None else "dim"),
        (str(failures), "failed" if failures else "dim"),
        _exception(tracker),
    )
