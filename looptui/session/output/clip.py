"""Bound the size of long text in events: tracebacks of deep recursion, megabyte messages.

Events go to a terminal, a pipe or a file for every failure, so a traceback is cut to
:data:`TRACEBACK_LINES` lines (its start and its end, where the error is) of at most
:data:`LINE_CHARS` characters each, with a line saying what was left out. The
whole text stays available where it is read on demand: ``ExceptionInfo.traceback`` on
the loop (the TUI's details view), and the event's own ``message`` field.
"""

from __future__ import annotations

__all__ = ["clip_traceback", "clip_line", "TRACEBACK_LINES", "LINE_CHARS"]

TRACEBACK_LINES = 200
"""Lines of a traceback kept in an event."""
HEAD_LINES = 60
"""…of which the first lines (the outer frames); the rest are the last lines."""
LINE_CHARS = 2000
"""Characters kept of one line of a traceback in an event."""


def clip_line(line: str, limit: int = LINE_CHARS) -> str:
    """*line* cut to *limit* characters, saying how many more there were."""
    body = line.rstrip("\n")
    if len(body) <= limit:
        return line
    end = "\n" if line.endswith("\n") else ""
    return f"{body[:limit]}… [{len(body) - limit:,} more characters]{end}"


def clip_traceback(text: str) -> str:
    """*text* (a formatted traceback) cut to a bounded size, with a note if cut."""
    if len(text) <= LINE_CHARS and text.count("\n") <= TRACEBACK_LINES:
        return text
    lines = text.splitlines(keepends=True)
    if len(lines) > TRACEBACK_LINES:
        tail = TRACEBACK_LINES - HEAD_LINES
        cut = len(lines) - TRACEBACK_LINES
        lines = [
            *lines[:HEAD_LINES],
            f"  ... {cut:,} lines not shown (the whole traceback is kept on the loop) ...\n",
            *lines[-tail:],
        ]
    return "".join(clip_line(line) for line in lines)
