"""looptui's Loop: a drop-in for discord.py 2.7's ``discord.ext.tasks.Loop`` that records.

What it does exactly as discord.py does (observable behaviour, not code):

* Relative intervals run on a drift-free grid: the next run is the previous *scheduled*
  time plus the interval, so an overrun is caught up by running again at once.
* The first body runs immediately (relative) or at the first slot (``time=``, which
  sleeps *before* each body). For relative intervals ``current_loop`` is incremented
  after the sleep that follows a body, so ``after_loop`` of a ``count`` loop runs one
  interval after its last body.
* :meth:`Loop.stop` is a flag checked after a body: called during a sleep, one more body
  runs. :meth:`Loop.restart` restarts through the task's done-callback and does nothing
  when the loop is not running. ``failed()`` is sticky until the next ``start()``.
* ``reconnect=True`` retries ``OSError``, ``asyncio.TimeoutError`` (and
  ``aiohttp.ClientError`` when aiohttp is installed) with exponential backoff.

What it adds (see the README's "Differences from discord.py"): every exception is recorded
on the loop's :class:`~looptui.core.tracker.Tracker` (also retried ones and those of the
hooks) and the default error handler prints *and* logs it; per-instance copies inherit
added exception types; ``time=`` lists are ordered by real instant and a change while
sleeping toward the first slot is applied; :meth:`pause`, :meth:`resume`, :meth:`trigger`,
:meth:`stop_now`, and the ``state``/``history``/``stats``/``last_exception``/``lateness``
read-outs.
"""

from __future__ import annotations

import asyncio
import datetime
import importlib.util
import inspect
import logging
import math
import sys
import types
from collections.abc import Sequence
from typing import Any, Callable, Coroutine, Generic, TypeVar

from . import clock
from .backoff import ExponentialBackoff
from .context import current_tracker
from .records import ExceptionInfo
from .registry import REGISTRY
from .schedule import describe_times, format_interval, next_slot, normalize_times
from .states import LoopState
from .tracebacks import format_user_exception, user_exc_info
from .tracker import Tracker

__all__ = ["Loop", "loop", "MISSING", "LF", "FT", "ET"]

_log = logging.getLogger("looptui.tasks")
_WATCHED_HOOKS = frozenset({"error", "after_loop"})
"""Hooks noted in ``tracker.notes["hook"]`` while they run (see ``_call_loop_function``)."""

T = TypeVar("T")
LF = TypeVar("LF", bound=Callable[..., Coroutine[Any, Any, Any]])
FT = TypeVar("FT", bound=Callable[..., Coroutine[Any, Any, Any]])
ET = TypeVar("ET", bound=Callable[[Any, BaseException], Coroutine[Any, Any, Any]])

_S = LoopState


