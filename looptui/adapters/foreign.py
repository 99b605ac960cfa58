"""One adapter per foreign ``tasks.Loop``: it owns the loop's Tracker and observes it.

The hooks in :mod:`looptui.adapters.hooks` call the ``on_*`` methods and
:meth:`ForeignLoop.run_body` as the library's own code runs, so what the tracker shows is
observed, not re-computed: the library's scheduled time (``_last_iteration``) for
lateness, its ``_next_iteration`` for the next run, its ``_valid_exception`` and
``reconnect`` to tell a retried error from a fatal one. The actions a front end can take
are in :class:`~looptui.adapters.controls.ForeignControls`, which this class extends.

Adapters live in a side table keyed by the loop's identity and hold the loop weakly: the
loop object carries nothing of looptui's, and monitoring never keeps a loop alive.
"""

from __future__ import annotations

import asyncio
import datetime
import weakref
from typing import Any

from ..core.asyncio_internals import peek_exception
from ..core.context import current_tracker
from ..core.registry import REGISTRY, Registry
from ..core.states import LoopState
from ..core.tracebacks import hide_frame
from ..core.tracker import Tracker
from .controls import ForeignControls, set_done
from .loopinfo import (
    base_name,
    describe_schedule,
    is_class_template,
    real_coro,
    timestamp,
    utcnow,
    where_defined,
)
from .traits import LibraryTraits
from .zones import lmt_warning

__all__ = ["ForeignLoop", "adapter_of", "attach", "loop_object", "set_registry"]

_S = LoopState

_ADAPTERS: dict[int, ForeignLoop] = {}
"""id(loop) → its adapter; entries leave when the loop is garbage-collected."""

_REGISTRY: list[Registry] = [REGISTRY]
"""Where new trackers are registered (set by :func:`looptui.adapters.install`)."""


def set_registry(registry: Registry) -> None:
    _REGISTRY[0] = registry


def adapter_of(loop: object) -> ForeignLoop | None:
    """The adapter of *loop*, or ``None`` if looptui never saw it."""
    return _ADAPTERS.get(id(loop))


def loop_object(tracker: Tracker) -> Any:
    """The loop behind *tracker*: looptui's ``Loop``, the library's loop of an adapter
    (``None`` once it is gone), or ``None`` for anything else (a loop of another process)."""
    from ..core.loop import Loop

    controls = tracker.controls
    if isinstance(controls, ForeignLoop):
        return controls.loop
    return controls if isinstance(controls, Loop) else None


def attach(loop: Any, traits: LibraryTraits) -> ForeignLoop:
    """Give *loop* an adapter and a tracker (registered unless it is a class template)."""
    adapter = _ADAPTERS.get(id(loop))
    if adapter is not None and adapter.loop is loop:
        return adapter
    adapter = ForeignLoop(loop, traits)
    key = id(loop)
    _ADAPTERS[key] = adapter
    weakref.finalize(loop, _ADAPTERS.pop, key, None)
    if not is_class_template(real_coro(loop)):
        adapter.register(owner=loop)
    return adapter


