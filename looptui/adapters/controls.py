"""The monitor's actions on a foreign loop (the ``Controls`` protocol of the tracker).

They go through the library's own API — ``start``, ``stop``, ``cancel``, ``restart``,
``change_interval`` — and the extras never run a body the library would not run:

* stop (the monitor's ``s``) also tells the adapter to start no further body and wakes
  the library's sleep handle, so a sleeping loop ends at once instead of running one
  more body (discord.py's ``stop()`` alone lets the next body run; nextcord's sleeps a
  whole interval first). A loop in its reconnect backoff ends when the backoff delay is
  over, without another body: the library's backoff sleep cannot be woken safely.
* pause holds the next body until resume; an interval loop then runs at once and its
  schedule is re-anchored on the resume time (no burst of missed runs). ``time=`` loops
  can be paused only where the library computes slots from the clock alone (discord.py):
  they wait for the next real slot after resume.
* trigger runs the body once more in its own task, never at the same time as a
  scheduled body; it does not count towards ``count``, and its exception is recorded and
  printed, not handed to the loop's error handler.
"""

from __future__ import annotations

import asyncio
import datetime
import math
import sys
import traceback
import weakref
from typing import TYPE_CHECKING, Any, Sequence

from ..core.context import current_tracker
from ..core.states import LoopState
from .loopinfo import real_coro, timestamp
from .zones import as_fixed_offsets, takes_named_zones

if TYPE_CHECKING:
    from ..core.tracker import Tracker
    from .traits import LibraryTraits

__all__ = ["ForeignControls", "set_done"]

_S = LoopState


def set_done(fut: asyncio.Future[Any]) -> None:
    """Resolve *fut* unless it already is (wake-ups may race with timers)."""
    if not fut.done():
        fut.set_result(None)


