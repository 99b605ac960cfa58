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
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

from looptui.core import clock
from looptui.core.records import ExceptionInfo
from looptui.core.registry import REGISTRY, ROUTINE_KINDS, ROUTINE_STATES, Registry
from looptui.core.tracker import Tracker, kept_line
from looptui.session.commands import run_command
from looptui.session.debug.births import TaskBirths
from looptui.session.debug.console import Console
from looptui.session.debug.handover import DebuggerHandover
from looptui.session.debug.service import DebugService
from looptui.session.debug.tasks import TaskBook
from looptui.session.events import build as events
from looptui.session.events.deferred import InOrder, is_heavy
from looptui.session.events.encode import RAW_KINDS
from looptui.session.events.recorder import Recorder
from looptui.session.events.sinks import deliver
from looptui.session.health.import_watch import ImportWatch
from looptui.session.health.lag import LagProbe
from looptui.session.health.stuck import StuckWatch, await_stack
from looptui.session.health.waiting import WaitingWatch
from looptui.session.health.watchdog import DEFAULT_THRESHOLD, Block, Watchdog, mark_blocked
from looptui.session.interface import Reply, Sink
from looptui.session.output.capture import OutputCapture
from looptui.session.output.flood import LogLimiter
from looptui.session.program.as_main import Program, resolve_program, restore_main, run_program
from looptui.session.program.clients import ClientWatch
from looptui.session.program.empty_reason import EmptyReason, program_line, why_no_loops
from looptui.session.program.live_loops import LiveObjects, loop_object, unbound_idle
from looptui.session.program.loader import (
    LOOP_RECOGNISERS,
    TargetImportError,
    TargetUsageError,
    find_module_loops,
    user_traceback,
)
from looptui.session.program.main_plan import MainPlan, build_plan
from looptui.session.program.owners import TaskOwners
from looptui.session.program.runcalls import RunCalls
from looptui.session.reload.hot_reload import HotReload, ReloadError, ReloadResult

__all__ = ["Session", "Sink", "GENERAL_OUTPUT_SIZE", "MIN_RECURSION_LIMIT"]

GENERAL_OUTPUT_SIZE = 1000
"""Lines of output not attributed to any loop that are kept."""
_POLL = 0.02
"""Seconds between checks while waiting for loops to end at shutdown."""
_CANCEL_WAIT = 1.0
"""Seconds stragglers get to end after being cancelled."""
MIN_RECURSION_LIMIT = 1000
"""The lowest recursion limit looptui runs with (the program may not go lower)."""
_WAITING_GRACE = 1.0
"""Seconds a loop stuck in ``before_loop`` gets at shutdown before it is cancelled."""
_SCAN_EVERY = 1.0
"""Seconds between looks for new live objects' loops and reasons of waiting loops."""

RawTaker = Callable[[str, Tracker, "dict[str, Any]"], None]
"""A sink's ``take_raw(kind, tracker, fields)``: a routine loop event without its dict."""

_ROUTINE_SAMPLES: tuple[tuple[str, dict[str, Any]], ...] = (
    *((kind, {}) for kind in sorted(ROUTINE_KINDS)),
    *(("state", {"state": state}) for state in sorted(ROUTINE_STATES)),
)
"""One event of each routine kind (:func:`~looptui.core.registry.is_routine`), to ask the
sinks' ``wants`` whether any of them wants the routine events at all."""


