"""Notice when the event loop stops responding, see what holds it, and say which loop.

The monitor shares one asyncio loop with the loops it watches: one body that calls
``time.sleep``, crunches numbers or reads a blocking socket freezes every loop (and the
TUI). This module finds out who did it.

How it works, and why it is cheap when nothing blocks:

* The event loop's selector is wrapped. Each time the loop thread comes back from
  ``select`` (to run callbacks) it notes the time; each time it goes back into
  ``select`` (nothing left to run) it clears it. That costs two clock reads per event
  loop iteration, no timer and no extra wake-up. The time between the two is exactly
  how long the loop was unresponsive — blocked I/O, sleeping and CPU work alike.
* A daemon thread wakes twice per threshold (20 times a second by default) and
  compares that time with the clock. Only when the loop has been busy for half the
  threshold does it do more: it samples the loop thread's stack
  (``sys._current_frames``) and the asyncio task that is running, every tenth of the
  threshold while the stall lasts.
* When the loop thread gets back to ``select`` after a stall of at least the threshold,
  it schedules a report: :func:`~looptui.session.health.stalls.analyse` turns the samples into
  blocks — per task that held the loop, the duration and the stack seen most often
  (where the time went). The session maps each task to its loop.

Limits: code that holds the interpreter lock for the whole stall (one long C call such
as a pathological regular expression) cannot be sampled, so the report has no stack and
no loop. An event loop other than asyncio's own (uvloop) has no selector to wrap:
then nothing is reported (:attr:`Watchdog.supported` is False).
"""

from __future__ import annotations

import asyncio
import math
import sys
import threading
import time
import weakref
from typing import TYPE_CHECKING, Any, Callable

from looptui.core.asyncio_internals import loop_selector
from looptui.session.health.stacks import RawFrame, walk_frames
from looptui.session.health.stalls import NO_STACK, Block, Sample, analyse

if TYPE_CHECKING:
    from looptui.core.tracker import Tracker

__all__ = ["Watchdog", "Block", "DEFAULT_THRESHOLD", "NO_STACK", "mark_blocked", "excuse_stall"]

DEFAULT_THRESHOLD = 0.1
"""A stall at least this long (seconds) is reported (``--block-threshold``)."""
MAX_SAMPLES = 4000
"""Samples kept per stall (minutes at the sampling rate); later ones extend the last."""
_IDLE = math.inf
_RUNNING: weakref.WeakSet[Watchdog] = weakref.WeakSet()
"""Watchdogs watching an event loop now (see :func:`excuse_stall`)."""


def excuse_stall() -> None:
    """The event loop's current stall is not a block: a debugger holds it on purpose.

    Every running watchdog drops what it sampled of the stall in progress, samples no
    more of it, and does not report it when the loop gets back to ``select``.
    """
    for dog in list(_RUNNING):
        dog.excuse()


def mark_blocked(tracker: Tracker, block: Block, now: float) -> None:
    """Note *block* on the loop whose code caused it (``tracker.notes["blocked"]``)."""
    before = tracker.notes.get("blocked") or {}
    tracker.notes["blocked"] = {
        "duration": block.duration, "count": before.get("count", 0) + 1,
        "total": before.get("total", 0.0) + block.duration, "time": now,
        "stack": block.stack,
    }
    tracker.version += 1


