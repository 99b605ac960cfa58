"""The monitor's view of one loop: state, counters, history, exceptions, output.

A :class:`Tracker` is what front ends read. looptui's own :class:`~looptui.core.loop.Loop`
owns one and updates it as it runs; adapters for foreign loops (discord.py, nextcord, …)
own one too and update it from hooks. Front ends never need to know which kind of loop is
behind a tracker, except for actions the loop cannot support (see :class:`Controls`).

Every change bumps :attr:`Tracker.version`, so a front end that remembers the version it
last drew can skip unchanged rows without comparing fields. Events are built only when
someone listens (:class:`~looptui.core.registry.Registry` listeners), so an unobserved
loop pays for little more than a record in a ring buffer.
"""

from __future__ import annotations

import collections
import datetime
import weakref
from typing import TYPE_CHECKING, Any, Protocol, Sequence, TypedDict

from . import clock
from .budget import BUDGET, Budget, line_cost
from .history import CANCELLED, FAILED, OK, RETRIED, IterationHistory
from .records import ExceptionInfo, IterationRecord
from .states import TERMINAL_STATES, LoopState

if TYPE_CHECKING:
    from .emitter import Emitter
    from .histogram import LoopHistograms

__all__ = [
    "Tracker", "Controls", "Stats", "Notes", "HISTORY_SIZE", "OUTPUT_SIZE", "OUTPUT_LINE_SIZE", "kept_line",
]

HISTORY_SIZE = 200
"""Iteration records kept per loop (a ring: older ones are dropped)."""
DISTINCT_EXCEPTIONS = 20
"""Distinct exceptions (by type and message) kept per loop."""
OUTPUT_SIZE = 500
"""Captured output lines kept per loop."""
OUTPUT_LINE_SIZE = 10_000
"""Characters of one output line kept in the ring; the ``log`` event has all of it."""


def kept_line(text: str) -> str:
    """*text* cut to :data:`OUTPUT_LINE_SIZE` characters, saying how much was cut.

    A loop printing megabyte lines must not make the bounded output ring hold
    hundreds of megabytes.
    """
    if len(text) <= OUTPUT_LINE_SIZE:
        return text
    return text[:OUTPUT_LINE_SIZE] + f"… [{len(text) - OUTPUT_LINE_SIZE:,} more characters]"


_RUNNING = LoopState.RUNNING
_SLEEPING = LoopState.SLEEPING


def _listening(registry: Any, state: LoopState) -> bool:
    """Whether a change to *state* has a listener (routine states need a routine one,
    see :func:`~looptui.core.registry.is_routine`)."""
    if state is _RUNNING or state is _SLEEPING:
        return bool(registry.routine_listeners)
    return bool(registry.listeners)


class Notes(TypedDict, total=False):
    """Facts other layers attach to a loop (:attr:`Tracker.notes`), each under its key.

    The details view shows every note; the table and the trouble rules read some. A
    dict note holds what its writer documents; all of them stay JSON-safe (attach sends
    them over the wire).
    """

    blocked: dict[str, Any]
    """The loop's code blocked the event loop (``session/health/watchdog``)."""
    stuck: dict[str, Any]
    """A body, or a hook, has run far longer than it should (``session/health/stuck``)."""
    waiting: dict[str, Any]
    """Why the loop still waits in ``before_loop`` (``session/health/waiting``)."""
    idle: dict[str, Any]
    """Why the loop was never started (``session/health/waiting``)."""
    hook: dict[str, Any]
    """The hook running now and since when: ``error``, ``after_loop`` (``core/loop``)."""
    time_zone: str
    """How the library took a named zone it cannot follow (``adapters/foreign``)."""
    library_error: str
    """The library's own error handler failed on this loop (``adapters/foreign``)."""
    disconnected: dict[str, Any]
    """An attached program went away, since when (``session/remote/mirror``)."""
    process: str
    """The program an attached loop runs in (``session/remote/mirror``)."""
    debugger: dict[str, Any]
    """The body stopped in a debugger: iteration, where, since, for how long
    (``session/debug/handover``; the stuck check leaves that time out)."""


class Controls(Protocol):
    """Actions a front end can take on a loop.

    ``unsupported(action)`` returns ``None`` when the action can be done, or the reason
    (one short sentence) it cannot. Actions: ``start``, ``stop``, ``cancel``, ``restart``,
    ``change_interval``, ``trigger``, ``pause``.
    """

    def unsupported(self, action: str) -> str | None: ...
    def ui_start(self) -> None: ...
    def ui_stop(self) -> None: ...
    def ui_cancel(self) -> None: ...
    def ui_restart(self) -> None: ...
    def ui_change_interval(
        self, *, seconds: float | None = None, times: Sequence[datetime.time] | None = None
    ) -> str | None:
        """Change the schedule; a sentence when the loop's library had to adapt it."""
    def ui_trigger(self) -> None: ...
    def ui_pause(self) -> None: ...
    def ui_resume(self) -> None: ...
    def is_paused(self) -> bool: ...


