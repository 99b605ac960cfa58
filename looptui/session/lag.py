"""How late the event loop runs callbacks (lag), and who blocked it.

The monitor shares one asyncio loop with the loops it watches, so the header shows the
loop's lag: users can then tell "my loop is late" from "everything is late". A callback
scheduled every :data:`INTERVAL` seconds measures how late it woke; that costs a few
callbacks per second.

When a watchdog thread is enabled, it also notices a stall while it happens (no tick for
longer than the threshold), takes the event-loop thread's stack at that moment and, once
the loop runs again, reports the stall with that stack: that is the ``blocked`` event.
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

INTERVAL = 0.25
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
        self._stall: tuple[str, object] | None = None  # written by the watchdog thread
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
        stall, self._stall = self._stall, None
        self._schedule(now)
        if stall is not None and self._on_blocked is not None:
            self._on_blocked(lag, *stall)

    # ---------------------------------------------------------- watchdog side
    def _watch(self, loop_thread: int) -> None:
        poll = min(0.05, self._threshold / 2)
        reported_for = -1.0
        while not self._stop.wait(poll):
            last = self._last_tick
            stalled = time.monotonic() - last - self.interval
            if stalled < self._threshold or reported_for == last or self._stall is not None:
                continue
            frame = sys._current_frames().get(loop_thread)
            if frame is None:
                continue
            stack = "".join(traceback.format_list(
                traceback.extract_stack(frame, limit=_STACK_FRAMES)
            ))
            task = None
            if self._loop is not None:
                try:
                    task = asyncio.current_task(self._loop)
                except RuntimeError:
                    task = None
            reported_for = last
            self._stall = (stack, task)
