"""How the loop table's columns share the terminal's width: by priority, never scrolling.

Loop and Status are always shown; Last exception comes next and gets a fair share of the
width before any lower column; then Next, Errors, Iter, and last Every, Last, Took. A
column that does not fit is dropped together with every column below it, and the table
says how many are hidden (``+3 columns: →``); ``→`` shows them in place of the others
(:data:`PAGES`). Wider terminals raise the caps of the capped columns (Loop, Every,
Process), so a long name is cut only when room is really short.

Pure functions of widths: the table calls :func:`fit` only when its width, its columns
or the width a column wants changed, never on every refresh tick.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

__all__ = ["PRIORITY", "ColumnFit", "fit", "hidden_hint", "soft_cap"]

PRIORITY: tuple[str, ...] = ("loop", "status", "exception", "process", "next", "errors",
                             "iter", "every", "last", "took")
"""Column keys, most important first (Loop and Status are always shown)."""

_ALWAYS = frozenset({"loop", "status"})

_FLOOR = {"loop": 20, "process": 8, "every": 5, "exception": 14}
"""Narrowest a column may be cut to before it is dropped instead (``…`` marks the cut)."""

_CAP = {"loop": 28, "process": 18, "status": 12, "iter": 13, "every": 18, "next": 7,
        "last": 8, "took": 7, "errors": 6}
"""Widest a column is at 100 columns (longer text is cut with ``…``; details show it
whole); :func:`soft_cap` raises the caps of Loop, Every and Process on wider terminals."""

_GROWS = frozenset({"loop", "every", "process"})

_MIN_LAST = 6
"""Cells Last exception (and, on a tiny terminal, Loop) keep at the very least."""

EXCEPTION_SHARE = 0.4
"""Last exception is given up to this share of the width before lower columns get any."""


@dataclass(frozen=True)
class ColumnFit:
    """The columns to show, with their widths (content cells, padding not included)."""

    widths: dict[str, int]
    """Width of each shown column, in display order."""
    hidden: tuple[str, ...] = field(default=())
    """Columns left out for want of room, in display order."""


def soft_cap(key: str, available: int) -> int | None:
    """The most *key* is widened to at *available* cells (``None``: no cap)."""
    cap = _CAP.get(key)
    if cap is None:
        return None
    if key in _GROWS and available > 100:
        cap += (available - 100) // 3
    return cap


def fit(order: Sequence[str], wants: Mapping[str, int], available: int, padding: int,
        *, page: int = 0) -> ColumnFit:
    """Choose the shown columns and their widths.

    Args:
        order: The table's column keys, in display order.
        wants: How wide each column would like to be (its widest text so far).
        available: Cells of width the table has.
        padding: Cells each column adds around its text (both sides).
        page: ``0``: columns by :data:`PRIORITY`; ``1``: the columns that page 0 hides,
            shown first (Loop and Status stay, Last exception gets what is left).

    Returns:
        The widths of the shown columns (the last shown one takes the room left) and the
        keys of the hidden ones.
    """
    present = [key for key in PRIORITY if key in order] + \
        [key for key in order if key not in PRIORITY]

    def want(key: str) -> int:
        value = max(1, wants.get(key, 1))
        cap = soft_cap(key, available)
        return min(value, cap) if cap is not None else value

    def floor(key: str) -> int:
        return min(want(key), _FLOOR.get(key, want(key)))

    optional = [key for key in present if key not in _ALWAYS and key != "exception"]
    exception_room = 0
    if "exception" in present:
        share = max(_FLOOR["exception"], int(available * EXCEPTION_SHARE))
        exception_room = min(max(want("exception"), _FLOOR["exception"]), share)
    if page:
        first = fit(order, wants, available, padding).hidden
        optional = [k for k in optional if k in first] + [k for k in optional if k not in first]
        exception_room = min(exception_room, _FLOOR["exception"])
    widths = {key: floor(key) for key in present if key in _ALWAYS}
    used = sum(w + padding for w in widths.values())
    reserve = exception_room + padding if exception_room else 0
    hidden: list[str] = []
    for key in optional:
        if hidden or used + floor(key) + padding + reserve > available:
            hidden.append(key)
            continue
        widths[key] = floor(key)
        used += widths[key] + padding
    if "exception" in present:
        widths["exception"] = 0
    # Room left: the capped columns grow to what they want, in priority order, keeping
    # Last exception's share; what remains goes to the last column shown.
    spare = available - used - reserve
    for key, width in widths.items():
        if key == "exception" or spare <= 0:
            continue
        grow = min(spare, want(key) - width)
        if grow > 0:
            widths[key] += grow
            spare -= grow
    if "exception" in widths:
        used = sum(w + padding for k, w in widths.items() if k != "exception")
        short = _MIN_LAST - (available - used - padding)
        if short > 0:  # a tiny terminal: the name gives way too, down to a few cells
            cut = min(short, widths["loop"] - _MIN_LAST)
            widths["loop"] -= max(0, cut)
            used -= max(0, cut)
        widths["exception"] = max(_MIN_LAST, available - used - padding)
    else:
        last = next(reversed(widths))
        used = sum(w + padding for w in widths.values())
        widths[last] += max(0, available - used)
    shown = {key: widths[key] for key in order if key in widths}
    return ColumnFit(shown, tuple(key for key in order if key in hidden))


def hidden_hint(count: int, page: int, room: int) -> str:
    """What the table header says about hidden columns, in at most *room* cells."""
    if page:
        texts = ["← back", "←"]
    elif count:
        texts = [f"+{count} column{'s' if count != 1 else ''}: → or wider terminal",
                 f"+{count} columns: →" if count != 1 else "+1 column: →", f"+{count} →"]
    else:
        return ""
    for text in texts:
        if len(text) <= room:
            return text
    return ""