class Stats:
    """Counters and duration figures of a loop, computed from its tracker on demand."""

    __slots__ = (
        "iterations", "failures", "retries", "last_duration", "mean_duration",
        "p95_duration", "max_lateness",
    )

    def __init__(self, tracker: Tracker) -> None:
        self.iterations = tracker.total_iterations
        self.failures = tracker.failures
        self.retries = tracker.retries
        self.last_duration = tracker.last_duration
        self.mean_duration = (
            tracker._duration_sum / tracker._duration_count if tracker._duration_count else None
        )
        durations = sorted(tracker.history.durations())
        self.p95_duration = (
            durations[min(len(durations) - 1, int(0.95 * len(durations)))] if durations else None
        )
        self.max_lateness = tracker.max_lateness

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}

    def __repr__(self) -> str:
        return f"Stats({self.as_dict()!r})"


class Tracker:
    """Everything the monitor shows about one loop.

    Attributes:
        name: Unique display name (set by the registry when registered).
        base_name: ``name=`` if given, else the coroutine's ``__qualname__``.
        source: ``looptui``, ``discord.py``, ``nextcord``, ``disnake`` or ``py-cord``.
        state: Current :class:`LoopState`.
        state_since: Epoch seconds when the state last changed.
        schedule: Human text of the interval (``30s``, ``09:00, 15:00 UTC``).
        count: The loop's ``count`` (``None`` for endless).
        iterations: Scheduled bodies run in the current (or last) run (ended ok, or
            failed for good), for ``n/count``.
        total_iterations / failures / retries: Counters over the tracker's life.
        next_run: Epoch seconds of the next scheduled body, or ``None``.
        history: Ring of :class:`IterationRecord` (newest last), stored compactly and
            materialised on read (:class:`~looptui.core.history.IterationHistory`).
        current: The record of the body now running, if any (a snapshot).
        last_exception: The newest :class:`ExceptionInfo` of any kind.
        exceptions: Distinct exceptions seen, newest last (bounded).
        output: Captured output lines ``(time, stream, text)``, bounded per loop and by
            the shared :class:`~looptui.core.budget.Budget`; see ``dropped``.
        dropped: Output lines dropped (per-loop cap or total budget).
        file / line: Where the loop's coroutine is defined.
        version: Bumped on every change.
    """

    # Slots, not a __dict__: with some forty attributes, a dict per loop would cost
    # about 2 kB, which thousands of loops notice.
    __slots__ = (
        "name", "base_name", "source", "_controls_ref", "count", "schedule", "file", "line",
        "state", "state_since", "iterations", "total_iterations", "failures", "retries",
        "next_run", "budget", "budget_stale", "history", "_current_seq", "_current_started",
        "_current_iteration", "_current_lateness", "_output_cost", "last_duration",
        "max_lateness", "_duration_sum", "_duration_count", "last_exception", "exceptions",
        "output", "output_total", "dropped", "notes", "version", "registry", "histograms",
        "__weakref__",
    )

    def __init__(
        self,
        base_name: str,
        *,
        source: str = "looptui",
        controls: Controls | None = None,
        count: int | None = None,
        schedule: str = "",
        file: str | None = None,
        line: int | None = None,
        budget: Budget | None = None,
    ) -> None:
        self.name = base_name
        self.base_name = base_name
        self.source = source
        self._controls_ref = weakref.ref(controls) if controls is not None else None
        self.count = count
        self.schedule = schedule
        self.file = file
        self.line = line
        self.state = LoopState.IDLE
        self.state_since = clock.now()
        self.iterations = 0
        self.total_iterations = 0
        self.failures = 0
        self.retries = 0
        self.next_run: float | None = None
        self.budget: Budget | None = budget if budget is not None else BUDGET
        """The shared budget this loop's buffers count against (``None`` once forgotten)."""
        self.budget_stale = 0
        """Entries of this loop in the budget's line queue whose line already left."""
        self.history = IterationHistory(HISTORY_SIZE, self.budget)
        self._current_seq = -1
        self._current_started = 0.0
        self._current_iteration = 0
        self._current_lateness = 0.0
        self._output_cost = 0
        self.last_duration: float | None = None
        self.max_lateness = 0.0
        self._duration_sum = 0.0
        self._duration_count = 0
        self.last_exception: ExceptionInfo | None = None
        # Both made on first use (an empty deque costs 760 bytes; most loops of a big
        # program never print nor fail): until then, an empty tuple.
        self.exceptions: collections.deque[ExceptionInfo] | tuple[()] = ()
        self.output: collections.deque[tuple[float, str, str]] | tuple[()] = ()
        self.output_total = 0
        self.dropped = 0
        self.notes: Notes = {}
        """Extra facts other layers attach (``blocked``, ``stuck``, ``owner`` …)."""
        self.version = 0
        self.registry: Emitter | None = None
        self.histograms: LoopHistograms | None = None
        """Every iteration's duration and lateness, counted while metrics are served."""

    # ----------------------------------------------------------------- reading
    @property
    def controls(self) -> Controls | None:
        """The object that carries out actions, or ``None`` once the loop is gone."""
        return self._controls_ref() if self._controls_ref is not None else None

    @property
    def stats(self) -> Stats:
        return Stats(self)

    @property
    def last_record(self) -> IterationRecord | None:
        return self.history[-1] if self.history else None

    @property
    def current(self) -> IterationRecord | None:
        """The record of the body now running (a snapshot), or ``None``."""
        seq = self._current_seq
        return self.history.record(seq) if seq >= 0 else None

    @property
    def last_started(self) -> float | None:
        """When the newest iteration started (``None`` before the first)."""
        return self.history.last_started()

    @property
    def current_seq(self) -> int:
        """Sequence number of the body now running (``-1`` when none): compare this, not
        record objects, to tell whether the same body is still running."""
        return self._current_seq

    @property
    def is_active(self) -> bool:
        return self.state not in TERMINAL_STATES

    def unsupported(self, action: str) -> str | None:
        """Why *action* cannot be done on this loop now (``None`` when it can)."""
        controls = self.controls
        if controls is None:
            return "the loop object no longer exists"
        return controls.unsupported(action)

    def __repr__(self) -> str:
        return f"<Tracker {self.name!r} {self.state.value} source={self.source}>"

    # ----------------------------------------------------------------- writing
    def _emit(self, kind: str, **fields: Any) -> None:
        registry = self.registry
        if registry is not None and registry.listeners:
            registry.emit(kind, self, fields)

    def set_state(self, state: LoopState) -> None:
        """Record a state change (no-op when unchanged)."""
        if state is self.state:
            return
        self.state = state
        self.state_since = clock.now()
        self.version += 1
        registry = self.registry
        if registry is not None and _listening(registry, state):
            registry.emit("state", self, {"state": state.value})

    def set_schedule(self, schedule: str) -> None:
        self.schedule = schedule
        self.version += 1

    def set_next_run(self, ts: float | None) -> None:
        self.next_run = ts
        self.version += 1

    def run_started(self) -> None:
        """A new run (``start()``) begins: the per-run counter resets."""
        self.iterations = 0
        self.version += 1

    def iteration_started(
        self, iteration: int, scheduled: float | None, triggered: bool = False,
        state: LoopState | None = None,
    ) -> int:
        """A body starts; returns its sequence number, to hand back when it ends.

        Nothing is allocated that outlives the body: the record goes into the
        history's numeric rings (see :mod:`looptui.core.history`). *state*, when given,
        is set first (as :meth:`set_state` would, with the same clock reading).
        """
        started = clock.now()
        if state is not None and state is not self.state:
            self.state = state
            self.state_since = started
            registry = self.registry
            if registry is not None and (  # _listening(), inline: the hot path
                    registry.routine_listeners if state is _RUNNING or state is _SLEEPING
                    else registry.listeners):
                registry.emit("state", self, {"state": state.value, "time": started})
        seq = self.history.begin(iteration, scheduled, started, triggered)
        self._current_seq = seq
        self._current_started = started
        self._current_iteration = iteration
        if scheduled is not None:
            lateness = self._current_lateness = started - scheduled
            if lateness > self.max_lateness:
                self.max_lateness = lateness
        else:
            self._current_lateness = 0.0
        self.version += 1
        registry = self.registry
        if registry is not None and registry.routine_listeners:
            registry.emit(  # the events of one moment share its clock reading
                "iteration_started", self,
                {"iteration": iteration, "scheduled": scheduled, "triggered": triggered,
                 "time": started},
            )
        return seq

    def _end(self, seq: int, outcome: int, info: ExceptionInfo | None = None) -> float:
        history = self.history
        if seq == self._current_seq:
            started = self._current_started
            self._current_seq = -1
        else:  # not the body in progress (an adapter's overlapping call): ask the ring
            started = history.started_of(seq)
            if started != started:
                started = clock.now()
        duration = clock.now() - started
        history.end(seq, duration, outcome, info)
        self.last_duration = duration
        self._duration_sum += duration
        self._duration_count += 1
        self.version += 1
        return duration

    def _facts(self, seq: int) -> tuple[int, float]:
        """Iteration index and lateness of the body *seq* (for events)."""
        if seq == self._current_seq or seq == self.history.total - 1:
            return self._current_iteration, self._current_lateness
        record = self.history.record(seq)
        return (record.iteration, record.lateness) if record is not None else (0, 0.0)

    def iteration_finished(
        self, seq: int, counted: bool = True, then: LoopState | None = None
    ) -> None:
        """The body returned normally; *counted* is False for manual triggers.

        *then*, when given, is the state the loop goes to next (set after the
        ``iteration_finished`` event, as :meth:`set_state` would right after).
        """
        histograms = self.histograms
        if seq == self._current_seq and seq >= 0:  # the usual case, inlined: the hot path
            now = clock.now()
            duration = now - self._current_started
            if histograms is not None:
                histograms.observe(duration, self._current_lateness)
                histograms = None  # counted
            self._current_seq = -1
            self.history.end(seq, duration, OK)
            self.last_duration = duration
            self._duration_sum += duration
            self._duration_count += 1
            self.version += 1
        else:
            duration = self._end(seq, OK)
            now = clock.now()
        if counted:
            self.iterations += 1
        self.total_iterations += 1
        if histograms is not None:
            histograms.observe(duration, self._facts(seq)[1])
        registry = self.registry
        if registry is not None and registry.routine_listeners:
            iteration, lateness = self._facts(seq)
            registry.emit(
                "iteration_finished", self,
                {"iteration": iteration, "duration": duration, "lateness": lateness,
                 "time": now},
            )
        if then is not None and then is not self.state:
            self.state = then
            self.state_since = now
            if registry is not None and (  # _listening(), inline: the hot path
                    registry.routine_listeners if then is _RUNNING or then is _SLEEPING
                    else registry.listeners):
                registry.emit("state", self, {"state": then.value, "time": now})

    def iteration_failed(
        self, seq: int, exc: BaseException, retrying: bool
    ) -> ExceptionInfo:
        """The body raised *exc*; *retrying* when the loop will retry (reconnect).

        A scheduled iteration that failed for good counts in :attr:`iterations` too (it
        ran: the Iter column, the details and the summary say the same number); a retried
        one is run again under the same number and counts once, when it ends.
        """
        info = self.exception(exc, "body", retried=retrying, emit=False)
        record = None if retrying else self.history.record(seq)
        duration = self._end(seq, RETRIED if retrying else FAILED, info)
        self.total_iterations += 1
        if retrying:
            self.retries += 1
        else:
            self.failures += 1
            if record is None or not record.triggered:
                self.iterations += 1
        if self.histograms is not None:
            self.histograms.observe(duration, self._facts(seq)[1])
        registry = self.registry
        if registry is not None and registry.listeners:
            iteration, lateness = self._facts(seq)
            registry.emit("iteration_failed", self, {
                "iteration": iteration, "duration": duration, "lateness": lateness,
                "error": info.type_name, "message": info.message, "traceback": info,
                "retrying": retrying,
            })
        return info

    def iteration_cancelled(self, seq: int, info: ExceptionInfo | None = None) -> None:
        """The body was cancelled while it ran (*info*: where a body's own
        ``CancelledError`` came from, when nothing cancelled it)."""
        duration = self._end(seq, CANCELLED, info)
        registry = self.registry
        if registry is not None and registry.listeners:
            iteration, lateness = self._facts(seq)
            registry.emit("iteration_cancelled", self, {
                "iteration": iteration, "duration": duration, "lateness": lateness,
            })

    def exception(
        self, exc: BaseException, where: str, *, retried: bool = False, emit: bool = True
    ) -> ExceptionInfo:
        """Record an exception raised in the body or a hook (``before_loop`` …)."""
        info = ExceptionInfo(exc, where, clock.now(), retried)
        self.last_exception = info
        sig = info.signature()
        exceptions = self._exceptions()
        for old in exceptions:
            if old.signature() == sig:
                exceptions.remove(old)
                break
        exceptions.append(info)
        self.version += 1
        if emit and where != "body":
            self.failures += 1
            self._emit(
                "hook_failed", hook=where, error=info.type_name, message=info.message,
                traceback=info,
            )
        return info

    def _exceptions(self) -> collections.deque[ExceptionInfo]:
        """The distinct-exceptions deque, made on first use."""
        exceptions = self.exceptions
        if not isinstance(exceptions, collections.deque):
            exceptions = self.exceptions = collections.deque(maxlen=DISTINCT_EXCEPTIONS)
        return exceptions

    def add_output(self, stream: str, text: str) -> None:
        """Attribute a line of output (print, stderr, logging) to this loop."""
        kept = kept_line(text)
        output = self.output
        if not isinstance(output, collections.deque):
            output = self.output = collections.deque()
        budget = self.budget
        if len(output) >= OUTPUT_SIZE:
            old = output.popleft()
            self.dropped += 1
            if budget is not None:
                cost = line_cost(old[2])
                self._output_cost -= cost
                self.budget_stale += 1
                budget.line_left(cost)
        output.append((clock.now(), stream, kept))
        self.output_total += 1
        self.version += 1
        if budget is not None:
            cost = line_cost(kept)
            self._output_cost += cost
            budget.line_added(self, cost)
        self._emit("log", stream=stream, text=text)

    def shed_output(self, keep: int) -> int | None:
        """Drop this loop's oldest line for the shared budget; returns the bytes freed.

        Returns 0 when the budget's entry was stale (nothing to drop for it), ``None``
        when the loop is down to its newest *keep* lines (they stay).
        """
        if self.budget_stale:
            self.budget_stale -= 1
            return 0
        if self.budget is None or not self.output:
            return 0
        if len(self.output) <= keep:
            return None
        cost = line_cost(self.output.popleft()[2])
        self._output_cost -= cost
        self.dropped += 1
        self.version += 1
        return cost

    def release_buffers(self) -> None:
        """Stop counting this loop's buffers against the budget (the loop is gone).

        What it holds stays readable; the budget's queue lets go of it over time.
        """
        budget = self.budget
        if budget is None:
            return
        budget.forget(self, self._output_cost, len(self.output))
        self._output_cost = 0
        self.history.release()
        self.budget = None

    def rejoin_budget(self, budget: Budget | None = None) -> None:
        """Count this loop's output against *budget* (default: the shared one) again."""
        if self.budget is not None:
            return
        self.budget = budget if budget is not None else BUDGET
        for line in self.output:
            cost = line_cost(line[2])
            self._output_cost += cost
            self.budget.line_added(self, cost)

    def adopt_history(self, old: Tracker) -> None:
        """Carry counters, history, exceptions and output over from *old* (same loop).

        Used across a reload: the new loop may already have run, so records, output
        lines and distinct exceptions of both are merged in time order and the newest
        are kept when a ring overflows.
        """
        self.total_iterations += old.total_iterations
        if old.histograms is not None:
            if self.histograms is None:
                self.histograms = old.histograms
            else:
                self.histograms.merge(old.histograms)
        self.failures += old.failures
        self.retries += old.retries
        self._duration_sum += old._duration_sum
        self._duration_count += old._duration_count
        self.max_lateness = max(self.max_lateness, old.max_lateness)
        if self.last_duration is None:
            self.last_duration = old.last_duration
        if self.last_exception is None:
            self.last_exception = old.last_exception
        current = self.current
        history = sorted([*old.history, *self.history], key=lambda record: record.started)
        self.history.replace(history)
        if current is not None:  # the body in progress keeps being tracked
            kept = history[-self.history.maxlen:]
            self._current_seq = next(
                (i for i, record in enumerate(kept) if record.seq == current.seq
                 and record.started == current.started), -1,
            )
        output = sorted([*old.output, *self.output], key=lambda line: line[0])
        self.dropped += old.dropped + max(0, len(output) - OUTPUT_SIZE)
        output = output[-OUTPUT_SIZE:]
        old.release_buffers()
        budget = self.budget
        if budget is not None:
            budget.forget(self, self._output_cost, len(self.output))
            self._output_cost = 0
            self.budget_stale += len(self.output)  # its queue entries for these lines
        lines = self.output = collections.deque()
        for line in output:
            lines.append(line)
            if budget is not None:
                cost = line_cost(line[2])
                self._output_cost += cost
                budget.line_added(self, cost)
        self.output_total += old.output_total
        distinct: dict[tuple[str, str], ExceptionInfo] = {}
        for info in sorted([*old.exceptions, *self.exceptions], key=lambda info: info.time):
            distinct.pop(info.signature(), None)  # the newest of equal ones goes last
            distinct[info.signature()] = info
        exceptions = self._exceptions()
        exceptions.clear()
        exceptions.extend(distinct.values())
        self.version += 1
