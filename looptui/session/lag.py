"""How late the event loop runs callbacks (lag), and who blocked it.

The monitor shares one asyncio loop with the loops it watches, so the header shows the
loop's lag: users can then tell "my loop is late" from "everything is late". A callback
scheduled every :data:`INTERVAL` seconds measures how late it woke; that costs a few
callbacks per second.

When a watchdog thread is enabled, it also notices a stall while it happens (a tick
overdue), samples the event-loop thread's stack every few tens of milliseconds while the
stall lasts and, once the loop runs again, reports a stall longer than the threshold with
the stack seen most often — where the time went: that is the ``blocked`` event. The
thread only wakes to compare two numbers unless the loop is stalled.
"""

from __future__ import annotations

import asyncio
import collections
import sys
import threading
import time
import traceback
from typing import Callable

__all__ = ["LagProbe", "BlockedReport", "INTERVAL", "WINDOW", "BLOCK_THRESHOLD"]

INTERVAL = 0.1
"""Seconds between lag measurements."""
WINDOW = 10.0
"""``lag_max`` is the largest lag over this many seconds."""
BLOCK_THRESHOLD = 0.25
"""A stall at least this long (seconds) is reported as ``blocked``."""
_STACK_FRAMES = 25

BlockedReport = Callable[[float, str, object], None]
"""``report(duration, stack_text, task)``: called on the loop thread after a stall;
*task* is the asyncio task that was running when the stack was taken (or ``None``)."""


class LagProbe:
    """Measures event-loop lag; optionally reports stalls with the blocking stack.

    Attributes:
        lag: Lateness of the most recent tick, in seconds (``0.0`` before the first).
        lag_max: Largest lag seen in the last :data:`WINDOW` seconds.
    """

    def __init__(
        self,
        interval: float = INTERVAL,
        window: float = WINDOW,
        *,
        on_blocked: BlockedReport | None = None,
        block_threshold: float = BLOCK_THRESHOLD,
    ) -> None:
        self.interval = interval
        self.lag = 0.0
        self.lag_max = 0.0
        self._samples: collections.deque[float] = collections.deque(
            maxlen=max(1, round(window / interval))
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._due = 0.0
        self._on_blocked = on_blocked
        self._threshold = block_threshold
        self._last_tick = time.monotonic()  # read by the watchdog thread
        # (stack, running task) sampled by the watchdog thread during a stall
        self._stall_samples: list[tuple[traceback.StackSummary, object]] = []
        self._stop = threading.Event()
        self._watchdog: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._handle is not None

    def start(self) -> None:
        """Begin measuring on the running event loop (no-op if already started)."""
        if self._handle is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._schedule(self._loop.time())
        if self._on_blocked is not None:
            self._stop.clear()
            self._watchdog = threading.Thread(
                target=self._watch, args=(threading.get_ident(),),
                name="looptui-watchdog", daemon=True,
            )
            self._watchdog.start()

    def stop(self) -> None:
        """Stop measuring (and the watchdog thread)."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._stop.set()
        if self._watchdog is not None:
            self._watchdog.join(timeout=1.0)
            self._watchdog = None

    # ------------------------------------------------------------- loop side
    def _schedule(self, now: float) -> None:
        assert self._loop is not None
        self._due = now + self.interval
        self._last_tick = time.monotonic()
        self._handle = self._loop.call_at(self._due, self._tick)

    def _tick(self) -> None:
        assert self._loop is not None
        now = self._loop.time()
        lag = now - self._due
        if lag < 0.0:
            lag = 0.0
        self.lag = lag
        self._samples.append(lag)
        self.lag_max = max(self._samples)
        samples, self._stall_samples = self._stall_samples, []
        if samples:  # the watchdog saw this tick late: how long was the loop held?
            blocked = time.monotonic() - self._last_tick - self.interval
        self._schedule(now)
        if samples and blocked >= self._threshold and self._on_blocked is not None:
            stack, task = _most_common(samples)
            self._on_blocked(blocked, stack, task)

    # ---------------------------------------------------------- watchdog side
    def _watch(self, loop_thread: int) -> None:
        """Sample the loop thread's stack while a tick is overdue (a stall in progress)."""
        poll = min(0.05, self._threshold / 2)
        while not self._stop.wait(poll):
            if time.monotonic() - self._last_tick - self.interval < self._threshold / 2:
                continue
            frame = sys._current_frames().get(loop_thread)
            if frame is None:
                continue
            stack = traceback.extract_stack(frame, limit=_STACK_FRAMES)
            del frame
            task = asyncio.current_task(self._loop) if self._loop is not None else None
            self._stall_samples.append((stack, task))


def _most_common(samples: list[tuple[traceback.StackSummary, object]]) -> tuple[str, object]:
    """The stack seen most often during a stall (where the time went), as text."""
    counts: collections.Counter[tuple[tuple[str, int | None], ...]] = collections.Counter()
    for stack, _task in samples:
        counts[tuple((f.filename, f.lineno) for f in stack)] += 1
    best = max(counts.values())
    for stack, task in reversed(samples):  # ties: the latest, closest to the stall's end
        if counts[tuple((f.filename, f.lineno) for f in stack)] == best:
            return "".join(traceback.format_list(stack)), task
    raise AssertionError("unreachable")  # pragma: no cover
