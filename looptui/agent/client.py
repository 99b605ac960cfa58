"""One attached client as the agent sees it: a bounded outgoing queue and what it was sent.

Messages are queued without ever waiting (the registry calls in from loops' code) and
written by the client's own writer task, gathered for up to :data:`FLUSH_DELAY` (or
:data:`FLUSH_BYTES`) so a client following every event of a busy loop costs one write
per batch, not one system call per event. A client that does not keep up — its queue
passes :data:`QUEUE_BYTES` — is cut off: the program never waits for a reader. Messages
over :data:`BIG_MESSAGE` (an exception with a megabyte message) have a budget of their
own, :data:`BIG_BUDGET`, so one such message never cuts off a client that reads.

The snapshot goes first, page by page (:func:`~looptui.session.remote.wire.pages`): each
page is built only once the one before was written to the client, so the snapshot of
thousands of loops neither stalls the program nor sits in memory; messages queued
meanwhile follow it.
"""

from __future__ import annotations

import asyncio
import collections
from dataclasses import dataclass, field
from typing import Any, Iterator

__all__ = ["AgentClient", "QUEUE_BYTES", "BIG_MESSAGE", "FLUSH_DELAY", "FLUSH_BYTES", "LoopMark"]

QUEUE_BYTES = 4 * 1024 * 1024
"""Bytes a client may have waiting to be written before it is dropped as too slow."""
BIG_MESSAGE = 1024 * 1024
"""A message longer than this counts against :data:`BIG_BUDGET`, not :data:`QUEUE_BYTES`."""
BIG_BUDGET = 16 * 1024 * 1024
"""Bytes of big messages a client may have waiting (one message is never more)."""
FLUSH_DELAY = 0.01
"""Seconds queued messages may wait to be written together with the ones that follow."""
FLUSH_BYTES = 64 * 1024
"""Bytes queued that are written at once, without waiting for :data:`FLUSH_DELAY`."""


@dataclass
class LoopMark:
    """What a client has of one loop: its version, records since, output, exception."""

    tracker_id: int
    version: int
    since: float | None
    output_total: int
    exception_id: int


@dataclass
class AgentClient:
    """A connection after its hello.

    Attributes:
        writer: The stream to the client.
        peer: How the client is named in messages (``unix`` or ``host:port``).
        every_event: Whether it asked for every event (``events: all`` in its hello),
            or only for those that are not routine (``table``).
        marks: Per loop name, what the client already has (see :class:`LoopMark`).
        dropped: Why the client was cut off, once it was.
        snapshot: The pages of its snapshot not written yet (``None`` once all were).
    """

    writer: asyncio.StreamWriter
    peer: str
    every_event: bool = True
    marks: dict[str, LoopMark] = field(default_factory=dict)
    queued_bytes: int = 0
    dropped: str | None = None
    snapshot: Iterator[bytes] | None = None
    _big_bytes: int = 0
    _queue: collections.deque[bytes] = field(default_factory=collections.deque)
    _wake: asyncio.Event = field(default_factory=asyncio.Event)

    def send(self, data: bytes) -> bool:
        """Queue one encoded message; False (and the client is dropped) when over budget."""
        if self.dropped is not None:
            return False
        size = len(data)
        if size > BIG_MESSAGE:
            over = self._big_bytes + size > BIG_BUDGET
        else:
            over = self.queued_bytes - self._big_bytes + size > QUEUE_BYTES
        if over:
            self.drop("too slow: its queue is full")
            return False
        if size > BIG_MESSAGE:
            self._big_bytes += size
        self._queue.append(data)
        self.queued_bytes += size
        self._wake.set()
        return True

    def drop(self, reason: str) -> None:
        """Cut the client off now (its writer task ends, the connection is aborted)."""
        if self.dropped is not None:
            return
        self.dropped = reason
        self._queue.clear()
        self.queued_bytes = self._big_bytes = 0
        self.snapshot = None
        self.marks.clear()
        self._wake.set()
        transport = self.writer.transport
        if transport is not None and not transport.is_closing():
            transport.abort()

    async def write_forever(self) -> None:
        """Write queued messages as the client reads them, until dropped or gone."""
        writer = self.writer
        try:
            pages = self.snapshot
            if pages is not None:
                for page in pages:
                    if self.dropped is not None:
                        return
                    writer.write(page)
                    await writer.drain()
                self.snapshot = None
            while self.dropped is None:
                await self._wake.wait()
                if self.queued_bytes < FLUSH_BYTES:
                    await asyncio.sleep(FLUSH_DELAY)  # let what follows join this write
                self._wake.clear()
                while self._queue and self.dropped is None:
                    chunk = b"".join(self._queue)
                    self._queue.clear()
                    self.queued_bytes = self._big_bytes = 0
                    writer.write(chunk)
                    await writer.drain()
        except (ConnectionError, OSError) as err:
            self.drop(f"connection lost: {err.__class__.__name__}")

    def info(self) -> dict[str, Any]:
        return {"peer": self.peer, "queued_bytes": self.queued_bytes, "dropped": self.dropped}
