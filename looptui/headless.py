"""``looptui TARGET --headless``: run the loops with no TUI and print what happens.

Each event (the README lists them) becomes readable lines, or with ``--json`` one JSON
object per line; the ``summary`` comes last, then (readable) the short summary of
:mod:`looptui.headless_report`. Readable output is for people: by default it leaves
out the routine events of every iteration (see :data:`SHOWN_BY_DEFAULT`); ``-v`` keeps
them. Useful as a CI smoke run of a user's loops: the exit
status is 3 when any loop ended ``failed``. Everything printed passes through
:func:`~looptui.session.output.sanitize.safe_text`, so user text cannot drive the terminal.
"""

from __future__ import annotations

import asyncio
import datetime
import json
from typing import TYPE_CHECKING, Any, Awaitable, Callable, TextIO

from looptui.headless_report import EchoFilter, closing_lines
from looptui.session.front import (
    DEFAULT_THRESHOLD,
    EXIT_RECORD_FAILED,
    LOG_RATE,
    BatchedLines,
    LineWriter,
    QuitSignals,
    ThreadedLines,
    cell_width,
    clip_line,
    safe_text,
)

if TYPE_CHECKING:
    from looptui.session.interface import SessionView

__all__ = ["run_headless", "follow", "EventPrinter", "format_event", "shown_by_default",
           "SHOWN_BY_DEFAULT", "EXIT_FAILED", "EXIT_RECORD_FAILED", "EXIT_OUTPUT_FAILED"]

EXIT_FAILED = 3
"""Exit status when at least one loop ended ``failed``, or the main failed (attached:
also when a program was not connected at the end)."""
EXIT_OUTPUT_FAILED = EXIT_RECORD_FAILED
"""Exit status when the events could not be written to the output (a closed pipe, a
full disk): the same as a failed ``--record`` — events were lost."""
_POLL = 0.05
_NAME_WIDTH = 24
"""Loop names are padded to this width; a longer name is printed whole (never cut)."""
_LINE_CHARS = 1000
"""A printed line of user text (output, a traceback line) is cut after this many characters."""
_BLOCK_LINES = 400
"""Lines of a multi-line block (traceback, stack) printed; events already cut tracebacks
to 200 lines."""


# --------------------------------------------------------------------------- formatting
def _seconds(value: Any) -> str:
    if not isinstance(value, (int, float)):
        return "?"
    if value < 0.001:
        return f"{value * 1000:.2f}ms"
    if value < 1.0:
        return f"{value * 1000:.1f}ms"
    return f"{value:.2f}s"


def _clock(stamp: Any) -> str:
    """An event's ISO time as local ``HH:MM:SS.mmm``."""
    try:
        when = datetime.datetime.fromisoformat(str(stamp)).astimezone()
    except ValueError:
        return safe_text(stamp, 12, multiline=False)
    return when.strftime("%H:%M:%S.") + f"{when.microsecond // 1000:03d}"


