"""One memory budget for every loop's buffers: output lines and iteration-history rings.

Bounding each loop's buffers alone (500 lines, 200 records) lets a thousand chatty loops
hold hundreds of megabytes. The :class:`Budget` bounds them in total instead: when the
captured output of all loops together goes over the budget, the oldest lines are
dropped first, whichever loop they belong to, but every loop keeps its newest
:data:`KEEP_NEWEST` lines (so a quiet loop's last words are not pushed out by a noisy
one). Dropped lines are counted on the loop (``tracker.dropped``). History rings ask the
budget before they grow; a ring refused keeps its size and drops its own oldest records.

Sizes are estimates of what the objects take in memory (a line's text plus the tuple,
float and string headers), not exact ``sys.getsizeof`` sums: cheap enough for the hot
path, and close enough to bound the total.
"""

from __future__ import annotations

import collections
from typing import Optional, Protocol, Sized

__all__ = [
    "Budget", "BUDGET", "DEFAULT_BUDGET_MB", "KEEP_NEWEST", "LINE_OVERHEAD", "LineHolder",
    "line_cost",
]

DEFAULT_BUDGET_MB = 32.0
"""Default total for all loops' buffers, in megabytes (``--buffer-budget``)."""
KEEP_NEWEST = 20
"""Output lines every loop keeps, however far over budget the total is."""
LINE_OVERHEAD = 150
"""Bytes a kept line costs beyond its text: tuple, timestamp, string header, ring slot."""
MAX_ROTATIONS = 64
"""Protected lines skipped per shedding pass before giving up until the next line."""


class LineHolder(Protocol):
    """What the budget needs of a loop's tracker (:class:`~looptui.core.tracker.Tracker`)."""

    budget: Optional["Budget"]
    budget_stale: int

    @property
    def output(self) -> Sized: ...

    def shed_output(self, keep: int) -> int | None: ...


def line_cost(text: str) -> int:
    """Estimated bytes one kept output line with *text* takes."""
    return len(text) + LINE_OVERHEAD


class Budget:
    """The shared byte budget of all loops' buffers.

    Attributes:
        limit: Bytes allowed in total (output lines and history rings).
        used: Bytes accounted now.
        dropped: Output lines dropped because of the total (not the per-loop cap).
    """

    def __init__(self, limit_bytes: int) -> None:
        self.limit = limit_bytes
        self.used = 0
        self.dropped = 0
        # One entry per output line accounted, oldest first: the tracker that holds it.
        # Entries may be stale (the line already left by the per-loop cap, or the tracker
        # was forgotten): ``LineHolder.shed_output`` says so, and :meth:`_compact` cleans up.
        self._lines: collections.deque[LineHolder] = collections.deque()
        self._live_lines = 0

    def set_limit_mb(self, megabytes: float) -> None:
        """Set the total in megabytes (applied to the next line added)."""
        self.limit = int(megabytes * 1_000_000)

    # ------------------------------------------------------------ history rings
    def reserve(self, nbytes: int) -> bool:
        """Take *nbytes* for a growing ring; False (nothing taken) when over budget."""
        if self.used + nbytes > self.limit:
            return False
        self.used += nbytes
        return True

    def free(self, nbytes: int) -> None:
        """Give back bytes taken with :meth:`reserve`."""
        self.used = max(0, self.used - nbytes)

    # ------------------------------------------------------------ output lines
    def line_added(self, tracker: LineHolder, cost: int) -> None:
        """*tracker* kept a new line costing *cost* bytes; shed the oldest if over budget."""
        self.used += cost
        self._lines.append(tracker)
        self._live_lines += 1
        if self.used > self.limit:
            self._shed()
        if len(self._lines) > 2 * self._live_lines + 4096:
            self._compact()

    def line_left(self, cost: int) -> None:
        """A tracker let go of one of its lines on its own (its per-loop cap)."""
        self.used = max(0, self.used - cost)
        self._live_lines -= 1

    def forget(self, tracker: LineHolder, cost: int, lines: int) -> None:
        """*tracker* is gone (or its lines moved): stop accounting its *lines*."""
        self.used = max(0, self.used - cost)
        self._live_lines -= lines

    def _shed(self) -> None:
        """Drop the globally oldest lines until under the limit (newest per loop kept)."""
        lines = self._lines
        rotations = 0
        while self.used > self.limit and lines and rotations < MAX_ROTATIONS:
            tracker = lines.popleft()
            freed = tracker.shed_output(KEEP_NEWEST)
            if freed is None:  # the loop is down to its newest lines: keep them
                lines.append(tracker)
                rotations += 1
            elif freed > 0:
                self.used = max(0, self.used - freed)
                self._live_lines -= 1
                self.dropped += 1

    def _compact(self) -> None:
        """Rebuild the line queue without stale entries (bounded memory, amortised)."""
        wanted: dict[int, int] = {}
        seen: dict[int, LineHolder] = {}
        kept: list[LineHolder] = []
        for tracker in reversed(self._lines):
            if tracker.budget is not self:
                continue
            seen[id(tracker)] = tracker
            count = wanted.get(id(tracker), 0)
            if count < len(tracker.output):  # its newest entries stand for its lines
                wanted[id(tracker)] = count + 1
                kept.append(tracker)
        kept.reverse()
        for tracker in seen.values():
            tracker.budget_stale = 0
        self._lines = collections.deque(kept)
        self._live_lines = len(kept)

    @property
    def queued(self) -> int:
        """Entries in the line queue (kept lines plus stale ones not yet cleaned up)."""
        return len(self._lines)

    def __repr__(self) -> str:
        return f"<Budget {self.used / 1e6:.1f}/{self.limit / 1e6:.1f} MB>"


BUDGET = Budget(int(DEFAULT_BUDGET_MB * 1_000_000))
"""The budget trackers use unless given another one."""
