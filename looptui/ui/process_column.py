"""The Process column: which program each row's loop runs in, when several are watched.

``looptui attach A B`` merges the loops of several programs into one table; each mirror
tracker carries its program's label (``process``, e.g. ``bot[1234]``) and the name its
program gives the loop (``remote_name``: ``tick`` even when the table's unique key is
``tick#2``). The column is shown only when at least two distinct labels are present, so
the table of one program (and of ``looptui bot.py``, whose trackers have no label) is
unchanged. Read with ``getattr`` so any tracker type can take part.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from .text import one_line

if TYPE_CHECKING:
    from looptui.core.tracker import Tracker

__all__ = ["PROCESS_COLUMN", "LABEL_CHARS", "process_label", "shows_processes", "loop_label",
           "output_tag", "matches"]

PROCESS_COLUMN = ("process", "Process")
"""``(key, label)`` of the column, placed right after Loop when shown."""

LABEL_CHARS = 60
"""Characters of a program label kept for the table (a label is program name and pid)."""


def process_label(tracker: Tracker) -> str:
    """The program label of *tracker*, on one line and free of control codes (``""``: none)."""
    label = getattr(tracker, "process", None)
    return one_line(str(label), LABEL_CHARS) if label else ""


def shows_processes(trackers: Iterable[Tracker]) -> bool:
    """Whether the loops of *trackers* come from two or more programs (show the column)."""
    first: str | None = None
    for tracker in trackers:
        label = getattr(tracker, "process", None)
        if not label:
            continue
        if first is None:
            first = label
        elif label != first:
            return True
    return False


def loop_label(tracker: Tracker, with_process: bool) -> str:
    """What the Loop cell shows: the table's unique name, or, beside a Process column, the
    name the loop has in its own program (``tick`` in both programs' rows, not ``tick#2``)."""
    if with_process:
        return str(getattr(tracker, "remote_name", None) or tracker.name)
    return tracker.name


def output_tag(tracker: Tracker, with_process: bool) -> str:
    """The log pane's tag of *tracker*'s output: its name, and, when several programs are
    watched, its program's pid (``tick [1234]``; the whole label if it has no pid)."""
    name = loop_label(tracker, with_process)
    if not with_process:
        return name
    label = process_label(tracker)
    if not label:
        return name
    pid = label[label.rfind("["):] if label.endswith("]") and "[" in label else label
    return f"{name} {pid}"


def matches(tracker: Tracker, needle: str, with_process: bool) -> bool:
    """Whether the filter text *needle* (lower case) is in the loop's name, or in its
    program's label while the Process column is shown."""
    if needle in tracker.name.lower():
        return True
    if with_process:
        return (needle in loop_label(tracker, True).lower()
                or needle in process_label(tracker).lower())
    return False