def _indented(text: Any) -> list[str]:
    """Multi-line text (a traceback, a stack) indented, each line cut to one screen line.

    Lines are cut before they are made inert, so "[N more characters]" counts the
    characters of the user's own text (not of the stand-ins, nor of a text cut earlier).
    """
    raw = text if isinstance(text, str) else safe_text(text)
    lines = raw.rstrip("\n").splitlines()
    if len(lines) > _BLOCK_LINES:
        cut = len(lines) - _BLOCK_LINES
        lines = [*lines[:_BLOCK_LINES // 2], f"... {cut:,} lines not shown ...",
                 *lines[-(_BLOCK_LINES - _BLOCK_LINES // 2):]]
    return ["    " + safe_text(clip_line(line, _LINE_CHARS)) for line in lines]


def _pad(text: str, width: int) -> str:
    """*text* (already inert, one line) padded to *width* terminal cells, never cut: wide
    characters (CJK, emoji) count as two, so columns stay aligned."""
    return text + " " * max(0, width - cell_width(text))


def _name(name: Any, limit: int | None) -> str:
    """A loop's name as printed: inert, one line, and visible even when empty."""
    text = safe_text(name, limit, multiline=False)
    return text if text.strip() else f"{text!r}"


def _count(n: int, what: str) -> str:
    """``1 error``, ``3 errors``."""
    return f"{n} {what}{'s' if n != 1 else ''}"


def _int(value: Any) -> int:
    return value if isinstance(value, int) else 0


def _errors(entry: dict[str, Any]) -> str:
    """Every error of a loop, as the TUI's Errors column counts them: failures plus
    retried errors (``3 errors (2 retried)``)."""
    failures, retries = _int(entry.get("failures")), _int(entry.get("retries"))
    text = _count(failures + retries, "error")
    return text + (f" ({retries} retried)" if retries else "")


def _summary_lines(event: dict[str, Any]) -> list[str]:
    loops = event.get("loops") or []
    failed = sum(1 for entry in loops if entry.get("state") == "failed")
    head = f"summary: {_count(len(loops), 'loop')}"
    lines = [head + (f", {failed} failed" if failed else "")]
    names = [_name(entry.get("loop"), None) for entry in loops]  # whole, never cut
    width = max([cell_width(name) for name in names] + [4])
    for entry, name in zip(loops, names, strict=True):
        line = (
            f"  {_pad(name, width)}  {entry.get('state', '?'):<9}  "
            f"{_count(_int(entry.get('iterations')), 'iteration')}, {_errors(entry)}"
        )
        if entry.get("last_error"):
            line += "  last: " + safe_text(entry["last_error"], 160, multiline=False)
        lines.append(line)
    main = event.get("main")
    if isinstance(main, dict):
        line = (f"  main {safe_text(main.get('name'), 200, multiline=False)}: "
                f"{safe_text(main.get('state'), 20, multiline=False)}")
        if main.get("error"):
            line += "  " + safe_text(main["error"], 200, multiline=False)
        lines.append(line)
    return lines


def format_event(event: dict[str, Any]) -> list[str]:
    """Readable lines for one event dict (first line prefixed with time and loop)."""
    kind = event.get("event", "?")
    if kind == "summary":
        return _summary_lines(event)
    name = event.get("loop")
    who = _name(name, None) if name is not None else "-"  # whole, never cut
    prefix = f"{_clock(event.get('time'))}  {_pad(who, _NAME_WIDTH)}  "
    extra: list[str] = []
    if kind == "loop_added":
        schedule = safe_text(event.get("schedule") or "", 80, multiline=False)
        text = f"added{': ' + schedule if schedule else ''} ({event.get('source')})"
    elif kind == "loop_removed":
        text = "removed"
    elif kind == "state":
        text = f"-> {event.get('state')}"
    elif kind == "iteration_started":
        text = f"iteration {event.get('iteration')} started"
    elif kind == "iteration_finished":
        text = (f"iteration {event.get('iteration')} ok in {_seconds(event.get('duration'))}"
                f" ({_seconds(event.get('lateness'))} late)")
    elif kind in ("iteration_failed", "hook_failed"):
        what = (f"iteration {event.get('iteration')} failed after "
                f"{_seconds(event.get('duration'))}" if kind == "iteration_failed"
                else f"{event.get('hook')} failed")
        error = safe_text(f"{event.get('error')}: {event.get('message')}", 200, multiline=False)
        text = f"{what}: {error}" + (" (retrying)" if event.get("retrying") else "")
        extra = _indented(event.get("traceback") or "")
    elif kind == "iteration_cancelled":
        text = f"iteration {event.get('iteration')} cancelled"
    elif kind == "log":
        line = event.get("text")
        line = clip_line(line, _LINE_CHARS) if isinstance(line, str) else line
        text = f"{event.get('stream')}: {safe_text(line, multiline=False)}"
    elif kind == "log_dropped":
        text = (f"{event.get('dropped')} lines of output left out "
                f"(more than {LOG_RATE:g} a second)")
    elif kind == "stuck":
        what = (f"{event['hook']} handler" if event.get("hook") == "error" else
                str(event["hook"]) if event.get("hook") else f"iteration {event.get('iteration')}")
        text = (f"{what} stuck: running for "
                f"{_seconds(event.get('running_for'))} (more than {_seconds(event.get('threshold'))})")
    elif kind == "blocked":
        text = f"blocked the event loop for {_seconds(event.get('duration'))}"
        extra = _indented(event.get("stack") or "")
    elif kind == "reload":
        parts = [f"{key} {', '.join(map(str, event.get(key) or [])) or '-'}"
                 for key in ("added", "removed", "changed")]
        text = "reloaded: " + safe_text("; ".join(parts), 300, multiline=False)
    elif kind == "waiting":
        text = "waiting " + safe_text(
            f"in {event.get('in') or 'before_loop'} on {event.get('awaiting')}", 300,
            multiline=False)
        if event.get("why"):
            extra = ["    " + safe_text(event["why"], 500, multiline=False)]
    elif kind == "main_started":
        text = "main started: " + safe_text(event.get("name"), 300, multiline=False)
    elif kind == "main_finished":
        text = ("main " + ("stopped" if event.get("cancelled") else "finished") + ": "
                + safe_text(event.get("name"), 300, multiline=False))
    elif kind == "main_failed":
        error = safe_text(f"{event.get('error')}: {event.get('message')}", 300, multiline=False)
        text = f"main failed: {safe_text(event.get('name'), 200, multiline=False)}: {error}"
        extra = _indented(event.get("traceback") or "")
    elif kind == "task_failed":  # a task died with an exception nobody retrieved
        error = safe_text(f"{event.get('error')}: {event.get('message')}", 200, multiline=False)
        text = (f"task {safe_text(event.get('task'), 100, multiline=False)} failed "
                f"(never retrieved) at {safe_text(event.get('where'), 200, multiline=False)}"
                f": {error}")
        extra = _indented(event.get("traceback") or "")
    elif kind == "hook_failed":
        error = safe_text(f"{event.get('error')}: {event.get('message')}", 300, multiline=False)
        text = (f"{safe_text(event.get('client'), 80, multiline=False)}."
                f"{safe_text(event.get('hook'), 40, multiline=False)} failed: {error}")
        extra = _indented(event.get("traceback") or "")
    elif kind == "record_failed":
        text = safe_text(event.get("error"), 300, multiline=False)
    elif kind == "reload_failed":
        text = "reload failed: " + safe_text(event.get("error"), 200, multiline=False)
        extra = _indented(event.get("traceback") or "")
    else:
        rest = {k: v for k, v in event.items() if k not in ("event", "time", "loop")}
        text = f"{kind} " + safe_text(json.dumps(rest, default=str), 300, multiline=False)
    return [prefix + text, *extra]


_STATES_SHOWN = frozenset({"paused", "stopped", "cancelled", "finished", "failed"})
"""State changes readable output shows without ``-v`` (the ones that need a person)."""

SHOWN_BY_DEFAULT: dict[str, bool | Callable[[dict[str, Any]], bool]] = {
    "iteration_started": False,
    "iteration_finished": False,
    "state": lambda event: str(getattr(event.get("state"), "value", event.get("state")))
    in _STATES_SHOWN,
}
"""Which events readable headless output prints without ``-v/--verbose``: an event kind
maps to ``False`` (hidden), or to a test of the event. Kinds not listed are printed:
loops added and removed, output, failures and retries, blocked and stuck, main, reload,
the summary, and any kind added later. ``--json`` and ``--record`` keep every event."""


def shown_by_default(event: dict[str, Any]) -> bool:
    """Whether readable output prints *event* without ``-v`` (see :data:`SHOWN_BY_DEFAULT`)."""
    rule = SHOWN_BY_DEFAULT.get(event.get("event", ""), True)
    return rule if isinstance(rule, bool) else bool(rule(event))


class EventPrinter:
    """A session sink printing events as readable lines or JSON lines.

    Readable lines: inside an event loop the text is written by a thread of its own, in
    batches (see :class:`~looptui.session.output.line_writer.LineWriter`); outside one
    each event is written at once. JSON lines (*json_mode*) take the path of
    ``--record`` (:class:`~looptui.session.events.batched.ThreadedLines`): the routine
    events of every iteration are taken raw (:meth:`take_raw`), and while an event loop
    runs a writer process encodes and writes every batch, so thousands of loops
    iterating cost the event loop little more than handing their events over; the
    batches leave from a thread, so what came before a body that never gives the event
    loop back still comes out. The
    bytes are those of ``json.dumps(event)`` (every non-ASCII character escaped).
    :meth:`flush` writes everything now (call it before printing anything else to the
    same stream, and at the end).

    Readable output leaves out the routine events (:data:`SHOWN_BY_DEFAULT`) unless
    *verbose*. A closed output (``looptui ... | head``) calls *on_closed* once, on the
    event loop, instead of raising.
    """

    def __init__(
        self, out: TextIO, json_mode: bool = False, on_closed: Callable[[], None] | None = None,
        verbose: bool = False,
    ) -> None:
        self.out = out
        self.json_mode = json_mode
        self.verbose = verbose
        self.on_closed = on_closed
        self._loop: asyncio.AbstractEventLoop | None = None
        self._writer = LineWriter(out, self._closed)
        self._echo = EchoFilter()
        self.last_summary: dict[str, Any] | None = None
        """The last ``summary`` event printed (for the closing lines)."""
        self._lines: BatchedLines | None = None
        if json_mode:
            self._lines = ThreadedLines(out, ascii_only=True, owns_file=False,
                                        on_error=lambda reason: self._closed())
            self.take_raw = self._lines.take_raw
            """Keep a routine loop event without its dict (``--json`` only)."""

    @property
    def closed(self) -> bool:
        """Whether the output went away (nothing more is written)."""
        lines = self._lines
        return self._writer.closed if lines is None else not lines.open

    @property
    def error(self) -> str | None:
        """Why the output stopped taking events (a closed pipe, a full disk), if it did."""
        lines = self._lines
        return self._writer.error if lines is None else lines.error

    def _closed(self) -> None:
        callback, loop = self.on_closed, self._loop
        if callback is None:
            return
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(callback)
        else:
            callback()

    def wants(self, kind: str, fields: dict[str, Any]) -> bool:
        """Whether a loop event of *kind* with *fields* would be printed (before it is
        built: the rules of :data:`SHOWN_BY_DEFAULT` read the event's own keys)."""
        if self.json_mode or self.verbose:
            return True
        rule = SHOWN_BY_DEFAULT.get(kind, True)
        return rule if isinstance(rule, bool) else bool(rule(fields))

    def __call__(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "summary":
            self.last_summary = event
        lines = self._lines
        if lines is not None:
            if self._loop is None:
                try:
                    self._loop = asyncio.get_running_loop()
                except RuntimeError:
                    pass
            lines(event)
            return
        if self._writer.closed:
            return
        if self.verbose or shown_by_default(event):
            if kind == "log":
                shown = self._echo.log(event)
                if shown is None:
                    return
                event = shown
            elif kind in ("iteration_failed", "hook_failed") and event.get("traceback"):
                self._echo.failed(str(event.get("loop")), str(event["traceback"]))
            text = "\n".join(format_event(event)) + "\n"
        else:
            return
        if self._loop is None:
            try:
                self._loop = asyncio.get_running_loop()
            except RuntimeError:  # not in an event loop: write now
                self._writer.write(text)
                self._writer.flush()
                return
        self._writer.write(text)

    def flush(self) -> None:
        """Write everything printed so far, now."""
        if self._lines is not None:
            self._lines.flush()
        self._writer.flush()

    def close(self) -> None:
        """Write everything and stop the writer thread (and the writer process)."""
        if self._lines is not None:
            self._lines.close()
        self._writer.close()


# --------------------------------------------------------------------------------- run
def _should_end(session: SessionView, deadline: float | None, now: float) -> bool:
    """Whether the run is over: ``--for`` elapsed, or nothing is left running.

    Without ``--for`` a module with no loops ends at once. With it, the run waits the
    full time for loops to appear, unless loops existed and all of them ended.
    """
    if session.live:  # attached: the programs run on their own
        return deadline is not None and now >= deadline
    if session.main_state == "running" or session.reloading:  # mid-reload: new loops start
        return deadline is not None and now >= deadline
    trackers = session.registry.trackers()
    idle = not any(t.is_active for t in trackers)
    if deadline is None:
        return idle
    return now >= deadline or (bool(trackers) and idle)


def _install_signals(stop: asyncio.Event, session: SessionView) -> QuitSignals:
    """SIGINT/SIGTERM/SIGHUP: the first stops gracefully, the second cancels every loop,
    the third interrupts whatever runs (a loop blocking the event loop for good)."""

    def cancel_all() -> None:
        stop.set()
        for tracker in session.registry.trackers():
            controls = tracker.controls
            if tracker.is_active and controls is not None:
                try:
                    controls.ui_cancel()
                except Exception:  # a foreign loop in a strange state: keep going
                    pass

    handler = QuitSignals(stop.set, cancel_all)
    handler.install()  # (not in the main thread: signals keep their usual meaning)
    return handler


async def run_headless(
    target: str,
    *,
    main: str | None = None,
    start_loops: bool = True,
    watch: bool = True,
    record: str | None = None,
    json_mode: bool = False,
    duration: float | None = None,
    block_threshold: float = DEFAULT_THRESHOLD,
    offline: bool = False,
    args: list[str] | None = None,
    verbose: bool = False,
    out: TextIO,
    err: TextIO,
) -> int:
    """Run *target*'s loops in this process, print events to *out*, return the exit status.

    Builds the in-process :class:`~looptui.session.session.Session` and hands it to
    :func:`follow`, which knows sessions only through their interface.

    Raises:
        TargetUsageError / TargetImportError / RecordError: as raised by the session.
    """
    from looptui.session import Session

    session = Session(target, main=main, start_loops=start_loops, watch=watch, record=record,
                      block_threshold=block_threshold, offline=offline, args=args)
    return await follow(session, json_mode=json_mode, duration=duration, verbose=verbose,
                        out=out, err=err)


async def follow(
    session: SessionView,
    *,
    json_mode: bool = False,
    duration: float | None = None,
    verbose: bool = False,
    out: TextIO,
    err: TextIO,
    on_started: Callable[[SessionView], Awaitable[object]] | None = None,
) -> int:
    """Start *session*, print its events to *out* until the run is over, return the status.

    Runs until *duration* seconds passed (``--for``), every loop ended (not for a ``live``
    session, attached to programs that run on their own), or SIGINT/SIGTERM;
    then stops everything gracefully and prints the summary.

    Returns:
        0; :data:`EXIT_FAILED` when at least one loop ended ``failed`` or the main
        failed (or an attached program was gone at the end);
        :data:`EXIT_OUTPUT_FAILED` when the events could not be written to *out*;
        :data:`EXIT_RECORD_FAILED` when writing the ``--record`` file failed.
    """
    stop = asyncio.Event()

    def output_failed() -> None:  # said at once; the run ends gracefully, exit 4
        stop.set()
        err.write(f"looptui: cannot write the events to the output: {printer.error}; "
                  "stopping (exit 4)\n")
        err.flush()

    printer = EventPrinter(out, json_mode, on_closed=output_failed, verbose=verbose)
    session.add_sink(printer)
    loop = asyncio.get_running_loop()
    signals = _install_signals(stop, session)  # before the import: it may hang
    if session.local is not None:  # the program may install handlers of its own
        session.local.import_hooks.append(signals.reassert)
    signals.importing = True  # the event loop cannot serve a signal until the import ends
    try:
        await session.start()
    except BaseException:
        signals.uninstall()
        printer.close()
        raise
    finally:
        signals.importing = False
    try:
        if on_started is not None:  # e.g. --metrics, once the loops exist
            await on_started(session)
        deadline = None if duration is None else loop.time() + duration
        while not stop.is_set() and not _should_end(session, deadline, loop.time()):
            try:
                await asyncio.wait_for(stop.wait(), _POLL)
            except asyncio.TimeoutError:
                pass
        if not session.registry.trackers():
            empty = session.local.why_no_loops() if session.local is not None else None
            if empty is not None:
                hint = (f"{safe_text(empty.what, 400, multiline=False)}\n"
                        f"{safe_text(empty.then, 400, multiline=False)}\n")
            else:
                hint = ("Define one at module level (from looptui import loop; @loop(seconds=5))"
                        + (".\n" if session.main_name is not None else
                           ", or pass --main NAME to run code that creates them.\n"))
            message = f"no loops found in {safe_text(session.module_name, multiline=False)}\n" + hint
            printer.flush()
            (err if json_mode else out).write(message)
    finally:
        try:
            stragglers = await session.shutdown()  # a 2nd signal cancels, a 3rd interrupts
        finally:
            signals.uninstall()
            printer.close()  # what is printed comes out even when the end was forced
    if stragglers:
        err.write("looptui: these loops did not stop: "
                  + ", ".join(safe_text(n, 60, multiline=False) for n in stragglers) + "\n")
    if printer.error is not None:
        _quiet(out)
        return EXIT_OUTPUT_FAILED
    status = EXIT_FAILED if session.failed_loops() or session.main_state == "failed" else 0
    reason = None
    lost = session.lost_programs()
    if lost:
        err.write("looptui attach: " + "; ".join(lost) + "\n")
        if status == 0:
            status, reason = EXIT_FAILED, "an attached program went away"
    if session.record_error:
        err.write(f"looptui: {safe_text(session.record_error)} (the record is incomplete)\n")
        status = EXIT_RECORD_FAILED
    if not json_mode and not printer.closed:
        try:
            out.write("\n".join(closing_lines(printer.last_summary, status, reason)) + "\n")
            out.flush()
        except (BrokenPipeError, ValueError, OSError):  # the reader went away meanwhile
            pass
    return status


def _quiet(out: TextIO) -> None:
    """Point the output that failed at ``/dev/null``, so the interpreter's last flush
    of it at exit does not print a traceback of its own."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, out.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # not a real file (a test's StringIO)
        pass
