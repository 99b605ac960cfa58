"""How late the event loop runs callbacks (lag), and who blocked it.

The monitor shares one asyncio loop with the loops it watches, so the header shows the
loop's lag: users can then tell "my loop is late" from "everything is late". A callback
scheduled every :data:`INTERVAL` seconds measures how late it woke; that costs a few
callbacks per second.

Who blocked the loop (the ``blocked`` event) is the business of
:mod:`looptui.session.health.watchdog`, which measures stalls exactly instead of from ticks.
The tick also keeps every ``select`` of the event loop short, which the signal handlers
of :mod:`looptui.session.program.signals` rely on.
"""

from __future__ import annotations

import asyncio
import collections

__all__ = ["LagProbe", "INTERVAL", "WINDOW"]

INTERVAL = 0.1
"""Seconds between lag measurements."""
WINDOW = 10.0
"""``lag_max`` is the largest lag over this many seconds."""


class LagProbe:
    """Measures event-loop lag.

    Attributes:
        lag: Lateness of the most recent tick, in seconds (``0.0`` before the first).
        lag_max: Largest lag seen in the last :data:`WINDOW` seconds, start-up left out.
        startup: Largest lag of the ticks due before :meth:`end_startup` (importing the
            program holds the event loop: that is start-up, not the loops blocking it).
    """

    def __init__(self, interval: float = INTERVAL, window: float = WINDOW) -> None:
        self.interval = interval
        self.lag = 0.0
        self.lag_max = 0.0
        self._samples: collections.deque[float] = collections.deque(
            maxlen=max(1, round(window / interval))
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._due = 0.0
        self.startup = 0.0
        self._starting = False
        self._startup_until: float | None = None

    @property
    def running(self) -> bool:
        return self._handle is not None

    def start(self, startup: bool = False) -> None:
        """Begin measuring on the running event loop (no-op if already started);
        *startup*: what follows is start-up until :meth:`end_startup`."""
        if self._handle is not None:
            return
        self._starting = startup
        self._loop = asyncio.get_running_loop()
        self._schedule(self._loop.time())

    def stop(self) -> None:
        """Stop measuring."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def end_startup(self) -> None:
        """Start-up is over: lag of ticks that were due until now goes to
        :attr:`startup`, not to :attr:`lag_max`."""
        if self._starting and self._startup_until is None:
            self._startup_until = (self._loop or asyncio.get_running_loop()).time()

    @property
    def recent_startup(self) -> float | None:
        """:attr:`startup` during the first :data:`WINDOW` seconds after it (while it
        would have been in :attr:`lag_max`), else ``None``."""
        until, loop = self._startup_until, self._loop
        if until is None or loop is None or not self.startup:
            return None
        window = self.interval * (self._samples.maxlen or 1)
        return self.startup if loop.time() - until < window else None

    # ------------------------------------------------------------- loop side
    def _schedule(self, now: float) -> None:
        assert self._loop is not None
        self._due = now + self.interval
        self._handle = self._loop.call_at(self._due, self._tick)

    def _tick(self) -> None:
        assert self._loop is not None
        now = self._loop.time()
        lag = now - self._due
        if lag < 0.0:
            lag = 0.0
        self.lag = lag
        if self._starting:
            until = self._startup_until
            if until is None or self._due <= until:  # due during start-up
                if lag > self.startup:
                    self.startup = lag
                self._schedule(now)
                return
            self._starting = False
        self._samples.append(lag)
        self.lag_max = max(self._samples)
        self._schedule(now)
