"""The looptui terminal app: a live table of loops, with keys to act on them.

The app runs on the same asyncio loop as the loops it monitors, so it is careful about
the time it takes: it is never called per loop event; a timer (``refresh_hz``, default
4 Hz) reads the registry and redraws only what changed and is visible, inside one
``batch_update``. Every action goes through the tracker's ``Controls``; one the loop
cannot do (``tracker.unsupported(action)`` gives a reason) is refused with a
notification and does nothing.
"""

from __future__ import annotations

import asyncio
import datetime
import inspect
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterable, TypeGuard

from rich.console import Console
from textual import on, work
from textual.app import App, ComposeResult, SuspendNotSupported, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.markup import escape
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.timer import Timer

from looptui.core import clock
from looptui.core.states import TERMINAL_STATES
from looptui.session.front import is_paused
from looptui.session.interface import Reply, SessionView

from . import format as fmt
from .colours import Colours, theme_defaults
from .palette_commands import palette_commands
from .report import loop_report, traceback_text
from .sort_orders import ORDERS, next_order
from .text import one_line
from .widgets.empty_hint import EmptyHint, no_loops_text, no_match_text, no_trouble_text
from .widgets.filter_input import FilterInput
from .widgets.key_bar import KeyBar
from .widgets.log_pane import LogPane
from .widgets.loop_table import LoopTable
from .widgets.status_header import StatusHeader, header_text
from .widgets.textual_internals import app_driver

if TYPE_CHECKING:
    from looptui.core.tracker import Tracker

    from .screens.details import DetailsScreen
    from .screens.stopping import StoppingScreen

__all__ = ["LoopTuiApp"]

HEADER_EVERY = 1.0
"""Seconds between header recounts on timer ticks (a recount looks at every loop)."""
MIN_ROWS_PER_TICK = 8
"""Rows a refresh tick may always redraw (see :meth:`LoopTuiApp.refresh_now`)."""
QUIT_TIMEOUT = 5.0
"""Seconds the graceful quit waits for loops to stop before naming the stubborn ones."""
TABLE_KEYS = ("details", "stop", "restart", "interval", "pause", "copy", "filter", "log",
              "trigger", "cancel", "sort", "trouble-only", "edit", "quit",
              "tasks", "console")  # debugging: a, c
"""Binding ids of the table's footer, most used first: as many as fit are shown, then
``? more`` (help lists every key; the command palette every action)."""


def _is_screen(screen: object, module_name: str, class_name: str) -> bool:
    """Whether *screen* is a *class_name* of *module_name*, without importing it.

    Screens other than the table are imported on first use (the details view pulls in
    Rich's syntax highlighting): the first frame needs none of them.
    """
    module = sys.modules.get(f"looptui.ui.screens.{module_name}")
    return module is not None and isinstance(screen, getattr(module, class_name))


def _is_details(screen: object) -> TypeGuard[DetailsScreen]:
    """Whether *screen* is a details view."""
    return _is_screen(screen, "details", "DetailsScreen")


def _is_debug_view(screen: object) -> bool:
    """Whether *screen* is the tasks view, a task's stack or the console (which have
    keys of their own: the table's do not act there)."""
    return (_is_screen(screen, "tasks", "TasksScreen")
            or _is_screen(screen, "tasks", "TaskStackScreen")
            or _is_screen(screen, "tasks", "ConfirmScreen")
            or _is_screen(screen, "console", "ConsoleScreen"))


def _is_stopping(screen: object) -> TypeGuard[StoppingScreen]:
    """Whether *screen* is the "stopping the loops" dialog."""
    return _is_screen(screen, "stopping", "StoppingScreen")


