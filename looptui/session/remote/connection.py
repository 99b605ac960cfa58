"""One attached program: connect, say hello, keep the mirrors current, reconnect when it is back.

A :class:`Connection` owns the mirrors of one program's loops. It reads the agent's
messages (snapshot, updates, events, replies), applies them and hands events on; while
the program is unreachable it retries with a growing pause (up to :data:`BACKOFF_MAX`)
and its mirrors say since when it is gone. An address given as a pid or a program name
follows the program: when its process is gone, a live socket of the same program (by the
name in its hello) that no other connection holds is taken instead — the program
restarted under systemd or docker. Closing it never touches the program.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
import struct
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from looptui.core import clock
from looptui.session.events.build import iso
from looptui.session.interface import Reply

from . import wire
from .address import Address, find_pid_socket, program_sockets
from .framing import MessageReader, MessageTooBig
from .mirror import MirrorTracker

if TYPE_CHECKING:
    from looptui.core.registry import Registry

__all__ = ["Connection", "BACKOFF_MIN", "BACKOFF_MAX", "REPLY_TIMEOUT"]

BACKOFF_MIN = 0.1
"""Seconds before the first reconnection attempt."""
BACKOFF_MAX = 2.0
"""Longest pause between reconnection attempts."""
REPLY_TIMEOUT = 10.0
"""Seconds a command waits for the program's reply."""
CONNECT_TIMEOUT = 5.0
"""Seconds to connect and receive the agent's hello."""


def _check_peer(writer: asyncio.StreamWriter) -> None:
    """Refuse a socket served by a process of another user (Linux: ``SO_PEERCRED``).

    Raises:
        PermissionError: the process at the other end runs as another user.
    """
    sock = writer.get_extra_info("socket")
    option = getattr(socket, "SO_PEERCRED", None)
    if sock is None or option is None:
        return
    try:
        _, uid, _ = struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, option,
                                                        struct.calcsize("3i")))
    except (OSError, struct.error):
        return
    if uid != os.getuid():
        raise PermissionError(f"the socket is served by another user (uid {uid})")


class Refused(Exception):
    """The agent said no (wrong token, another protocol version): retrying will not help."""


async def _greeting_message(messages: MessageReader) -> dict[str, Any]:
    """The agent's next message while connecting (``{"type": "closed"}`` if it hung up);
    an ``error`` message refuses the connection."""
    message = await asyncio.wait_for(messages.read(), CONNECT_TIMEOUT) or {"type": "closed"}
    if message.get("type") == "error":
        if message.get("retry") is True:  # busy now (too many clients): try again later
            raise ConnectionRefusedError(str(message.get("reason")))
        raise Refused(str(message.get("reason")))
    return message


