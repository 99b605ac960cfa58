"""Accept connections with a hard cap: the ones over it are closed before anything else runs.

``asyncio.start_server`` accepts up to a hundred connections per wake-up and only later
runs the code that could refuse them, so a crowd of idle clients holds that many file
descriptors at once, again and again — enough to make the program's own ``open()`` fail.
An :class:`Acceptor` accepts one connection at a time and asks *admit* at once: a
connection that is not admitted gets a short goodbye (when it fits the socket buffer)
and is closed there and then, so the descriptors in use never exceed what was admitted.
When the process is out of descriptors anyway, accepting pauses for a moment instead of
spinning (the waiting clients stay in the kernel's backlog).
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any, Callable, Coroutine

__all__ = ["Acceptor", "PAUSE"]

PAUSE = 0.1
"""Seconds accepting pauses when the process has no descriptor left."""
_BURST = 64
"""Connections accepted per wake-up at most (the others wait for the next turn)."""


class Acceptor:
    """Serve a listening *sock*: each admitted connection is handed to *handle*.

    Args:
        sock: A bound, listening socket.
        handle: Called with the accepted socket (non-blocking); runs as a task.
        admit: Asked for each connection as it is accepted; ``False`` closes it at once.
        goodbye: Bytes sent to a connection that is not admitted (best effort).
    """

    def __init__(self, sock: socket.socket, handle: Callable[[socket.socket], Coroutine[Any, Any, None]],
                 admit: Callable[[], bool], goodbye: bytes = b"") -> None:
        self.sock = sock
        self.handle = handle
        self.admit = admit
        self.goodbye = goodbye
        self.tasks: set[asyncio.Task[Any]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    def start(self) -> None:
        """Start accepting on the running event loop."""
        self._loop = asyncio.get_running_loop()
        self.sock.setblocking(False)
        self._loop.add_reader(self.sock.fileno(), self._ready)

    def _ready(self) -> None:
        loop = self._loop
        assert loop is not None
        for _ in range(_BURST):
            try:
                conn, _ = self.sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # out of descriptors (or a transient error): wait a moment
                loop.remove_reader(self.sock.fileno())
                loop.call_later(PAUSE, self._resume)
                return
            conn.setblocking(False)
            if not self.admit():
                self._refuse(conn)
                continue
            task: asyncio.Task[None] = loop.create_task(self.handle(conn))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    def _refuse(self, conn: socket.socket) -> None:
        try:
            if self.goodbye:
                conn.send(self.goodbye)
        except OSError:
            pass
        finally:
            conn.close()

    def _resume(self) -> None:
        if not self._closed and self._loop is not None:
            self._loop.add_reader(self.sock.fileno(), self._ready)

    def close(self) -> None:
        """Stop accepting and close the listening socket (connections go on)."""
        if self._closed:
            return
        self._closed = True
        if self._loop is not None and not self._loop.is_closed():
            try:
                self._loop.remove_reader(self.sock.fileno())
            except (ValueError, OSError):
                pass
        self.sock.close()