class LoopTuiApp(App[list[str]]):
    """Monitor of the loops of one session.

    Args:
        session: The session to show: any :class:`~looptui.session.interface.SessionView`
            (a program in this process, or programs attached to); what only a local
            session does is asked of its ``local``.
        refresh_hz: Table refreshes per second (bounded to 0.5–30).
        tz: Time zone of absolute times shown (``None``: the local zone).

    The app's return value is the list of loops that ignored cancellation when it quit
    (also kept in :attr:`ignored_cancellation`).

    | Key(s) | Description |
    | :- | :- |
    | up/down, j/k | Select a loop. |
    | enter | Details of the selected loop. |
    | s | Stop (a sleeping loop stops at once; never starts another body). |
    | x | Cancel. |
    | r | Restart (starts a stopped or idle loop). |
    | i | Change the interval. |
    | t | Run one iteration now. |
    | p | Pause / resume. |
    | o | Sort: definition, trouble first, errors, next run, last duration. |
    | f | Show only the loops in trouble (and back). |
    | / | Filter by name. |
    | l | Show / hide the log pane. |
    | y | Copy the last traceback (OSC 52). |
    | E | Open the loop's source in ``$VISUAL`` / ``$EDITOR``. |
    | g/home, G/end | First / last loop. |
    | → / ← | Columns hidden for want of room / the usual ones. |
    | ? | Help. |
    | q | Quit gracefully (again: force); in other screens: back. |
    | ctrl+c | Copy the selected text, if any; else quit. |
    | R | Reload the module. |
    | ctrl+p | Command palette: every action, with its key. |

    State colours come from the theme variables of :mod:`looptui.ui.colours`.
    """

    CSS_PATH = str(Path(__file__).with_name("app.tcss"))
    TITLE = "looptui"
    COMMAND_PALETTE_BINDING = "ctrl+p"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "stop", "Stop", id="stop",
                tooltip="Stop the selected loop (a sleeping loop stops at once)"),
        Binding("x", "cancel", "Cancel", id="cancel", tooltip="Cancel the selected loop"),
        Binding("r", "restart", "Restart", id="restart",
                tooltip="Restart the selected loop (starts it if stopped or idle)"),
        Binding("i", "interval", "Interval", id="interval",
                tooltip="Change the selected loop's interval or times"),
        Binding("t", "trigger", "Trigger", id="trigger",
                tooltip="Run one iteration of the selected loop now"),
        Binding("p", "pause", "Pause", id="pause", tooltip="Pause or resume the selected loop"),
        Binding("o", "cycle_sort", "Sort", id="sort",
                tooltip="Sort: definition, trouble first, errors, next run, last duration"),
        Binding("f", "toggle_trouble", "Trouble", id="trouble-only",
                tooltip="Show only the loops in trouble (f again: all)"),
        Binding("slash", "filter", "Filter", key_display="/", id="filter",
                tooltip="Filter loops by name"),
        Binding("l", "toggle_log", "Log", id="log", tooltip="Show or hide the output of all loops"),
        Binding("y", "copy", "Copy", id="copy",
                tooltip="Copy the selected loop's last traceback to the clipboard (OSC 52)"),
        Binding("E", "edit", "Edit", id="edit",
                tooltip="Open the loop's source at its line in $VISUAL / $EDITOR"),
        Binding("question_mark", "help", "Help", key_display="?", id="help",
                tooltip="Show every key"),
        Binding("q", "request_quit", "Quit", id="quit",
                tooltip="Quit: stop loops gracefully (press again to force)"),
        Binding("a", "tasks", "Tasks", id="tasks",
                tooltip="Every asyncio task of the program, and the ones that died"),
        Binding("c", "console", "Console", id="console",
                tooltip="Python in the program's namespace, on its event loop"),
        Binding("e", "reload_error", "Reload error", show=False, id="reload-error",
                tooltip="Show the traceback of the last failed reload"),
        Binding("R", "reload", "Reload", show=False, id="reload",
                tooltip="Reload the module now"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
        Binding("ctrl+c", "copy_or_quit", "Copy selection / quit", show=False, priority=True,
                system=True, tooltip="Copy the text selected with the mouse; with none: quit"),
        Binding("ctrl+q", "request_quit", "Quit", show=False, priority=True, system=True),
        Binding("ctrl+z", "suspend_process", "Suspend", show=False, id="suspend",
                tooltip="Suspend looptui and its loops (fg in the shell brings them back)"),
    ]

    def __init__(
        self, session: SessionView, refresh_hz: float = 4.0, *, tz: datetime.tzinfo | None = None
    ) -> None:
        super().__init__()
        self.session = session
        self.refresh_hz = min(30.0, max(0.5, float(refresh_hz)))
        self.tz = tz
        # Textual prints a crash report to sys.stderr when it exits; by then that may be
        # the session's output capture. Print it on the terminal instead.
        self.error_console = Console(markup=False, highlight=False, file=sys.__stderr__)
        self.ignored_cancellation: list[str] = []
        """Loops that did not stop when the app quit (empty when all did)."""
        self.quitting = False
        self._quit_started = 0.0
        self._timer: Timer | None = None
        self._main_reported: object = None
        self._hooks_reported = 0
        self._record_reported = False
        self._log_version = -1
        self._reload_seen: int | None = None
        self._header: StatusHeader | None = None
        self._hint: EmptyHint | None = None
        self._table: LoopTable | None = None
        self._pane: LogPane | None = None
        self._trackers: tuple[int, list[Tracker]] = (-1, [])  # (registry version, list)
        self._header_at = -math.inf
        self._header_key: tuple[Any, ...] = ()
        self._colours: tuple[object, Colours] | None = None
        self.console_history: list[str] = []
        """What was typed in the console (``c``), kept while the app runs."""
        # pdb: the TUI steps aside. Set now, not at mount: a loop body may stop in the
        # debugger while the app starts (its driver already reads the keys by then).
        if session.local is not None:
            session.local.debugger.front = self.suspend

    async def run_async(self, *args: Any, **kwargs: Any) -> list[str] | None:
        """Run the app; once it ended, a debugger started later (an ``after_loop`` hook at
        the quit) uses the terminal as it is, without a TUI to step aside."""
        try:
            return await super().run_async(*args, **kwargs)
        finally:
            local = self.session.local
            if local is not None and local.debugger.front == self.suspend:
                local.debugger.front = None

    def get_driver_class(self) -> type:
        """Textual's driver for this platform, or on Linux/macOS its variant that ends
        cleanly when the terminal hangs up (see :mod:`.driver`)."""
        driver_class = super().get_driver_class()
        if getattr(driver_class, "__module__", "") == "textual.drivers.linux_driver":
            from .driver import HangupSafeDriver

            return HangupSafeDriver
        return driver_class

    def abandon_terminal(self) -> None:
        """The app was abandoned (a forced exit while blocking code held the event loop,
        so Textual never stopped its driver): end the driver's input thread and output
        (see :meth:`.driver.HangupSafeDriver.abandon`)."""
        driver = app_driver(self)
        abandon = getattr(driver, "abandon", None)
        if abandon is not None:
            abandon()
        elif getattr(driver, "exit_event", None) is not None:
            driver.exit_event.set()

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        # Textual has just redirected stdout/stderr; put the session's capture back at
        # once so that no line a loop prints meanwhile is lost (again in on_mount).
        self._install_capture()
        yield StatusHeader(id="status")
        yield FilterInput(id="filter")
        with Vertical(id="main"):
            yield LoopTable(id="loops")
            yield EmptyHint(id="empty")
        yield LogPane(tz=self.tz, id="log")
        yield KeyBar(TABLE_KEYS, id="keys")

    @property
    def table(self) -> LoopTable:
        """The loop table (kept once found: it lives as long as the app)."""
        if self._table is None:
            self._table = self.query_one("#loops", LoopTable)
        return self._table

    @property
    def colours(self) -> Colours:
        """Styles of the state colours under the current theme (see :mod:`.colours`)."""
        variables = self.theme_variables
        if self._colours is None or self._colours[0] is not variables:
            self._colours = (variables, Colours(variables, no_color=self.no_color))
        return self._colours[1]

    def get_theme_variable_defaults(self) -> dict[str, str]:
        """looptui's state colours (``$looptui-failed``, ...), from the current theme's
        own colours unless the theme sets them."""
        return theme_defaults(self.current_theme.to_color_system().generate())

    def _theme_changed(self, _theme: object) -> None:
        self.table.restyle()
        self.refresh_now()

    @property
    def log_pane(self) -> LogPane:
        if self._pane is None:
            self._pane = self.query_one("#log", LogPane)
        return self._pane

    def _install_capture(self) -> None:
        self.session.install_capture()

    def on_mount(self) -> None:
        self.app_resume_signal.subscribe(self, self._resumed)
        self._install_capture()

        self._header = self.query_one("#status", StatusHeader)
        self._hint = self.query_one("#empty", EmptyHint)
        table = self.table
        table.registry = self.session.registry
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        self.refresh_now()
        table.focus()
        self._timer = self.set_interval(1.0 / self.refresh_hz, self._tick,
                                        name="looptui-refresh")
        self.call_after_refresh(self._after_first_frame)

    def _after_first_frame(self) -> None:
        """Start what the first frame did not need (watchdog, file watcher), if not yet."""
        local = self.session.local
        if local is not None:
            local.start_background()

    def _resumed(self, _app: object = None) -> None:
        """Back from a suspension (``kill -TSTP``, then ``fg``): the terminal was used by
        others meanwhile, so every widget is painted again, not only the ones that changed
        (the table's header row and the footer would stay blank, or show the shell's text).

        Once, at the resume: a shell writes what ``fg`` echoes (the job's command) before
        it hands the terminal back and continues the job, and Textual resumes only with
        the terminal ours (in the background its first terminal call stops it again), so
        nothing of the shell's comes after this paint.
        """
        self._repaint_all()

    def _repaint_all(self) -> None:
        """Paint every widget of the screen again."""
        for widget in self.screen.walk_children(with_self=True):
            widget.refresh(layout=True)
        self.refresh(layout=True)
        self.refresh_now()

    def _tick(self) -> None:
        self.refresh_now(budgeted=True)

    # --------------------------------------------------------------- refreshing
    def refresh_now(self, budgeted: bool = False) -> None:
        """One refresh: header, table, and whichever panel or screen is shown.

        Args:
            budgeted: Redraw at most a share of the visible rows (the timer's ticks):
                enough that every visible row is current within a second, few enough
                that no single tick repaints the whole screen. Without it (after an
                action, in tests), everything visible is brought up to date at once.
        """
        if self._header is None:  # not mounted yet
            return
        now = clock.now()
        session = self.session
        registry = session.registry
        with self.batch_update():
            trackers = self._current_trackers()
            status = self._status_word()
            main_state = session.main_state
            view = self._view_text()
            # The header counts every loop's state: on timer ticks at most once a
            # second (or when loops come and go, or what it says otherwise changes), so
            # a tick's cost does not grow with the number of loops.
            key = (registry.version, status, main_state, view, session.failed_tasks)
            if not budgeted or key != self._header_key or now - self._header_at >= HEADER_EVERY:
                self._header_key = key
                self._header_at = now
                self._header.show(header_text(
                    session.module_name, trackers, session.lag,
                    session.lag_max, status=status,
                    main_state=main_state, blocked=session.blocked_count,
                    main_name=session.main_name,
                    offline=session.offline,
                    view=view, colours=self.colours,
                    startup=session.startup_lag,
                    failed_tasks=session.failed_tasks,
                ))
            stack = self.screen_stack
            if not any(not layer.is_modal for layer in stack[1:]):  # the table is visible
                table = self.table
                table.main_failed = session.main_state == "failed"
                budget = None
                if budgeted:
                    rows = len(table.visible_range())
                    budget = max(MIN_ROWS_PER_TICK, math.ceil(rows / self.refresh_hz))
                table.sync(now, budget)
                self._show_empty_hint(bool(trackers), bool(table.row_count))
            pane = self.log_pane
            if pane.shown:
                version = session.output_version
                general = session.general_output if version != self._log_version else ()
                self._log_version = version
                pane.collect(trackers, general)
            for layer in stack[1:]:
                if _is_details(layer):
                    layer.refresh_view(now)
                elif _is_screen(layer, "tasks", "TasksScreen"):
                    layer.refresh_view(now)  # type: ignore[attr-defined]  # read each second
                elif _is_stopping(layer):
                    active = [t for t in trackers if t.state not in TERMINAL_STATES]
                    layer.show(active, now - self._quit_started)
            self._report_main()
            self._report_hooks()
            self._report_reload()
            self._report_record()

    def _current_trackers(self) -> list[Tracker]:
        """The registry's trackers, listed again only when the registry changed."""
        registry = self.session.registry
        version = registry.version
        cached_version, trackers = self._trackers
        if version != cached_version:
            trackers = registry.trackers()
            self._trackers = (version, trackers)
        return trackers

    def _view_text(self) -> str:
        """How the table is sorted and filtered, for the header (empty: as defined, all)."""
        table = self.table
        parts = []
        if table.row_order is not ORDERS["definition"]:
            parts.append(f"sort: {table.row_order.label}")
        filters = []
        if table.trouble_only:
            filters.append("trouble only")
        if table.filter_text:
            what = "name/process" if table.shows_process else "name"
            filters.append(f"{what} ~ {one_line(table.filter_text, 20)!r}")
        if filters:
            parts.append(f"filter: {' + '.join(filters)}, {table.hidden_count} hidden")
        return " · ".join(parts)

    def _status_word(self) -> str:
        """What the header says the session is doing, if anything special."""
        session = self.session
        if self.quitting:
            return "stopping…"
        if session.reloading:
            return "reloading…"
        record_error = session.record_error
        if record_error:
            return "recording failed (l: log)"
        status = session.status  # e.g. an attached program went away
        if status:
            return one_line(status, 90)
        error = session.reload_error
        if error is not None:
            summary = getattr(error, "summary", None) or "see the log (l)"
            return f"reload failed: {one_line(summary, 70)} (e: traceback)"
        return ""

    def _report_reload(self) -> None:
        """Say once what each reload did (``R`` or a saved file), or why it failed."""
        version = self.session.reload_version
        if version == self._reload_seen:
            return
        first = self._reload_seen is None
        self._reload_seen = version
        if first:
            return
        attempt = self.session.last_reload_attempt
        if attempt is not None:
            self._say_reload(attempt)

    def _say_reload(self, attempt: Any) -> None:
        if getattr(attempt, "ok", False):
            parts = []
            for what in ("changed", "added", "removed"):
                names = list(getattr(attempt, what, None) or [])
                if names:
                    shown = ", ".join(one_line(n, 40) for n in names[:4])
                    more = f" +{len(names) - 4}" if len(names) > 4 else ""
                    parts.append(f"{what} {shown}{more}")
            took = getattr(attempt, "duration", None)
            self._say("reloaded" + (f": {'; '.join(parts)}" if parts else ": no loop changed")
                      + (f" ({fmt.took(took)})" if isinstance(took, (int, float)) else ""))
            stragglers = list(getattr(attempt, "stragglers", None) or [])
            if stragglers:
                self._say("old loops that did not stop: "
                          + ", ".join(one_line(n, 40) for n in stragglers[:6]), "warning")
        else:
            error = getattr(attempt, "error", None)
            summary = getattr(error, "summary", None) or "unknown error"
            self.notify(f"reload failed: {one_line(summary, 300)}\nthe previous code keeps "
                        "running; press e for its traceback", severity="error",
                        timeout=12, markup=False)

    def _show_empty_hint(self, any_loops: bool, any_rows: bool) -> None:
        hint = self._hint
        table = self.table
        if hint is None:
            return
        if any_rows:
            hint.set_class(False, "-shown")
            table.display = True
            return
        if not any_loops:
            local = self.session.local
            hint.update(no_loops_text(self.session.module_name,
                                      local.why_no_loops() if local is not None else None))
        elif table.trouble_only:
            hint.update(no_trouble_text(table.filter_text))
        else:
            hint.update(no_match_text(table.filter_text))
        hint.set_class(True, "-shown")
        table.display = False

    def _report_record(self) -> None:
        """Say once, at once, that the ``--record`` file could not be written."""
        error = self.session.record_error
        if error and not self._record_reported:
            self._record_reported = True
            self.notify(f"{one_line(error, 300)}\nthe loops keep running; looptui will "
                        "exit with status 4", title="record", severity="error",
                        timeout=20, markup=False)

    def _report_main(self) -> None:
        """Say once when the main coroutine failed (``--main``, or ``bot.run()`` at import):
        it is not fatal; with a Discord library's loops, ``--offline`` is suggested."""
        info = self.session.main_exception
        if info is not None and info is not self._main_reported:
            self._main_reported = info
            name = self.session.main_name
            what = f"main {one_line(name, 120)}" if name else "main"
            hint = ""
            if not self.session.offline and any(
                    t.source != "looptui" for t in self.session.registry.trackers()):
                hint = "\n--offline runs the bot's setup and loops without Discord"
            self.notify(f"{what} failed: {one_line(info.summary, 300)}{hint}", title="main",
                        severity="error", timeout=15, markup=False)

    def _report_hooks(self) -> None:
        """Say once for each hook ``--offline`` ran on the way to ready that raised
        (``setup_hook``): the client went on to ready, but what the hook had still to
        do (load cogs, start loops) did not happen."""
        local = self.session.local
        failures = local.hook_failures if local is not None else []
        for failure in failures[self._hooks_reported:]:
            self.notify(f"{one_line(failure['client'], 60)}.{failure['hook']} failed: "
                        f"{one_line(failure['summary'], 300)}\nthe client went on to ready; "
                        "what the hook did after that line did not run (l: the log has "
                        "the traceback)", title="--offline", severity="error", timeout=15,
                        markup=False)
        self._hooks_reported = len(failures)

    def on_screen_resume(self) -> None:
        self.refresh_now()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide the table-only keys (filter, sort, log pane) while another screen is shown."""
        if action not in ("request_quit", "copy_or_quit") and _is_debug_view(self.screen):
            return False  # the tasks view and the console have keys of their own
        if action in {"tasks", "console"} and isinstance(self.focused, FilterInput):
            return False
        if action in {"filter", "toggle_log", "clear_filter", "cycle_sort", "toggle_trouble"}:
            stack = self.screen_stack
            if action != "clear_filter" and isinstance(self.focused, FilterInput):
                return False  # "/", "o", "f" are typed into the filter, not keys there
            return bool(stack) and stack[-1] is stack[0]
        return True

    # ---------------------------------------------------------------- selection
    def selected(self) -> Tracker | None:
        """The loop actions apply to: the one in the details view, else the table's."""
        for layer in reversed(self.screen_stack):
            if _is_details(layer):
                return layer.tracker
        name = self.table.selected_name
        return self.session.registry.get(name) if name is not None else None

    def _say(self, message: str, severity: SeverityLevel = "information") -> None:
        self.notify(message, severity=severity, markup=False)

    async def _command(self, tracker: Tracker, command: str, value: Any = None) -> Reply:
        """Ask the session to carry out *command* on *tracker*'s loop; say what it answered."""
        reply = await self.session.command(tracker.name, command, value)
        self._say(reply.text, reply.severity)
        if reply.ok:
            self.refresh_now()
        return reply

    def _target(self) -> Tracker | None:
        tracker = self.selected()
        if tracker is None:
            self._say("No loop selected.", "warning")
        return tracker

    # ------------------------------------------------------------------ actions
    async def action_stop(self) -> None:
        if (t := self._target()) is not None:
            await self._command(t, "stop")

    async def action_cancel(self) -> None:
        if (t := self._target()) is not None:
            await self._command(t, "cancel")

    async def action_restart(self) -> None:
        if (t := self._target()) is not None:
            await self._command(t, "restart")

    async def action_trigger(self) -> None:
        if (t := self._target()) is not None:
            await self._command(t, "trigger")

    async def action_pause(self) -> None:
        if (t := self._target()) is not None:
            await self._command(t, "resume" if is_paused(t) else "pause")

    def action_interval(self) -> None:
        t = self._target()
        if t is None:
            return
        reason = t.unsupported("change_interval")
        if reason:
            self._say(f"{one_line(t.name, 60)}: cannot change the interval: "
                      f"{one_line(reason, 200)}", "warning")
            return

        async def apply(kind: str, value: Any) -> Reply:
            return await self.session.command(t.name, "interval", (kind, value))

        def applied(reply: Reply | None) -> None:
            if reply is not None:
                self._say(reply.text, reply.severity)
                self.refresh_now()

        from .screens.interval_dialog import IntervalDialog

        self.push_screen(IntervalDialog(t.name, t.schedule, apply), applied)

    def action_copy(self) -> None:
        """Copy the last traceback of the selected loop (or of the one in details)."""
        t = self._target()
        if t is None:
            return
        text = traceback_text(t)
        if text is None:
            self._say(f"{one_line(t.name, 60)} has no exception to copy", "warning")
            return
        lines = text.count("\n")
        self._copy(text, f"copied the traceback of {one_line(t.name, 60)} "
                         f"({lines} line{'s' if lines != 1 else ''})")

    def action_copy_report(self) -> None:
        """Copy everything the details view shows of the loop, as plain text."""
        t = self._target()
        if t is not None:
            self._copy(loop_report(t, clock.now(), self.tz),
                       f"copied the report of {one_line(t.name, 60)}")

    def _copy(self, text: str, what: str) -> None:
        """Put *text* on the clipboard (OSC 52: the terminal does it, also over ssh)."""
        self.copy_to_clipboard(text)
        self._say(f"{what} to the clipboard")

    def action_copy_or_quit(self) -> None:
        """``ctrl+c``: copy the text selected with the mouse, if any; else quit."""
        selected = self.screen.get_selected_text()
        focused = self.focused
        if not selected and focused is not None:
            selected = getattr(focused, "selected_text", None)
        if selected:
            self._copy(selected, f"copied {len(selected):,} characters")
            return
        self.action_request_quit()

    def action_edit(self) -> None:
        """Open the selected loop's source at its line in ``$VISUAL`` / ``$EDITOR``; the
        TUI gives the terminal to the editor and comes back when it exits (the loops
        keep running, and a save is reloaded as usual)."""
        import os

        from .editor import NO_EDITOR, editor_command

        t = self._target()
        if t is None:
            return
        if not t.file or not os.path.isfile(t.file):
            where = f" ({one_line(t.file, 200)} is not a file here)" if t.file else ""
            self._say(f"{one_line(t.name, 60)}: its source file is unknown{where}", "warning")
            return
        try:
            command = editor_command(t.file, t.line)
        except ValueError as err:
            self._say(f"cannot read $VISUAL / $EDITOR: {err}", "error")
            return
        if command is None:
            self._say(NO_EDITOR, "warning")
            return
        self._run_editor(command)

    @work(exclusive=True, group="editor")
    async def _run_editor(self, command: list[str]) -> None:
        try:
            with self.suspend():
                # Textual sends print() to the real terminal while suspended: keep the
                # loops' output captured instead (the editor owns the terminal).
                self._install_capture()
                try:
                    process = await asyncio.create_subprocess_exec(*command)
                    await process.wait()
                except OSError as err:
                    failure: str | None = f"cannot run {command[0]}: {err}"
                else:
                    failure = None
        except SuspendNotSupported:  # a web driver, or a test's headless one
            failure = "cannot open an editor here: this terminal cannot be handed over"
        self._install_capture()
        self._repaint_all()
        if failure:
            self._say(one_line(failure, 300), "error")

    def action_details(self) -> None:
        t = self._target()
        if t is None:
            return
        from .screens.details import DetailsScreen  # Rich syntax highlighting: load on use

        self.push_screen(DetailsScreen(t, tz=self.tz))

    @on(LoopTable.RowSelected, "#loops")
    def _row_clicked(self) -> None:
        """A click on the selected row opens it, like ``enter``."""
        self.action_details()

    def action_cycle_sort(self) -> None:
        """Sort by the next order of the cycle (definition → trouble first → errors →
        next run → last duration)."""
        self._sort_by(next_order(self.table.row_order.id))

    @on(LoopTable.SortRequested, "#loops")
    def _header_clicked(self, event: LoopTable.SortRequested) -> None:
        self._sort_by(event.order)

    def _sort_by(self, order: str) -> None:
        self.table.set_sort(order)  # the header says which order
        self.refresh_now()

    def action_toggle_trouble(self) -> None:
        """Show only the loops in trouble, or all again."""
        table = self.table
        table.set_trouble_only(not table.trouble_only)  # the header says so
        self.refresh_now()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The command palette (ctrl+p): every action with its key, then Textual's own
        (theme, keys, screenshot) except its quit, which would not stop loops gracefully."""
        tracker = self.selected()
        yield from palette_commands(
            # (every entry of both lists is a Binding: no tuple shorthand in this app)
            self, [*LoopTable.BINDINGS, *self.BINDINGS],  # type: ignore[list-item]
            tracker.name if tracker is not None else None, [self.table],
        )
        if tracker is not None:
            yield SystemCommand(escape(f"Copy report of {one_line(tracker.name, 60)}"),
                                "Everything the details show, as text, to the clipboard",
                                self.action_copy_report)
        for command in super().get_system_commands(screen):
            if command.callback != self.action_quit:
                yield command

    def action_filter(self) -> None:
        if self.screen is not self.screen_stack[0]:
            return
        box = self.query_one("#filter", FilterInput)
        box.add_class("-shown")
        box.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", FilterInput)
        if box.value or box.has_class("-shown"):
            box.value = ""
            self._close_filter()

    @on(FilterInput.Changed, "#filter")
    def _filter_changed(self, event: FilterInput.Changed) -> None:
        self.table.set_filter(event.value)
        self.refresh_now()

    @on(FilterInput.Submitted, "#filter")
    def _filter_submitted(self, event: FilterInput.Submitted) -> None:
        table = self.table
        if not event.value.strip():
            self._close_filter()
            return
        table.focus()
        table.select(index=0)

    @on(FilterInput.Cleared, "#filter")
    def _filter_cleared(self) -> None:
        self._close_filter()

    def _close_filter(self) -> None:
        box = self.query_one("#filter", FilterInput)
        box.remove_class("-shown")
        table = self.table
        selected = table.selected_name
        table.set_filter("")
        if selected:
            table.select(selected)
        table.focus()
        self.refresh_now()

    def action_toggle_log(self) -> None:
        pane = self.log_pane
        pane.toggle_class("-shown")
        if pane.shown:
            self._log_version = -1
            self.refresh_now()

    def action_help(self) -> None:
        from .screens.help import HelpScreen, key_rows

        rows = key_rows([
            Binding("up,down", "", "Select a loop", key_display="↑/↓ j/k"),
            *LoopTable.BINDINGS,  # type: ignore[list-item]  # Bindings only, as above
            *self.BINDINGS,  # type: ignore[list-item]
            Binding("escape", "", "Back / close / clear the filter (q too, in other screens)",
                    key_display="esc"),
            Binding("ctrl+p", "", "Command palette: every action, with its key",
                    key_display="ctrl+p"),
            Binding("click", "", "Select a row; on the selected row (or double click): "
                    "details; on a column header: sort by it", key_display="mouse"),
        ])
        hidden = {"j", "k", "←", "escape", "ctrl+q"}
        self.push_screen(HelpScreen([r for r in rows if r[0] not in hidden]))

    def action_reload_error(self) -> None:
        error = self.session.reload_error
        if error is None:
            self._say("no failed reload")
            return
        from .screens.reload_error import ReloadErrorScreen

        self.push_screen(ReloadErrorScreen(error))

    def action_reload(self) -> None:
        refusal = self.session.reload_unavailable
        if refusal:
            self._say(one_line(refusal, 200), "warning")
            return
        self._run_reload(self.session.reload)

    @work(exclusive=True, group="reload")
    async def _run_reload(self, reload: Callable[[], Any]) -> None:
        try:
            result = reload()
            if inspect.isawaitable(result):
                result = await result
        except Exception as err:
            self._say(f"reload failed: {one_line(f'{type(err).__name__}: {err}', 300)}",
                      "error")
            return
        # Say what happened now (not again on the next tick, which sees the new version).
        self._reload_seen = self.session.reload_version
        if hasattr(result, "ok"):
            self._say_reload(result)
        else:
            self._say("reloaded")
        self.refresh_now()

    # ---------------------------------------------------------------- debugging
    def _ask(self) -> Callable[[dict[str, Any]], Any] | None:
        return self.session.debug

    def action_tasks(self) -> None:
        """Every asyncio task of the program (see :mod:`.screens.tasks`)."""
        ask = self._ask()
        if ask is None:
            return
        from .screens.tasks import TasksScreen

        self.push_screen(TasksScreen(ask, failed_style=self.colours.style("failed")))

    def action_console(self) -> None:
        """Python on the program's event loop (see :mod:`.screens.console`)."""
        ask = self._ask()
        if ask is None:
            return
        from .screens.console import ConsoleScreen

        self.push_screen(ConsoleScreen(ask, self.console_history, self.session.module_name))

    # --------------------------------------------------------------------- quit
    def action_request_quit(self) -> None:
        """First press: stop every loop gracefully; second press: exit at once.

        In the console, ``ctrl+c`` cancels the evaluation instead (``q`` is typed there).
        """
        if _is_screen(self.screen, "console", "ConsoleScreen"):
            self.screen.interrupt()  # type: ignore[attr-defined]
            return
        if self.quitting:
            still = [t.name for t in self.session.registry.trackers()
                     if t.state not in TERMINAL_STATES]
            self.ignored_cancellation = still
            self.exit(still)
            return
        self.quitting = True
        self._quit_started = clock.now()
        from .screens.stopping import StoppingScreen

        self.push_screen(StoppingScreen(QUIT_TIMEOUT))
        self.refresh_now()
        self._stop_loops()

    @work(exclusive=True, group="quit")
    async def _stop_loops(self) -> None:
        try:
            ignored = list(await self.session.shutdown(QUIT_TIMEOUT))
        except asyncio.CancelledError:
            raise
        except Exception as err:
            self._say(f"stopping failed: {one_line(f'{type(err).__name__}: {err}', 300)}",
                      "error")
            ignored = [t.name for t in self.session.registry.trackers()
                       if t.state not in TERMINAL_STATES]
        self.ignored_cancellation = ignored
        self.exit(ignored)
