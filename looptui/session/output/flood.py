"""Floods of output: keep memory bounded and the event loop free, and count what is dropped.

A loop printing 100,000 lines a second must not take the monitor down with it. What
bounds what:

* Each loop keeps its last :data:`~looptui.core.tracker.OUTPUT_SIZE` lines (a ring;
  ``tracker.dropped`` counts lines pushed out), lines written outside any loop the last
  :data:`~looptui.session.session.GENERAL_OUTPUT_SIZE`.
* :class:`LogLimiter` — ``log`` *events* (headless output, ``--json``, ``--record``) are
  limited per source (each loop, and output outside any loop) to :data:`RATE` a second
  after a burst of :data:`BURST`. Lines over the limit are still captured and shown in
  the TUI, but not sent as events: a ``log_dropped`` event says how many were left out,
  at most once a second. A terminal or pipe that reads slowly then cannot make the
  event loop wait on every line.
* :class:`ThreadInbox` — writes from other threads are handed to the event-loop thread
  through a bounded buffer (one wake-up per batch, not per write); when it is full,
  further writes are counted and dropped instead of queueing without limit.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any, Callable

__all__ = ["LogLimiter", "ThreadInbox", "RATE", "BURST", "INBOX_SIZE"]

RATE = 200.0
"""``log`` events per second per source, once the burst is used up."""
BURST = 1000
"""``log`` events a source may send at once before :data:`RATE` applies."""
REPORT_EVERY = 1.0
"""Seconds between ``log_dropped`` reports (at most)."""
INBOX_SIZE = 10_000
"""Writes from other threads that may wait for the event-loop thread."""
_PRUNE_AT = 4096


class LogLimiter:
    """Token buckets deciding which ``log`` lines become events.

    Args:
        on_dropped: Called as ``on_dropped(source, count)`` (on the event-loop thread)
            with how many lines of *source* (a tracker, or ``None``) were left out.
        rate, burst: See :data:`RATE`, :data:`BURST`.
        now: Monotonic clock; by default the running event loop's (so that virtual
            time works in tests), or ``time.monotonic`` outside one.
    """

    def __init__(
        self,
        on_dropped: Callable[[Any, int], None],
        rate: float = RATE,
        burst: int = BURST,
        now: Callable[[], float] | None = None,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.total_dropped = 0
        self._on_dropped = on_dropped
        self._now = now or self._first_now
        self._buckets: dict[int, list[float]] = {}  # id(source) -> [tokens, updated]
        self._pending: dict[int, list[Any]] = {}  # id(source) -> [source, count]
        self._timer: asyncio.TimerHandle | None = None

    def _first_now(self) -> float:
        """Bind to the running event loop's clock on first use (``time.monotonic``
        outside one)."""
        try:
            self._now = asyncio.get_running_loop().time
        except RuntimeError:
            return time.monotonic()
        return self._now()

    def allow(self, source: Any) -> bool:
        """Whether the next line of *source* may become an event (counts it if not)."""
        now = self._now()
        key = id(source)
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= _PRUNE_AT:
                self._prune(now)
            bucket = self._buckets[key] = [float(self.burst), now]
        else:
            bucket[0] = min(float(self.burst), bucket[0] + (now - bucket[1]) * self.rate)
            bucket[1] = now
        if bucket[0] >= 1.0:
            bucket[0] -= 1.0
            return True
        pending = self._pending.get(key)
        if pending is None:
            self._pending[key] = [source, 1]
        else:
            pending[1] += 1
        self.total_dropped += 1
        if self._timer is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = None
            if loop is not None:
                self._timer = loop.call_later(REPORT_EVERY, self.flush)
        return False

    def flush(self) -> None:
        """Report every pending count now (also at shutdown)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        pending, self._pending = self._pending, {}
        for source, count in pending.values():
            self._on_dropped(source, count)

    def _prune(self, now: float) -> None:
        """Forget sources whose bucket has refilled (they behave as new ones)."""
        full = self.burst / self.rate if self.rate > 0 else float("inf")
        for key in [k for k, (_, updated) in self._buckets.items() if now - updated >= full]:
            del self._buckets[key]


class ThreadInbox:
    """A bounded hand-over of items from any thread to the event-loop thread.

    Args:
        loop: The event loop whose thread consumes the items.
        deliver: Called on that thread with each item, in order.
        on_dropped: Called on that thread with how many items were dropped since the
            last call, when the inbox was full.
        size: Items that may wait; further ones are dropped and counted.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        deliver: Callable[[Any], None],
        on_dropped: Callable[[int], None],
        size: int = INBOX_SIZE,
    ) -> None:
        self.loop = loop
        self.size = size
        self.dropped = 0
        self._deliver = deliver
        self._on_dropped = on_dropped
        self._items: list[Any] = []
        self._lost = 0
        self._scheduled = False
        self._lock = threading.Lock()

    def put(self, item: Any) -> bool:
        """Queue *item* (from any thread). False when the loop is gone or it was dropped."""
        with self._lock:
            if len(self._items) >= self.size:
                self._lost += 1
                self.dropped += 1
                return False
            self._items.append(item)
            if self._scheduled:
                return True
            self._scheduled = True
        try:
            self.loop.call_soon_threadsafe(self.drain)
        except RuntimeError:  # the loop is closed
            with self._lock:
                self._scheduled = False
            return False
        return True

    def drain(self) -> None:
        """Deliver everything waiting (on the event-loop thread)."""
        with self._lock:
            items, self._items = self._items, []
            lost, self._lost = self._lost, 0
            self._scheduled = False
        for item in items:
            self._deliver(item)
        if lost:
            self._on_dropped(lost)