class Watchdog:
    """Reports stalls of the running event loop to a callback, on the loop thread.

    Attributes:
        threshold: Stalls at least this long (seconds) are reported; ``0`` disables.
        supported: False when the event loop could not be watched (see module doc).
        count: Blocks reported so far (a stall shared by several loops is one per loop).
    """

    def __init__(self, on_block: Callable[[Block], None], threshold: float = DEFAULT_THRESHOLD):
        self.threshold = threshold
        self.supported = True
        self.count = 0
        self._on_block = on_block
        self._busy_since = _IDLE  # monotonic time the loop left select; written by its thread
        self._loop: asyncio.AbstractEventLoop | None = None
        self._selector: Any = None
        self._thread_id = 0
        self._lock = threading.Lock()
        # the stall being sampled: its start, its samples, and one copy of each stack
        self._stall_since = _IDLE
        self._samples: list[Sample] = []
        self._stacks: dict[tuple[RawFrame, ...], tuple[RawFrame, ...]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._excused = _IDLE  # start of a stall that is not to be reported (a debugger)

    @property
    def running(self) -> bool:
        return self._thread is not None

    def blocked_for(self) -> float:
        """Seconds the event loop has been busy without a break so far (any thread)."""
        since = self._busy_since
        return 0.0 if since is _IDLE else max(0.0, time.monotonic() - since)

    # ---------------------------------------------------------------- start/stop
    def start(self) -> bool:
        """Watch the running event loop. Returns False when it cannot be watched."""
        if self._thread is not None or self.threshold <= 0:
            return self._thread is not None
        loop = asyncio.get_running_loop()
        selector = loop_selector(loop)
        real = getattr(selector, "select", None)
        if real is None or not self._wrap(selector, real):
            self.supported = False
            return False
        self._loop = loop
        self._thread_id = threading.get_ident()
        self._busy_since = time.monotonic()  # the loop is running a callback: this one
        self._stop.clear()
        self._thread = threading.Thread(target=self._watch, name="looptui-watchdog", daemon=True)
        self._thread.start()
        _RUNNING.add(self)
        return True

    def stop(self) -> None:
        """Stop watching and give the selector its own ``select`` back."""
        self._stop.set()
        _RUNNING.discard(self)
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=1.0)
        selector, self._selector = self._selector, None
        if selector is not None:
            try:
                del selector.select
            except AttributeError:
                pass
        self._busy_since = _IDLE

    def _wrap(self, selector: Any, real: Callable[..., Any]) -> bool:
        mono = time.monotonic

        def select(timeout: float | None = None) -> Any:
            since = self._busy_since
            if since is not _IDLE:
                self._busy_since = _IDLE
                busy = mono() - since
                if busy >= self.threshold and since != self._excused:
                    self._stall_over(since, busy)
            events = real(timeout)
            self._busy_since = mono()
            return events

        try:
            selector.select = select
        except (AttributeError, TypeError):
            return False
        self._selector = selector
        return True

    def excuse(self) -> None:
        """Do not report the stall in progress (see :func:`excuse_stall`)."""
        with self._lock:
            self._excused = self._busy_since
            self._stall_since, self._samples, self._stacks = _IDLE, [], {}

    # ------------------------------------------------------------- loop thread
    def _stall_over(self, since: float, duration: float) -> None:
        with self._lock:
            samples = self._samples if self._stall_since == since else []
            self._stall_since, self._samples, self._stacks = _IDLE, [], {}
        if self._loop is not None:
            self._loop.call_soon(self._report, since, duration, samples)

    def _report(self, since: float, duration: float, samples: list[Sample]) -> None:
        for block in analyse(since, duration, samples, self.threshold):
            self.count += 1
            self._on_block(block)

    # ---------------------------------------------------------- watchdog thread
    def _watch(self) -> None:
        half = self.threshold / 2
        slow = max(0.005, half)  # nothing stalled: look again when a stall could be half-way
        fast = max(0.002, self.threshold / 10)  # a stall in progress: sample it often
        wait = slow
        while not self._stop.wait(wait):
            if self._loop is None or self._loop.is_closed():  # never stopped: end with it
                break
            since = self._busy_since
            now = time.monotonic()
            if since == self._excused:  # a debugger holds the loop: nothing to sample
                wait = slow
                continue
            if now - since < half:
                # Each wake-up takes the interpreter lock from the loop thread: as few
                # as possible while all is well (the GIL hand-over is the real cost).
                wait = min(slow, max(fast, since + half - now))
                continue
            wait = fast
            frame = sys._current_frames().get(self._thread_id)
            if frame is None:
                continue
            frames = walk_frames(frame)
            del frame
            try:
                task = asyncio.current_task(self._loop)
            except Exception:
                task = None
            with self._lock:
                if self._busy_since != since:  # the stall ended while we looked
                    continue
                if self._stall_since != since:
                    self._stall_since, self._samples, self._stacks = since, [], {}
                if len(self._samples) < MAX_SAMPLES:
                    frames = self._stacks.setdefault(frames, frames)
                    self._samples.append((now, frames, task))
