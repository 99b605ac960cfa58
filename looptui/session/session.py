"""The session: everything both front ends (TUI and headless) need around the user's loops.

A :class:`Session` imports the target, starts its loops, captures their output, measures
event-loop lag, turns what happens into events for sinks (headless printer, ``--record``
file) and, at the end, stops every loop gracefully. It never draws anything: the TUI
reads :attr:`Session.registry` snapshots on its own tick, the headless front end is a sink.
"""

from __future__ import annotations

import asyncio
import collections
import inspect
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

from looptui.core import clock
from looptui.core.records import ExceptionInfo
from looptui.core.registry import REGISTRY, Registry
from looptui.core.tracker import Tracker, kept_line

from looptui.session.events import build as events
from looptui.session.output.capture import OutputCapture
from looptui.session.health.lag import LagProbe
from looptui.session.program.loader import (
    LOOP_RECOGNISERS, TargetUsageError, find_module_loops, load_target, resolve_target,
    user_traceback,
)
from looptui.session.events.recorder import Recorder
from looptui.session.output.flood import LogLimiter
from looptui.session.program.owners import TaskOwners
from looptui.session.health.stuck import StuckWatch
from looptui.session.health.watchdog import DEFAULT_THRESHOLD, Block, Watchdog
from looptui.session.reload.hot_reload import HotReload, ReloadError, ReloadResult

__all__ = ["Session", "Sink", "GENERAL_OUTPUT_SIZE"]

Sink = Callable[[dict], None]
GENERAL_OUTPUT_SIZE = 1000
"""Lines of output not attributed to any loop that are kept."""
_POLL = 0.02
"""Seconds between checks while waiting for loops to end at shutdown."""
_CANCEL_WAIT = 1.0
"""Seconds stragglers get to end after being cancelled."""
_WAITING_GRACE = 1.0
"""Seconds a loop stuck in ``before_loop`` gets at shutdown before it is cancelled."""