class Session:
    """One run of looptui on one target.

    Attributes:
        registry: Where every monitored loop's tracker is (the process-wide one by default).
        module_name: What the header shows: the file name, or the module name.
        module: The imported module (``None`` before :meth:`start`).
        module_loops: Loops found at module level by :func:`find_module_loops`.
        general_output: ``(epoch, stream, text)`` lines written outside any loop.
        output_version: Bumped whenever :attr:`general_output` changes.
        main_name: The program's main (``--main NAME``'s NAME, or what the import called:
            ``bot.run() at bot.py:88``); ``None`` when there is none.
        main_source: ``--main``, ``import`` (a run call made while importing) or
            ``offline`` (clients nothing started, started by ``--offline``); or ``None``.
        main_where: ``file:line`` of the run call that made the main, else ``None``.
        main_state: ``None`` without a main; else ``running``, ``finished`` or ``failed``.
        main_exception: What the main raised, if it failed.
        offline: Whether Discord clients run without logging in (``--offline``).
        hook_failures: Hooks ``--offline`` ran that raised (``setup_hook``), oldest
            first: ``client``, ``hook``, ``error``, ``message``, ``summary``, ``time``.
        program_args: The program's own arguments (``sys.argv[1:]`` while it runs).
        clients: The Discord clients the program created
            (:class:`~looptui.session.program.clients.ClientWatch`).
        recorder: The ``--record`` writer, if any.
        watchdog: The blocking watchdog (:class:`~looptui.session.health.watchdog.Watchdog`).
        blocked_count: Stalls of the event loop caused by user code (the header's count);
            ``monitor_blocked_count`` those of the monitor's own code.
        last_block: The latest stall: ``loop`` (name or ``None``), ``duration``,
            ``time``, ``stack``, ``monitor``; ``None`` before any.
        stuck: The stuck-iteration check (``tracker.notes["stuck"]``).
        debugger: Hands the terminal to ``pdb`` and other debuggers the program starts
            (:class:`~looptui.session.debug.handover.DebuggerHandover`; the TUI sets
            its ``front``).
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
        import_hooks: Called after every import of the program (at start and on each
            reload, whether it failed or not): the program may have changed process-wide
            settings there, such as signal handlers, that the front end puts back.
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
        offline: bool = False,
        args: list[str] | None = None,
        as_module: bool = False,
    ) -> None:
        """Prepare a session; nothing is imported or started until :meth:`start`.

        Raises:
            RecordError: *record* names a file that cannot be opened for appending.
        """
        self.target = target
        self.as_module = as_module
        self.program: Program | None = None
        self.main_option = main
        self.main_name: str | None = main
        self.main_source: str | None = None
        self.main_where: str | None = None
        self.offline = offline
        self.program_args = list(args or [])
        self._saved_argv: list[str] | None = None
        self.start_loops = start_loops
        self.watch = watch
        self.registry = registry
        self.module_name = _display_name(target, as_module)
        self.module: ModuleType | None = None
        self.module_loops: list[Any] = []
        self.general_output: collections.deque[tuple[float, str, str]] = collections.deque(
            maxlen=GENERAL_OUTPUT_SIZE
        )
        self.output_version = 0
        self.main_state: str | None = None
        self.main_exception: ExceptionInfo | None = None
        self.root = _program_root(target, as_module)
        self.clients = ClientWatch(self.root, offline, report=lambda text: self.say("stderr", text),
                                   hook_failed=self._hook_failed)
        self.hook_failures: list[dict[str, Any]] = []
        self.live_objects = LiveObjects()
        self.waiting = WaitingWatch(self._waiting_facts)
        self._scan_handle: asyncio.TimerHandle | None = None
        self._in_order = InOrder("the session")
        """Events of one loop in order; failures built off the failing loop's task."""
        self.recorder = Recorder(record, on_error=self._record_failed,
                                 program_root=self.root) if record else None
        self.capture = OutputCapture(self._deliver, self.note)
        self.debugger = DebuggerHandover(self.capture)
        self._probe = LagProbe()
        self.watchdog = Watchdog(self._blocked, block_threshold)
        self.blocked_count = 0
        self.monitor_blocked_count = 0
        self.last_block: dict[str, Any] | None = None
        self.stuck = StuckWatch(registry)
        self.owners = TaskOwners(registry)
        self.task_births = TaskBirths(clock.now)
        self.task_book = TaskBook(registry, self.owners, self.root, on_failed=self._task_failed,
                                  births=self.task_births)
        self.debug_service = DebugService(self.task_book,
                                          Console(self._console_globals, self._console_names))
        self.log_limiter = LogLimiter(self._log_dropped)
        self._sinks: list[Sink] = []
        self._wants: list[Callable[[str, dict[str, Any]], bool]] | None = []
        self._raw: list[tuple[Callable[[str, dict[str, Any]], bool], RawTaker]] = []
        """Sinks that take the routine events raw (``take_raw``): their ``wants``, taker."""
        self._dict_sinks: list[Sink] = []
        """The other sinks, which get the routine events as dicts."""
        self._dict_wants: list[Callable[[str, dict[str, Any]], bool]] | None = []
        self._listening = False
        self._routine = True
        self.main_task: asyncio.Task[None] | None = None
        self._started = False
        self._background_started = False
        self._shutdown_result: list[str] | None = None
        self.adapters: ModuleType | None = None
        self.reload_error: ReloadError | None = None
        self.last_reload: dict[str, Any] | None = None
        self.last_reload_attempt: ReloadResult | None = None
        self.reload_count = 0
        self.reload_version = 0
        self.reloading = False
        self._hot: HotReload | None = None
        self.import_hooks: list[Callable[[], None]] = []
        self._recursion_limit = sys.getrecursionlimit()
        if self.recorder is not None:
            self.add_sink(self.recorder)

    # ------------------------------------------------------------------ reading
    status = ""
    """Nothing is wrong with a session in this process itself (see SessionView)."""
    live = False
    """The run ends with the program's loops (an attached session's does not)."""
    reload_unavailable = None
    """A program in this process can always be reloaded."""

    @property
    def local(self) -> Session:
        """This session: its program runs in this process."""
        return self

    @property
    def lag(self) -> float:
        """Latest event-loop lag in seconds."""
        return self._probe.lag

    @property
    def lag_max(self) -> float:
        """Largest event-loop lag in the last ~10 s."""
        return self._probe.lag_max

    @property
    def startup_lag(self) -> float | None:
        """How long start-up (importing the program, starting its loops) held the event
        loop, during the first seconds after it; ``None`` later or when it did not."""
        return self._probe.recent_startup

    @property
    def record_error(self) -> str | None:
        """Why ``--record`` stopped writing (disk full …), or ``None``."""
        return self.recorder.error if self.recorder is not None else None

    def close_record(self) -> None:
        """Close the ``--record`` file without running anything (a refused start)."""
        if self.recorder is not None:
            self.recorder.close()

    def _record_failed(self, message: str) -> None:
        """The record file could not be written: say so now, as output and an event."""
        self.note("stderr", f"looptui: {message}")
        self.emit("record_failed", error=message, path=str(self.recorder.path)
                  if self.recorder is not None else None)

    # ----------------------------------------------------------------- commands
    def await_stack(self, loop: str) -> str:
        """What the loop called *loop* is awaiting now (see :func:`health.stuck.await_stack`)."""
        tracker = self.registry.get(loop)
        return await_stack(tracker) if tracker is not None else "(no such loop)\n"

    async def command(self, loop: str, command: str, value: Any = None) -> Reply:
        """Carry out *command* on the loop named *loop* (see :mod:`~looptui.session.commands`)."""
        return run_command(self.registry.get(loop), command, value, loop=loop)

    def start_main(self, func: Callable[[], Any]) -> None:
        """Run *func* (``--main``) alone as the program's main."""
        # (build_plan returns None only when there is no main at all; here there is func)
        self.launch_main(build_plan([], self.main_option or getattr(func, "__name__", "main"),
                                    func, []))  # type: ignore[arg-type]

    def why_no_loops(self) -> EmptyReason | None:
        """Why there are no loops (the main failed, is logging in …) and the next step;
        ``None`` when the program simply defines none (see :mod:`.empty_reason`)."""
        info = self.main_exception
        target = f"-m {self.target}" if self.as_module else self.target
        return why_no_loops(
            main_state=self.main_state, main_name=self.main_name, main_where=self.main_where,
            main_error=info.exc if info is not None else None,
            main_summary=info.summary if info is not None else None,
            clients=[(k.client, k.where, k.started) for k in self.clients.live()],
            offline=self.offline, module=self.module, root=self.root, target=target,
            hook_failures=self.hook_failures)

    def lost_programs(self) -> list[str]:
        """None: the program runs in this process (see SessionView)."""
        return []

    def failed_loops(self) -> list[str]:
        """Display names of loops whose state is ``failed``."""
        return [t.name for t in self.registry.trackers() if t.state == "failed"]

    # ------------------------------------------------------------------- events
    def add_sink(self, sink: Sink) -> None:
        """Send every event (a dict of :mod:`~looptui.session.events.build`) to *sink* from now on.

        A sink with a ``wants(kind, fields)`` method is asked first about each loop
        event; when no sink wants one, it is not even built (readable headless output
        skips the events of every iteration, which with thousands of loops is most of
        the work). When no sink wants the routine events of every iteration at all, the
        session listens with ``routine=False``, so the loops do not even make them. A
        sink with ``wants`` and ``take_raw(kind, tracker, fields)`` (``--record``,
        ``--json``) gets the events of :data:`RAW_KINDS` through ``take_raw``, without
        an event dict: the dict is built only when another sink wants it.
        """
        self._sinks.append(sink)
        wants = getattr(sink, "wants", None)
        take = getattr(sink, "take_raw", None)
        self._wants = None if self._wants is None or wants is None else [*self._wants, wants]
        if wants is not None and take is not None:
            self._raw = [*self._raw, (wants, take)]
        else:
            self._dict_sinks = [*self._dict_sinks, sink]
            others = self._dict_wants
            self._dict_wants = None if others is None or wants is None else [*others, wants]
        routine = self._wants is None or any(
            want(kind, fields) for want in self._wants for kind, fields in _ROUTINE_SAMPLES)
        if self._listening and routine != self._routine:
            self.registry.remove_listener(self._on_registry_event)
            self._listening = False
        if not self._listening:
            self.registry.add_listener(self._on_registry_event, routine=routine)
            self._listening = True
            self._routine = routine

    def emit(self, kind: str, **fields: Any) -> None:
        """Send a session-level event (``reload``, ``blocked`` …) to the sinks."""
        if self._sinks:
            self._dispatch(events.session_event(kind, **fields))

    def _on_registry_event(self, kind: str, tracker: Tracker, fields: dict[str, Any]) -> None:
        # Called for every event of every loop: one pass over the sinks' wants, no
        # generator (with thousands of loops this is a hot path).
        raw = kind in RAW_KINDS and self._raw
        if raw:
            for want, take in self._raw:
                if want(kind, fields):  # (after any event still waiting)
                    self._in_order(take, kind, tracker, fields)
        wants = self._dict_wants if raw else self._wants
        if wants is not None:
            for want in wants:
                if want(kind, fields):
                    break
            else:
                return
        if raw:
            self._in_order(self._build_and_dispatch, kind, tracker, fields, self._dict_sinks)
            return
        if kind == "log" and not self.log_limiter.allow(tracker):
            return
        self._in_order(self._build_and_dispatch, kind, tracker, fields,
                       heavy=is_heavy(kind, fields))

    def _build_and_dispatch(self, kind: str, tracker: Tracker, fields: dict[str, Any],
                            sinks: list[Sink] | None = None) -> None:
        self._dispatch(events.loop_event(kind, tracker, fields), sinks)

    def _dispatch(self, event: dict[str, Any], sinks: list[Sink] | None = None) -> None:
        """Hand *event* to *sinks* (every sink by default); one that raises is removed."""
        targets = self._sinks if sinks is None else sinks
        for sink in deliver(targets, event, lambda text: self.note("stderr", text)):
            for group in (self._sinks, self._dict_sinks):
                if sink in group:
                    group.remove(sink)

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

    def note(self, stream: str, text: str) -> None:
        """Add a line to :attr:`general_output` without emitting an event."""
        self.general_output.append((clock.now(), stream, text))
        self.output_version += 1

    def say(self, stream: str, text: str) -> None:
        """Report something looptui did as general output (and ``log`` events)."""
        for line in text.splitlines() or [""]:
            self._deliver(None, stream, line)

    # --------------------------------------------------------------- debugging
    async def debug(self, request: dict[str, Any]) -> dict[str, Any]:
        """Answer a debugging request: the tasks view's and the console's (see
        :mod:`~looptui.session.debug.service`)."""
        return await self.debug_service.handle(request)

    @property
    def failed_tasks(self) -> int:
        """Tasks that died with an exception nobody retrieved (the header counts them)."""
        return self.task_book.failed_total

    def _task_failed(self, row: dict[str, Any]) -> None:
        self.emit("task_failed", time=row.get("time"), loop=row.get("created_by"),
                  task=row.get("name"), coro=row.get("coro"), where=row.get("where"),
                  error=row.get("error"), message=row.get("message"),
                  traceback=row.get("traceback"))

    def _console_globals(self) -> dict[str, Any]:
        module = self.module
        return module.__dict__ if module is not None else {}

    def _console_names(self) -> dict[str, Any]:
        loops = {}
        for tracker in self.registry.trackers():
            lp = loop_object(tracker)
            loops[tracker.name] = lp if lp is not None else tracker
        return {"loops": loops, "clients": self.live_clients()}

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
            mark_blocked(tracker, block, now)
        name = tracker.name if tracker is not None else None
        self.last_block = {"loop": name, "duration": block.duration, "time": now,
                           "stack": block.stack, "monitor": monitor}
        self.emit("blocked", time=now, loop=name, duration=block.duration, stack=block.stack)

    def _hook_failed(self, client: Any, hook: str, exc: BaseException) -> None:
        """A hook ``--offline`` ran on the way to ready raised: output, event, notification."""
        info = ExceptionInfo(exc, hook, clock.now())
        info._text = user_traceback(exc)
        name = type(client).__name__
        failure = {"client": name, "hook": hook, "error": info.type_name,
                   "message": info.message, "summary": info.summary, "time": info.time,
                   "where": program_line(exc, self.root)}
        self.hook_failures.append(failure)
        self.note("stderr", f"looptui --offline: {name}.{hook} raised {info.summary} "
                            "(a call that needs Discord?); going on to ready")
        for line in info.traceback.rstrip("\n").splitlines():
            self.note("stderr", line)
        self.emit("hook_failed", loop=None, client=name, hook=hook, error=info.type_name,
                  message=info.message, traceback=info)

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
        self.program = resolve_program(self.target, self.as_module)  # usage errors first
        self.capture.install()
        self.debugger.install()
        self._probe.start(startup=True)  # the import holds the loop: start-up, shown apart
        self._install_adapters()
        self.clients.install()
        self.owners.install()
        self.task_book.install()
        self.task_births.install()  # after owners: its factory goes through theirs
        self._saved_argv = sys.argv
        sys.argv = [self.target, *self.program_args]  # argparse at import sees the program's
        baseline = set(sys.modules)  # what the user's program did not import
        before = {id(t) for t in self.registry.trackers()}
        try:
            self.module, plan = self.import_program(announce=True)
        except BaseException:  # loops the module started are stopped, the terminal restored
            await self._finish(timeout=1.0, summary=False)
            raise
        self.module_loops = find_module_loops(self.module)
        # A run call at import (asyncio.run(main())) is how the program starts its loops:
        # starting them first would make its own .start() raise "already launched".
        if self.start_loops and (plan is None or not plan.took_over):
            self._start_module_loops()
            self._start_import_created(before)
        self.scan_live_objects()
        if plan is not None:
            self.launch_main(plan)
        self._hot = HotReload(self, baseline)
        self._probe.end_startup()
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
        self._scan_handle = asyncio.get_running_loop().call_later(_SCAN_EVERY, self._scan_tick)
        if self.watch:
            self._hot.start_watching()

    def after_import(self) -> None:
        """Run :attr:`import_hooks` (the program was just imported, or re-imported).

        Also undoes a recursion limit the program lowered below what looptui itself
        needs (:data:`MIN_RECURSION_LIMIT`): with ``sys.setrecursionlimit(50)`` the TUI
        could not draw and the file watcher would die. The program is told so.
        """
        limit = sys.getrecursionlimit()
        if limit < MIN_RECURSION_LIMIT:
            restored = max(self._recursion_limit, MIN_RECURSION_LIMIT)
            sys.setrecursionlimit(restored)
            self.say("stderr", f"looptui: the program set the recursion limit to {limit}; "
                                f"looptui needs at least {MIN_RECURSION_LIMIT} and set it "
                                f"back to {restored}")
        for hook in list(self.import_hooks):
            try:
                hook()
            except Exception as exc:
                self.note("stderr", f"looptui: after-import hook {hook!r} failed: {exc!r}")

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
        self.adapters = adapters

    def _start_module_loops(self) -> None:
        for lp in self.module_loops:
            try:
                if lp.get_task() is None:
                    lp.start()
            except Exception as exc:
                self.say("stderr", f"looptui: could not start {_loop_label(lp)}: "
                                    f"{type(exc).__name__}: {exc}")

    def main_function(self, module: ModuleType | None = None) -> Callable[[], Any]:
        name = self.main_option or ""
        func = getattr(module if module is not None else self.module, name, None)
        if func is None or not callable(func):
            what = "has no function" if func is None else "has something that is not a function"
            raise TargetUsageError(
                f"--main {name}: {self.module_name} {what} named {name}.\n"
                f"Give the name of a function defined in {self.module_name}: a coroutine "
                "function (`async def main(): ...`) or one that starts the bot "
                "(`def main(): bot.run(TOKEN)`)."
            )
        return func

    def import_program(self, module_name: str | None = None, *,
                       announce: bool = False) -> tuple[ModuleType, MainPlan | None]:
        """Run the target afresh as ``__main__``; return it and its main (``None``: none).

        Run calls the program makes (``bot.run(TOKEN)``, ``asyncio.run(main())``) return
        at once and become the main (see :mod:`~looptui.session.program.runcalls`);
        ``--main NAME`` follows them; with ``--offline`` and neither, the clients the
        program created are started offline. With *announce*, an import that takes more
        than a second says where it is on the terminal (see
        :mod:`~looptui.session.health.import_watch`). *module_name* is not used (the
        program always runs as ``__main__``); it is accepted for callers of old.

        Raises:
            TargetUsageError / TargetImportError: as :func:`run_program`; ``--main`` that
                names no function, or a plain function that neither returned a
                coroutine nor made a run call; also when the user interrupts (Ctrl+C) an
                import that blocks, naming where it was.
        """
        program = self.program or resolve_program(self.target, self.as_module)
        calls = RunCalls(self.root)
        known_before = len(self.clients.clients)
        out = self.capture.original_stderr if announce else None
        watch = ImportWatch(self.module_name, self.root, out)
        main_step: Callable[[], Any] | None = None
        try:
            try:
                with calls:
                    if announce:
                        with watch:
                            module, late_exit = run_program(program, lambda: bool(calls.calls))
                    else:
                        module, late_exit = run_program(program, lambda: bool(calls.calls))
            finally:
                self.after_import()
            if self.main_option:
                main_step = self._main_step(self.main_function(module))
        except KeyboardInterrupt:
            calls.discard()
            where = watch.where or watch.sample() or "?"
            raise TargetImportError(
                f"interrupted while importing {self.module_name}: it was at {where}.\n"
                "Its import blocks there (a connection, a sleep, input()): move that into "
                "a coroutine or setup_hook, or make it time out.", where) from None
        except BaseException:
            calls.discard()
            raise
        offline_starts = []
        if self.offline and not calls.calls and main_step is None:
            for known in self.clients.clients[known_before:]:
                client = known.client
                if client is not None and not known.started:
                    label = f"{type(client).__name__}.start() offline (created at {known.where})"
                    offline_starts.append((label, client.start))
        plan = build_plan(calls.calls, self.main_option, main_step, offline_starts)
        if plan is not None and late_exit is not None:
            plan.steps.append(_raiser(late_exit))  # what the program does once its run call ended
        return module, plan

    def _main_step(self, func: Callable[[], Any]) -> Callable[[], Any]:
        """What the main runs for ``--main NAME``.

        A coroutine function is called in the main's task, as before. A plain function
        is called now, with its run calls taken over as at import (``bot.run()`` and
        ``asyncio.run(...)`` return at once: no second event loop, no library clean-up
        cancelling looptui's tasks); the main then runs what it returned (a coroutine)
        or what its run calls would have run.

        Raises:
            TargetUsageError: the function returned no coroutine and made no run call.
        """
        if inspect.iscoroutinefunction(func):
            return func
        calls = RunCalls(self.root)
        try:
            with calls:
                result = func()
        except Exception as exc:  # the main failed: shown as main_failed, not fatal
            calls.discard()
            return _raiser(exc)
        steps: list[Callable[[], Any]] = [call.run for call in calls.calls]
        if inspect.isawaitable(result):
            steps.append(lambda: result)
        if not steps:
            name = self.main_option
            raise TargetUsageError(
                f"--main {name}: {name}() returned {type(result).__name__} and started "
                "nothing (no coroutine returned, no bot.run() or asyncio.run() call).\n"
                f"Give a coroutine function (`async def {name}(): ...`), or a function that "
                "starts the program (`bot.run(TOKEN)`, `asyncio.run(...)`); or leave "
                "--main out when the program starts itself."
            )
        async def in_order() -> None:
            for step in steps:
                await step()

        in_order.took_over = bool(calls.calls)  # type: ignore[attr-defined]
        return in_order

    def launch_main(self, plan: MainPlan) -> None:
        """Run *plan* as the program's main, in a task of its own (``main_started``)."""
        self.main_name = plan.name
        self.main_source = plan.source
        self.main_where = plan.where
        self.main_state = "running"
        self.main_exception = None
        self.main_task = asyncio.get_running_loop().create_task(
            self._run_main(plan), name=f"looptui main: {plan.name}"
        )

    def main_summary(self) -> dict[str, Any] | None:
        """``{name, state, error}`` of the main for the ``summary`` event, or ``None``."""
        if self.main_state is None:
            return None
        info = self.main_exception
        return {"name": self.main_name, "state": self.main_state,
                "error": info.summary if info is not None else None}

    async def _run_main(self, plan: MainPlan) -> None:
        name = plan.name
        self.emit("main_started", name=name, source=plan.source, where=plan.where)
        if plan.source == "import":
            self.note("stderr", f"looptui: running {name} as the program's main "
                                 "(the call returned at once so the import could go on)")
        try:
            await plan.run()
        except asyncio.CancelledError:
            self.main_state = "finished"
            self.emit("main_finished", name=name, cancelled=True)
            raise
        except SystemExit as exc:  # the program's own exit: looptui quits with its code
            self.main_state = "finished"
            self.emit("main_finished", name=name, cancelled=False, exit_code=exc.code)
            raise
        except (Exception, KeyboardInterrupt) as exc:  # shown, never fatal
            info = ExceptionInfo(exc, "main", clock.now())
            info._text = user_traceback(exc)  # the user's frames, not looptui's
            self.main_exception = info
            self.main_state = "failed"
            what = f"--main {name}()" if plan.source == "--main" else f"main {name}"
            for line in f"looptui: {what} failed:\n{info.traceback}".splitlines():
                self.note("stderr", line)
            self.emit("main_failed", name=name, error=info.type_name, message=info.message,
                      traceback=info)
        else:
            self.main_state = "finished"
            self.emit("main_finished", name=name, cancelled=False)

    # ------------------------------------------------------ live objects, waits
    def _start_import_created(self, before: set[int]) -> None:
        """Start loops the import made outside module globals (lists, dicts, factories)."""
        for tracker in unbound_idle(self.registry.trackers(), before):
            lp = loop_object(tracker)
            try:
                if lp is not None and lp.get_task() is None:
                    lp.start()
            except Exception as exc:
                self.say("stderr", f"looptui: could not start {tracker.name}: "
                                    f"{type(exc).__name__}: {exc}")

    def live_clients(self) -> list[Any]:
        """The Discord clients the program created that still exist, oldest first."""
        return [c for c in (known.client for known in self.clients.live()) if c is not None]

    def scan_live_objects(self) -> int:
        """List the loops of the program's live objects (never started ones as ``idle``)."""
        try:
            return self.live_objects.scan(self.module, self.live_clients())
        except Exception as exc:  # never let a strange object stop the monitor
            self.note("stderr", f"looptui: could not look for loops: {exc!r}")
            return 0

    def _waiting_facts(self) -> dict[str, Any]:
        info = self.main_exception
        return {"root": self.root, "offline": self.offline, "main_state": self.main_state,
                "main_error": info.summary if info is not None else None}

    def _scan_tick(self) -> None:
        try:
            self.scan_live_objects()
            self.waiting.check(self.registry.trackers())
        finally:
            self._scan_handle = asyncio.get_running_loop().call_later(_SCAN_EVERY, self._scan_tick)

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
            self._dispatch(events.summary_event(self.registry.trackers(), self.main_summary()))
        if self._scan_handle is not None:
            self._scan_handle.cancel()
            self._scan_handle = None
        self.clients.uninstall()
        if self._saved_argv is not None:
            sys.argv = self._saved_argv
            self._saved_argv = None
            restore_main()
        self._probe.stop()
        self.watchdog.stop()
        self.stuck.stop()
        self.task_births.uninstall()  # before owners: theirs is inside ours
        self.owners.uninstall()
        self.task_book.uninstall()
        if self.adapters is not None:
            self.adapters.uninstall()
            if self.adapters.recognise in LOOP_RECOGNISERS:
                LOOP_RECOGNISERS.remove(self.adapters.recognise)
            self.adapters = None
        self.debugger.uninstall()
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
                    self.ask(tracker, how)
                elif (how == "stop" and key not in cancelled and tracker.state == "waiting"
                      and now - asked[key] >= _WAITING_GRACE):
                    cancelled.add(key)
                    self.ask(tracker, "cancel")
            if not active or now >= deadline:
                return active
            await asyncio.sleep(_POLL)

    def ask(self, tracker: Tracker, how: str) -> None:
        controls = tracker.controls
        if controls is None:
            return
        try:
            if how == "stop" and controls.unsupported("stop") is None:
                controls.ui_stop()
            elif controls.unsupported("cancel") is None:
                controls.ui_cancel()
        except Exception as exc:
            self.note("stderr", f"looptui: could not {how} {tracker.name}: {exc!r}")

    async def _end_main(self) -> None:
        task = self.main_task
        if task is None:
            return
        if task.done():
            if not task.cancelled():
                task.exception()  # read: no "Task exception was never retrieved" later
            return
        task.cancel()
        await asyncio.wait([task], timeout=_CANCEL_WAIT)


def _program_root(target: str, as_module: bool) -> str:
    """The program's folder: file names in messages are relative to it."""
    try:
        return resolve_program(target, as_module).path0
    except TargetUsageError:
        return os.getcwd()


def _display_name(target: str, as_module: bool) -> str:
    """What the header calls the program: ``bot.py``, ``mypkg``, ``mypkg.bot``."""
    try:
        return resolve_program(target, as_module).display or target
    except TargetUsageError:
        return target if not target.endswith(".py") else Path(target).name


def _raiser(exc: BaseException) -> Callable[[], Any]:
    """A main step that raises *exc* (an exit or failure the program had already made)."""
    def step() -> None:
        raise exc

    return step


def _loop_label(lp: object) -> str:
    tracker = getattr(lp, "tracker", None)
    if tracker is not None:
        return tracker.name
    coro = getattr(lp, "coro", None)
    return getattr(coro, "__qualname__", None) or repr(lp)
