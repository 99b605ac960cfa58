"""The agent's server: accepts clients, sends snapshots and events, carries out commands.

It runs on the program's own event loop. While nobody is attached it only listens: no
registry listener, no timer, nothing on the loops' path. The first client that passes
its hello turns on event delivery (a registry listener) and a timer that sends the loops
that changed a few times a second; the last one to leave turns both off again.

A client says in its hello which events it wants (``events``, :data:`EVENT_MODES`).
``table`` (the TUI, readable headless output): the coalesced updates, plus every event
except the routine ones each iteration makes (:func:`~looptui.core.registry.is_routine`),
so while only such clients are attached the loops' hot path builds and encodes nothing.
``all`` (``--json``, ``--record``, and clients whose hello does not say): every event as
well, each encoded once for all such clients together; the events of every iteration
straight from their fields by the templates of the record file
(:func:`~looptui.session.events.encode.event_message`), without an event dict.

Clients that misbehave are dropped with bounded memory and without the loops noticing:
a hello that is not one (or a wrong token, or too long), no hello within
:data:`HELLO_TIMEOUT`, or a queue that fills up because the client does not read
(:mod:`looptui.agent.client`). At most :data:`MAX_PENDING` connections may be waiting for
their hello at once and :data:`MAX_CLIENTS` attached; any more are closed at once, so
clients never take the program's file descriptors. After its hello a client's message
that is too long, not JSON, or a command with values out of range is answered with an
``error`` or a refusing ``reply``; the connection goes on.

Messages are handled by type through :attr:`AgentServer.handlers` (``command``,
``events``, ``ping``): a new message type is one more entry.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path
from typing import Any, Callable

from looptui.core.registry import ROUTINE_STATES, Registry, is_routine
from looptui.core.tracker import Tracker
from looptui.core.version import looptui_version
from looptui.session.commands import run_command
from looptui.session.events import build as events
from looptui.session.events.deferred import InOrder, is_heavy
from looptui.session.events.encode import RAW_KINDS, event_message
from looptui.session.health.lag import LagProbe
from looptui.session.health.stuck import await_stack
from looptui.session.output.flood import LogLimiter
from looptui.session.remote import wire
from looptui.session.remote.framing import MessageReader, MessageTooBig

from .accept import Acceptor
from .client import AgentClient, LoopMark
from .debugging import AgentDebug
from .endpoint import same_token
from .memory import release_soon

__all__ = ["AgentServer", "HELLO_TIMEOUT", "UPDATE_INTERVAL", "MAX_CLIENTS", "MAX_PENDING",
           "EVENT_MODES", "Handler"]

HELLO_TIMEOUT = 5.0
"""Seconds a new connection has to send its hello before it is dropped."""
UPDATE_INTERVAL = 0.25
"""Seconds between updates of the loops that changed."""
MAX_CLIENTS = 64
"""Clients attached at once; more are refused with a message."""
MAX_PENDING = 64
"""Connections waiting for their hello at once; more are closed at once."""
MAX_ID_CHARS = 100
"""A command's ``id`` (echoed in its reply) is an integer, or a string up to this long."""
MAX_NAME_CHARS = 1000
"""A loop name in a command is at most this long."""
MAX_INTERVAL = 10 * 365 * 86400.0
"""The longest interval a client may set (seconds: ten years)."""

Handler = Callable[["AgentClient", dict[str, Any]], None]
"""Handles one message of an attached client (replies with ``client.send``)."""
EVENT_MODES = ("all", "table")
"""What a client's hello may ask for in ``events`` (``all`` when it does not say)."""


def _ignore(client: AgentClient, message: dict[str, Any]) -> None:
    """A message that needs no answer (``ping``)."""