class Session:
    """One run of looptui on one target.

    Attributes:
        registry: Where every monitored loop's tracker is (the process-wide one by default).
        module_name: What the header shows: the file name, or the module name.
        module: The imported module (``None`` before :meth:`start`).
        module_loops: Loops found at module level by :func:`find_module_loops`.
        general_output: ``(epoch, stream, text)`` lines written outside any loop.
        output_version: Bumped whenever :attr:`general_output` changes.
        main_state: ``None`` without ``--main``; else ``running``, ``finished`` or ``failed``.
        main_exception: What ``--main`` raised, if it failed.
        recorder: The ``--record`` writer, if any.
        watchdog: The blocking watchdog (:class:`~looptui.session.health.watchdog.Watchdog`).
        blocked_count: Stalls of the event loop caused by user code (the header's count);
            ``monitor_blocked_count`` those of the monitor's own code.
        last_block: The latest stall: ``loop`` (name or ``None``), ``duration``,
            ``time``, ``stack``, ``monitor``; ``None`` before any.
        stuck: The stuck-iteration check (``tracker.notes["stuck"]``).
        log_limiter: Limits ``log`` events per loop (``total_dropped``).
        reload_error: Why the last reload failed (:class:`ReloadError`: ``summary`` one
            line, ``traceback`` in full with file:line), or ``None`` once one succeeds.
        last_reload: The last successful reload: ``added``/``removed``/``changed``
            (display names), ``files`` (changed, relative to the program folder),
            ``time`` (epoch), ``duration`` (s), ``stragglers``; ``None`` before any.
        last_reload_attempt: The :class:`ReloadResult` of the latest attempt (``ok``).
        reload_count: Successful reloads so far.
        reload_version: Bumped at the end of every reload attempt, failed or not.
        reloading: True while a reload is in progress.
    """

    def __init__(
        self,
        target: str,
        *,
        main: str | None = None,
        start_loops: bool = True,
        watch: bool = True,
        record: str | None = None,
        registry: Registry = REGISTRY,
        block_threshold: float = DEFAULT_THRESHOLD,
    ) -> None:
        """Prepare a session; nothing is imported or started until :meth:`start`.

        Raises:
            RecordError: *record* names a file that cannot be opened for appending.
        """
        self.target = target
        self.main_name = main
        self.start_loops = start_loops
        self.watch = watch
        self.registry = registry
        self.module_name = target if not target.endswith(".py") else Path(target).name
        self.module: ModuleType | None = None
        self.module_loops: list[Any] = []
        self.general_output: collections.deque[tuple[float, str, str]] = collections.deque(
            maxlen=GENERAL_OUTPUT_SIZE
        )
        self.output_version = 0
        self.main_state: str | None = None
        self.main_exception: ExceptionInfo | None = None
        self.recorder = Recorder(record) if record else None
        self.capture = OutputCapture(self._deliver, self._note)
        self._probe = LagProbe()
        self.watchdog = Watchdog(self._blocked, block_threshold)
        self.blocked_count = 0
        self.monitor_blocked_count = 0
        self.last_block: dict[str, Any] | None = None
        self.stuck = StuckWatch(registry)
        self.owners = TaskOwners(registry)
        self.log_limiter = LogLimiter(self._log_dropped)
        self._sinks: list[Sink] = []
        self._listening = False
        self._main_task: asyncio.Task[None] | None = None
        self._started = False
        self._background_started = False
        self._shutdown_result: list[str] | None = None
        self._adapters: ModuleType | None = None
        self.reload_error: ReloadError | None = None
        self.last_reload: dict[str, Any] | None = None
        self.last_reload_attempt: ReloadResult | None = None
        self.reload_count = 0
        self.reload_version = 0
        self.reloading = False
        self._hot: HotReload | None = None
        if self.recorder is not None:
            self.add_sink(self.recorder)

    # ------------------------------------------------------------------ reading
    @property
    def lag(self) -> float:
        """Latest event-loop lag in seconds."""
        return self._probe.lag

    @property
    def lag_max(self) -> float:
        """Largest event-loop lag in the last ~10 s."""
        return self._probe.lag_max

    def failed_loops(self) -> list[str]:
        """Display names of loops whose state is ``failed``."""
        return [t.name for t in self.registry.trackers() if t.state == "failed"]

    # ------------------------------------------------------------------- events
    def add_sink(self, sink: Sink) -> None:
        """Send every event (DESIGN §5 dict) to *sink* from now on."""
        self._sinks.append(sink)
        if not self._listening:
            self.registry.add_listener(self._on_registry_event)
            self._listening = True

    def emit(self, kind: str, **fields: Any) -> None:
        """Send a session-level event (``reload``, ``blocked`` …) to the sinks."""
        if self._sinks:
            self._dispatch(events.session_event(kind, **fields))

    def _on_registry_event(self, kind: str, tracker: Tracker, fields: dict[str, Any]) -> None:
        if kind == "log" and not self.log_limiter.allow(tracker):
            return
        self._dispatch(events.loop_event(kind, tracker, fields))

    def _dispatch(self, event: dict[str, Any]) -> None:
        for sink in list(self._sinks):
            try:
                sink(event)
            except Exception as exc:  # one broken sink must not silence the others
                self._sinks.remove(sink)
                self._note("stderr", f"looptui: event sink {sink!r} failed, removed: {exc!r}")

    # ------------------------------------------------------------------- output
    def install_capture(self) -> None:
        """Put the stdout/stderr proxies back in place (after Textual replaced them)."""
        self.capture.install()

    def _deliver(self, tracker: Tracker | None, stream: str, text: str) -> None:
        if tracker is not None:
            tracker.add_output(stream, text)
            return
        now = clock.now()
        self.general_output.append((now, stream, kept_line(text)))
        self.output_version += 1
        if self._sinks and self.log_limiter.allow(None):
            self._dispatch(
                events.session_event("log", time=now, loop=None, stream=stream, text=text)
            )

    def _note(self, stream: str, text: str) -> None:
        """Add a line to :attr:`general_output` without emitting an event."""
        self.general_output.append((clock.now(), stream, text))
        self.output_version += 1

    def _say(self, stream: str, text: str) -> None:
        """Report something looptui did as general output (and ``log`` events)."""
        for line in text.splitlines() or [""]:
            self._deliver(None, stream, line)

    # --------------------------------------------------------------- blocked loop
    def _blocked(self, block: Block) -> None:
        """The watchdog saw the event loop stall: note it on the loop, count it, emit it."""
        tracker = self.owners.owner(block.task)
        now = clock.now()
        monitor = tracker is None and block.monitor
        if monitor:
            self.monitor_blocked_count += 1
        else:
            self.blocked_count += 1
        if tracker is not None:
            before = tracker.notes.get("blocked") or {}
            tracker.notes["blocked"] = {
                "duration": block.duration, "count": before.get("count", 0) + 1,
                "total": before.get("total", 0.0) + block.duration, "time": now,
                "stack": block.stack,
            }
            tracker.version += 1
        name = tracker.name if tracker is not None else None
        self.last_block = {"loop": name, "duration": block.duration, "time": now,
                           "stack": block.stack, "monitor": monitor}
        self.emit("blocked", time=now, loop=name, duration=block.duration, stack=block.stack)

    def _log_dropped(self, tracker: Tracker | None, count: int) -> None:
        """``log`` lines of one source left out of the events (see :mod:`.flood`)."""
        if not self._sinks:
            return
        if tracker is None or tracker.registry is None:
            name = None if tracker is None else tracker.name
            self._dispatch(events.session_event("log_dropped", loop=name, dropped=count))
        else:
            self._dispatch(events.loop_event("log_dropped", tracker, {"dropped": count}))

    # -------------------------------------------------------------------- start
    async def start(self, background: bool = True) -> None:
        """Capture output, import the target, start its loops, schedule ``--main``.

        Must be awaited on the event loop the front end also runs on. With
        *background* False, the blocking watchdog, the stuck-body checks and the file
        watcher are left for :meth:`start_background` (the TUI calls it after its first
        frame: none of them is needed to show the table, and the watcher's import and
        folder scan would only delay it).

        Raises:
            TargetUsageError: the target (or ``--main NAME``) is not usable as given.
            TargetImportError: the user's module failed while importing.
        """
        if self._started:
            return
        self._started = True
        resolve_target(self.target)  # usage errors before anything is installed
        self.capture.install()
        self._probe.start()
        self._install_adapters()
        self.owners.install()
        baseline = set(sys.modules)  # what the user's program did not import
        try:
            self.module = load_target(self.target)
            main = self._main_function() if self.main_name else None
        except BaseException:  # loops the module started are stopped, the terminal restored
            await self._finish(timeout=1.0, summary=False)
            raise
        self.module_loops = find_module_loops(self.module)
        if self.start_loops:
            self._start_module_loops()
        if main is not None:
            self.main_state = "running"
            self._main_task = asyncio.get_running_loop().create_task(
                self._run_main(main), name=f"looptui --main {self.main_name}"
            )
        self._hot = HotReload(self, baseline)
        if background:
            self.start_background()

    @property
    def background_started(self) -> bool:
        """Whether the watchdog, stuck checks and file watcher were started."""
        return self._background_started

    def start_background(self) -> None:
        """Start the watchdog, the stuck-body checks and the file watcher (once)."""
        if self._hot is None or self._background_started or self._shutdown_result is not None:
            return
        self._background_started = True
        self.watchdog.start()  # after the import: its own time is not a loop's fault
        self.stuck.start()
        if self.watch:
            self._hot.start_watching()

    # ------------------------------------------------------------------- reload
    @property
    def watching(self) -> bool:
        """Whether source files are being watched (off with ``--no-reload``)."""
        return self._hot is not None and self._hot.watching

    async def reload(self, files: Any = None) -> ReloadResult:
        """Import the target's code afresh and swap the loops over (the ``R`` key).

        Old loops keep running if the new code fails to import (:attr:`reload_error`,
        event ``reload_failed``); otherwise they stop gracefully and the new ones start
        under the same names, with their history (event ``reload``). *files* are the
        changed paths, when a file watcher asks. User errors never raise.

        Raises:
            RuntimeError: the session is not running (before :meth:`start`, after
                :meth:`shutdown`).
        """
        if self._hot is None or self._shutdown_result is not None:
            raise RuntimeError("nothing to reload: the session is not running")
        return await self._hot.reload(files)

    def _install_adapters(self) -> None:
        """Monitor discord.py / nextcord / disnake / py-cord loops too (see adapters)."""
        from looptui import adapters

        adapters.install(self.registry)
        if adapters.recognise not in LOOP_RECOGNISERS:
            LOOP_RECOGNISERS.append(adapters.recognise)
        self._adapters = adapters

    def _start_module_loops(self) -> None:
        for lp in self.module_loops:
            try:
                if lp.get_task() is None:
                    lp.start()
            except Exception as exc:
                self._say("stderr", f"looptui: could not start {_loop_label(lp)}: "
                                    f"{type(exc).__name__}: {exc}")

    def _main_function(self, module: ModuleType | None = None) -> Callable[[], Any]:
        func = getattr(module if module is not None else self.module, self.main_name or "", None)
        if func is None or not callable(func):
            what = "has no function" if func is None else "has something that is not a function"
            raise TargetUsageError(
                f"--main {self.main_name}: {self.module_name} {what} named {self.main_name}.\n"
                f"Give the name of a coroutine function defined in {self.module_name}, "
                "e.g. --main main for `async def main(): ...`."
            )
        return func

    async def _run_main(self, func: Callable[[], Any]) -> None:
        try:
            result = func()
            if inspect.isawaitable(result):
                await result
        except asyncio.CancelledError:
            self.main_state = "finished"
            raise
        except (Exception, SystemExit, KeyboardInterrupt) as exc:  # shown, never fatal
            info = ExceptionInfo(exc, "main", clock.now())
            info._text = user_traceback(exc)  # the user's frames, not looptui's
            self.main_exception = info
            self.main_state = "failed"
            self._say("stderr", f"looptui: --main {self.main_name}() failed:\n{info.traceback}")
        else:
            self.main_state = "finished"

    # ----------------------------------------------------------------- shutdown
    async def shutdown(self, timeout: float = 5.0) -> list[str]:
        """Stop every loop gracefully and give the terminal back.

        Asks each active loop to stop (a sleeping one ends at once; a running body
        finishes; ``after_loop`` hooks run; one still in ``before_loop`` a second later
        is cancelled), waits until all have ended or *timeout* passed, then cancels the
        stragglers and waits briefly. Also ends ``--main``, emits
        the ``summary`` event, stops the lag probe and restores stdout/stderr/logging.
        Calling it again only restores the streams and returns the first result.

        Returns:
            Display names of loops that did not end (they ignore cancellation).
        """
        return await self._finish(timeout, summary=True)

    async def _finish(self, timeout: float, *, summary: bool) -> list[str]:
        if self._shutdown_result is not None:
            self.capture.uninstall()
            return list(self._shutdown_result)
        self._shutdown_result = []
        if self._hot is not None:  # no file watching, no reload half done from here on
            await self._hot.close()
        loop = asyncio.get_running_loop()
        stragglers = await self._end_loops("stop", loop.time() + timeout)
        if stragglers:
            stragglers = await self._end_loops("cancel", loop.time() + min(_CANCEL_WAIT, timeout))
        await self._end_main()
        self.capture.flush_pending()
        self.log_limiter.flush()
        if summary:
            self._dispatch(events.summary_event(self.registry.trackers()))
        self._probe.stop()
        self.watchdog.stop()
        self.stuck.stop()
        self.owners.uninstall()
        if self._adapters is not None:
            self._adapters.uninstall()
            if self._adapters.recognise in LOOP_RECOGNISERS:
                LOOP_RECOGNISERS.remove(self._adapters.recognise)
            self._adapters = None
        self.capture.uninstall()
        if self._listening:
            self.registry.remove_listener(self._on_registry_event)
            self._listening = False
        if self.recorder is not None:
            self.recorder.close()
        self._shutdown_result = [t.name for t in stragglers]
        return list(self._shutdown_result)

    async def _end_loops(self, how: str, deadline: float) -> list[Tracker]:
        """Ask every active loop to *how* (``stop``/``cancel``); wait for all to end.

        When stopping, a loop still ``waiting`` in ``before_loop`` after
        :data:`_WAITING_GRACE` is cancelled: stop only takes effect once ``before_loop``
        returns, which may be never (``await bot.wait_until_ready()`` offline).
        """
        loop = asyncio.get_running_loop()
        asked: dict[int, float] = {}
        cancelled: set[int] = set()
        while True:
            now = loop.time()
            active = [t for t in self.registry.trackers() if t.is_active]
            for tracker in active:
                key = id(tracker)
                if key not in asked:
                    asked[key] = now
                    self._ask(tracker, how)
                elif (how == "stop" and key not in cancelled and tracker.state == "waiting"
                      and now - asked[key] >= _WAITING_GRACE):
                    cancelled.add(key)
                    self._ask(tracker, "cancel")
            if not active or now >= deadline:
                return active
            await asyncio.sleep(_POLL)

    def _ask(self, tracker: Tracker, how: str) -> None:
        controls = tracker.controls
        if controls is None:
            return
        try:
            if how == "stop" and controls.unsupported("stop") is None:
                controls.ui_stop()
            elif controls.unsupported("cancel") is None:
                controls.ui_cancel()
        except Exception as exc:
            self._note("stderr", f"looptui: could not {how} {tracker.name}: {exc!r}")

    async def _end_main(self) -> None:
        task = self._main_task
        if task is None or task.done():
            return
        task.cancel()
        await asyncio.wait([task], timeout=_CANCEL_WAIT)


def _loop_label(lp: object) -> str:
    tracker = getattr(lp, "tracker", None)
    if tracker is not None:
        return tracker.name
    coro = getattr(lp, "coro", None)
    return getattr(coro, "__qualname__", None) or repr(lp)
