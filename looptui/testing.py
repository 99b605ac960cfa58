"""Virtual time for testing loops: "every 10 s for an hour" in a few milliseconds.

Scheduling code in looptui reads the time from one replaceable source
(:mod:`looptui.core.clock`) and sleeps with ``call_later``/``call_at`` on the asyncio event
loop. This module provides both halves of a fake world in which no real time passes:

* :class:`VirtualTimeEventLoop` — an asyncio event loop whose :meth:`~VirtualTimeEventLoop.time`
  is virtual. Whenever it would block waiting for its next timer, it jumps its clock
  forward to that timer instead of sleeping. Real I/O (sockets, the self-pipe that
  ``call_soon_threadsafe`` writes to) is still polled, so threads and subprocesses keep
  working.
* :class:`VirtualClock` — a wall clock (epoch seconds) that advances with that loop, to be
  installed with :func:`looptui.core.clock.set_clock`.
* :func:`run_virtual` — runs a coroutine on a fresh virtual loop with the clock installed,
  like :func:`asyncio.run`, and restores the previous clock afterwards.

Example::

    from looptui import loop
    from looptui.testing import run_virtual

    async def main():
        runs = []

        @loop(seconds=10, count=360)
        async def tick():
            runs.append(tick.current_loop)

        await tick.start()          # one virtual hour; returns almost at once
        return runs

    assert len(run_virtual(main)) == 360

Limits (the same as any auto-jumping clock, e.g. trio's ``MockClock(autojump_threshold=0)``):
time jumps as soon as every task is waiting on a timer, so work done in *other threads*
(``run_in_executor``, ``to_thread``) does not hold virtual time back. A coroutine that
waits for a thread with a timeout may see the timeout fire at once; pass
``autojump_threshold`` (real seconds to wait for I/O before jumping) to give such work a
chance.

This module imports nothing from Discord libraries; the tests patch those separately.
"""

from __future__ import annotations

import asyncio
import datetime
import selectors
from typing import Any, Awaitable, Callable, Mapping, TypeVar

from .core import clock as _clock
from .core.asyncio_internals import clock_resolution, set_clock_resolution

__all__ = [
    "DEFAULT_START",
    "VirtualClock",
    "VirtualTimeEventLoop",
    "run_virtual",
]

T = TypeVar("T")

DEFAULT_START = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
"""Where virtual wall-clock time starts unless told otherwise (2026-01-01 00:00 UTC)."""

_IDLE_SELECT = 1.0
"""Real seconds one idle select may block when no timer is scheduled at all.

Nothing can happen in virtual time then, so the loop waits for real I/O (for example a
thread calling ``call_soon_threadsafe``, which writes to the loop's self-pipe and so
ends the wait at once). The bound is only a safety net against a missed wake-up.
"""

_RESOLUTION = 1e-6
"""Timers due within this many virtual seconds of now are run (see :func:`~looptui.core.asyncio_internals.set_clock_resolution`)."""


def _epoch(start: datetime.datetime | float) -> float:
    """Epoch seconds for *start* (a naive datetime is taken as UTC)."""
    if isinstance(start, datetime.datetime):
        if start.tzinfo is None:
            start = start.replace(tzinfo=datetime.timezone.utc)
        return start.timestamp()
    return float(start)


class _JumpingSelector(selectors.BaseSelector):
    """A selector that advances its event loop's virtual clock instead of sleeping.

    asyncio's event loop computes how long it may block (until its next timer) and passes
    that as *timeout* to ``select``. Here real I/O is only polled; when nothing is ready
    the virtual clock is moved forward by *timeout*, which makes the next timer due.
    """

    def __init__(self, autojump_threshold: float = 0.0) -> None:
        self._real = selectors.DefaultSelector()
        self._threshold = autojump_threshold
        self._loop: VirtualTimeEventLoop | None = None

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._real.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.modify(fileobj, events, data)

    def get_key(self, fileobj: Any) -> selectors.SelectorKey:
        return self._real.get_key(fileobj)

    def get_map(self) -> Mapping[Any, selectors.SelectorKey]:
        return self._real.get_map()

    def close(self) -> None:
        self._real.close()

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if timeout is None:
            # No timer at all: only real I/O (e.g. another thread) can wake the loop.
            return self._real.select(_IDLE_SELECT)
        if timeout <= 0:
            return self._real.select(0)
        ready = self._real.select(min(timeout, self._threshold))
        if ready:
            return ready
        assert self._loop is not None
        self._loop._advance(timeout)
        return []


