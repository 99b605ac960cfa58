"""Prometheus metrics of the loops, served over HTTP without stalling them.

A scrape reads the trackers on the program's event loop — a few plain numbers per loop,
copied :data:`GATHER_SLICE` loops at a time with the event loop free in between — and
the text page is made from that copy in a thread of its own (building the metric
families and the text format is the expensive part: seconds for ten thousand loops), so
the loops keep their schedule while a page is made. Scrapes that arrive while a page is
being made share it. Every series has the labels ``loop`` and ``source``; a loop that
goes away takes its series with it, so label cardinality follows the loops that exist.
The two histograms count every iteration (``_count`` equals
``looptui_loop_iterations_total``): while a collector exists, each tracker adds its
iterations' duration and lateness to its :class:`~looptui.core.histogram.LoopHistograms`
as they end — two bisections per iteration, nothing while metrics are off. A loop that
ran before metrics were turned on starts from what its history ring holds (its last 200
iterations).

The HTTP server is bounded like the agent's socket: at most :data:`MAX_CONNECTIONS`
connections at once (more are closed at once) and :data:`REQUEST_TIMEOUT` seconds for a
whole request, however slowly it trickles in — clients never hold the program's file
descriptors.

Needs the official ``prometheus_client`` (``pip install 'looptui[metrics]'``); the core
never imports it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import socket
import sys
from typing import TYPE_CHECKING, Any, Iterator, NamedTuple

try:
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.core import (
        CounterMetricFamily,
        GaugeMetricFamily,
        HistogramMetricFamily,
    )
    from prometheus_client.exposition import CONTENT_TYPE_LATEST
except ImportError:  # pragma: no cover - exercised by the message test in a subprocess
    raise ImportError(
        "Prometheus metrics need the prometheus_client package: "
        "pip install 'looptui[metrics]'"
    ) from None

from looptui.core.histogram import (
    DURATION_BUCKETS,
    LATENESS_BUCKETS,
    LoopHistograms,
    cumulative,
)
from looptui.core.states import LoopState

from .accept import Acceptor

if TYPE_CHECKING:
    from looptui.core.tracker import Tracker
    from looptui.session.interface import LoopDirectory

__all__ = ["LoopCollector", "MetricsServer", "LoopRow", "DURATION_BUCKETS",
           "LATENESS_BUCKETS", "REQUEST_TIMEOUT", "MAX_CONNECTIONS", "GATHER_SLICE"]

REQUEST_TIMEOUT = 5.0
"""Seconds a scraper has to send its whole request (and to take the answer)."""
MAX_CONNECTIONS = 16
"""Scrapers connected at once; more are closed at once."""
MAX_HEADERS = 100
"""Header lines read of one request (more: the request is refused)."""
GATHER_SLICE = 500
"""Loops read per turn of the event loop while a page is made (about 2 ms)."""
SWITCH_INTERVAL = 0.0005
"""Seconds between thread switches while a page is made (Python's default: 0.005)."""
WRITE_SLICE = 256 * 1024
"""Bytes of a page handed to the socket at a time."""
_LABELS = ["loop", "source"]
_STATES = [state.value for state in LoopState]


class LoopRow(NamedTuple):
    """What a page shows of one loop, copied from its tracker on the event loop."""

    name: str
    source: str
    iterations: int
    failures: int
    retries: int
    duration_counts: list[int]
    duration_sum: float
    lateness_counts: list[int]
    lateness_sum: float
    observed: int
    state: str
    next_run: float | None
    blocked: float
    dropped: int


def loop_row(tracker: Tracker) -> LoopRow:
    """One loop's figures now (cheap: plain numbers and two short lists copied)."""
    counts = tracker.histograms
    if counts is None:  # listed but not counted (the registry's switch was flipped)
        counts = tracker.histograms = LoopHistograms.from_history(tracker.history)
    note = tracker.notes.get("blocked")
    total = note.get("total") if isinstance(note, dict) else None
    return LoopRow(
        tracker.name, tracker.source, tracker.total_iterations, tracker.failures,
        tracker.retries, list(counts.duration_counts), counts.duration_sum,
        list(counts.lateness_counts), counts.lateness_sum, counts.count,
        tracker.state.value, tracker.next_run if tracker.is_active else None,
        float(total) if isinstance(total, (int, float)) else 0.0, tracker.dropped)


def families(rows: list[LoopRow]) -> Iterator[Any]:
    """The metric families of *rows* (pure: runs in the page thread)."""
    iterations = CounterMetricFamily(
        "looptui_loop_iterations", "Iterations run (completed, failed or retried).",
        labels=_LABELS)
    failures = CounterMetricFamily(
        "looptui_loop_failures", "Iterations and hooks that raised (not retried).",
        labels=_LABELS)
    retries = CounterMetricFamily(
        "looptui_loop_retries", "Iterations that raised and were retried (reconnect).",
        labels=_LABELS)
    duration = HistogramMetricFamily(
        "looptui_loop_duration_seconds", "Time an iteration's body took.", labels=_LABELS)
    lateness = HistogramMetricFamily(
        "looptui_loop_lateness_seconds", "How late an iteration started against its "
        "schedule.", labels=_LABELS)
    state = GaugeMetricFamily(
        "looptui_loop_state", "1 for the loop's current state.", labels=[*_LABELS, "state"])
    next_run = GaugeMetricFamily(
        "looptui_loop_next_run_timestamp_seconds", "When the next iteration is due "
        "(Unix time).", labels=_LABELS)
    blocked = CounterMetricFamily(
        "looptui_event_loop_blocked_seconds", "Time the loop's code blocked the event loop.",
        labels=_LABELS)
    dropped = CounterMetricFamily(
        "looptui_output_dropped", "Output lines of the loop dropped from its bounded buffer.",
        labels=_LABELS)
    for row in rows:
        labels = [row.name, row.source]
        iterations.add_metric(labels, row.iterations)
        failures.add_metric(labels, row.failures)
        retries.add_metric(labels, row.retries)
        duration.add_metric(labels, cumulative(DURATION_BUCKETS, row.duration_counts,
                                               row.observed), row.duration_sum)
        lateness.add_metric(labels, cumulative(LATENESS_BUCKETS, row.lateness_counts,
                                               row.observed), row.lateness_sum)
        for each in _STATES:
            state.add_metric([*labels, each], 1.0 if each == row.state else 0.0)
        if row.next_run is not None:
            next_run.add_metric(labels, row.next_run)
        blocked.add_metric(labels, row.blocked)
        dropped.add_metric(labels, row.dropped)
    yield from (iterations, failures, retries, duration, lateness, state, next_run,
                blocked, dropped)


class _Rows:
    """A collector of rows already copied (what the page thread renders)."""

    def __init__(self, rows: list[LoopRow]) -> None:
        self.rows = rows

    def collect(self) -> Iterator[Any]:
        return families(self.rows)


def render(rows: list[LoopRow]) -> bytes:
    """The Prometheus text page of *rows*.

    The garbage collector is held off meanwhile (when it was on): the page makes
    millions of small objects, freed as soon as they are written, and a full collection
    they would set off in this thread holds every other thread — the event loop — for
    as long as it takes to scan the program's whole heap. And the interpreter switches
    threads every :data:`SWITCH_INTERVAL` instead of every 5 ms meanwhile, so the event
    loop, which gives the lock away at each wait, gets it back sooner.
    """
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Rows(rows))
    collecting = gc.isenabled()
    gc.disable()
    switch = sys.getswitchinterval()
    sys.setswitchinterval(min(switch, SWITCH_INTERVAL))
    try:
        return generate_latest(registry)
    finally:
        sys.setswitchinterval(switch)
        if collecting:
            gc.enable()


