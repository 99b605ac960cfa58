"""The session of ``looptui attach``: loops of one or more running programs, as a SessionView.

The TUI and headless read it exactly as they read the in-process session: the mirrors
are in :attr:`RemoteSession.registry`, events reach the sinks (each with ``process``),
and :meth:`RemoteSession.command` asks the program that owns the loop and returns its
reply. Several programs merge into one registry; each mirror knows its ``process``.
Quitting only disconnects: the programs and their loops go on as they were.
"""

from __future__ import annotations

import asyncio
import collections
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from looptui.core import clock
from looptui.core.registry import ROUTINE_KINDS, ROUTINE_STATES, Registry
from looptui.session.events import build as events
from looptui.session.events.recorder import Recorder
from looptui.session.events.sinks import deliver
from looptui.session.interface import Reply, Sink
from looptui.session.output.sanitize import safe_text
from looptui.session.program.loader import TargetUsageError

from . import debug_requests
from .address import Address
from .connection import Connection
from .mirror import MirrorTracker

if TYPE_CHECKING:
    from looptui.core.records import ExceptionInfo

__all__ = ["RemoteSession", "FIRST_CONNECT_TIMEOUT"]

FIRST_CONNECT_TIMEOUT = 10.0
"""Seconds :meth:`RemoteSession.start` waits for the first attempt on every address."""
ROUTINE_SAMPLES: list[tuple[str, dict[str, Any]]] = ([(kind, {}) for kind in sorted(ROUTINE_KINDS)]
                   + [("state", {"state": state}) for state in sorted(ROUTINE_STATES)])
"""One of each routine event, to ask sinks whether they want them."""


def _wants_routine(sink: Sink) -> bool:
    """Whether *sink* wants the routine events of every iteration (a sink that cannot
    say, such as the ``--record`` file, wants every event)."""
    wants = getattr(sink, "wants", None)
    if wants is None:
        return True
    return any(wants(kind, fields) for kind, fields in ROUTINE_SAMPLES)


def _clock_time(ts: float) -> str:
    import datetime

    return datetime.datetime.fromtimestamp(ts).strftime("%H:%M:%S")