class _Missing:
    """Sentinel for "argument not given" (discord.py's ``MISSING`` equivalent)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "..."

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()

_aiohttp_installed: bool | None = None


def default_exception_types() -> tuple[type[BaseException], ...]:
    """``OSError``, ``asyncio.TimeoutError``, and ``aiohttp.ClientError`` once imported."""
    aiohttp = sys.modules.get("aiohttp")
    if aiohttp is not None:
        return (OSError, aiohttp.ClientError, asyncio.TimeoutError)
    return (OSError, asyncio.TimeoutError)


def _aiohttp_pending() -> bool:
    """aiohttp is installed but not imported yet: add its error type when it is.

    Importing aiohttp just in case costs most of a second; an ``aiohttp.ClientError``
    cannot be raised, nor named by user code, before aiohttp is imported, so the default
    exception types pick it up lazily instead.
    """
    global _aiohttp_installed
    if "aiohttp" in sys.modules:
        return False
    if _aiohttp_installed is None:
        _aiohttp_installed = importlib.util.find_spec("aiohttp") is not None
    return _aiohttp_installed


def _is_class_template(coro: Callable[..., Any]) -> bool:
    """A loop defined in a class body is a template: each instance gets its own copy."""
    parts = getattr(coro, "__qualname__", "").split(".")
    return len(parts) > 1 and parts[-2] != "<locals>"


def _report_hook_error(loop_name: str, hook: str, exc: BaseException) -> None:
    """Print (and log) an exception raised by a hook: nothing fails silently."""
    print(f"Exception in {hook} of background task {loop_name!r}.", file=sys.stderr)
    sys.stderr.write(format_user_exception(exc))
    if _log.hasHandlers():
        _log.error("Exception in %s of background task %r.", hook, loop_name, exc_info=exc)


def _wake(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


@types.coroutine
def _yield() -> Any:
    """Give the event loop one turn (the cheapest possible await)."""
    yield


class Loop(Generic[LF]):
    """A background task that runs a coroutine on a schedule, and records what happens.

    Create it with :func:`loop`. Everything discord.py's ``Loop`` offers is here with the
    same behaviour; the extensions are listed in the module docstring.
    """

    def __init__(
        self,
        coro: LF,
        seconds: float = MISSING,
        hours: float = MISSING,
        minutes: float = MISSING,
        time: datetime.time | Sequence[datetime.time] = MISSING,
        count: int | None = None,
        reconnect: bool = True,
        name: str | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self.coro: LF = coro
        self.reconnect: bool = reconnect
        self.count: int | None = count
        self.loop = loop  # nextcord's ``loop=``: the event loop to create the task on
        self._current_loop = 0
        self._task: asyncio.Task[None] | None = None
        self._injected: Any = None
        self._valid_exception: tuple[type[BaseException], ...] = default_exception_types()
        self._aiohttp_pending = _aiohttp_pending()
        self._before_loop: Callable[..., Coroutine[Any, Any, Any]] | None = None
        self._after_loop: Callable[..., Coroutine[Any, Any, Any]] | None = None
        self._is_being_cancelled = False
        self._has_failed = False
        self._stop_next_iteration = False
        self._user_name = name
        # Same default task name as discord.py, so code that looks tasks up by name still works.
        self._name: str = f"discord-ext-tasks: {coro.__qualname__}" if name is None else name

        if self.count is not None and self.count <= 0:
            raise ValueError("count must be greater than 0 or None.")

        # Sleep machinery (set before change_interval, which may look at it).
        self._sleep_fut: asyncio.Future[None] | None = None
        self._sleep_handle: asyncio.TimerHandle | None = None
        self._sleep_target = 0.0
        self._schedule_sleep = False
        self._last_iteration: float | None = None
        self._next_iteration: float | None = None
        self._next_dt: datetime.datetime | None = None
        # Extensions: pause / trigger / stop-now, all checked through one flag.
        self._interrupt = False
        self._paused = False
        self._triggers = 0
        self._stop_now = False
        self._resume_fut: asyncio.Future[None] | None = None
        self._start_args: tuple[tuple[Any, ...], dict[str, Any]] = ((), {})

        code = getattr(coro, "__code__", None)
        self.tracker = Tracker(
            name if name is not None else getattr(coro, "__qualname__", repr(coro)),
            controls=self,
            count=count,
            file=code.co_filename if code else None,
            line=code.co_firstlineno if code else None,
        )
        self.change_interval(seconds=seconds, minutes=minutes, hours=hours, time=time)
        self._last_iteration_failed = False

        if not inspect.iscoroutinefunction(self.coro):
            raise TypeError(f"Expected coroutine function, not {type(self.coro).__name__!r}.")
        if not _is_class_template(coro):
            REGISTRY.register(self.tracker, owner=self)

    # ------------------------------------------------------------------ internals
    async def _call_loop_function(self, name: str, *args: Any) -> None:
        coro = getattr(self, "_" + name)
        if coro is None:
            return
        # The error handler and after_loop run after the body, with no iteration in
        # progress: a note says which hook runs since when, so one that never returns
        # can be seen (the monitor calls it stuck, as it does a body).
        notes = self.tracker.notes if name in _WATCHED_HOOKS else None
        if notes is not None:
            notes["hook"] = {"hook": name, "since": clock.now()}
        try:
            if self._injected is not None:
                await coro(self._injected, *args)
            else:
                await coro(*args)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            self.tracker.exception(exc, name)
            _report_hook_error(self.tracker.name, name, exc)
            raise
        finally:
            if notes is not None:
                notes.pop("hook", None)

    def _next_run_time(self, inclusive: bool = True) -> float:
        """The next run (epoch s): grid step for intervals, next slot from now for ``time=``.

        After waking for a slot, *inclusive* is False so the slot just reached (the clock
        may read exactly its instant) is not found again.
        """
        if self._sleep is not MISSING:
            assert self._last_iteration is not None
            self._next_dt = None
            return self._last_iteration + self._sleep
        return self._next_slot_after(clock.now_datetime(), inclusive=inclusive)

    def _get_next_sleep_time(self, now: datetime.datetime = MISSING) -> datetime.datetime:
        """When the next run is due after *now*, as discord.py's private method answers it.

        Same signature and return type as ``discord.ext.tasks.Loop._get_next_sleep_time``
        (code and tests written against discord.py call it): for relative intervals the
        last scheduled run plus the interval; for ``time=`` the first slot at or after
        *now* (default: the current time), an aware datetime in that slot's zone. It
        does not change the loop's schedule; the loop itself uses its own epoch-seconds
        method.
        """
        if self._sleep is not MISSING:
            last = self._last_iteration
            base = clock.to_datetime(last) if last is not None else clock.now_datetime()
            return base + datetime.timedelta(seconds=self._sleep)
        if now is MISSING:
            now = clock.now_datetime()
        return next_slot(self._time, now, inclusive=True)

    def _next_slot_after(self, after: datetime.datetime, inclusive: bool = False) -> float:
        dt = next_slot(self._time, after, inclusive=inclusive)
        self._next_dt = dt
        return dt.timestamp()

    def _set_next(self, ts: float) -> None:
        self._next_iteration = ts
        self.tracker.set_next_run(ts)

    async def _wait_until(self, when: float, args: tuple, kwargs: dict, schedule: bool) -> bool:
        """Sleep until *when* (epoch s). Returns False when the loop must end now.

        *schedule* marks sleeps toward ``_next_iteration`` (re-armed by
        ``change_interval``) as opposed to backoff sleeps. Pause, trigger and stop-now
        requests wake the sleep and are handled here, so the hot path checks one flag.
        """
        self._sleep_target = when
        self._schedule_sleep = schedule
        yielded = False
        while True:
            if self._interrupt and not await self._handle_interrupt(args, kwargs):
                return False
            delay = self._sleep_target - clock.now()
            if delay <= 0:
                if yielded:
                    return True
                yielded = True
                await _yield()
                continue
            evloop = asyncio.get_running_loop()
            fut = evloop.create_future()
            self._sleep_fut = fut
            self._sleep_handle = evloop.call_later(delay, _wake, fut)
            try:
                await fut
            finally:
                self._sleep_handle.cancel()
                self._sleep_fut = None
            if not self._interrupt:
                return True
            yielded = True

    async def _handle_interrupt(self, args: tuple, kwargs: dict) -> bool:
        """Serve pending stop-now / trigger / pause requests. False means: end the loop."""
        tracker = self.tracker
        resting = tracker.state
        was_paused = False
        while True:
            if self._stop_now:
                return False
            if self._triggers:
                self._triggers -= 1
                await self._run_body(args, kwargs, scheduled=None)
                tracker.set_state(resting)
                continue
            if self._paused:
                was_paused = True
                tracker.set_state(_S.PAUSED)
                fut = asyncio.get_running_loop().create_future()
                self._resume_fut = fut
                try:
                    await fut
                finally:
                    self._resume_fut = None
                continue
            break
        self._interrupt = False
        if was_paused:
            resting = _S.STOPPING if self._stop_next_iteration else (
                _S.SLEEPING if resting is _S.PAUSED else resting
            )
            if self._schedule_sleep and self._next_iteration is not None:
                now = clock.now()
                if self._next_iteration < now:
                    # Missed runs are not replayed: interval loops run once now and
                    # re-anchor their grid, time= loops wait for the next real slot.
                    if self._time is MISSING:
                        self._set_next(now)
                    else:
                        self._set_next(self._next_slot_after(clock.to_datetime(now)))
                self._sleep_target = self._next_iteration
        tracker.set_state(resting)
        return True

    async def _run_body(self, args: tuple, kwargs: dict, scheduled: float | None) -> bool:
        """Run the coroutine once, recording it. Returns False after a retried error.

        The scheduled runs of :meth:`_loop` do the same inline (one coroutine less per
        iteration); triggered runs come here.
        """
        tracker = self.tracker
        tracker.set_state(_S.STOPPING if self._stop_next_iteration else _S.RUNNING)
        seq = tracker.iteration_started(self._current_loop, scheduled, scheduled is None)
        try:
            await self.coro(*args, **kwargs)
        except BaseException as exc:
            self._body_failed(seq, exc)
            return False
        tracker.iteration_finished(seq, counted=scheduled is not None)
        return True

    def _body_failed(self, seq: int, exc: BaseException) -> None:
        """Record the body's exception; raise it again unless it is retried (reconnect)."""
        tracker = self.tracker
        if self._aiohttp_pending:
            self._resolve_aiohttp()
        # Same order as discord.py's except clauses: reconnect types first.
        if isinstance(exc, self._valid_exception):
            tracker.iteration_failed(seq, exc, retrying=self.reconnect)
            if not self.reconnect:
                raise exc
            return
        if isinstance(exc, asyncio.CancelledError):
            info = None
            task = asyncio.current_task()
            if task is not None and not task.cancelling():
                # Raised by the body itself, not a cancellation: the loop ends
                # cancelled (as in discord.py), but where it came from is kept.
                info = tracker.exception(exc, "body", emit=False)
                print(f"Background task {tracker.name!r} raised CancelledError itself "
                      "(nothing cancelled it); the loop ends cancelled.", file=sys.stderr)
                sys.stderr.write(format_user_exception(exc))
            tracker.iteration_cancelled(seq, info)
        else:
            tracker.iteration_failed(seq, exc, retrying=False)
        raise exc

    async def _loop(self, *args: Any, **kwargs: Any) -> None:
        tracker = self.tracker
        current_tracker.set(tracker)
        backoff: ExponentialBackoff | None = None  # made at the first retry (its RNG is 2.5 kB)
        try:
            await self._call_loop_function("before_loop")
        except BaseException as exc:
            self._end_state(exc, finished=False)
            raise
        self._last_iteration_failed = False
        if self._time is not MISSING:
            self._set_next(self._next_run_time())
        else:
            self._set_next(clock.now())
            self._next_dt = None
            await _yield()  # allows cancelling in before_loop
        ending: BaseException | None = None
        finished = False
        try:
            if self._stop_next_iteration:  # stop() called before the first iteration
                return
            # _next_iteration and _last_iteration are Optional only before the _set_next
            # above, and _sleep_target is a float from here on: the `type: ignore`s in
            # this loop say so without a check on the hot path.
            while True:
                if self._time is not MISSING:
                    tracker.set_state(_S.STOPPING if self._stop_next_iteration else _S.SLEEPING)
                    if not await self._wait_until(self._next_iteration, args, kwargs, True):  # type: ignore[arg-type]
                        return
                elif self._interrupt and not await self._handle_interrupt(args, kwargs):
                    return
                scheduled = self._next_iteration
                if not self._last_iteration_failed:
                    self._last_iteration = scheduled
                    if self._time is MISSING:  # the grid step, inline (hot path)
                        self._next_dt = None
                        # no version bump needed: iteration_started bumps it just below
                        self._next_iteration = tracker.next_run = scheduled + self._sleep  # type: ignore[operator]
                    else:
                        self._set_next(self._next_run_time(inclusive=False))
                    # Woke a hair early for a time= slot: never run the same slot twice.
                    if self._time is not MISSING and self._next_iteration <= self._last_iteration:  # type: ignore[operator]
                        _log.warning(
                            "Clock drift detected for task %s: woke before %s.",
                            self.coro.__qualname__, self._next_dt,
                        )
                        self._set_next(self._next_slot_after(clock.to_datetime(self._last_iteration)))  # type: ignore[arg-type]
                # The body, as _run_body runs it, inline: this is the hot path.
                seq = tracker.iteration_started(
                    self._current_loop, scheduled,
                    state=_S.STOPPING if self._stop_next_iteration else _S.RUNNING,
                )
                try:
                    await self.coro(*args, **kwargs)
                except BaseException as exc:
                    self._body_failed(seq, exc)
                    body_ok = False
                else:
                    # A relative loop that goes on sleeps next (time= loops say so
                    # when they start sleeping toward their slot).
                    tracker.iteration_finished(seq, then=_S.SLEEPING if (
                        self._time is MISSING and not self._stop_next_iteration) else None)
                    body_ok = True
                if body_ok:
                    self._last_iteration_failed = False
                    if self._stop_next_iteration:
                        return
                    if self._time is MISSING:
                        due = self._next_iteration
                        delay = due - clock.now()  # type: ignore[operator]
                        if self._interrupt:
                            if not await self._wait_until(due, args, kwargs, True):  # type: ignore[arg-type]
                                return
                        elif delay > 0:
                            # The sleep of _wait_until, inline (hot path): a future and
                            # a timer; pause/trigger/stop-now requests wake it, and then
                            # _wait_until serves them.
                            self._sleep_target = due  # type: ignore[assignment]
                            self._schedule_sleep = True
                            evloop = asyncio.get_running_loop()
                            fut = evloop.create_future()
                            self._sleep_fut = fut
                            self._sleep_handle = evloop.call_later(delay, _wake, fut)
                            try:
                                await fut
                            except BaseException:
                                self._sleep_handle.cancel()
                                self._sleep_fut = None
                                raise
                            self._sleep_fut = None
                            if self._interrupt:  # woken early: the timer is still set
                                self._sleep_handle.cancel()
                                if not await self._wait_until(
                                    self._sleep_target, args, kwargs, True
                                ):
                                    return
                        else:
                            # Already due (a 0-second loop, or catching up after an
                            # overrun): one turn of the event loop, as asyncio.sleep(0)
                            # gives, without a sleep coroutine on the hot path.
                            self._sleep_target = due  # type: ignore[assignment]
                            self._schedule_sleep = True
                            await _yield()
                            # change_interval during that turn aims the sleep at a later
                            # time (no extra body); pause/trigger/stop-now set _interrupt.
                            if (self._interrupt or self._sleep_target != due) and (
                                not await self._wait_until(self._sleep_target, args, kwargs, True)
                            ):
                                return
                    self._current_loop += 1
                    if self._current_loop == self.count:
                        finished = True
                        break
                else:
                    self._last_iteration_failed = True
                    if backoff is None:
                        backoff = ExponentialBackoff()
                    retry_after = backoff.delay()
                    retried = tracker.last_exception.exc if tracker.last_exception else None
                    _log.warning(
                        "Handling exception in internal background task %s. Retrying in %.2fs",
                        self.coro.__qualname__, retry_after,
                        exc_info=user_exc_info(retried) if retried is not None else None,
                    )
                    retry_at = clock.now() + retry_after
                    tracker.set_next_run(retry_at)  # Next counts down to the retry
                    tracker.set_state(_S.RETRYING)
                    if not await self._wait_until(retry_at, args, kwargs, False):
                        return
        except asyncio.CancelledError as exc:
            ending = exc
            self._is_being_cancelled = True
            raise
        except Exception as exc:
            ending = exc
            self._has_failed = True
            await self._call_loop_function("error", exc)
            raise exc
        except BaseException as exc:  # KeyboardInterrupt, SystemExit in the body
            ending = exc
            raise
        finally:
            try:
                await self._call_loop_function("after_loop")
            except BaseException as exc:
                ending = exc
                raise
            finally:
                if self._sleep_handle is not None:
                    self._sleep_handle.cancel()
                self._is_being_cancelled = False
                self._current_loop = 0
                self._stop_next_iteration = False
                self._end_state(ending, finished)

    def _end_state(self, ending: BaseException | None, finished: bool) -> None:
        """Set the final state from how the task is ending."""
        if isinstance(ending, asyncio.CancelledError):
            state = _S.CANCELLED
        elif ending is not None:
            state = _S.FAILED
        elif finished:
            state = _S.FINISHED
        else:
            state = _S.STOPPED
        self._reset_extensions()
        self.tracker.set_next_run(None)
        self.tracker.set_state(state)

    def _reset_extensions(self) -> None:
        self._interrupt = self._paused = self._stop_now = False
        self._triggers = 0

    def _on_task_done(self, task: asyncio.Task[None]) -> None:
        """Final bookkeeping when the task ends.

        The exception a failed task ends with has been recorded and printed already, so
        it is marked retrieved: asyncio's "Task exception was never retrieved" would only
        repeat it later, unattributed. Also covers a task cancelled before it ever ran.
        """
        if not task.cancelled():
            task.exception()
        if task is self._task and self.tracker.is_active:
            self._reset_extensions()
            self.tracker.set_next_run(None)
            self.tracker.set_state(_S.CANCELLED if task.cancelled() else _S.FAILED)

    # ------------------------------------------------------------------ descriptor
    def __get__(self, obj: T, objtype: type[T]) -> Loop[LF]:
        if obj is None:
            return self
        copy: Loop[LF] = Loop(
            self.coro,
            seconds=self._seconds,
            hours=self._hours,
            minutes=self._minutes,
            time=self._time,
            count=self.count,
            reconnect=self.reconnect,
            name=self._user_name,
            loop=self.loop,
        )
        copy._injected = obj
        copy._before_loop = self._before_loop
        copy._after_loop = self._after_loop
        copy._error = self._error  # type: ignore[method-assign]  # per loop, as @loop.error sets
        copy._valid_exception = self._valid_exception
        copy._aiohttp_pending = self._aiohttp_pending
        copy._name = self._name
        setattr(obj, self.coro.__name__, copy)
        try:
            REGISTRY.register(copy.tracker, owner=obj)
        except TypeError:  # the instance cannot be weakly referenced (__slots__)
            REGISTRY.register(copy.tracker)
        return copy

    # ------------------------------------------------------------------ properties
    @property
    def seconds(self) -> float | None:
        """Seconds between iterations, or ``None`` for ``time=`` loops."""
        return None if self._seconds is MISSING else self._seconds

    @property
    def minutes(self) -> float | None:
        """Minutes between iterations, or ``None`` for ``time=`` loops."""
        return None if self._minutes is MISSING else self._minutes

    @property
    def hours(self) -> float | None:
        """Hours between iterations, or ``None`` for ``time=`` loops."""
        return None if self._hours is MISSING else self._hours

    @property
    def time(self) -> list[datetime.time] | None:
        """A copy of the ``time=`` list, or ``None`` for relative loops."""
        return None if self._time is MISSING else list(self._time)

    @property
    def current_loop(self) -> int:
        """The current iteration (0-based; reset when the loop ends)."""
        return self._current_loop

    @property
    def next_iteration(self) -> datetime.datetime | None:
        """When the next iteration will occur (``None`` when stopping or not running)."""
        if self._task is not None and self._task.done() or self._stop_next_iteration:
            return None
        if self._next_iteration is None:
            return None
        if self._next_dt is not None:
            return self._next_dt
        return clock.to_datetime(self._next_iteration)

    # Extensions -------------------------------------------------------------
    @property
    def name(self) -> str:
        """The display name in the monitor (``name=`` or the qualified name, made unique)."""
        return self.tracker.name

    @property
    def state(self) -> LoopState:
        """The loop's :class:`LoopState`."""
        return self.tracker.state

    @property
    def history(self) -> Any:
        """Recent :class:`~looptui.core.records.IterationRecord` objects (a bounded ring)."""
        return self.tracker.history

    @property
    def stats(self) -> Any:
        """Counters and duration figures (:class:`~looptui.core.tracker.Stats`)."""
        return self.tracker.stats

    @property
    def last_exception(self) -> ExceptionInfo | None:
        """The newest exception of the body or a hook (``.exc``, ``.traceback`` …)."""
        return self.tracker.last_exception

    @property
    def lateness(self) -> float | None:
        """How late (seconds) the latest iteration started against its schedule."""
        record = self.tracker.last_record
        return record.lateness if record is not None else None

    # ------------------------------------------------------------------ control
    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the coroutine once, directly (``self`` injected for class loops)."""
        if self._injected is not None:
            args = (self._injected, *args)
        return await self.coro(*args, **kwargs)

    def start(self, *args: Any, **kwargs: Any) -> asyncio.Task[None]:
        """Start the loop's task on the running event loop and return it.

        Raises:
            RuntimeError: The task is already launched and not completed (or no event
                loop is running).
        """
        if self._task is not None and not self._task.done():
            raise RuntimeError("Task is already launched and is not completed.")
        self._start_args = (args, kwargs)
        if self._injected is not None:
            args = (self._injected, *args)
        if self.tracker.registry is None:
            REGISTRY.register(self.tracker)
        self._has_failed = False
        self._reset_extensions()
        coro = self._loop(*args, **kwargs)
        try:
            if self.loop is not None:
                self._task = self.loop.create_task(coro, name=self._name)
            else:
                self._task = asyncio.create_task(coro, name=self._name)
        except BaseException:
            coro.close()
            raise
        self._task.add_done_callback(self._on_task_done)
        self.tracker.run_started()
        self.tracker.set_state(_S.WAITING if self._before_loop is not None else _S.SLEEPING)
        return self._task

    def stop(self) -> None:
        """Stop gracefully after the current iteration (a flag, as in discord.py).

        Called during a sleep, one more iteration runs before the loop ends; called in
        ``before_loop``, no iteration runs. Use :meth:`stop_now` to end a sleeping loop
        without running another body.
        """
        if self._task is not None and not self._task.done():
            self._stop_next_iteration = True
            if self.tracker.state is not _S.WAITING:
                self.tracker.set_state(_S.STOPPING)

    def stop_now(self) -> None:
        """Stop without starting another body (extension).

        A sleeping, paused or retrying loop ends at once (``after_loop`` runs); a loop in
        its body finishes that body, then ends.
        """
        if self._task is None or self._task.done():
            return
        self.stop()
        if self.tracker.state is not _S.WAITING:
            self._stop_now = True
            self._interrupt = True
            self._wake_sleep()

    def _can_be_cancelled(self) -> bool:
        return bool(not self._is_being_cancelled and self._task and not self._task.done())

    def cancel(self) -> None:
        """Cancel the internal task, if it is running."""
        if self._can_be_cancelled() and self._task:
            self._task.cancel()

    def restart(self, *args: Any, **kwargs: Any) -> None:
        """Cancel the task and start it again once it is done (no-op when not running)."""

        def restart_when_over(fut: Any, *, args: Any = args, kwargs: Any = kwargs) -> None:
            if self._task:
                self._task.remove_done_callback(restart_when_over)
            self.start(*args, **kwargs)

        if self._can_be_cancelled() and self._task:
            self._task.add_done_callback(restart_when_over)
            self._task.cancel()

    def _wake_sleep(self) -> None:
        for fut in (self._sleep_fut, self._resume_fut):
            if fut is not None:
                _wake(fut)

    def pause(self) -> None:
        """Pause a running loop (extension): no body starts until :meth:`resume`.

        A body in progress finishes. On resume, missed runs are not replayed: an interval
        loop whose time has passed runs once and re-anchors its schedule; a ``time=``
        loop waits for its next slot.
        """
        if not self.is_running() or self._paused:
            return
        self._paused = True
        self._interrupt = True
        if self._sleep_fut is not None:  # show it at once; the task confirms on its turn
            self.tracker.set_state(_S.PAUSED)
        self._wake_sleep()

    def resume(self) -> None:
        """Resume a paused loop (extension)."""
        if not self._paused:
            return
        self._paused = False
        if self._resume_fut is not None:
            _wake(self._resume_fut)

    def is_paused(self) -> bool:
        """Whether :meth:`pause` is in effect (extension)."""
        return self._paused

    def trigger(self) -> None:
        """Run one iteration now, without moving the schedule (extension).

        A sleeping or paused loop runs the body at once and then sleeps toward the same
        next run; a loop in its body runs the extra body right after. ``current_loop`` and
        ``count`` are not advanced by a triggered run.

        Raises:
            RuntimeError: The loop is not running.
        """
        if not self.is_running():
            raise RuntimeError("Loop is not running; start it first.")
        self._triggers += 1
        self._interrupt = True
        self._wake_sleep()

    def _resolve_aiohttp(self) -> bool:
        """Add ``aiohttp.ClientError`` to the default types once aiohttp is imported."""
        aiohttp = sys.modules.get("aiohttp")
        if aiohttp is None:
            return False
        self._aiohttp_pending = False
        types_ = list(self._valid_exception)
        types_.insert(1 if OSError in types_ else 0, aiohttp.ClientError)
        self._valid_exception = tuple(types_)
        return True

    def add_exception_type(self, *exceptions: type[BaseException]) -> None:
        """Add exception types retried by the reconnect logic.

        Raises:
            TypeError: An argument is not a class or not a ``BaseException`` subclass.
        """
        for exc in exceptions:
            if not inspect.isclass(exc):
                raise TypeError(f"{exc!r} must be a class.")
            if not issubclass(exc, BaseException):
                raise TypeError(f"{exc!r} must inherit from BaseException.")
        if self._aiohttp_pending:
            self._resolve_aiohttp()
        self._valid_exception = (*self._valid_exception, *exceptions)

    def clear_exception_types(self) -> None:
        """Remove every exception type handled by the reconnect logic."""
        self._aiohttp_pending = False
        self._valid_exception = ()

    def remove_exception_type(self, *exceptions: type[BaseException]) -> bool:
        """Remove exception types from the reconnect logic; True if all were present."""
        if self._aiohttp_pending:
            self._resolve_aiohttp()
        old_length = len(self._valid_exception)
        self._valid_exception = tuple(x for x in self._valid_exception if x not in exceptions)
        return len(self._valid_exception) == old_length - len(exceptions)

    def get_task(self) -> asyncio.Task[None] | None:
        """The internal task, or ``None`` if it was never started."""
        return self._task

    def is_being_cancelled(self) -> bool:
        """Whether the task is being cancelled (true only while tearing down)."""
        return self._is_being_cancelled

    def failed(self) -> bool:
        """Whether the task ended with an unhandled exception (reset by ``start``)."""
        return self._has_failed

    def is_running(self) -> bool:
        """Whether the task exists and is not done."""
        return not self._task.done() if self._task else False

    async def _error(self, *args: Any) -> None:
        """Default error handler: print the traceback to stderr *and* log it."""
        exception: BaseException = args[-1]
        name = self.tracker.name
        print(f"Unhandled exception in internal background task {name!r}.", file=sys.stderr)
        sys.stderr.write(format_user_exception(exception))
        if _log.hasHandlers():
            _log.error("Unhandled exception in internal background task %r.", name, exc_info=exception)

    def before_loop(self, coro: FT) -> FT:
        """Register a coroutine to run before the first iteration.

        Raises:
            TypeError: *coro* is not a coroutine function.
        """
        if not inspect.iscoroutinefunction(coro):
            raise TypeError(f"Expected coroutine function, received {coro.__class__.__name__}.")
        self._before_loop = coro
        return coro

    def after_loop(self, coro: FT) -> FT:
        """Register a coroutine to run after the loop ends (also on cancellation).

        Raises:
            TypeError: *coro* is not a coroutine function.
        """
        if not inspect.iscoroutinefunction(coro):
            raise TypeError(f"Expected coroutine function, received {coro.__class__.__name__}.")
        self._after_loop = coro
        return coro

    def error(self, coro: ET) -> ET:
        """Register a coroutine called with the exception when the loop fails.

        Raises:
            TypeError: *coro* is not a coroutine function.
        """
        if not inspect.iscoroutinefunction(coro):
            raise TypeError(f"Expected coroutine function, received {coro.__class__.__name__}.")
        self._error = coro  # type: ignore[method-assign]  # the handler is per loop (discord.py's API)
        return coro

    def change_interval(
        self,
        *,
        seconds: float = 0,
        minutes: float = 0,
        hours: float = 0,
        time: datetime.time | Sequence[datetime.time] = MISSING,
    ) -> None:
        """Change the interval (relative) or the daily times (``time=``).

        A sleep in progress is re-armed at once; unlike discord.py this also applies
        while sleeping toward the first ``time=`` slot.

        Raises:
            ValueError: A negative or non-finite (NaN, infinite) total interval, or an
                empty ``time`` sequence.
            TypeError: A bad ``time`` value, or ``time`` mixed with relative values.
        """
        if isinstance(time, _Missing):  # (not `is MISSING`: that would narrow MISSING itself)
            seconds = seconds or 0
            minutes = minutes or 0
            hours = hours or 0
            sleep = seconds + (minutes * 60.0) + (hours * 3600.0)
            if sleep < 0:
                raise ValueError("Total number of seconds cannot be less than zero.")
            if not math.isfinite(sleep):  # NaN never compares; infinity never wakes
                raise ValueError(f"Total number of seconds must be finite, not {sleep!r}.")
            self._sleep: float = sleep
            self._seconds: float = float(seconds)
            self._hours: float = float(hours)
            self._minutes: float = float(minutes)
            self._time: list[datetime.time] = MISSING
            self.tracker.set_schedule(format_interval(sleep))
        else:
            if any((seconds, minutes, hours)):
                raise TypeError("Cannot mix explicit time with relative time")
            self._time = normalize_times(time)
            self._sleep = self._seconds = self._minutes = self._hours = MISSING
            self.tracker.set_schedule(describe_times(self._time))

        if not self.is_running():
            return
        if self._last_iteration is not None:
            self._set_next(self._next_run_time())
        elif self._schedule_sleep and self._sleep_fut is not None:
            # Still sleeping toward the first slot: aim at the new schedule.
            self._set_next(clock.now() if self._time is MISSING else self._next_run_time())
        else:
            return
        if self._schedule_sleep:
            # Also between two runs of a 0-second loop (yielding, with no timer armed):
            # the sleep about to start must aim at the new time, not run one more body.
            # (_set_next above made _next_iteration a float)
            self._sleep_target = self._next_iteration  # type: ignore[assignment]
        if self._schedule_sleep and self._sleep_fut is not None and self._sleep_handle is not None:
            self._sleep_handle.cancel()
            delay = max(self._sleep_target - clock.now(), 0.0)
            self._sleep_handle = asyncio.get_running_loop().call_later(delay, _wake, self._sleep_fut)

    # ------------------------------------------------------------ Controls (UI)
    def unsupported(self, action: str) -> str | None:
        """Why a monitor action cannot be done now (``None`` when it can)."""
        running = self.is_running()
        if action in ("stop", "cancel", "pause") and not running:
            return "the loop is not running"
        if action == "trigger" and not running:
            return "the loop is not running; press r to start it"
        return None

    def ui_start(self) -> None:
        args, kwargs = self._start_args
        self.start(*args, **kwargs)

    def ui_stop(self) -> None:
        self.stop_now()

    def ui_cancel(self) -> None:
        self.cancel()

    def ui_restart(self) -> None:
        args, kwargs = self._start_args
        if self.is_running():
            self.restart(*args, **kwargs)
        else:
            self.start(*args, **kwargs)

    def ui_change_interval(
        self, *, seconds: float | None = None, times: Sequence[datetime.time] | None = None
    ) -> None:
        if times is not None:
            self.change_interval(time=times)
        else:
            self.change_interval(seconds=seconds or 0)

    def ui_trigger(self) -> None:
        self.trigger()

    def ui_pause(self) -> None:
        self.pause()

    def ui_resume(self) -> None:
        self.resume()

    def __repr__(self) -> str:
        return f"<Loop {self.tracker.name!r} state={self.tracker.state.value}>"


def loop(
    *,
    seconds: float = MISSING,
    minutes: float = MISSING,
    hours: float = MISSING,
    time: datetime.time | Sequence[datetime.time] = MISSING,
    count: int | None = None,
    reconnect: bool = True,
    name: str | None = None,
    loop: asyncio.AbstractEventLoop | None = None,
) -> Callable[[LF], Loop[LF]]:
    """Decorate a coroutine function into a :class:`Loop` (discord.py's ``tasks.loop``).

    Args:
        seconds, minutes, hours: The interval between iterations (summed).
        time: Daily time(s) to run at, instead of an interval; naive times are UTC.
        count: Number of iterations before the loop finishes, ``None`` for endless.
        reconnect: Retry network-style errors with exponential backoff.
        name: Display and task name (default: the coroutine's qualified name).
        loop: Accepted for nextcord compatibility: the event loop to run on.

    Raises:
        ValueError: An invalid value was given.
        TypeError: The function is not a coroutine, ``time`` is invalid, or ``time`` is
            mixed with relative intervals.
    """

    def decorator(func: LF) -> Loop[LF]:
        return Loop[LF](
            func, seconds=seconds, minutes=minutes, hours=hours, count=count, time=time,
            reconnect=reconnect, name=name, loop=loop,
        )

    return decorator
