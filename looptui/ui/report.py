"""A loop's details as plain text, to copy out of the terminal (``y``, "copy report").

The terminal's own selection picks up the table's gutter, the colours' padding and the
screen's borders; these functions give the text itself: the last traceback for ``y``, and
a report of everything the details view shows for the palette's "copy report", ready to
paste into an issue or a chat. Text from the user's code is sanitised (no escape codes).
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from . import format as fmt
from .text import one_line, safe_text

if TYPE_CHECKING:
    from looptui.core.tracker import Tracker

__all__ = ["loop_report", "traceback_text"]

REPORT_RECORDS = 10
"""Iteration records in a report (newest first)."""
REPORT_OUTPUT = 40
"""Lines of the loop's output at the end of a report."""


def traceback_text(tracker: Tracker) -> str | None:
    """The last exception's traceback as text (``None`` when the loop has none)."""
    info = tracker.last_exception
    if info is None:
        return None
    raw = info.traceback or f"{info.type_name}: {info.message}"
    return safe_text(raw).rstrip() + "\n"


def loop_report(tracker: Tracker, now: float, tz: datetime.tzinfo | None = None) -> str:
    """Everything known about *tracker*'s loop, as plain text."""
    t = tracker
    where = f"{t.file}:{t.line}" if t.file and t.line else (t.file or "unknown")
    stats = t.stats
    lines = [
        f"loop {one_line(t.name, 200)} ({one_line(t.source, 30)})",
        f"state: {t.state.value} since {fmt.clock_time(t.state_since, now, tz)}",
        (f"schedule: {one_line(t.schedule, 200) or '-'}"
         + (f" (count {t.count})" if t.count is not None else "")),
        f"next run: {fmt.clock_time(t.next_run, now, tz) if t.next_run is not None else '-'}",
        (f"iterations: {fmt.iter_text(t.iterations, t.count)} this run, {stats.iterations} "
         f"total; {stats.failures} failed, {stats.retries} retried"),
        (f"durations: last {fmt.took(stats.last_duration)}, mean "
         f"{fmt.took(stats.mean_duration)}, p95 {fmt.took(stats.p95_duration)}"),
        f"defined in: {one_line(where, 300)}",
    ]
    for key, value in sorted(t.notes.items()):
        lines.append(f"{one_line(key, 30)}: {one_line(str(value), 400)}")
    records = list(t.history)[-REPORT_RECORDS:]
    if records:
        lines += ["", "recent iterations (newest first):"]
        for record in reversed(records):
            exc = record.exception
            lines.append(
                f"  #{record.iteration} {fmt.clock_time(record.started, now, tz)} "
                f"took {fmt.took(record.duration)} {record.outcome or 'running'}"
                + (f" {one_line(f'{exc.type_name}: {exc.message}', 200)}" if exc else ""))
    text = traceback_text(t)
    if text is not None:
        info = t.last_exception
        where_raised = f" (in {info.where})" if info is not None else ""
        lines += ["", f"last exception{where_raised}:", text.rstrip()]
    output = list(t.output)[-REPORT_OUTPUT:]
    if output:
        lines += ["", f"output (last {len(output)} of {t.output_total} lines):"]
        for entry in output:
            lines.append(f"  {safe_text(str(entry[-1]), 2000).rstrip()}")
    return "\n".join(lines) + "\n"