class ForeignLoop(ForeignControls):
    """Observes one foreign loop for its :class:`Tracker` and carries out UI actions.

    Holds the loop weakly: the loop holds nothing of looptui's (the adapter lives in a
    side table keyed by the loop's identity), so monitoring never keeps a loop alive.
    """

    def __init__(self, loop: Any, traits: LibraryTraits) -> None:
        self._ref = weakref.ref(loop)
        self.traits = traits
        coro = real_coro(loop)
        file, line = where_defined(coro)
        self.tracker = Tracker(
            base_name(loop, coro),
            source=traits.source,
            controls=self,
            count=getattr(loop, "count", None),
            schedule=describe_schedule(loop),
            file=file,
            line=line,
        )
        self._note_zones(loop)
        self._start_args: tuple[tuple[Any, ...], dict[str, Any]] = ((), {})
        self._stop_now = False
        self._paused = False
        self._wake_fut: asyncio.Future[None] | None = None
        self._body_fut: asyncio.Future[None] | None = None
        self._trigger_task: asyncio.Task[None] | None = None
        self._retrying = False
        self._holding = False
        self._count_reached = False
        self._failure_seen = False
        self._drift_guard = False
        self._accounted: list[BaseException] = []

    # ------------------------------------------------------------------ basics
    @property
    def loop(self) -> Any:
        return self._ref()

    def register(self, owner: object | None = None) -> None:
        registry = _REGISTRY[0]
        if self.tracker.registry is not None:
            return
        try:
            registry.register(self.tracker, owner=owner)
        except TypeError:  # the owner cannot be weakly referenced (__slots__)
            registry.register(self.tracker)

    def _account(self, exc: BaseException) -> None:
        self._accounted.append(exc)
        del self._accounted[:-8]

    def _is_accounted(self, exc: BaseException) -> bool:
        return any(e is exc for e in self._accounted)

    def _resting_state(self, loop: Any) -> LoopState:
        if self._paused:
            return _S.PAUSED
        if self._stop_now or getattr(loop, "_stop_next_iteration", False):
            return _S.STOPPING
        if self._retrying:
            return _S.RETRYING
        return _S.SLEEPING

    # ------------------------------------------------------ observation: life
    def adopt(self, loop: Any) -> None:
        """A loop created before the hooks were installed: take up its present state.

        A running one keeps its task; its bodies, sleeps and hooks are observed from now
        on, but output of its task cannot be attributed to it (the task's context was
        copied before looptui knew the loop).
        """
        self.register(owner=loop)
        task: Any = getattr(loop, "_task", None)
        if not hasattr(task, "done"):
            return
        if task.done():
            if task.cancelled():
                self.tracker.set_state(_S.CANCELLED)
                return
            exc = peek_exception(task)  # peeked, so asyncio still reports it
            if exc is not None:
                self.tracker.exception(exc, "loop")
                self.tracker.set_state(_S.FAILED)
            else:
                self.tracker.set_state(_S.STOPPED)
            return
        frame = getattr(task.get_coro(), "cr_frame", None)
        f_locals = frame.f_locals if frame is not None else {}
        args = tuple(f_locals.get("args", ()))
        kwargs = dict(f_locals.get("kwargs", {}))
        injected = getattr(loop, "_injected", None)
        if injected is not None and args and args[0] is injected:
            args = args[1:]
        self._start_args = (args, kwargs)
        self.tracker.run_started()
        handle: Any = getattr(loop, "_handle", None)
        if hasattr(handle, "done") and not handle.done():
            self.tracker.set_next_run(timestamp(getattr(loop, "_next_iteration", None)))
            self.tracker.set_state(self._resting_state(loop))
        else:
            self.tracker.set_state(_S.RUNNING)
        task.add_done_callback(self._on_task_done)

    def on_bound(self, owner: object) -> None:
        """The library made this loop the per-instance copy for *owner*."""
        self.register(owner=owner)

    def on_started(self, loop: Any, args: tuple[Any, ...], kwargs: dict[str, Any], task: Any) -> None:
        self._start_args = (args, dict(kwargs))
        self._reset_run()
        self.register(owner=loop)
        tracker = self.tracker
        tracker.count = getattr(loop, "count", None)
        tracker.run_started()
        tracker.set_next_run(None)
        tracker.set_state(_S.WAITING if getattr(loop, "_before_loop", None) is not None else _S.SLEEPING)
        add = getattr(task, "add_done_callback", None)
        if add is not None:
            add(self._on_task_done)

    def _reset_run(self) -> None:
        self.drop_drift_guard()
        self._stop_now = self._paused = self._retrying = self._holding = False
        self._count_reached = self._failure_seen = False
        self._accounted.clear()
        self._wake()

    def on_run_began(self) -> None:
        """First thing inside the loop's task: attribute its output to this loop."""
        current_tracker.set(self.tracker)

    def on_run_ended(self, loop: Any, ending: str | None, exc: BaseException | None) -> None:
        """The library's ``_loop`` returned or raised (``ending``: cancelled/failed/None)."""
        if ending is None:
            ending = "finished" if self._count_reached else "stopped"
        if ending == "failed" and exc is not None and not self._is_accounted(exc):
            self.tracker.exception(exc, "loop")
        self._finish(ending)

    def _on_task_done(self, task: Any) -> None:
        """Covers a task cancelled before it ran, and loops whose ``_loop`` is overridden.

        A failure is on record (tracker, events): asyncio is told it was seen, so no
        "Task exception was never retrieved" is printed at exit.
        """
        if not task.cancelled():
            task.exception()
        loop = self.loop
        its_task: Any = getattr(loop, "_task", None)
        if loop is None or its_task is not task or not self.tracker.is_active:
            return
        if task.cancelled():
            ending = "cancelled"
        elif self._failure_seen:
            ending = "failed"
        else:
            ending = "finished" if self._count_reached else "stopped"
        self._finish(ending)

    def _finish(self, ending: str) -> None:
        self.drop_drift_guard()
        state = {
            "cancelled": _S.CANCELLED, "failed": _S.FAILED, "finished": _S.FINISHED,
        }.get(ending, _S.STOPPED)
        self._stop_now = self._paused = self._retrying = self._holding = False
        self._wake()
        self._accounted.clear()
        trigger = self._trigger_task
        if trigger is not None and not trigger.done():
            trigger.cancel()
        self.tracker.set_next_run(None)
        self.tracker.set_state(state)

    def on_stop(self, loop: Any) -> None:
        if getattr(loop, "_stop_next_iteration", False) and self.tracker.state not in (
            _S.WAITING, _S.PAUSED
        ) and self.tracker.is_active:
            self.tracker.set_state(_S.STOPPING)

    def _note_zones(self, loop: Any) -> None:
        """Flag a ``time=`` slot whose pytz zone was not localized (see :mod:`.zones`)."""
        try:
            warning = lmt_warning(loop.time, self.traits.source)
        except Exception:  # a subclass with odd properties must not break the monitor
            warning = None
        notes = self.tracker.notes
        if warning:
            notes["time_zone"] = warning
        elif notes.pop("time_zone", None) is None:
            return
        self.tracker.version += 1

    def on_interval_changed(self, loop: Any) -> None:
        tracker = self.tracker
        tracker.set_schedule(describe_schedule(loop))
        self._note_zones(loop)
        if self.tracker.is_active and not self._paused and not self._retrying:
            handle = getattr(loop, "_handle", None)
            if handle is not None and hasattr(handle, "done") and not handle.done():
                tracker.set_next_run(timestamp(getattr(loop, "_next_iteration", None)))

    # ------------------------------------------------------ observation: hooks
    def on_hook_entered(self, loop: Any, name: str) -> None:
        if name == "after_loop":
            count = getattr(loop, "count", None)
            self._count_reached = count is not None and getattr(loop, "_current_loop", 0) == count
        elif name == "before_loop" and getattr(loop, "_before_loop", None) is not None:
            self.tracker.set_state(_S.WAITING)

    def on_hook_done(self, loop: Any, name: str) -> None:
        if name == "before_loop" and self.tracker.state is _S.WAITING:
            self.tracker.set_state(self._resting_state(loop))

    def on_hook_failed(self, loop: Any, name: str, exc: BaseException, args: tuple[Any, ...]) -> None:
        self._failure_seen = True
        self._account(exc)
        if name == "error" and self._is_library_error_bug(loop, exc):
            original = args[0] if args and isinstance(args[0], BaseException) else None
            self.tracker.notes["library_error"] = (
                f"{self.traits.source}'s default error handler failed on this class-bound loop "
                f"({type(exc).__name__}: {exc}); the loop's own exception is shown instead."
            )
            if original is not None and not self._is_accounted(original):
                self._account(original)
                self.tracker.exception(original, "loop")
            self.tracker.version += 1
            return
        self.tracker.exception(exc, name)

    def _is_library_error_bug(self, loop: Any, exc: BaseException) -> bool:
        """nextcord's default ``_error`` is a bound method the library calls with ``self`` again."""
        code = self.traits.default_error_code
        if code is None or not isinstance(exc, TypeError):
            return False
        if getattr(loop, "_injected", None) is None:
            return False
        handler = loop.__dict__.get("_error", getattr(loop, "_error", None))
        if getattr(getattr(handler, "__func__", None), "__code__", None) is not code:
            return False
        tb = exc.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        # Raised by the call itself, not from inside the handler's body.
        return tb is None or tb.tb_frame.f_code is not code

    # ------------------------------------------------------ observation: sleep
    def on_sleep(self, loop: Any, when: Any) -> None:
        """The library armed its sleep handle toward *when*."""
        if self._stop_now:
            self._wake_library(loop)
            self.tracker.set_state(_S.STOPPING)
            return
        if not self._paused:
            self.tracker.set_next_run(timestamp(when))
        self.tracker.set_state(self._resting_state(loop))

    def _wake_library(self, loop: Any) -> None:
        """End the library's current sleep now (synchronously: nothing left pending)."""
        handle = getattr(loop, "_handle", None)
        future = getattr(handle, "future", None)
        timer = getattr(handle, "handle", None)
        if future is None or future.done():
            return
        if timer is not None:
            timer.cancel()
        future.set_result(True)

    # ------------------------------------------------------ observation: body
    async def run_body(self, real: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Run one scheduled body for the library, recording it."""
        loop = self.loop
        if loop is None:
            return await real(*args, **kwargs)
        while True:
            if self._stop_now:
                return None  # stopped from the monitor: no further body
            trigger = self._trigger_task
            if trigger is not None and not trigger.done():
                await asyncio.wait({trigger})  # never beside a triggered run
                continue
            if self._paused:
                await self._hold(loop)
                continue
            break
        tracker = self.tracker
        # py-cord's ``overlap`` runs bodies in tasks of their own, beside the loop's task.
        in_loop_task = asyncio.current_task() is getattr(loop, "_task", None)
        retry = bool(getattr(loop, "_last_iteration_failed", False))
        self._retrying = False
        scheduled = None if retry else timestamp(getattr(loop, "_last_iteration", None))
        tracker.set_next_run(timestamp(getattr(loop, "_next_iteration", None)))
        tracker.set_state(_S.STOPPING if getattr(loop, "_stop_next_iteration", False) else _S.RUNNING)
        record = tracker.iteration_started(getattr(loop, "_current_loop", 0), scheduled)
        done = asyncio.get_running_loop().create_future()
        self._body_fut = done
        try:
            result = await real(*args, **kwargs)
        except asyncio.CancelledError as exc:
            tracker.iteration_cancelled(record)
            hide_frame(exc)
            raise
        except BaseException as exc:
            hide_frame(exc)
            retrying = bool(
                in_loop_task and loop.reconnect and isinstance(exc, loop._valid_exception)
            )
            self._account(exc)
            tracker.iteration_failed(record, exc, retrying)
            if retrying:
                self._retrying = True
                tracker.set_next_run(None)
                tracker.set_state(_S.PAUSED if self._paused else _S.RETRYING)
            elif in_loop_task:
                self._failure_seen = True
            raise
        else:
            tracker.iteration_finished(record)
            return result
        finally:
            if self._body_fut is done:
                self._body_fut = None
            done.set_result(None)
            if not in_loop_task and tracker.state is _S.RUNNING and loop.is_running():
                tracker.set_state(self._resting_state(loop))

    async def _hold(self, loop: Any) -> None:
        """Paused: keep the next body until resume (or stop), then re-anchor the schedule."""
        self._holding = True
        try:
            while True:
                if self._stop_now:
                    return
                if self._paused:
                    self.tracker.set_next_run(None)
                    self.tracker.set_state(_S.PAUSED)
                    await self._wait(None)
                    continue
                if loop.time is None:
                    # Interval loop: run now, the next runs follow from now.
                    loop._last_iteration = utcnow()
                    loop._next_iteration = loop._get_next_sleep_time()
                    return
                slot = loop._get_next_sleep_time()
                when = timestamp(slot)
                if when is None or when <= utcnow().timestamp():
                    return
                self.tracker.set_next_run(when)
                self.tracker.set_state(_S.SLEEPING)
                await self._wait(when)
                if self._stop_now or self._paused:
                    continue
                if utcnow().timestamp() >= when:
                    loop._last_iteration = slot
                    loop._next_iteration = loop._get_next_sleep_time(
                        slot + datetime.timedelta(microseconds=1)
                    )
                    return
        finally:
            self._holding = False

    async def _wait(self, until: float | None) -> None:
        """Sleep until epoch *until* (forever when ``None``); pause/resume/stop wake it."""
        evloop = asyncio.get_running_loop()
        fut = evloop.create_future()
        self._wake_fut = fut
        timer = None
        if until is not None:
            delay = max(until - utcnow().timestamp(), 0.0)
            timer = evloop.call_later(delay, set_done, fut)
        try:
            await fut
        finally:
            if timer is not None:
                timer.cancel()
            if self._wake_fut is fut:
                self._wake_fut = None

    def _wake(self) -> None:
        fut = self._wake_fut
        if fut is not None:
            set_done(fut)
