"""While attached (only then), a program's prints and logging reach the client as ``log``
events of the loop that wrote them, its own stdout still gets them, and a body that blocks
the event loop is reported as ``blocked`` naming the loop (a real program, a real attach)."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from looptui.session.remote.address import parse_address
from looptui.session.remote.remote_session import RemoteSession

from agent_helpers import GUARD, PROGRAM, Program, until, wait_until

CHATTY = PROGRAM.parent / "chatty_program.py"


def read_events_until(proc: subprocess.Popen, done) -> list[dict]:
    """JSON lines of *proc* until ``done(events)`` holds (fails after the guard)."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    events: list[dict] = []
    buffer = b""
    import time
    deadline = time.monotonic() + GUARD
    while not done(events):
        left = deadline - time.monotonic()
        assert left > 0, f"timed out; got {[e['event'] for e in events][-20:]}"
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        chunk = os.read(fd, 65536)
        assert chunk, f"attach ended: {proc.stderr.read() if proc.stderr else ''}"
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        events += [json.loads(line) for line in lines if line.strip()]
    return events


def test_prints_logging_and_blocking_reach_a_headless_attach(tmp_path: Path) -> None:
    sock = tmp_path / "chatty.sock"
    with Program(sock, script=CHATTY) as program:
        # nobody attached yet: the program's stdout is its own
        assert wait_until(lambda: "proxied=False" in program.read_line(), "a plain print")
        attach = subprocess.Popen(
            [sys.executable, "-m", "looptui", "attach", str(sock), "--headless", "--json"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            def seen(events: list[dict]) -> bool:
                kinds = {(e["event"], e.get("loop"), e.get("stream")) for e in events}
                return {("log", "chatter", "stdout"), ("log", "chatter", "logging"),
                        ("blocked", "sleeper", None)} <= kinds
            events = read_events_until(attach, seen)
        finally:
            attach.send_signal(signal.SIGINT)
            attach.wait(GUARD)
            attach.stdout.close()
            attach.stderr.close()
        label = f"chatty_program[{program.pid}]"
        printed = [e for e in events if e["event"] == "log" and e["stream"] == "stdout"]
        assert printed[0]["loop"] == "chatter" and printed[0]["process"] == label
        assert "proxied=True" in printed[0]["text"]
        logged = next(e for e in events if e["event"] == "log" and e["stream"] == "logging")
        assert logged["text"].startswith("INFO chatter chatter logs ")
        blocked = next(e for e in events if e["event"] == "blocked")
        assert blocked["loop"] == "sleeper" and blocked["duration"] >= 0.1
        assert "sleeper" in blocked["stack"] and "time.sleep" in blocked["stack"]
        # the program's own stdout got the prints made while attached (a tee), and once
        # the client left, print writes to its own stdout again
        assert wait_until(lambda: "proxied=True" in program.read_line(), "a teed print")
        assert wait_until(lambda: "proxied=False" in program.read_line(), "capture undone")
        assert program.proc.poll() is None


@pytest.mark.asyncio
async def test_blocked_and_output_show_on_the_attached_rows(tmp_path: Path) -> None:
    sock = tmp_path / "chatty.sock"
    with Program(sock, script=CHATTY):
        session = RemoteSession([parse_address(str(sock))])
        await session.start()
        try:
            sleeper = await until(lambda: session.registry.get("sleeper"), "sleeper")
            chatter = session.registry.get("chatter")
            await until(lambda: sleeper.notes.get("blocked"), "sleeper noted as blocked")
            assert "time.sleep" in sleeper.notes["blocked"]["stack"]
            await until(lambda: session.blocked_count > 0 and session.last_block, "the count")
            assert session.last_block["loop"] == "sleeper"
            await until(lambda: any("chatter says" in text for _, _, text in
                                    chatter.output), "chatter's output on its row")
        finally:
            await session.shutdown()