class RemoteSession:
    """Attached to the agents at *addresses* (see :class:`SessionView` for the fields).

    Args:
        addresses: Where the programs' agents listen.
        record: Append every event to this file (``--record``).
        notes: Lines to show in the log pane first (the stale sockets skipped).

    Attributes:
        connections: One per address, in the order given.
        live: Always True: the programs run on their own; a front end follows them until
            it is told to stop, not until their loops end.
    """

    live = True
    local = None
    """Programs seen over a socket: nothing here runs in this process."""
    lag_max = 0.0
    startup_lag: float | None = None
    """An attached program's start-up is over before attach sees it."""
    blocked_count = 0
    last_block: dict[str, Any] | None = None
    main_state: str | None = None
    main_exception: ExceptionInfo | None = None
    main_name: str | None = None
    main_source: str | None = None
    main_where: str | None = None
    offline = False
    reloading = False
    reload_error = None
    reload_version = 0
    last_reload_attempt = None
    reload_unavailable = ("reload is not available when attached: the program runs on its "
                          "own (only `looptui TARGET` watches and reloads files)")
    """Why ``R`` does nothing here (the TUI says this instead of trying)."""

    def __init__(self, addresses: list[Address], *, record: str | None = None,
                 notes: Iterable[str] = ()) -> None:
        if not addresses:
            raise TargetUsageError("give at least one address to attach to")
        self.registry = Registry()
        self.general_output: collections.deque[tuple[float, str, str]] = collections.deque(
            maxlen=1000)
        self.output_version = 0
        self._sinks: list[Sink] = []
        self.recorder = Recorder(record) if record else None
        if self.recorder is not None:
            self._sinks.append(self.recorder)
        self.connections = [Connection(a, self.registry, self._dispatch, self._changed,
                                       self._held_by_others)
                            for a in addresses]
        self._closed = False
        self._started = False
        for note in notes:
            self._note(note)

    def _held_by_others(self, connection: Connection) -> set[Path]:
        """The sockets the other connections use: a followed program takes another one."""
        return {c.path for c in self.connections if c is not connection and c.path is not None}

    # ---------------------------------------------------------------- reading
    @property
    def module_name(self) -> str:
        """``bot[1234]``, or ``bot[1234] + 1 more`` for several programs."""
        labels = [c.label for c in self.connections]
        return labels[0] if len(labels) == 1 else f"{labels[0]} + {len(labels) - 1} more"

    @property
    def lag(self) -> float:
        """The largest event-loop lag among the connected programs."""
        return max((c.lag for c in self.connections if c.connected), default=0.0)

    @property
    def failed_tasks(self) -> int:
        """Tasks of the programs that died with an exception nobody retrieved."""
        return sum(c.failed_tasks for c in self.connections)

    @property
    def status(self) -> str:
        """``disconnected since 12:03:04`` while a program is unreachable (the header)."""
        gone = [c for c in self.connections if not c.connected]
        if not gone:
            return ""
        first = gone[0]
        if first.refused:
            return f"{first.label}: refused: {first.refused}"
        since = first.disconnected_since
        when = f" since {_clock_time(since)}" if since is not None else ""
        who = f"{first.label} " if len(self.connections) > 1 else ""
        more = f" (+{len(gone) - 1})" if len(gone) > 1 else ""
        return f"{who}disconnected{when}{more}"

    @property
    def record_error(self) -> str | None:
        return self.recorder.error if self.recorder is not None else None

    def lost_programs(self) -> list[str]:
        """The attached programs that were gone at the end (and why), so a run that lost
        its program does not end as if all went well."""
        lost = []
        for connection in self.connections:
            if not connection.connected:
                why = connection.refused or connection.last_error or "unreachable"
                lost.append(f"{connection.label} was not connected at the end "
                            f"({safe_text(why, 200, multiline=False)})")
        return lost

    def failed_loops(self) -> list[str]:
        return [t.name for t in self.registry.trackers() if t.state == "failed"]

    def await_stack(self, loop: str) -> str:
        tracker = self.registry.get(loop)
        awaiting = tracker.notes.get("awaiting") if tracker is not None else None
        return str(awaiting) if awaiting else "(ask again with details; not sent by the agent)\n"

    # ----------------------------------------------------------------- events
    def add_sink(self, sink: Sink) -> None:
        """Send every event to *sink* from now on (the programs are asked for every event
        when *sink* wants the routine ones; until then, they are not sent)."""
        self._sinks.append(sink)
        if self._started and _wants_routine(sink):
            for connection in self.connections:
                connection.set_events("all")

    def _dispatch(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "blocked":  # the header's count and the last block, as in-process
            self.blocked_count += 1
            self.last_block = {"loop": event.get("loop"), "duration": event.get("duration"),
                               "time": clock.now(), "stack": event.get("stack"),
                               "monitor": False, "process": event.get("process")}
        elif kind == "log" and event.get("loop") is None and "process" in event:
            self.general_output.append((clock.now(), str(event.get("stream") or "stderr"),
                                        f"{event['process']}: {event.get('text', '')}"))
            self.output_version += 1
        deliver(self._sinks, event, self._note)

    def _note(self, text: str) -> None:
        self.general_output.append((clock.now(), "stderr", text))
        self.output_version += 1

    def _changed(self, connection: Connection) -> None:
        """A program connected or went away: say so in the log pane and as an event."""
        previous = connection.previous_label if connection.connected else None
        if connection.connected:
            text = f"attached to {connection.label}" + (
                f" (a new process; was {previous})" if previous else "")
            kind = "attached"
        else:
            text = (f"{connection.label}: refused: {connection.refused}" if connection.refused
                    else f"{connection.label}: disconnected ({connection.last_error})")
            kind = "disconnected"
        self._note(text)
        if not self._closed:
            extra: dict[str, Any] = {"previous": previous} if previous else {}
            self._dispatch(events.session_event(kind, process=connection.label,
                                                address=connection.address.text,
                                                reason=None if connection.connected
                                                else connection.refused or connection.last_error,
                                                **extra))

    # ---------------------------------------------------------------- running
    async def start(self) -> None:
        """Connect to every program; wait for a first answer from each (bounded).

        Raises:
            TargetUsageError: every program refused (a wrong token, say) or none could be
                reached at all.
        """
        self._started = True
        events = "all" if any(_wants_routine(sink) for sink in self._sinks) else "table"
        for connection in self.connections:
            connection.events = events
            connection.start()
        waits = [asyncio.ensure_future(c.first_attempt.wait()) for c in self.connections]
        await asyncio.wait(waits, timeout=FIRST_CONNECT_TIMEOUT)
        for wait in waits:
            wait.cancel()
        if not any(c.connected for c in self.connections):
            reasons = "\n".join(
                f"  {c.address.text}: {'refused: ' + c.refused if c.refused else c.last_error}"
                for c in self.connections)
            await self._close()
            raise TargetUsageError(f"could not attach:\n{reasons}")

    async def command(self, loop: str, command: str, value: Any = None) -> Reply:
        """Ask the program that owns *loop* to carry out *command*; its reply."""
        tracker = self.registry.get(loop)
        if not isinstance(tracker, MirrorTracker):
            return Reply(False, f"{loop}: no such loop", "warning", "no such loop")
        for connection in self.connections:
            if connection.mirrors.get(tracker.remote_name) is tracker:
                return await connection.command(tracker, command, value)
        return Reply(False, f"{loop}: its program is gone", "warning", "its program is gone")

    async def debug(self, request: dict[str, Any]) -> dict[str, Any]:
        """The tasks view's and the console's requests, asked of the programs (see
        :mod:`~looptui.session.remote.debug_requests`)."""
        return await debug_requests.ask(self.connections, request)

    async def details(self, loop: str) -> Reply:
        """Fetch everything the program knows of *loop* (every exception, what it awaits)."""
        return await self.command(loop, "details")

    async def reload(self, files: Iterable[str] | None = None) -> Any:
        raise RuntimeError(self.reload_unavailable)

    async def shutdown(self, timeout: float = 5.0) -> list[str]:
        """Disconnect (the programs go on) and send the ``summary`` event."""
        if self._closed:
            return []
        summary = events.summary_event(self.registry.trackers())
        for entry, tracker in zip(summary["loops"], self.registry.trackers(), strict=True):
            entry["process"] = getattr(tracker, "process", None)
        self._dispatch(summary)
        await self._close()
        return []

    async def _close(self) -> None:
        self._closed = True
        await asyncio.gather(*(c.close() for c in self.connections))
        if self.recorder is not None:
            self.recorder.close()

    def install_capture(self) -> None:
        """Nothing to capture: the loops' output stays in their programs."""
