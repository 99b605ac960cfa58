"""Hand-made sessions and trackers for testing the TUI without running real loops.

:class:`FakeSession` has the attributes and methods of ``looptui.session.Session`` that the
app uses; its registry is filled with real :class:`~looptui.core.tracker.Tracker` objects
driven by :class:`FakeControls`, which records every action and moves the tracker to the
state the real engine would. Everything is deterministic: build data under a
:class:`FrozenClock` and the "ago" and countdown cells never change between runs.
"""

from __future__ import annotations

import asyncio
import collections
import datetime
from contextlib import contextmanager
from typing import Any, Awaitable, Callable, Iterator, Sequence

from looptui.core import clock
from looptui.core.registry import Registry
from looptui.core.records import ExceptionInfo
from looptui.core.schedule import describe_times, format_interval
from looptui.core.states import TERMINAL_STATES, LoopState
from looptui.core.tracker import Tracker
from looptui.session.commands import run_command
from looptui.session.interface import Reply
from looptui.ui.rows import recently_blocked

UTC = datetime.timezone.utc

T0 = datetime.datetime(2026, 3, 14, 12, 0, 0, tzinfo=UTC).timestamp()
"""The frozen "now" of UI tests and screenshots: 2026-03-14 12:00:00 UTC (a Saturday)."""