class ForeignControls:
    """The ``Controls`` half of :class:`~looptui.adapters.foreign.ForeignLoop`.

    ``unsupported(action)`` gives the reason an action cannot be done now (shown with the
    action disabled); the ``ui_*`` methods raise ``RuntimeError`` with that reason if
    called anyway, except ``ui_stop``/``ui_cancel``/``ui_resume`` which do nothing then.
    """

    tracker: Tracker
    traits: LibraryTraits
    _start_args: tuple[tuple[Any, ...], dict[str, Any]]
    _stop_now: bool
    _paused: bool
    _holding: bool
    _retrying: bool
    _drift_guard: bool
    _trigger_task: asyncio.Task[None] | None
    _body_fut: asyncio.Future[None] | None

    if TYPE_CHECKING:  # provided by the adapter (ForeignLoop)
        @property
        def loop(self) -> Any:
            """The loop, or None once it no longer exists."""

        def _resting_state(self, loop: Any) -> LoopState:
            """The state of the loop between bodies."""

        def _wake(self) -> None:
            """End a pause or hold wait."""

        def _wake_library(self, loop: Any) -> None:
            """End the library's sleep."""

    def unsupported(self, action: str) -> str | None:
        loop = self.loop
        if loop is None:
            return "the loop object no longer exists"
        running = loop.is_running()
        if action == "start":
            return "the loop is already running" if running else None
        if action in ("stop", "cancel"):
            return None if running else "the loop is not running"
        if action == "restart":
            return None
        if action == "change_interval":
            if (
                running
                and not self.traits.guards_change_interval
                and not hasattr(getattr(loop, "_handle", None), "done")
            ):
                return f"{self.traits.source} cannot change the interval before the loop's first sleep"
            return None
        if action == "trigger":
            if not running:
                return "the loop is not running; press r to start it"
            if self.tracker.state is _S.WAITING:
                return "the loop is still in before_loop"
            if self._stop_now or getattr(loop, "_stop_next_iteration", False):
                return "the loop is stopping"
            if self._trigger_task is not None and not self._trigger_task.done():
                return "a triggered run is already in progress"
            return None
        if action == "pause":
            if not running:
                return "the loop is not running"
            if loop.time is not None and not self.traits.slots_from_clock:
                return (
                    f"{self.traits.source} keeps an internal slot index for time= loops "
                    "that cannot be moved safely: stop and restart the loop instead"
                )
            return None
        return f"unknown action {action!r}"

    def _require(self, action: str) -> Any:
        reason = self.unsupported(action)
        if reason is not None:
            raise RuntimeError(reason)
        return self.loop

    def ui_start(self) -> None:
        loop = self._require("start")
        args, kwargs = self._start_args
        loop.start(*args, **kwargs)

    def ui_stop(self) -> None:
        """Stop without starting another body; a sleeping loop ends at once."""
        loop = self.loop
        if loop is None or not loop.is_running():
            return
        self._stop_now = True
        self._paused = False
        loop.stop()
        if self.tracker.state is not _S.WAITING:
            self.tracker.set_state(_S.STOPPING)
        self._guard_clock_drift(loop)
        self._wake()
        self._wake_library(loop)

    def _guard_clock_drift(self, loop: Any) -> None:
        """Woken before its slot, discord.py would re-sleep until that slot ("clock drift").

        While stopping, the next slot asked for is moved past the last one so the
        library goes straight on to its stop check. Removed when the run ends.
        """
        if "_get_next_sleep_time" in loop.__dict__ or loop.time is None:
            return
        original = loop._get_next_sleep_time
        adapter_ref = weakref.ref(self)

        def _get_next_sleep_time(*args: Any, **kwargs: Any) -> Any:
            result = original(*args, **kwargs)
            adapter = adapter_ref()
            last = getattr(loop_ref(), "_last_iteration", None)
            if adapter is not None and adapter._stop_now and isinstance(last, datetime.datetime):
                if isinstance(result, datetime.datetime) and result <= last:
                    return last + datetime.timedelta(days=1)
            return result

        loop_ref = weakref.ref(loop)
        loop.__dict__["_get_next_sleep_time"] = _get_next_sleep_time
        self._drift_guard = True

    def drop_drift_guard(self) -> None:
        loop = self.loop
        if loop is not None and self._drift_guard:
            loop.__dict__.pop("_get_next_sleep_time", None)
            self._drift_guard = False

    def ui_cancel(self) -> None:
        loop = self.loop
        if loop is None:
            return
        trigger = self._trigger_task
        if trigger is not None and not trigger.done():
            trigger.cancel()
        loop.cancel()

    def ui_restart(self) -> None:
        loop = self.loop
        if loop is None:
            raise RuntimeError("the loop object no longer exists")
        args, kwargs = self._start_args
        if loop.is_running():
            loop.restart(*args, **kwargs)
        else:
            loop.start(*args, **kwargs)

    def ui_change_interval(
        self, *, seconds: float | None = None, times: Sequence[datetime.time] | None = None
    ) -> str | None:
        """Change the loop's schedule; return a sentence about how, when it was adapted.

        Libraries other than discord.py take fixed UTC offsets only: a named zone becomes
        its offset at the slot's next occurrence (see :mod:`.zones`).
        """
        loop = self._require("change_interval")
        if times is None and (seconds.__class__ is bool or not math.isfinite(seconds or 0)):
            # the libraries accept NaN and infinity, and the loop never runs again
            raise ValueError(f"the interval must be a finite number of seconds, not {seconds!r}")
        if (
            times is None
            and loop.is_running()
            and not self.traits.guards_change_interval
            and not isinstance(getattr(loop, "_last_iteration", None), datetime.datetime)
        ):
            # The library would fail half-way (it adds the interval to a missing time).
            raise RuntimeError(
                f"{self.traits.source} cannot switch to an interval before the loop's first "
                "iteration; set daily times, or change it after the first run"
            )
        if times is not None:
            note = None
            if not takes_named_zones(self.traits.source):
                times, note = as_fixed_offsets(times)
            loop.change_interval(time=list(times))
            return note
        loop.change_interval(seconds=seconds or 0)
        return None

    def ui_trigger(self) -> None:
        loop = self._require("trigger")
        task = loop.get_task()
        evloop = task.get_loop() if task is not None else asyncio.get_running_loop()
        self._trigger_task = evloop.create_task(
            self._run_triggered(), name=f"looptui-trigger: {self.tracker.name}"
        )

    async def _run_triggered(self) -> None:
        tracker = self.tracker
        current_tracker.set(tracker)
        body = self._body_fut
        if body is not None and not body.done():
            await asyncio.wait({body})
        loop = self.loop
        if loop is None or not loop.is_running() or self._stop_now:
            return
        args, kwargs = self._start_args
        injected = getattr(loop, "_injected", None)
        if injected is not None:
            args = (injected, *args)
        real = real_coro(loop)
        tracker.set_state(_S.RUNNING)
        record = tracker.iteration_started(getattr(loop, "_current_loop", 0), None, triggered=True)
        try:
            await real(*args, **kwargs)
        except asyncio.CancelledError:
            tracker.iteration_cancelled(record)
            raise
        except Exception as exc:
            tracker.iteration_failed(record, exc, retrying=False)
            print(f"Unhandled exception in a triggered run of {tracker.name!r}.", file=sys.stderr)
            traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
        else:
            tracker.iteration_finished(record, counted=False)
        finally:
            if tracker.state is _S.RUNNING and loop.is_running():
                tracker.set_state(self._resting_state(loop))

    def ui_pause(self) -> None:
        self._require("pause")
        if self._paused:
            return
        self._paused = True
        if self.tracker.state in (_S.SLEEPING, _S.RETRYING):
            self.tracker.set_next_run(None)
            self.tracker.set_state(_S.PAUSED)
        self._wake()

    def ui_resume(self) -> None:
        if not self._paused:
            return
        self._paused = False
        loop = self.loop
        if self._holding:
            self._wake()
            return
        if loop is not None and loop.is_running() and self.tracker.state is _S.PAUSED:
            if not self._retrying:
                self.tracker.set_next_run(timestamp(getattr(loop, "_next_iteration", None)))
            self.tracker.set_state(self._resting_state(loop))

    def is_paused(self) -> bool:
        return self._paused

    def __repr__(self) -> str:
        return f"<ForeignLoop {self.tracker.name!r} source={self.traits.source}>"
