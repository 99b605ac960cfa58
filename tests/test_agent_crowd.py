"""Hundreds of idle connections never take a program's file descriptors.

A real program limited to 200 descriptors serves the agent and metrics; this test opens
300 connections to each that never say hello or never finish their request. The agent
lets at most ``MAX_PENDING`` of them wait for their hello (the others are turned away at
once, the rest closed after the hello timeout), the metrics server at most 16 (each with
a deadline for its whole request): the program's own ``open()`` never fails, and a real
client attaches and a real scrape works afterwards. Loopback only, bounded in count.
"""

from __future__ import annotations

import asyncio
import urllib.request
from pathlib import Path

import pytest

from agent_helpers import GUARD, Program, until
from looptui.agent.server import MAX_PENDING
from looptui.session.remote.address import parse_address
from looptui.session.remote.remote_session import RemoteSession

pytestmark = pytest.mark.asyncio

CROWDED = Path(__file__).parent / "fixtures" / "agent" / "crowded.py"
CROWD = 300


async def _read_to_end(reader: asyncio.StreamReader) -> None:
    try:
        while await reader.read(65536):
            pass
    except OSError:  # reset by the program
        pass


async def _greeted(reader: asyncio.StreamReader) -> bool:
    """Whether the agent's first line was its hello (admitted), not a goodbye."""
    try:
        line = await asyncio.wait_for(reader.readline(), GUARD)
    except OSError:  # reset by the program before a line came
        return False
    return line.startswith(b'{"type":"hello"')


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
            # at most MAX_PENDING were let in to say hello; the others were turned away
            greeted = sum(await asyncio.gather(*(_greeted(r) for r, _ in agent_crowd)))
            assert 0 < greeted <= MAX_PENDING, greeted
            # and every one is closed in the end (the hello timeout, the request deadline)
            await asyncio.wait_for(asyncio.gather(*(_read_to_end(r) for r, _ in
                                                    agent_crowd + metrics_crowd)), GUARD)
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