class FrozenClock:
    """A wall clock that only moves when told to (``clock.t = ...`` or :meth:`advance`)."""

    def __init__(self, t: float = T0) -> None:
        self.t = t

    def time(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@contextmanager
def frozen_time(t: float = T0) -> Iterator[FrozenClock]:
    """Install a :class:`FrozenClock` for the duration of the block."""
    fake = FrozenClock(t)
    previous = clock.set_clock(fake)
    try:
        yield fake
    finally:
        clock.set_clock(previous)


class FakeControls:
    """Records every UI action and updates its tracker as looptui's engine would.

    Attributes:
        calls: ``(action, kwargs)`` in call order.
        reasons: ``action -> reason`` for actions to report as unsupported.
        seconds / time: The interval, like a Loop's attributes (used by the details view).
    """

    def __init__(
        self,
        tracker: Tracker,
        *,
        seconds: float | None = None,
        times: Sequence[datetime.time] | None = None,
        reasons: dict[str, str] | None = None,
    ) -> None:
        self.tracker = tracker
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.reasons = dict(reasons or {})
        self.seconds = seconds
        self.time = list(times) if times else None
        self.paused = tracker.state is LoopState.PAUSED

    # The Controls protocol ------------------------------------------------------
    def unsupported(self, action: str) -> str | None:
        return self.reasons.get(action)

    def ui_start(self) -> None:
        self.calls.append(("start", {}))
        self.tracker.run_started()
        self.tracker.set_state(LoopState.SLEEPING)

    def ui_stop(self) -> None:
        self.calls.append(("stop", {}))
        if self.tracker.state is LoopState.RUNNING:
            self.tracker.set_state(LoopState.STOPPING)
        else:
            self.tracker.set_next_run(None)
            self.tracker.set_state(LoopState.STOPPED)

    def ui_cancel(self) -> None:
        self.calls.append(("cancel", {}))
        self.tracker.set_next_run(None)
        self.tracker.set_state(LoopState.CANCELLED)

    def ui_restart(self) -> None:
        self.calls.append(("restart", {}))
        self.tracker.run_started()
        self.tracker.set_state(LoopState.SLEEPING)

    def ui_change_interval(
        self, *, seconds: float | None = None, times: Sequence[datetime.time] | None = None
    ) -> None:
        if times is not None and not times:
            raise ValueError("time parameter must not be an empty sequence")
        self.calls.append(("change_interval", {"seconds": seconds, "times": times}))
        if times is not None:
            self.time, self.seconds = list(times), None
            self.tracker.set_schedule(describe_times(times))
        else:
            self.time, self.seconds = None, seconds
            self.tracker.set_schedule(format_interval(seconds or 0.0))

    def ui_trigger(self) -> None:
        self.calls.append(("trigger", {}))

    def ui_pause(self) -> None:
        self.calls.append(("pause", {}))
        self.paused = True
        self.tracker.set_state(LoopState.PAUSED)

    def ui_resume(self) -> None:
        self.calls.append(("resume", {}))
        self.paused = False
        self.tracker.set_state(LoopState.SLEEPING)

    def is_paused(self) -> bool:
        return self.paused

    @property
    def actions(self) -> list[str]:
        """Just the action names, in order."""
        return [name for name, _ in self.calls]


class FakeSession:
    """A :class:`~looptui.session.interface.SessionView` with nothing running: the TUI
    reads it as it reads a real session (it is not a local one: ``local`` is None)."""

    main_name: str | None = None
    main_source: str | None = None
    main_where: str | None = None
    last_block: dict[str, Any] | None = None
    offline = False
    reloading = False
    reload_error: Any = None
    reload_version = 0
    last_reload_attempt: Any = None
    record_error: str | None = None
    status = ""
    live = False
    local = None
    failed_tasks = 0
    debugging: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]] | None = None
    """What answers the tasks view and the console (the demo's :class:`DemoDebug`)."""

    def __init__(self, module_name: str = "mybot") -> None:
        self.registry = Registry()
        self.module_name = module_name
        self.lag = 0.0004
        self.lag_max = 0.0021
        self.startup_lag: float | None = None
        self.general_output: collections.deque[tuple[float, str, str]] = collections.deque(
            maxlen=1000
        )
        self.output_version = 0
        self.main_state: str | None = None
        self.main_exception: ExceptionInfo | None = None
        self.controls: dict[str, FakeControls] = {}
        self.stubborn: set[str] = set()
        self.shutdown_calls: list[float] = []
        self.captured = False
        self.started = False
        self.sinks: list[Any] = []

    @property
    def blocked_count(self) -> int:
        """Loops that blocked the event loop lately (the fake has no watchdog to count
        stalls: the notes of its trackers say it)."""
        now = clock.now()
        return sum(1 for t in self.registry.trackers() if t.notes and recently_blocked(t, now))

    async def start(self) -> None:
        self.started = True

    def add_sink(self, sink: Any) -> None:
        self.sinks.append(sink)

    def failed_loops(self) -> list[str]:
        return [t.name for t in self.registry.trackers() if t.state is LoopState.FAILED]

    def lost_programs(self) -> list[str]:
        return []

    def await_stack(self, loop: str) -> str:
        return "(unknown)"  # nothing runs: no await chain to show

    @property
    def reload_unavailable(self) -> str | None:
        """A fake reloads only when a test gives it a ``reload`` of its own."""
        return None if "reload" in vars(self) else "reload is not available here"

    async def reload(self, files: Any = None) -> Any:
        """Refused, as an attached session refuses it (tests replace it to see a reload)."""
        raise RuntimeError("this session does not reload")

    def install_capture(self) -> None:
        self.captured = True

    async def debug(self, request: dict[str, Any]) -> dict[str, Any]:
        if self.debugging is None:
            return {"ok": False, "reason": "not available for this session"}
        return await self.debugging(request)

    async def command(self, loop: str, command: str, value: Any = None) -> Reply:
        """Carry out a command through the session layer's own command rules."""
        return run_command(self.registry.get(loop), command, value, loop=loop)

    async def shutdown(self, timeout: float = 5.0) -> list[str]:
        """Stop every loop at once, except those named in :attr:`stubborn`."""
        self.shutdown_calls.append(timeout)
        for tracker in self.registry.trackers():
            if tracker.name in self.stubborn or tracker.state in TERMINAL_STATES:
                continue
            tracker.set_state(LoopState.STOPPED)
        return sorted(self.stubborn)

    def print(self, text: str, stream: str = "stdout") -> None:
        """Output not attributed to any loop (the general log)."""
        self.general_output.append((clock.now(), stream, text))
        self.output_version += 1

    def add(
        self,
        name: str,
        *,
        state: LoopState = LoopState.SLEEPING,
        seconds: float | None = 30.0,
        times: Sequence[datetime.time] | None = None,
        count: int | None = None,
        iterations: int = 0,
        next_in: float | None = None,
        source: str = "looptui",
        file: str | None = "mybot.py",
        line: int | None = 10,
        reasons: dict[str, str] | None = None,
    ) -> Tracker:
        """Register a tracker with a :class:`FakeControls` and return it.

        Args:
            next_in: Seconds from now to the next run (``None``: no next run).
        """
        schedule = describe_times(times) if times else format_interval(seconds or 0.0)
        tracker = Tracker(
            name, source=source, count=count, schedule=schedule, file=file, line=line
        )
        controls = FakeControls(tracker, seconds=None if times else seconds, times=times,
                                reasons=reasons)
        tracker._controls_ref = (lambda c=controls: c)  # strong: the fake lives with the session
        self.controls[name] = controls
        self.registry.register(tracker)
        tracker.iterations = iterations
        tracker.total_iterations = iterations
        tracker.set_state(state)
        if next_in is not None:
            tracker.set_next_run(clock.now() + next_in)
        return tracker


