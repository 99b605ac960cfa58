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
well, each built and encoded once per iteration for all such clients together.

Clients that misbehave are dropped with bounded memory and without the loops noticing:
a line longer than :data:`~looptui.session.remote.wire.MAX_LINE`, a hello that is not one
(or a wrong token), no hello within :data:`HELLO_TIMEOUT`, or a queue that fills up
because the client does not read (:mod:`looptui.agent.client`).
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path
from typing import Any

from looptui.core.registry import Registry, is_routine
from looptui.core.tracker import Tracker
from looptui.session.commands import run_command
from looptui.session.events import build as events
from looptui.session.health.lag import LagProbe
from looptui.session.health.stuck import await_stack
from looptui.session.output.flood import LogLimiter
from looptui.session.remote import wire

from .client import AgentClient, LoopMark
from .debugging import DEBUG_MESSAGES, AgentDebug
from .endpoint import same_token

__all__ = ["AgentServer", "HELLO_TIMEOUT", "UPDATE_INTERVAL", "MAX_CLIENTS", "EVENT_MODES"]

HELLO_TIMEOUT = 5.0
"""Seconds a new connection has to send its hello before it is dropped."""
UPDATE_INTERVAL = 0.25
"""Seconds between updates of the loops that changed."""
MAX_CLIENTS = 64
"""Connections accepted at once; more are refused with a message."""
EVENT_MODES = ("all", "table")
"""What a client's hello may ask for in ``events`` (``all`` when it does not say)."""


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("looptui")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0"


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
        self.refused = 0
        """Connections dropped before or at their hello (bad token, garbage, silence)."""
        self.drops: list[str] = []
        """Why clients were dropped, newest last (bounded)."""
        self._servers: list[asyncio.AbstractServer] = []
        self._ticker: asyncio.Task[None] | None = None
        self._probe = LagProbe()
        self._limiter = LogLimiter(self._log_dropped)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._paths: list[Path] = []
        self._closed = asyncio.Event()
        self._routine: bool | None = None
        """Whether the registry listener takes routine events (None: not listening)."""
        self.debug: AgentDebug | None = None
        """Answers the tasks view's and the console's messages (see :mod:`.debugging`)."""
        self.while_attached: list[Any] = []
        """Parts with ``start()``/``stop()`` that run only while a client is attached."""

    # --------------------------------------------------------------- listening
    def track_file(self, path: Path) -> None:
        """Remove *path* (the Unix socket file) when the agent stops or the program exits."""
        self._paths.append(path)

    async def serve_socket(self, sock: socket.socket, *, unix: bool) -> None:
        """Accept clients on *sock*, already bound (and listening)."""
        if unix:
            server = await asyncio.start_unix_server(self._accept, sock=sock,
                                                     limit=wire.MAX_LINE)
        else:
            if not self.token:
                sock.close()
                raise ValueError("a TCP endpoint needs a token")
            server = await asyncio.start_server(self._accept, sock=sock, limit=wire.MAX_LINE)
        if self._closed.is_set():
            server.close()
            return
        self._servers.append(server)

    async def wait_closed(self) -> None:
        """Wait until :meth:`close_now` is called."""
        await self._closed.wait()

    def close_now(self) -> None:
        """Stop listening, drop every client, remove the socket files."""
        self._closed.set()
        for server in self._servers:
            server.close()
        self._servers.clear()
        for client in list(self.clients):
            client.drop("the agent stopped")
        self.clients.clear()
        self._idle()
        for task in list(self._tasks):
            task.cancel()
        self.remove_files()

    def remove_files(self) -> None:
        """Remove the socket files (also called at interpreter exit)."""
        for path in self._paths:
            try:
                path.unlink()
            except OSError:
                pass
        self._paths.clear()

    # ---------------------------------------------------------------- a client
    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.get_running_loop().create_task(self._serve(reader, writer),
                                                      name="looptui-agent-client")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _hello(self) -> dict[str, Any]:
        return {"type": "hello", "protocol": wire.PROTOCOL, "looptui": _version(),
                "pid": os.getpid(), "program": self.program,
                "python": sys.version.split()[0],
                "auth": "token" if self.token else "none", "events": list(EVENT_MODES)}

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        peer = writer.get_extra_info("peername")
        name = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else "unix"
        client: AgentClient | None = None
        try:
            if len(self.clients) >= MAX_CLIENTS:
                writer.write(wire.encode({"type": "error", "reason": "too many clients"}))
                self.refused += 1
                return
            writer.write(wire.encode(self._hello()))
            reason, every = await self._check_hello(reader)
            if reason is not None:
                self.refused += 1
                writer.write(wire.encode({"type": "error", "reason": reason}))
                await asyncio.wait_for(writer.drain(), 1.0)
                return
            client = AgentClient(writer, name, every_event=every)
            self._attach(client)
            writer_task = asyncio.get_running_loop().create_task(client.write_forever())
            try:
                await self._read_commands(reader, client)
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

    async def _check_hello(self, reader: asyncio.StreamReader) -> tuple[str | None, bool]:
        """Why the client's hello is refused (``None`` when it is right), and whether the
        client wants every event."""
        try:
            line = await asyncio.wait_for(reader.readline(), HELLO_TIMEOUT)
        except asyncio.TimeoutError:
            return f"no hello within {HELLO_TIMEOUT:g}s", False
        except (ValueError, asyncio.LimitOverrunError):
            return "line too long", False
        if not line:
            return "closed before its hello", False
        try:
            message = wire.decode(line)
        except wire.ProtocolError as err:
            return f"not a hello: {err}", False
        if message.get("type") != "hello":
            return "the first message must be a hello", False
        if message.get("protocol") != wire.PROTOCOL:
            return (f"protocol {message.get('protocol')!r} not supported "
                    f"(this agent: {wire.PROTOCOL})"), False
        if self.token is not None and not same_token(message.get("token"), self.token):
            return "wrong or missing token", False
        mode = message.get("events", "all")
        if mode not in EVENT_MODES:
            return f"events {mode!r} not supported (one of: {', '.join(EVENT_MODES)})", False
        return None, mode == "all"

    async def _read_commands(self, reader: asyncio.StreamReader, client: AgentClient) -> None:
        while client.dropped is None:
            try:
                line = await reader.readline()
            except (ValueError, asyncio.LimitOverrunError):
                client.drop("line too long")
                return
            if not line:
                return
            try:
                message = wire.decode(line)
            except wire.ProtocolError:
                client.drop("sent something that is not a message")
                return
            kind = message.get("type")
            if kind == "command":
                client.send(wire.encode(self._command(message)))
            elif kind in DEBUG_MESSAGES and self.debug is not None:  # tasks view, console
                self._spawn(self._debug(message, client))
            elif kind == "events" and message.get("events") in EVENT_MODES:
                client.every_event = message["events"] == "all"
                self._listen()
            elif kind != "ping":
                client.send(wire.encode({"type": "error", "id": message.get("id"),
                                         "reason": f"unknown message type {message['type']!r}"}))

    async def _debug(self, message: dict[str, Any], client: AgentClient) -> None:
        """Answer a ``tasks`` or ``eval`` message (in a task: an evaluation may wait)."""
        assert self.debug is not None
        reply = await self.debug.answer(message, unix=client.peer == "unix")
        if client.dropped is None:
            client.send(wire.encode(reply))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro, name="looptui-agent-request")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _command(self, message: dict[str, Any]) -> dict[str, Any]:
        loop = message.get("loop")
        command = message.get("command")
        loop = loop if isinstance(loop, str) else ""
        reply: dict[str, Any] = {"type": "reply", "id": message.get("id"), "loop": loop}
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
        try:
            if command == "interval" and isinstance(value, list) and len(value) == 2 \
                    and value[0] == "times":
                value = ("times", wire.decode_times(value[1]))
            elif isinstance(value, list):
                value = tuple(value)
        except (ValueError, LookupError) as err:
            reply.update(ok=False, text=f"{loop}: bad interval: {err}", severity="warning",
                         reason=str(err))
            return reply
        answer = run_command(tracker, str(command), value, loop=loop)
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
        loops = [self._snapshot_for(client, t) for t in self.registry.trackers()]
        client.send(wire.encode({"type": "snapshot", "loops": loops,
                                 "session": self._session_fields(),
                                 "events": "all" if client.every_event else "table"}))

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
            changed = []
            for tracker in trackers:
                mark = client.marks.get(tracker.name)
                if mark is None or mark.tracker_id != id(tracker) or mark.version != tracker.version:
                    changed.append(self._snapshot_for(client, tracker))
            removed = [name for name in client.marks if name not in names]
            for name in removed:
                del client.marks[name]
            client.send(wire.encode({"type": "update", "loops": changed, "removed": removed,
                                     "session": session}))

    def _on_event(self, kind: str, tracker: Tracker, fields: dict[str, Any]) -> None:
        if kind == "log" and not self._limiter.allow(tracker):
            return
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
        data = wire.encode({"type": "event", "data": event})
        for client in list(self.clients):
            if client.every_event or not only_every:
                client.send(data)

    def info(self) -> dict[str, Any]:
        """Counters for tests and the benchmark."""
        return {"clients": len(self.clients), "connections": self.connections,
                "refused": self.refused, "drops": list(self.drops)}