def _shown(value: object, limit: int = 60) -> str:
    """A value a client sent, as a short ``repr`` for a message."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _reply_id(value: object) -> object:
    """The ``id`` echoed in a reply: an integer or a short string, else ``None``."""
    if wire.is_int(value) or (isinstance(value, str) and len(value) <= MAX_ID_CHARS):
        return value
    return None


def _interval(value: object) -> tuple[str, Any]:
    """An ``interval`` command's value checked: ``("seconds", finite number ≥ 0)`` or
    ``("times", [datetime.time, …])``.

    Raises:
        ValueError: anything else (NaN, infinity, a bool, too long, a bad zone …).
    """
    if not isinstance(value, list) or len(value) != 2 or value[0] not in ("seconds", "times"):
        raise ValueError('give ["seconds", N] or ["times", [["09:00:00", ZONE], ...]]')
    kind, new = value
    if kind == "times":
        return "times", wire.decode_times(new)
    if not wire.is_number(new) or not 0 <= new <= MAX_INTERVAL:
        raise ValueError(f"seconds must be a finite number from 0 to {MAX_INTERVAL:g}, "
                         f"not {_shown(new)}")
    return "seconds", float(new)


class AgentServer:
    """Serve one program's loops to attached clients.

    Args:
        registry: The loops (the process-wide registry).
        program: The program's name shown to clients.
        token: Required in every hello when given (always for TCP).
    """

    def __init__(self, registry: Registry, program: str, token: str | None = None) -> None:
        self.registry = registry
        self.program = program
        self.token = token
        self.clients: list[AgentClient] = []
        self.connections = 0
        self.pending = 0
        """Connections that have not said hello yet."""
        self.refused = 0
        """Connections dropped before or at their hello (bad token, garbage, silence)."""
        self.drops: list[str] = []
        """Why clients were dropped, newest last (bounded)."""
        self._servers: list[Acceptor] = []
        self._ticker: asyncio.Task[None] | None = None
        self._probe = LagProbe()
        self._limiter = LogLimiter(self._log_dropped)
        self._paths: list[Path] = []
        self._closed = asyncio.Event()
        self._routine: bool | None = None
        """Whether the registry listener takes routine events (None: not listening)."""
        self.debug: AgentDebug | None = None
        """Answers the tasks view's and the console's messages (see :mod:`.debugging`)."""
        self.while_attached: list[Any] = []
        """Parts with ``start()``/``stop()`` that run only while a client is attached."""
        self._in_order = InOrder("the agent")
        """Events in order; a failure's built off the failing loop's task."""
        self.handlers: dict[str, Handler] = {
            "command": self._on_command, "events": self._on_events, "ping": _ignore,
        }
        """What is done with each type of message an attached client sends."""

    # --------------------------------------------------------------- listening
    def track_file(self, path: Path, folder: Path | None = None) -> None:
        """Remove *path* (the Unix socket file) when the agent stops or the program exits,
        then *folder* (one made for it) if it is empty."""
        self._paths.append(path)
        if folder is not None:
            self._paths.append(folder)

    async def serve_socket(self, sock: socket.socket, *, unix: bool) -> None:
        """Accept clients on *sock*, already bound (and listening)."""
        if not unix and not self.token:
            sock.close()
            raise ValueError("a TCP endpoint needs a token")
        if self._closed.is_set():
            sock.close()
            return
        acceptor = Acceptor(sock, lambda conn: self._open(conn, unix), self._admit,
                            goodbye=wire.encode({"type": "error", "retry": True,
                                                 "reason": "too many clients"}))
        acceptor.start()
        self._servers.append(acceptor)

    def _admit(self) -> bool:
        """Whether one more connection may wait for its hello (counted from now on)."""
        self.connections += 1
        if self.pending >= MAX_PENDING or len(self.clients) >= MAX_CLIENTS:
            self.refused += 1
            return False
        self.pending += 1
        return True

    async def _open(self, conn: socket.socket, unix: bool) -> None:
        try:
            if unix:
                reader, writer = await asyncio.open_unix_connection(sock=conn,
                                                                    limit=wire.MAX_LINE)
            else:
                reader, writer = await asyncio.open_connection(sock=conn, limit=wire.MAX_LINE)
        except OSError:
            self.pending -= 1
            conn.close()
            return
        await self._serve(reader, writer)

    async def wait_closed(self) -> None:
        """Wait until :meth:`close_now` is called."""
        await self._closed.wait()

    def close_now(self) -> None:
        """Stop listening, drop every client, remove the socket files."""
        self._closed.set()
        tasks = [task for acceptor in self._servers for task in acceptor.tasks]
        for acceptor in self._servers:
            acceptor.close()
        self._servers.clear()
        for client in list(self.clients):
            client.drop("the agent stopped")
        self.clients.clear()
        self._idle()
        for task in tasks:
            task.cancel()
        self.remove_files()

    def remove_files(self) -> None:
        """Remove the socket files (also called at interpreter exit)."""
        for path in self._paths:
            try:
                path.rmdir() if path.is_dir() and not path.is_symlink() else path.unlink()
            except OSError:
                pass
        self._paths.clear()

    # ---------------------------------------------------------------- a client
    def _hello(self) -> dict[str, Any]:
        return {"type": "hello", "protocol": wire.PROTOCOL, "looptui": looptui_version(),
                "pid": os.getpid(), "program": self.program,
                "python": sys.version.split()[0],
                "auth": "token" if self.token else "none", "events": list(EVENT_MODES)}

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One admitted connection (counted in :attr:`pending` until its hello)."""
        peer = writer.get_extra_info("peername")
        name = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else "unix"
        client: AgentClient | None = None
        messages = MessageReader(reader)
        try:
            try:
                writer.write(wire.encode(self._hello()))
                reason, every = await self._check_hello(messages)
            finally:
                self.pending -= 1
            if reason is not None:
                self.refused += 1
                writer.write(wire.encode({"type": "error", "reason": reason}))
                await asyncio.wait_for(writer.drain(), 1.0)
                return
            client = AgentClient(writer, name, every_event=every)
            self._attach(client)
            writer_task = asyncio.get_running_loop().create_task(client.write_forever())
            try:
                await self._read_messages(messages, client)
            finally:
                writer_task.cancel()
        except (ConnectionError, OSError, asyncio.TimeoutError, asyncio.IncompleteReadError):
            pass
        finally:
            if client is not None:
                self._detach(client)
            transport = writer.transport
            if not transport.is_closing():
                transport.abort() if client is not None and client.dropped else writer.close()

    async def _check_hello(self, messages: MessageReader) -> tuple[str | None, bool]:
        """Why the client's hello is refused (``None`` when it is right), and whether the
        client wants every event."""
        try:
            message = await asyncio.wait_for(messages.read(), HELLO_TIMEOUT)
        except asyncio.TimeoutError:
            return f"no hello within {HELLO_TIMEOUT:g}s", False
        except MessageTooBig:
            return "line too long", False
        except wire.ProtocolError as err:
            return f"not a hello: {err}", False
        if message is None:
            return "closed before its hello", False
        if message.get("type") != "hello":
            return "the first message must be a hello", False
        protocol = message.get("protocol")
        if not wire.is_int(protocol) or protocol != wire.PROTOCOL:
            shown = protocol if wire.is_int(protocol) else _shown(protocol)
            return (f"protocol {shown} not supported (this agent: {wire.PROTOCOL}; "
                    "use the same looptui version on both sides)"), False
        if self.token is not None and not same_token(message.get("token"), self.token):
            return "wrong or missing token", False
        mode = message.get("events", "all")
        if mode not in EVENT_MODES or not isinstance(mode, str):
            return (f"events {_shown(mode)} not supported "
                    f"(one of: {', '.join(EVENT_MODES)})"), False
        return None, mode == "all"

    async def _read_messages(self, messages: MessageReader, client: AgentClient) -> None:
        while client.dropped is None:
            try:
                message = await messages.read()
            except wire.ProtocolError as err:  # too long, not JSON: said, then the next one
                client.send(wire.encode({"type": "error", "id": None, "reason": str(err)}))
                continue
            if message is None:
                return
            handler = self.handlers.get(message["type"])
            if handler is None:
                client.send(wire.encode({
                    "type": "error", "id": _reply_id(message.get("id")),
                    "reason": f"unknown message type {_shown(message['type'])}"}))
                continue
            try:
                handler(client, message)
            except Exception as err:  # a handler's bug must not end the program's agent
                client.send(wire.encode({
                    "type": "error", "id": _reply_id(message.get("id")),
                    "reason": f"{type(err).__name__}: {_shown(str(err), 200)}"}))

    def _on_command(self, client: AgentClient, message: dict[str, Any]) -> None:
        client.send(wire.encode(self._command(message)))

    def _on_events(self, client: AgentClient, message: dict[str, Any]) -> None:
        mode = message.get("events")
        if not isinstance(mode, str) or mode not in EVENT_MODES:
            client.send(wire.encode({"type": "error", "id": None,
                                     "reason": f"events {_shown(mode)} not supported"}))
            return
        client.every_event = mode == "all"
        self._listen()

    def _command(self, message: dict[str, Any]) -> dict[str, Any]:
        loop = message.get("loop")
        command = message.get("command")
        loop = loop if isinstance(loop, str) and len(loop) <= MAX_NAME_CHARS else ""
        reply: dict[str, Any] = {"type": "reply", "id": _reply_id(message.get("id")),
                                 "loop": loop}
        if not isinstance(command, str):
            reply.update(ok=False, text=f"not a command: {_shown(command)}",
                         severity="warning", reason="the command must be a string")
            return reply
        tracker = self.registry.get(loop)
        if command == "details":
            if tracker is None:
                reply.update(ok=False, text=f"{loop}: no such loop", severity="warning",
                             reason="no such loop")
                return reply
            snap = wire.tracker_snapshot(tracker, full=True)
            if tracker.current is not None:
                snap["awaiting"] = await_stack(tracker)
            reply.update(ok=True, text=f"{loop}: details", severity="information",
                         reason="", snapshot=snap)
            return reply
        value = message.get("value")
        if command == "interval":
            try:
                value = _interval(value)
            except ValueError as err:
                reply.update(ok=False, text=f"{loop}: bad interval: {err}",
                             severity="warning", reason=str(err))
                return reply
        elif value is not None:
            value = None  # no other command takes a value
        answer = run_command(tracker, command, value, loop=loop)
        reply.update(ok=answer.ok, text=answer.text, severity=answer.severity,
                     reason=answer.reason)
        return reply

    # -------------------------------------------------------- clients come, go
    def _attach(self, client: AgentClient) -> None:
        if not self.clients:
            self._probe.start()
            self._ticker = asyncio.get_running_loop().create_task(
                self._tick_forever(), name="looptui-agent-updates")
            for part in self.while_attached:
                part.start()
        self.clients.append(client)
        self._listen()
        trackers = self.registry.trackers()
        client.snapshot = wire.pages(
            "snapshot", (self._snapshot_for(client, t) for t in trackers),
            {"events": "all" if client.every_event else "table"}, more_key="more",
            last={"session": self._session_fields()})

    def _listen(self) -> None:
        """Listen to the registry as the attached clients need: routine events only
        while a client wants every event, nothing while nobody is attached."""
        routine = any(c.every_event for c in self.clients) if self.clients else None
        if routine == self._routine:
            return
        self.registry.remove_listener(self._on_event)
        if routine is not None:
            self.registry.add_listener(self._on_event, routine=routine)
        self._routine = routine

    def _detach(self, client: AgentClient) -> None:
        if client.dropped is not None and client.dropped != "the agent stopped":
            self.drops = [*self.drops[-19:], client.dropped]
            release_soon()  # what was queued for it goes back to the system
        if client in self.clients:
            self.clients.remove(client)
        if not self.clients:
            self._idle()
        else:
            self._listen()

    def _idle(self) -> None:
        """Nobody attached: no listener, no timer, no probe."""
        self.registry.remove_listener(self._on_event)
        self._routine = None
        self._probe.stop()
        for part in self.while_attached:
            part.stop()
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None

    # ------------------------------------------------------------- what is sent
    def _session_fields(self) -> dict[str, Any]:
        fields = {"lag": self._probe.lag, "lag_max": self._probe.lag_max,
                  "clients": len(self.clients)}
        if self.debug is not None:  # tasks that died unretrieved: the header counts them
            fields["failed_tasks"] = self.debug.tasks.failed_total
        return fields

    def _snapshot_for(self, client: AgentClient, tracker: Tracker) -> dict[str, Any]:
        mark = client.marks.get(tracker.name)
        if mark is not None and mark.tracker_id != id(tracker):
            mark = None  # the name now belongs to another loop (a reload, say)
        last = tracker.last_exception
        same_exception = mark is not None and mark.exception_id == id(last)
        snap = wire.tracker_snapshot(
            tracker, since=None if mark is None else mark.since,
            output_after=0 if mark is None else mark.output_total,
            full=not same_exception,
        )
        if same_exception:
            del snap["last_exception"]  # unchanged: not sent again
        since = None
        history = snap["history"]
        if history:
            running = [r["started"] for r in history if r["outcome"] is None]
            since = min(running) if running else history[-1]["started"]
        elif mark is not None:
            since = mark.since
        client.marks[tracker.name] = LoopMark(id(tracker), tracker.version, since,
                                              tracker.output_total, id(last))
        return snap

    async def _tick_forever(self) -> None:
        while self.clients:
            await asyncio.sleep(UPDATE_INTERVAL)
            self.send_updates()

    def send_updates(self) -> None:
        """Send each client the loops that changed since it last heard of them."""
        trackers = self.registry.trackers()
        names = {t.name for t in trackers}
        session = self._session_fields()
        for client in list(self.clients):
            if client.snapshot is not None:
                continue  # its snapshot is still being sent: the next tick
            marks = client.marks
            changed = [tracker for tracker in trackers
                       if (mark := marks.get(tracker.name)) is None
                       or mark.tracker_id != id(tracker) or mark.version != tracker.version]
            removed = [name for name in marks if name not in names]
            for name in removed:
                del marks[name]
            for page in wire.pages("update", [self._snapshot_for(client, t) for t in changed],
                                   {}, last={"removed": removed, "session": session}):
                if not client.send(page):
                    break

    def _on_event(self, kind: str, tracker: Tracker, fields: dict[str, Any]) -> None:
        if kind in RAW_KINDS:  # the events of every iteration: one template each, no dict
            data = event_message(kind, tracker.name, fields)
            if data is not None:  # (after any failure's event still being built)
                self._in_order(self._send_all, data,
                               kind != "state" or fields["state"] in ROUTINE_STATES)
                return
        if kind == "log" and not self._limiter.allow(tracker):
            return
        self._in_order(self._build_and_send, kind, tracker, fields,
                       heavy=is_heavy(kind, fields))

    def _build_and_send(self, kind: str, tracker: Tracker, fields: dict[str, Any]) -> None:
        event = events.loop_event(kind, tracker, fields)
        self._broadcast(event, only_every=is_routine(kind, fields))

    def _log_dropped(self, tracker: Tracker | None, count: int) -> None:
        name = tracker.name if tracker is not None else None
        self._broadcast(events.session_event("log_dropped", loop=name, dropped=count))

    def broadcast(self, event: dict[str, Any]) -> None:
        """Send one §5 event to every attached client."""
        self._broadcast(event)

    def _broadcast(self, event: dict[str, Any], *, only_every: bool = False) -> None:
        """Send *event* to every client (*only_every*: to those that want every event)."""
        self._send_all(wire.encode({"type": "event", "data": event}), only_every=only_every)

    def _send_all(self, data: bytes, only_every: bool = False) -> None:
        """Queue the encoded message *data* for every client (*only_every*: for those
        that want every event)."""
        for client in list(self.clients):
            if client.every_event or not only_every:
                client.send(data)

    def info(self) -> dict[str, Any]:
        """Counters for tests and the benchmark."""
        return {"clients": len(self.clients), "connections": self.connections,
                "refused": self.refused, "drops": list(self.drops)}
