"""Prometheus metrics of the loops (README "Metrics"), served over HTTP on the program's event loop.

A custom collector reads the trackers when Prometheus scrapes. Every series has the
labels ``loop`` and ``source``; a loop that goes away takes its series with it, so label
cardinality follows the loops that exist. The two histograms count every iteration
(``_count`` equals ``looptui_loop_iterations_total``): while a collector exists, each
tracker adds its iterations' duration and lateness to its
:class:`~looptui.core.histogram.LoopHistograms` as they end — two bisections per
iteration, nothing while metrics are off. A loop that ran before metrics were turned on
starts from what its history ring holds (its last 200 iterations).

Needs the official ``prometheus_client`` (``pip install 'looptui[metrics]'``); the core
never imports it.
"""

from __future__ import annotations

import asyncio
import socket
from typing import TYPE_CHECKING, Any, Iterator

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

from looptui.core.histogram import DURATION_BUCKETS, LATENESS_BUCKETS, LoopHistograms
from looptui.core.states import LoopState

if TYPE_CHECKING:
    from looptui.session.interface import LoopDirectory

__all__ = ["LoopCollector", "MetricsServer", "DURATION_BUCKETS", "LATENESS_BUCKETS"]

REQUEST_TIMEOUT = 5.0
"""Seconds a scraper has to send its request."""
_LABELS = ["loop", "source"]


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

    def collect(self) -> Iterator[Any]:
        trackers = self.registry.trackers()
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
        for tracker in trackers:
            labels = [tracker.name, tracker.source]
            iterations.add_metric(labels, tracker.total_iterations)
            failures.add_metric(labels, tracker.failures)
            retries.add_metric(labels, tracker.retries)
            counts = tracker.histograms
            if counts is None:  # listed but not counted (the registry's switch was flipped)
                counts = tracker.histograms = LoopHistograms.from_history(tracker.history)
            duration.add_metric(labels, counts.duration_buckets(), counts.duration_sum)
            lateness.add_metric(labels, counts.lateness_buckets(), counts.lateness_sum)
            current = tracker.state
            for each in LoopState:
                state.add_metric([*labels, each.value], 1.0 if each is current else 0.0)
            if tracker.next_run is not None and tracker.is_active:
                next_run.add_metric(labels, tracker.next_run)
            note = tracker.notes.get("blocked")
            total = note.get("total") if isinstance(note, dict) else None
            blocked.add_metric(labels, float(total) if isinstance(total, (int, float)) else 0.0)
            dropped.add_metric(labels, tracker.dropped)
        yield from (iterations, failures, retries, duration, lateness, state, next_run,
                    blocked, dropped)


class MetricsServer:
    """``GET /metrics`` in Prometheus text format, served on the running event loop.

    Args:
        registry: The loops.
        host, port: Where to listen (port 0: any free port; see :attr:`address`).
    """

    def __init__(self, registry: LoopDirectory, host: str, port: int) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.collector = LoopCollector(registry)
        self.registry.register(self.collector)
        self.host = host
        self.port = port
        self.scrapes = 0
        self._sock: socket.socket | None = None
        self._server: asyncio.AbstractServer | None = None

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
        sock = socket.create_server((self.host, self.port), reuse_port=False)
        self.port = sock.getsockname()[1]
        self._sock = sock

    async def serve(self) -> None:
        """Answer scrapes until :meth:`close`."""
        if self._sock is None:
            self.bind()
        self._server = await asyncio.start_server(self._handle, sock=self._sock, limit=16384)

    def close(self) -> None:
        self.collector.close()
        if self._server is not None:
            self._server.close()
        elif self._sock is not None:
            self._sock.close()

    def page(self) -> bytes:
        """The metrics text (what a scrape gets)."""
        return generate_latest(self.registry)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readline(), REQUEST_TIMEOUT)
            while True:  # headers, up to the blank line (each bounded by the reader's limit)
                line = await asyncio.wait_for(reader.readline(), REQUEST_TIMEOUT)
                if line in (b"\r\n", b"\n", b""):
                    break
            parts = request.decode("latin-1").split()
            path = parts[1].split("?", 1)[0] if len(parts) >= 2 else ""
            if len(parts) < 2 or parts[0] not in ("GET", "HEAD"):
                status, body, kind = "405 Method Not Allowed", b"GET /metrics\n", "text/plain"
            elif path in ("/metrics", "/"):
                self.scrapes += 1
                status, body, kind = "200 OK", self.page(), CONTENT_TYPE_LATEST
            else:
                status, body, kind = "404 Not Found", b"see /metrics\n", "text/plain"
            head = (f"HTTP/1.1 {status}\r\nContent-Type: {kind}\r\n"
                    f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
            writer.write(head + (body if parts[:1] != ["HEAD"] else b""))
            await asyncio.wait_for(writer.drain(), REQUEST_TIMEOUT)
        except (asyncio.TimeoutError, ConnectionError, OSError, ValueError,
                asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()
            try:
                await asyncio.wait_for(writer.wait_closed(), REQUEST_TIMEOUT)
            except (asyncio.TimeoutError, ConnectionError, OSError):
                writer.transport.abort()