class LoopCollector:
    """A ``prometheus_client`` collector of every loop in *registry*, read at scrape time.

    Creating it turns on the trackers' histograms (:meth:`close` turns them off).
    """

    def __init__(self, registry: LoopDirectory) -> None:
        self.registry = registry
        registry.collect_histograms()

    def close(self) -> None:
        """Stop counting iterations in histograms."""
        self.registry.collect_histograms(False)

    def describe(self) -> list[Any]:
        return []  # collected fresh on every scrape

    def rows(self) -> list[LoopRow]:
        """Every loop's figures now, in one go."""
        return [loop_row(tracker) for tracker in self.registry.trackers()]

    async def rows_gently(self) -> list[LoopRow]:
        """Every loop's figures, :data:`GATHER_SLICE` loops per turn of the event loop."""
        trackers = self.registry.trackers()
        rows: list[LoopRow] = []
        for start in range(0, len(trackers), GATHER_SLICE):
            if start:
                await asyncio.sleep(0)
            rows += [loop_row(t) for t in trackers[start:start + GATHER_SLICE]]
        return rows

    def collect(self) -> Iterator[Any]:
        return families(self.rows())


class MetricsServer:
    """``GET /metrics`` in Prometheus text format for the loops of *registry*.

    Args:
        registry: The loops.
        host, port: Where to listen (port 0: any free port; see :attr:`address`).
        sock: A socket already bound there (``looptui --metrics`` binds it before the
            program runs), instead of binding one.
    """

    def __init__(self, registry: LoopDirectory, host: str, port: int,
                 sock: socket.socket | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.collector = LoopCollector(registry)
        self.registry.register(self.collector)
        self.host = host
        self.port = sock.getsockname()[1] if sock is not None else port
        self.scrapes = 0
        self.connections = 0
        self.refused = 0
        self._sock = sock
        self._acceptor: Acceptor | None = None
        self._building: asyncio.Future[bytes] | None = None
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None

    @property
    def address(self) -> str:
        """``host:port`` actually bound."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def bind(self) -> None:
        """Bind the port now, so a busy port is an error at start.

        Raises:
            OSError: the port cannot be bound.
        """
        if self._sock is None:
            self._sock = bind_port(self.host, self.port)
            self.port = self._sock.getsockname()[1]

    async def serve(self) -> None:
        """Answer scrapes until :meth:`close`."""
        self.bind()
        assert self._sock is not None
        self._acceptor = Acceptor(self._sock, self._open, self._admit)
        self._acceptor.start()

    def _admit(self) -> bool:
        if self.connections >= MAX_CONNECTIONS:
            self.refused += 1
            return False
        self.connections += 1
        return True

    async def _open(self, conn: socket.socket) -> None:
        try:
            reader, writer = await asyncio.open_connection(sock=conn, limit=16384)
        except OSError:
            self.connections -= 1
            conn.close()
            return
        await self._handle(reader, writer)

    def close(self) -> None:
        self.collector.close()
        if self._acceptor is not None:
            self._acceptor.close()
        elif self._sock is not None:
            self._sock.close()
        if self._pool is not None:
            self._pool.shutdown(wait=False)

    def page(self) -> bytes:
        """The metrics text, made here and now (tests; a scrape uses :meth:`page_soon`)."""
        return generate_latest(self.registry)

    async def page_soon(self) -> bytes:
        """The metrics text, made without stalling the event loop (see the module's
        docstring); scrapes meanwhile get the same page."""
        if self._building is None:
            self._building = asyncio.ensure_future(self._build())
        building = self._building
        try:
            return await asyncio.shield(building)
        finally:
            if building.done() and self._building is building:
                self._building = None

    async def _build(self) -> bytes:
        rows = await self.collector.rows_gently()
        if self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(
                1, thread_name_prefix="looptui-metrics")
        return await asyncio.get_running_loop().run_in_executor(self._pool, render, rows)

    async def _request(self, reader: asyncio.StreamReader) -> bytes:
        request = await reader.readline()
        for _ in range(MAX_HEADERS):  # up to the blank line (each bounded by the limit)
            line = await reader.readline()
            if line in (b"\r\n", b"\n", b""):
                return request
        raise ValueError("too many header lines")

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One admitted scraper (counted in :attr:`connections` until it is closed)."""
        try:
            request = await asyncio.wait_for(self._request(reader), REQUEST_TIMEOUT)
            parts = request.decode("latin-1").split()
            path = parts[1].split("?", 1)[0] if len(parts) >= 2 else ""
            if len(parts) < 2 or parts[0] not in ("GET", "HEAD"):
                status, body, kind = "405 Method Not Allowed", b"GET /metrics\n", "text/plain"
            elif path in ("/metrics", "/"):
                self.scrapes += 1
                status, body, kind = "200 OK", await self.page_soon(), CONTENT_TYPE_LATEST
            else:
                status, body, kind = "404 Not Found", b"see /metrics\n", "text/plain"
            head = (f"HTTP/1.1 {status}\r\nContent-Type: {kind}\r\n"
                    f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
            writer.write(head)
            if parts[:1] != ["HEAD"]:  # in slices: no copy of a 40 MB page on the loop
                view = memoryview(body)
                for at in range(0, len(view), WRITE_SLICE):
                    writer.write(view[at:at + WRITE_SLICE])
                    await asyncio.wait_for(writer.drain(), REQUEST_TIMEOUT)
            await asyncio.wait_for(writer.drain(), REQUEST_TIMEOUT)
        except (asyncio.TimeoutError, ConnectionError, OSError, ValueError,
                asyncio.LimitOverrunError):
            pass
        finally:
            self.connections -= 1
            writer.close()
            try:
                await asyncio.wait_for(writer.wait_closed(), REQUEST_TIMEOUT)
            except (asyncio.TimeoutError, ConnectionError, OSError):
                writer.transport.abort()


def bind_port(host: str, port: int) -> socket.socket:
    """A listening TCP socket on *host*:*port*.

    Raises:
        OSError: the port is taken, or *host* is not an address of this machine.
    """
    return socket.create_server((host, port), reuse_port=False)
