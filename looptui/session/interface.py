"""The one interface the front ends read: loop snapshots, events, commands and their replies.

The TUI and headless depend on :class:`SessionView` only, never on how a session is made.
:class:`~looptui.session.session.Session` implements it for a program running in this
process; a session seen over a socket (``looptui attach``) implements the same thing, so
the front ends have no ``if remote:`` anywhere (``docs/architecture.md``, "The session
seam").

What a front end gets:

* **Snapshot** — :attr:`SessionView.registry` lists the loops as
  :class:`~looptui.core.tracker.Tracker` objects (read them, never write them): each has a
  ``version`` that changes whenever anything in it does, so a front end redraws only what
  changed. Session-wide fields (lag, blocks, the main coroutine, reload status, output not
  attributed to a loop) are attributes of the session.
* **Events** — :meth:`SessionView.add_sink` sends every event dict (README "Headless mode
  and events"; built by :mod:`~looptui.session.events.build`) to a callable.
* **Commands** — :meth:`SessionView.command` asks for one of :data:`COMMANDS` on a loop
  and answers with a :class:`Reply`: done, or refused with the reason (the loop's library
  cannot do it, the loop is not running, the loop is gone …). ``reload`` and ``shutdown``
  act on the whole session.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable, Literal, Protocol

if TYPE_CHECKING:
    from collections import deque

    from looptui.core.records import ExceptionInfo
    from looptui.core.tracker import Tracker

__all__ = [
    "COMMANDS", "Reply", "Sink", "LoopDirectory", "SessionView", "LocalSession", "NoLoopsReason",
]

COMMANDS: tuple[str, ...] = (
    "start", "stop", "cancel", "restart", "interval", "trigger", "pause", "resume",
)
"""Commands on one loop. ``interval`` takes ``("seconds", float)`` or ``("times", [time])``."""

Sink = Callable[["dict[str, Any]"], None]
"""Receives every event, as a dict of :mod:`~looptui.session.events.build`."""


@dataclass(frozen=True)
class Reply:
    """The answer to a command.

    Attributes:
        ok: The command was carried out.
        text: One line for people: what happened (``bot.poll: stopped``) or why not
            (``bot.poll: cannot pause: …``).
        severity: ``information`` when done, ``warning`` when refused, ``error`` when
            the loop raised while carrying it out.
        reason: Why not, on its own (``seconds must be positive``); empty when done.
    """

    ok: bool
    text: str
    severity: Literal["information", "warning", "error"] = "information"
    reason: str = ""


class LoopDirectory(Protocol):
    """The loops of a session, by display name (the registry's read side)."""

    @property
    def version(self) -> int:
        """Bumped whenever a loop is added or removed."""

    def trackers(self) -> list[Tracker]:
        """Every listed loop, in the order they were added."""

    def get(self, name: str) -> Tracker | None:
        """The loop called *name*, or ``None``."""

    def collect_histograms(self, on: bool = True) -> None:
        """Have every loop, present and future, count its iterations in histograms
        (for ``--metrics``), or stop."""


class SessionView(Protocol):
    """What the TUI and headless read and ask of a session, in this process or another.

    Attributes:
        module_name: What is being watched (the target's file or module name).
        registry: The loops.
        lag: Latest event-loop lag in seconds; ``lag_max`` the largest lately;
            ``startup_lag`` how long start-up (the program's import) held the loop, shown
            apart during the first seconds, else ``None``.
        blocked_count: Stalls of the event loop caused by user code.
        last_block: The latest stall (``loop``, ``duration``, ``time``, ``stack``) or None.
        general_output: ``(epoch, stream, text)`` lines not attributed to any loop;
            ``output_version`` is bumped when it changes.
        main_state: ``None`` without a main coroutine; else ``running``, ``finished``
            or ``failed``; ``main_exception`` what it raised; ``main_name`` what it is
            (``main`` for ``--main main``, ``bot.run() at bot.py:88``), ``main_source``
            (``--main``, ``import``, ``offline``) and ``main_where`` (``file:line``).
        offline: Whether Discord clients run without logging in (``--offline``).
        reloading, reload_error, reload_version, last_reload_attempt: hot reload status
            (see :class:`~looptui.session.reload.outcome.ReloadResult`).
        status: One line for the header when something is wrong with the session
            itself (an attached program went away), else empty.
        live: The programs run on their own (attached): a front end follows them until
            it is told to stop, not until their loops end.
        local: This session as a :class:`LocalSession` when the program runs in this
            process, else ``None``: what only a local session can do is asked for
            through it, never by probing the session for attributes.

    Each is declared as a read-only property: a front end reads them and never sets
    them, and a plain attribute of a session satisfies it.
    """

    @property
    def module_name(self) -> str: ...
    @property
    def registry(self) -> LoopDirectory: ...
    @property
    def lag(self) -> float: ...
    @property
    def lag_max(self) -> float: ...
    @property
    def startup_lag(self) -> float | None: ...
    @property
    def failed_tasks(self) -> int:
        """Tasks that died with an exception nobody retrieved (the header counts them)."""

    async def debug(self, request: dict[str, Any]) -> dict[str, Any]:
        """Answer a request of the tasks view (``{"type": "tasks", …}``) or the console
        (``{"type": "eval", …}``): a dict with ``ok`` and, when refused, ``reason``."""
        ...

    @property
    def blocked_count(self) -> int: ...
    @property
    def last_block(self) -> dict[str, Any] | None: ...
    @property
    def general_output(self) -> deque[tuple[float, str, str]]: ...
    @property
    def output_version(self) -> int: ...
    @property
    def main_state(self) -> str | None: ...
    @property
    def main_exception(self) -> ExceptionInfo | None: ...
    @property
    def main_name(self) -> str | None: ...
    @property
    def main_source(self) -> str | None: ...
    @property
    def main_where(self) -> str | None: ...
    @property
    def offline(self) -> bool: ...
    @property
    def reloading(self) -> bool: ...
    @property
    def reload_error(self) -> Any: ...
    @property
    def reload_version(self) -> int: ...
    @property
    def reload_unavailable(self) -> str | None:
        """Why ``R`` cannot reload this session (attached), or ``None``."""
    @property
    def last_reload_attempt(self) -> Any: ...

    @property
    def status(self) -> str: ...
    @property
    def live(self) -> bool: ...
    @property
    def local(self) -> LocalSession | None: ...

    @property
    def record_error(self) -> str | None:
        """Why the ``--record`` file stopped being written, or ``None``."""

    async def start(self) -> None:
        """Start watching: import and run the program, or connect to it."""

    def add_sink(self, sink: Sink) -> None:
        """Send every event to *sink* from now on."""

    def failed_loops(self) -> list[str]:
        """Display names of the loops that ended ``failed``."""

    def lost_programs(self) -> list[str]:
        """One line per attached program that is gone (and why); empty for a local run."""

    def await_stack(self, loop: str) -> str:
        """What the loop's body is awaiting now (its await chain), as text; for details."""

    async def command(self, loop: str, command: str, value: Any = None) -> Reply:
        """Carry out *command* (one of :data:`COMMANDS`) on the loop named *loop*."""

    async def reload(self, files: Iterable[str] | None = None) -> Any:
        """Reload the program now (a result with ``ok``)."""

    async def shutdown(self, timeout: float = 5.0) -> list[str]:
        """Stop every loop gracefully; the names of those that did not stop."""

    def install_capture(self) -> None:
        """Put output capture back after the front end took the streams (may do nothing)."""


class NoLoopsReason(Protocol):
    """Why a program has no loops (``what``) and the next step (``then``), one line each
    (:class:`~looptui.session.program.empty_reason.EmptyReason`)."""

    @property
    def what(self) -> str: ...
    @property
    def then(self) -> str: ...


class DebuggerFront(Protocol):
    """The part of the debugger hand-over a front end sets: *front* returns a context
    manager that gives the terminal away while it is entered (the TUI's ``suspend``),
    or is ``None`` when nothing has to step aside."""

    front: Callable[[], AbstractContextManager[Any]] | None


class LocalSession(SessionView, Protocol):
    """What only a session of a program in this process offers its front ends."""

    @property
    def debugger(self) -> DebuggerFront:
        """Hands the terminal to ``pdb`` and back: the TUI sets its ``front`` to step
        aside while a debugger runs."""

    @property
    def import_hooks(self) -> list[Callable[[], None]]:
        """Called after every import of the program (the front ends re-assert their
        signal handlers there: the program may install its own)."""

    async def start(self, background: bool = True) -> None:
        """Import and run the program; ``background=False`` leaves the watchdog, file
        watcher and discovery to :meth:`start_background` (the TUI calls it after its
        first frame, which then needs none of them)."""

    def start_background(self) -> None:
        """Start what ``start(background=False)`` left out (does nothing the second time)."""

    def close_record(self) -> None:
        """Close the ``--record`` file (the run ends before it began: no terminal)."""

    @property
    def hook_failures(self) -> list[dict[str, Any]]:
        """Hooks ``--offline`` ran on the way to ready that raised (``client``, ``hook``,
        ``summary`` …), oldest first."""

    def why_no_loops(self) -> NoLoopsReason | None:
        """Why the program has no loop yet, when its start-up says (for the empty table
        and headless's closing lines)."""
