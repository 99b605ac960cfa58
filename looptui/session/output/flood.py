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
  through a bounded buffer (one wake-up per batch, not per write), taken in slices per
  turn of the event loop; when it is full, the writing thread waits for room
  (back-pressure) rather than competing with the loops for the interpreter.
"""

from __future__ import annotations

import asyncio
import collections
import threading
import time
from typing import Any, Callable

__all__ = ["LogLimiter", "ThreadInbox", "RATE", "BURST", "INBOX_SIZE", "SLICE", "WAIT_LIMIT"]

RATE = 200.0
"""``log`` events per second per source, once the burst is used up."""
BURST = 1000
"""``log`` events a source may send at once before :data:`RATE` applies."""
REPORT_EVERY = 1.0
"""Seconds between ``log_dropped`` reports (at most)."""
INBOX_SIZE = 10_000
"""Writes from other threads that may wait for the event-loop thread; beyond that the
writing thread waits (see :class:`ThreadInbox`)."""
SLICE = 100
"""Writes from other threads handed over per turn of the event loop."""
WAIT_LIMIT = 1.0
"""Seconds a writing thread waits for room before its writes are dropped instead."""
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

    Back-pressure: a thread that finds the inbox full *waits* (releasing the interpreter
    lock) until the event-loop thread has drained it to half, instead of queueing
    without limit or spinning. A thread printing without pause therefore runs only as
    fast as the monitor takes its lines, and the loops keep their time. The wait is
    bounded by :data:`WAIT_LIMIT`: if the event-loop thread does not drain in that time
    (it may be waiting for this very thread), items are dropped and counted until it
    does, so a program that joins a printing thread cannot deadlock.

    Draining is in slices of :data:`SLICE` items per turn of the event loop, so a full
    inbox never holds the loops up for long.

    Args:
        loop: The event loop whose thread consumes the items.
        deliver: Called on that thread with each item, in order.
        on_dropped: Called on that thread with how many items were dropped since the
            last call.
        size: Items that may wait before writers wait.
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
        self._items: collections.deque[Any] = collections.deque()
        self._lost = 0
        self._scheduled = False
        self._stalled = False
        self._lock = threading.Lock()
        self._space = threading.Condition(self._lock)

    def put(self, item: Any) -> bool:
        """Queue *item* (from any thread other than the loop's), waiting while the inbox is
        full. False when the loop is gone or the item was dropped."""
        with self._lock:
            if len(self._items) >= self.size:
                if not self._stalled:
                    low = self.size // 2
                    self._space.wait_for(lambda: len(self._items) <= low or self.loop.is_closed(),
                                         WAIT_LIMIT)
                if len(self._items) >= self.size or self.loop.is_closed():
                    self._stalled = True  # the loop is not draining: drop until it does
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

    def drain(self, everything: bool = False) -> None:
        """Deliver up to :data:`SLICE` waiting items (all with *everything*), on the
        event-loop thread; what is left is delivered in the next turn."""
        with self._lock:
            items = self._items
            count = len(items) if everything else min(len(items), SLICE)
            batch = [items.popleft() for _ in range(count)]
            more = bool(items)
            lost = 0
            if not more:  # dropped writes came after every waiting one: said in order
                lost, self._lost = self._lost, 0
            self._stalled = False
            self._scheduled = more
            if len(items) <= self.size // 2:
                self._space.notify_all()
        for item in batch:
            self._deliver(item)
        if lost:
            self._on_dropped(lost)
        if more:
            self.loop.call_soon(self.drain)