class Connection:
    """The link to one program's agent.

    Args:
        address: Where the agent listens.
        registry: Where the mirrors are listed (shared by every connection of a session).
        on_event: Called with each event dict (``process`` added).
        on_change: Called when the connection's state changes (connected, gone).
        claimed: The sockets other connections of the session hold (a followed program
            takes a socket none of them holds).

    Attributes:
        label: ``program[pid]`` once the agent said hello, else the address as given.
        connected: Whether the agent is reachable now.
        disconnected_since: Epoch seconds it went away (``None`` while connected).
        refused: Why the agent refused this client, if it did (no more retries).
        lag, lag_max: The program's event-loop lag, as its agent measures it.
        hello: The agent's hello message.
        previous_label: The label of the process before the last reconnection, when the
            program came back as a new process (another pid); else ``None``.
        path: The Unix socket in use or being tried (``None`` for TCP, or none yet).
    """

    def __init__(self, address: Address, registry: Registry,
                 on_event: Callable[[dict[str, Any]], None],
                 on_change: Callable[[Connection], None] | None = None,
                 claimed: Callable[[Connection], set[Path]] | None = None) -> None:
        self.address = address
        self.claimed = claimed
        self.registry = registry
        self.on_event = on_event
        self.on_change = on_change
        self.label = address.text
        self.connected = False
        self.disconnected_since: float | None = None
        self.refused: str | None = None
        self.last_error: str | None = None
        self.lag = 0.0
        self.lag_max = 0.0
        self.failed_tasks = 0
        """Tasks of the program that died with an exception nobody retrieved."""
        self.hello: dict[str, Any] = {}
        self.events = "all"
        """What the hello asks for: ``all`` events, or ``table`` (no routine ones)."""
        self.previous_label: str | None = None
        self.path: Path | None = None
        self._pid = address.pid
        self._program = address.program
        self.mirrors: dict[str, MirrorTracker] = {}
        self.attempts = 0
        self.skipped = 0
        """Messages from the agent left out because they were over the size limits."""
        self.first_attempt = asyncio.Event()
        self._writer: asyncio.StreamWriter | None = None
        self._replies: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._ids = itertools.count(1)
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    # ------------------------------------------------------------------ running
    def start(self) -> None:
        """Connect (and keep reconnecting) in a task of its own."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name=f"looptui-attach {self.address.text}")

    async def close(self) -> None:
        """Disconnect for good. The program and its loops are not affected."""
        self._closed = True
        if self._writer is not None:
            self._writer.close()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._fail_replies("the session is closing")

    async def _run(self) -> None:
        pause = BACKOFF_MIN
        while not self._closed:
            self.attempts += 1
            try:
                reader, writer = await asyncio.wait_for(self._open(), CONNECT_TIMEOUT)
                self._writer = writer
                messages = MessageReader(reader)
                try:
                    await self._greet(messages, writer)
                    pause = BACKOFF_MIN
                    await self._read(messages)
                finally:
                    writer.close()
                    self._writer = None
            except Refused as err:
                self.refused = str(err)
                self._set_gone(str(err))
                self.first_attempt.set()
                return
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError,
                    wire.ProtocolError) as err:
                if self.address.follows:
                    self.path = None  # free for another connection; chosen again next time
                self._set_gone(f"{type(err).__name__}: {err}")
            self.first_attempt.set()
            if self._closed:
                return
            await asyncio.sleep(pause)
            pause = min(BACKOFF_MAX, pause * 2)

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        address = self.address
        if address.host is not None:
            return await asyncio.open_connection(address.host, address.port,
                                                 limit=wire.MAX_LINE)
        path = self._choose_socket() if address.follows else address.path
        if path is None:
            raise FileNotFoundError(self._why_no_socket())
        self.path = path
        reader, writer = await asyncio.open_unix_connection(str(path), limit=wire.MAX_LINE)
        if address.follows:  # found by looking around: served by this user, or not used
            try:
                _check_peer(writer)
            except OSError:
                writer.close()
                raise
        return reader, writer

    def _choose_socket(self) -> Path | None:
        """The process's own live socket, else a live one of the same program not held."""
        if self._pid is not None:
            path = find_pid_socket(self._pid)
            if path is not None:
                return path
        if self._program is None:
            return None
        held = self.claimed(self) if self.claimed is not None else set()
        candidates = program_sockets(self._program, exclude=held)
        return candidates[0].path if candidates else None

    def _why_no_socket(self) -> str:
        if self._program is not None:
            return (f"process {self._pid} is gone; no new process of {self._program} "
                    "has an agent socket yet")
        return f"no agent socket for pid {self._pid}"

    async def _greet(self, messages: MessageReader, writer: asyncio.StreamWriter) -> None:
        hello = await _greeting_message(messages)
        if hello.get("type") != "hello":
            raise wire.ProtocolError("the agent did not say hello")
        protocol = hello.get("protocol")
        if not wire.is_int(protocol) or protocol != wire.PROTOCOL:
            raise Refused(f"the agent speaks protocol {str(protocol)[:20]}, "
                          f"this looptui {wire.PROTOCOL}: use the same looptui version")
        writer.write(wire.encode({"type": "hello", "protocol": wire.PROTOCOL,
                                  "token": self.address.token, "events": self.events}))
        await writer.drain()
        first = await _greeting_message(messages)
        if first.get("type") != "snapshot":
            raise wire.ProtocolError("the agent did not send its snapshot")
        loops = list(first.get("loops") or [])
        while first.get("more") is True:  # the snapshot comes in pages
            first = await _greeting_message(messages)
            if first.get("type") != "snapshot":
                raise wire.ProtocolError("the agent's snapshot was cut short")
            loops += first.get("loops") or []
        first["loops"] = loops
        label = f"{hello.get('program')}[{hello.get('pid')}]"
        self.previous_label = self.label if self.hello and label != self.label else None
        self.hello = hello
        self.label = label
        if self.address.follows:
            self._pid = hello.get("pid") if isinstance(hello.get("pid"), int) else self._pid
            self._program = str(hello.get("program") or self._program or "") or None
        self.connected = True
        self.disconnected_since = None
        self.last_error = None
        self._changed()  # "attached" comes before the loops it found
        self._snapshot(first)
        for mirror in self.mirrors.values():
            mirror.set_connected(True)
        self.first_attempt.set()

    async def _read(self, messages: MessageReader) -> None:
        while True:
            try:
                message = await messages.read()
            except MessageTooBig as err:  # left out; the connection goes on
                self.skipped += 1
                self.on_event({"event": "log", "time": iso(clock.now()), "loop": None,
                               "stream": "stderr", "process": self.label,
                               "text": f"looptui attach: {err}"})
                continue
            if message is None:
                raise ConnectionResetError("the program closed the connection")
            kind = message["type"]
            if kind == "event" and isinstance(message.get("data"), dict):
                event = message["data"]
                event["process"] = self.label
                self.on_event(event)
            elif kind == "update":
                self._update(message)
            elif kind in ("reply", "error") and message.get("id") in self._replies:
                future = self._replies.pop(message["id"])
                if not future.done():
                    future.set_result(message)

    def _set_gone(self, why: str) -> None:
        self.last_error = why
        was = self.connected
        self.connected = False
        if self.disconnected_since is None:
            self.disconnected_since = clock.now()
        if was or self.attempts == 1:
            for mirror in self.mirrors.values():
                mirror.set_connected(False, self.disconnected_since)
            self._fail_replies("the program disconnected")
            self._changed()

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self)

    def _fail_replies(self, why: str) -> None:
        for future in self._replies.values():
            if not future.done():
                future.set_result({"type": "reply", "ok": False, "reason": why})
        self._replies.clear()

    # ----------------------------------------------------------------- mirrors
    def _snapshot(self, message: dict[str, Any]) -> None:
        seen = set()
        for snap in message.get("loops") or []:
            new = snap.get("name") not in self.mirrors
            seen.add(self._apply(snap))
            if new:  # say which loops were there already, as loop_added would have
                self.on_event({"event": "loop_added", "time": iso(clock.now()),
                               "loop": snap.get("name"), "schedule": snap.get("schedule"),
                               "source": snap.get("source"), "process": self.label})
        for name in [n for n in self.mirrors if n not in seen]:
            self.registry.unregister(self.mirrors.pop(name))
        self._session(message.get("session"))

    def _update(self, message: dict[str, Any]) -> None:
        for snap in message.get("loops") or []:
            self._apply(snap)
        for name in message.get("removed") or []:
            mirror = self.mirrors.pop(name, None)
            if mirror is not None:
                self.registry.unregister(mirror)
        self._session(message.get("session"))

    def _apply(self, snap: dict[str, Any]) -> str:
        name = str(snap.get("name") or "?")
        mirror = self.mirrors.get(name)
        if mirror is None:
            mirror = MirrorTracker(snap, self.label)
            self.mirrors[name] = mirror
            self.registry.register(mirror)
        else:
            mirror.process = self.label
            mirror.apply(snap)
        return name

    def _session(self, values: Any) -> None:
        if isinstance(values, dict):
            self.lag = float(values.get("lag") or 0.0)
            self.lag_max = float(values.get("lag_max") or 0.0)
            self.failed_tasks = int(values.get("failed_tasks") or 0)

    # ---------------------------------------------------------------- commands
    async def request(self, loop: str, command: str, value: Any = None) -> dict[str, Any]:
        """Send a command for the loop the program calls *loop*; its reply message."""
        return await self.ask({"type": "command", "loop": loop, "command": command,
                               "value": value})

    async def ask(self, message: dict[str, Any], timeout: float | None = REPLY_TIMEOUT
                  ) -> dict[str, Any]:
        """Send a request (a ``command``; the tasks view's and the console's ``tasks``,
        ``eval``) and wait for its reply (*timeout* None: as long as it takes, or until
        the program goes)."""
        writer = self._writer
        if writer is None or not self.connected:
            return {"ok": False, "reason": "the program is not connected"}
        ident = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._replies[ident] = future
        writer.write(wire.encode({**message, "id": ident}))
        try:
            await writer.drain()
            return await asyncio.wait_for(future, timeout)
        except (OSError, asyncio.TimeoutError) as err:
            return {"ok": False, "reason": f"no reply from the program ({type(err).__name__})"}
        finally:
            self._replies.pop(ident, None)

    def set_events(self, events: str) -> None:
        """Ask for ``all`` events or only the ``table`` ones, now and on every reconnection."""
        if events == self.events:
            return
        self.events = events
        writer = self._writer
        if writer is not None and self.connected:
            writer.write(wire.encode({"type": "events", "events": events}))

    async def command(self, mirror: MirrorTracker, command: str, value: Any = None) -> Reply:
        """Carry out *command* on *mirror*'s loop in the program; the program's answer."""
        if command == "interval" and isinstance(value, (tuple, list)) and len(value) == 2:
            kind, new = value
            value = ["times", wire.encode_times(new)] if kind == "times" else [kind, new]
        reply = await self.request(mirror.remote_name, command, value)
        ok = bool(reply.get("ok"))
        reason = str(reply.get("reason") or "")
        text = str(reply.get("text") or f"{mirror.name}: {reason or 'done'}")
        severity: Any = reply.get("severity")  # one of Reply's three, checked here
        if severity not in ("information", "warning", "error"):
            severity = "information" if ok else "warning"
        if isinstance(reply.get("snapshot"), dict):
            mirror.apply(reply["snapshot"])
        return Reply(ok, text, severity, reason)
