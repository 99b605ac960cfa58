"""Hundreds of idle connections never take a program's file descriptors.

A real program limited to 200 descriptors serves the agent and metrics; this test opens
300 connections to each that never say hello or never finish their request. The agent
keeps at most ``MAX_PENDING`` of them waiting (the others are closed at once, the rest
after the hello timeout), the metrics server at most ``MAX_CONNECTIONS`` (each with a
deadline for its whole request): the program's own ``open()`` never fails, and a real
client attaches and a real scrape works afterwards. Loopback only, bounded in count.
"""

from __future__ import annotations

import asyncio
import urllib.request
from pathlib import Path

import pytest

from agent_helpers import GUARD, Program, until
from looptui.agent.metrics import MAX_CONNECTIONS
from looptui.agent.server import MAX_PENDING
from looptui.session.remote.address import parse_address
from looptui.session.remote.remote_session import RemoteSession

pytestmark = pytest.mark.asyncio

CROWDED = Path(__file__).parent / "fixtures" / "agent" / "crowded.py"
CROWD = 300


async def _closed_count(pairs: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]) -> int:
    """How many of the connections the other end closed (read to their end)."""
    async def closed(reader: asyncio.StreamReader) -> bool:
        try:
            while await reader.read(65536):
                pass
        except OSError:  # reset by the program
            pass
        return True

    async def within(reader: asyncio.StreamReader) -> bool:
        try:
            return await asyncio.wait_for(closed(reader), 0.5)
        except asyncio.TimeoutError:
            return False

    return sum(await asyncio.gather(*(within(r) for r, _ in pairs)))


async def test_idle_connections_never_exhaust_the_programs_descriptors(tmp_path: Path) -> None:
    sock = tmp_path / "crowded.sock"
    with Program(sock, script=CROWDED) as program:
        metrics = program.read_line().split()[1]
        host, port = metrics.rsplit(":", 1)
        agent_crowd = [await asyncio.open_unix_connection(str(sock)) for _ in range(CROWD)]
        metrics_crowd = []
        for _ in range(CROWD):
            reader, writer = await asyncio.open_connection(host, int(port))
            writer.write(b"GET /metrics HTTP/1.1\r\nX-Slow: ")  # never finished
            metrics_crowd.append((reader, writer))
        try:
            # the ones over the caps are closed at once, the others are kept (for now)
            closed = await _closed_count(agent_crowd)
            assert closed >= CROWD - MAX_PENDING, closed
            closed = await _closed_count(metrics_crowd)
            assert closed >= CROWD - MAX_CONNECTIONS, closed
            # the waiting ones time out too (the hello timeout, the request deadline)
            assert await _wait_all_closed(agent_crowd + metrics_crowd)
        finally:
            for _, writer in agent_crowd + metrics_crowd:
                writer.close()
        session = RemoteSession([parse_address(str(sock))])
        await session.start()
        try:
            await until(lambda: session.registry.get("opener"), "the loop, attached")
        finally:
            await session.shutdown()
        with urllib.request.urlopen(f"http://{metrics}/metrics", timeout=GUARD) as answer:
            assert b"looptui_loop_iterations_total" in answer.read()
        program.kill()
        assert "open failed" not in program.rest
        assert "Too many open files" not in program.stderr()


async def _wait_all_closed(pairs: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]
                           ) -> bool:
    async def closed(reader: asyncio.StreamReader) -> None:
        try:
            while await reader.read(65536):
                pass
        except OSError:  # reset by the program
            pass

    await asyncio.wait_for(asyncio.gather(*(closed(r) for r, _ in pairs)), GUARD)
    return True