def run_body(
    tracker: Tracker,
    fake: FrozenClock,
    *,
    ago: float,
    took: float,
    error: BaseException | None = None,
    retrying: bool = False,
    traceback_text: str | None = None,
    prints: str | None = None,
) -> None:
    """Record one finished iteration that started *ago* seconds before now.

    Args:
        prints: A line of output the body printed (timed at its end).
    """
    now = fake.t
    fake.t = now - ago
    record = tracker.iteration_started(tracker.total_iterations, fake.t)
    fake.t = now - ago + took
    if error is None:
        tracker.iteration_finished(record)
    else:
        info = tracker.iteration_failed(record, error, retrying)
        info._text = traceback_text or fake_traceback(error)
    if prints is not None:
        tracker.add_output("stdout", prints)
    fake.t = now


def start_body(tracker: Tracker, fake: FrozenClock, *, ago: float) -> None:
    """Record an iteration that started *ago* seconds before now and is still running."""
    now = fake.t
    fake.t = now - ago
    tracker.iteration_started(tracker.total_iterations, fake.t)
    fake.t = now


def fake_traceback(error: BaseException, where: str = "mybot.py", func: str = "body",
                   line: int = 12, code: str = "await do_work()") -> str:
    """A traceback text that does not depend on where the tests are checked out."""
    return (
        "Traceback (most recent call last):\n"
        f'  File "{where}", line {line}, in {func}\n'
        f"    {code}\n"
        f'  File "{where}", line {line + 20}, in do_work\n'
        f"    raise {type(error).__name__}({', '.join(map(repr, error.args))})\n"
        f"{type(error).__name__}: {error}\n"
    )


class DemoDebug:
    """The tasks view's and the console's answers for the demo bot (screenshots).

    The task rows are made by hand, as the demo's loops are; the console is looptui's
    real one, evaluating in a namespace like the bot's.
    """

    def __init__(self, session: FakeSession) -> None:
        from looptui.session.debug.console import Console

        self.session = session
        self.namespace: dict[str, Any] = {
            "asyncio": asyncio, "cache": {"prices": {}, "users": 1042, "guilds": 12},
            "PRICE_URL": "https://api.example.com/prices",
        }
        self.console = Console(lambda: self.namespace, self._names)
        now = clock.now()
        self.failures = [{
            "id": 1, "name": "refresh-cache", "coro": "refresh_cache", "state": "failed",
            "where": "mybot.py:203", "failed": True, "own": False, "loop": None,
            "created_by": "update_status", "error": "KeyError", "message": "'guild_id'",
            "time": now - 42, "traceback": fake_traceback(
                KeyError("guild_id"), func="refresh_cache", line=203,
                code='guild = payload["guild_id"]'),
        }]
        self.tasks = [
            {"id": 10, "name": "Task-1", "coro": "main", "state": "waiting",
             "where": "mybot.py:240", "age": 3605.0, "loop": None, "created_by": None,
             "own": False, "failed": False},
            {"id": 11, "name": "heartbeat", "coro": "Bot.heartbeat", "state": "waiting",
             "where": "mybot.py:188", "age": 3600.0, "loop": None, "created_by": None,
             "parent": "Task-1", "born": True, "own": False, "failed": False},
            {"id": 12, "name": "discord-ext-tasks: update_status", "coro": "Loop._loop",
             "state": "waiting", "where": "(sleeping: between bodies)", "age": 3600.0,
             "loop": "update_status", "created_by": None, "born": True, "own": False,
             "failed": False},
            {"id": 13, "name": "discord-ext-tasks: backup_database", "coro": "Loop._loop",
             "state": "waiting", "where": "mybot.py:34", "age": 3600.0,
             "loop": "backup_database", "created_by": None, "born": True, "own": False,
             "failed": False},
            {"id": 14, "name": "upload-chunk-7", "coro": "upload_chunk", "state": "waiting",
             "where": "mybot.py:39", "age": 3.1, "loop": None,
             "created_by": "backup_database", "born": True, "own": False, "failed": False},
        ]

    def _names(self) -> dict[str, Any]:
        return {"loops": {t.name: t for t in self.session.registry.trackers()},
                "clients": []}

    async def __call__(self, request: dict[str, Any]) -> dict[str, Any]:
        if request.get("type") == "eval":
            if request.get("action") == "cancel":
                return {"ok": self.console.cancel(request.get("eval"))}
            return await self.console.run(str(request.get("source")), request.get("eval"))
        if request.get("action", "list") == "list":
            return {"ok": True, "tasks": self.tasks, "failures": self.failures,
                    "failed_total": len(self.failures)}
        return {"ok": True, "text": "  (demo)\n", "reason": ""}