class VirtualTimeEventLoop(asyncio.SelectorEventLoop):
    """An asyncio event loop on a virtual clock that jumps to the next timer.

    ``time()`` starts at *start* (epoch seconds, so that the loop's own clock and the
    wall clock of :attr:`clock` coincide and no rounding creeps in between them) and only
    moves when every task is waiting: then it moves straight to the earliest timer. So
    ``await asyncio.sleep(3600)`` returns at once in real time with ``time()`` exactly
    3600 s later, and timers still fire in the order of their deadlines.

    Args:
        start: The virtual wall-clock time to start at: an aware datetime (a naive one
            is taken as UTC) or epoch seconds. Defaults to :data:`DEFAULT_START`.
        autojump_threshold: Real seconds to wait for I/O (threads, sockets) before
            jumping virtual time forward. ``0`` (the default) jumps immediately.
    """

    def __init__(
        self,
        start: datetime.datetime | float = DEFAULT_START,
        *,
        autojump_threshold: float = 0.0,
    ) -> None:
        self._virtual_now = _epoch(start)
        selector = _JumpingSelector(autojump_threshold)
        super().__init__(selector)
        selector._loop = self
        # asyncio runs timers with ``when < time() + clock_resolution``. Virtual time is
        # epoch-sized (~1.8e9), where a float step is ~2.4e-7 s, so the monotonic clock's
        # 1e-9 s resolution would vanish in the addition and a timer jumped to exactly
        # would never count as due. One microsecond is the finest step a datetime has.
        set_clock_resolution(self, max(clock_resolution(self), _RESOLUTION))
        self.clock = VirtualClock(self)
        """The wall clock that moves with this loop (install with ``set_clock``)."""

    def time(self) -> float:
        """The loop's virtual monotonic time (equal to the virtual epoch seconds)."""
        return self._virtual_now

    def _advance(self, seconds: float) -> None:
        self._virtual_now += seconds

    def advance(self, seconds: float) -> None:
        """Move virtual time forward by *seconds* at once, as if the process had stalled.

        Timers that became due run on the loop's next iteration. Useful to simulate a
        blocked event loop or a suspended machine.
        """
        if seconds < 0:
            raise ValueError("virtual time cannot go backwards")
        self._advance(seconds)


class VirtualClock:
    """A wall clock driven by a :class:`VirtualTimeEventLoop`.

    ``time()`` is ``start_epoch + (loop.time() - loop_start)``: it advances exactly as
    the loop's virtual time does, so what looptui computes from the clock ("next run at
    12:00:10") and what the loop sleeps (``call_at``) agree to the microsecond.
    """

    def __init__(self, loop: VirtualTimeEventLoop, start: datetime.datetime | float | None = None) -> None:
        self._loop = loop
        self._loop_start = loop.time()
        self._start = self._loop_start if start is None else _epoch(start)

    def time(self) -> float:
        """Virtual wall-clock time in epoch seconds."""
        return self._start + (self._loop.time() - self._loop_start)

    def datetime(self) -> datetime.datetime:
        """Virtual wall-clock time as an aware UTC datetime."""
        return datetime.datetime.fromtimestamp(self.time(), datetime.timezone.utc)


def run_virtual(
    main: Callable[[], Awaitable[T]],
    *,
    start: datetime.datetime | float = DEFAULT_START,
    autojump_threshold: float = 0.0,
) -> T:
    """Run ``main()`` to completion in virtual time and return its result.

    Like :func:`asyncio.run`: a fresh :class:`VirtualTimeEventLoop` is created, tasks
    still pending when ``main()`` returns are cancelled (their ``after_loop`` hooks run,
    still in virtual time), and the loop is closed. For the whole run, the loop's
    :class:`VirtualClock` is the looptui clock (:func:`looptui.core.clock.set_clock`);
    the previous clock is restored afterwards, even if ``main()`` raises.

    Args:
        main: A coroutine function taking no arguments (or any callable returning an
            awaitable).
        start: Virtual wall-clock time at the start: an aware datetime or epoch seconds.
        autojump_threshold: See :class:`VirtualTimeEventLoop`.
    """

    async def _main() -> T:
        return await main()

    runner = asyncio.Runner(
        loop_factory=lambda: VirtualTimeEventLoop(start, autojump_threshold=autojump_threshold)
    )
    loop = runner.get_loop()
    assert isinstance(loop, VirtualTimeEventLoop)
    previous = _clock.set_clock(loop.clock)
    # Like asyncio.run: the loop is the current one while it runs (code that calls
    # asyncio.get_event_loop() outside a coroutine finds it), and is unset afterwards.
    asyncio.set_event_loop(loop)
    try:
        with runner:
            return runner.run(_main())
    finally:
        asyncio.set_event_loop(None)
        _clock.set_clock(previous)
