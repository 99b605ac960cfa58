"""The orders the loop table can be sorted in: ``o`` cycles five, a column header picks one.

An order is a key function over trackers; sorting is stable and starts from definition
order (the registry's), so loops that compare equal keep the order they were defined in.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Callable

from .interval_parse import parse_interval
from .process_column import loop_label, process_label
from .trouble import Context, trouble_rank

if TYPE_CHECKING:
    from looptui.core.tracker import Tracker

__all__ = ["SortOrder", "ORDERS", "CYCLE", "BY_COLUMN", "DEFINITION", "next_order",
           "sort_trackers"]

_LAST = float("inf")


@dataclass(frozen=True)
class SortOrder:
    """One way to order the rows.

    Attributes:
        id: Its name in code (``"trouble"``).
        label: What the header shows (``"trouble first"``).
        key: Key of a tracker under a :class:`~looptui.ui.trouble.Context`, or ``None``
            for definition order.
    """

    id: str
    label: str
    key: Callable[[Tracker, Context], Any] | None  # a value sorted() can compare


@lru_cache(maxsize=512)
def _period(schedule: str) -> tuple[int, float, str]:
    """Relative intervals by length first, then ``time=`` schedules by their text."""
    try:
        parsed = parse_interval(schedule)
    except ValueError:
        return (2, 0.0, schedule)
    return (0, float(parsed[1]), "") if parsed[0] == "seconds" else (1, 0.0, schedule)


def _errors(t: Tracker, c: Context) -> object:
    return -(t.failures + t.retries)


def _next(t: Tracker, c: Context) -> object:
    return t.next_run if t.next_run is not None else _LAST


def _took(t: Tracker, c: Context) -> object:
    return -t.last_duration if t.last_duration is not None else _LAST


def _last_run(t: Tracker, c: Context) -> object:
    started = t.last_started
    return -started if started is not None else _LAST


def _exception(t: Tracker, c: Context) -> object:
    info = t.last_exception
    return (0, info.type_name, info.message) if info is not None else (1, "", "")


def _process(t: Tracker, c: Context) -> object:
    """By program label, then by the loop's name in its program."""
    return (process_label(t).lower(), loop_label(t, True).lower())


ORDERS: dict[str, SortOrder] = {order.id: order for order in (
    SortOrder("definition", "definition", None),
    SortOrder("trouble", "trouble first", trouble_rank),
    SortOrder("errors", "errors", _errors),
    SortOrder("next", "next run", _next),
    SortOrder("took", "last duration", _took),
    SortOrder("name", "name", lambda t, c: t.name.lower()),
    SortOrder("iterations", "iterations", lambda t, c: -t.iterations),
    SortOrder("every", "interval", lambda t, c: _period(t.schedule)),
    SortOrder("last", "last run", _last_run),
    SortOrder("exception", "last exception", _exception),
    SortOrder("process", "process", _process),
)}
"""Every order, by id."""

DEFINITION = ORDERS["definition"]

CYCLE: tuple[str, ...] = ("definition", "trouble", "errors", "next", "took")
"""The orders ``o`` goes through, in turn (the README's Keys table lists them)."""

BY_COLUMN: dict[str, str] = {
    "loop": "name", "status": "trouble", "iter": "iterations", "every": "every",
    "next": "next", "last": "last", "took": "took", "errors": "errors",
    "exception": "exception", "process": "process",
}
"""The order a click on each column's header picks (most telling value on top)."""


def next_order(current: str) -> str:
    """The order after *current* in :data:`CYCLE` (from one a header picked: the first)."""
    if current in CYCLE:
        return CYCLE[(CYCLE.index(current) + 1) % len(CYCLE)]
    return CYCLE[0]


def sort_trackers(trackers: list[Tracker], order: SortOrder, context: Context) -> list[Tracker]:
    """*trackers* (in definition order) sorted by *order*; stable, so ties keep it."""
    key = order.key
    if key is None:
        return trackers
    return sorted(trackers, key=lambda t: key(t, context))