def demo_session(fake: FrozenClock) -> FakeSession:
    """A bot with loops in most states, as in the README screenshots."""
    s = FakeSession("mybot")
    import zoneinfo

    t = s.add("update_status", seconds=30, iterations=42, next_in=12.2, line=18)
    for k in range(12):
        run_body(t, fake, ago=18 + 30 * (11 - k), took=0.03 + 0.004 * (k % 5))
    t = s.add("backup_database", seconds=300, iterations=7, state=LoopState.RUNNING,
              next_in=None, line=31)
    for k in range(6):
        run_body(t, fake, ago=303 + 300 * (5 - k), took=2.1 + 0.3 * (k % 3))
    start_body(t, fake, ago=3.4)
    t = s.add("cleanup_temp_files", seconds=3600, iterations=3, state=LoopState.PAUSED,
              line=44)
    run_body(t, fake, ago=1500, took=0.41)
    t = s.add("daily_reset", times=[datetime.time(0, 0, tzinfo=UTC)], next_in=12 * 3600,
              line=57)
    t = s.add(
        "send_reports",
        times=[datetime.time(9, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Paris")),
               datetime.time(15, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Paris"))],
        next_in=3 * 3600, iterations=1, line=66,
    )
    run_body(t, fake, ago=4 * 3600, took=1.8)
    t = s.add("startup_checks", seconds=2, count=3, iterations=0, state=LoopState.FINISHED,
              line=80)
    for k in range(3):
        run_body(t, fake, ago=600 - 2 * k, took=0.012)
    t = s.add("DatabaseManager.sync", seconds=10, iterations=15, state=LoopState.RETRYING,
              next_in=4, line=97)
    for k in range(4):
        run_body(t, fake, ago=60 - 10 * k, took=0.05)
    run_body(t, fake, ago=8, took=1.0, error=ConnectionError("database unreachable"),
             retrying=True)
    t = s.add("fetch_prices", seconds=60, iterations=5, state=LoopState.FAILED, line=112)
    for k in range(5):
        run_body(t, fake, ago=400 - 60 * k, took=0.2)
    run_body(t, fake, ago=100, took=0.18, error=KeyError("price"),
             traceback_text=fake_traceback(KeyError("price"), func="fetch_prices",
                                           line=118, code='price = payload["price"]'))
    t = s.add("flaky_api", seconds=5, iterations=60, next_in=2.5, line=131)
    for k in range(24):
        err = TimeoutError("upstream took too long") if k % 7 == 3 else None
        run_body(t, fake, ago=120 - 5 * k, took=0.06 + 0.01 * (k % 4) + 0.9 * (k % 7 == 3),
                 error=err, retrying=True,
                 traceback_text=fake_traceback(TimeoutError("upstream took too long"),
                                               func="flaky_api", line=133,
                                               code="data = await fetch(URL, timeout=1)"),
                 prints=None if err else f"fetched {40 + k} items")
    t = s.add("remind_user_1042", seconds=900, state=LoopState.IDLE, line=150)
    t = s.add("stats_export", seconds=120, iterations=9, state=LoopState.STOPPED, line=160)
    run_body(t, fake, ago=700, took=0.3)
    s.print("bot connected as mybot#0001")
    s.debugging = DemoDebug(s)
    return s
