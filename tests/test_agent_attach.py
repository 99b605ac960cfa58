"""Attach to a real program started with ``python``: snapshot, events, every command,
reconnection after a restart, two programs merged, headless and the TUI over the socket."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from looptui.session.program.loader import TargetUsageError
from looptui.session.remote.address import parse_address
from looptui.session.remote.remote_session import RemoteSession

from agent_helpers import GUARD, Program, until

pytestmark = pytest.mark.asyncio


@pytest.fixture()
def sock(tmp_path: Path) -> Path:
    return tmp_path / "agent.sock"


@pytest.fixture()
def program(sock: Path):
    with Program(sock) as running:
        yield running


async def attached(*paths: Path) -> RemoteSession:
    session = RemoteSession([parse_address(str(p)) for p in paths])
    await session.start()
    return session


async def test_socket_is_private_and_named_in_the_address(program: Program, sock: Path) -> None:
    assert program.address == f"unix:{sock}"
    mode = stat.S_IMODE(os.stat(sock).st_mode)
    assert mode == 0o600


async def test_snapshot_has_every_loop_with_what_the_table_shows(program: Program,
                                                                 sock: Path) -> None:
    session = await attached(sock)
    try:
        await until(lambda: {t.name for t in session.registry.trackers()}
                    >= {"tick", "hourly", "boom", "early"}, "the loops")
        assert session.registry.get("spin").state == "idle"  # created, never started: listed idle
        boom = await until(lambda: (t := session.registry.get("boom")) and
                           t.state == "failed" and t.last_exception and t, "boom's failure")
        assert boom.last_exception.type_name == "ValueError"
        assert "boom in the program" in boom.last_exception.traceback
        assert session.registry.get("early").source == "discord.py"
        tick = session.registry.get("tick")
        await until(lambda: tick.total_iterations >= 3 and tick.history, "tick iterations")
        assert tick.schedule == "0.05s"
        assert session.module_name == f"program[{program.pid}]"
        assert tick.process == f"program[{program.pid}]"
    finally:
        assert await session.shutdown() == []
    assert program.proc.poll() is None  # detaching never affects the program


async def test_every_command_gets_the_programs_answer(program: Program, sock: Path) -> None:
    session = await attached(sock)
    try:
        tick = await until(lambda: session.registry.get("tick"), "tick")
        reply = await session.command("tick", "pause")
        assert reply.ok and reply.text == "tick: paused"
        await until(lambda: tick.state == "paused", "paused")
        reply = await session.command("tick", "resume")
        assert reply.ok
        await until(lambda: tick.state in ("sleeping", "running"), "resumed")
        reply = await session.command("tick", "interval", ("seconds", 0.2))
        assert reply.ok and "0.2s" in reply.text
        await until(lambda: tick.schedule == "0.2s", "new schedule")
        import datetime
        at = datetime.time(9, 30, tzinfo=datetime.timezone.utc)
        reply = await session.command("hourly", "interval", ("times", [at]))
        assert reply.ok, reply
        hourly = session.registry.get("hourly")
        await until(lambda: "09:30" in hourly.schedule, "time schedule")
        before = hourly.total_iterations
        reply = await session.command("hourly", "trigger")
        assert reply.ok
        await until(lambda: hourly.total_iterations > before, "triggered run")
        reply = await session.command("tick", "stop")
        assert reply.ok
        await until(lambda: tick.state == "stopped", "stopped")
        reply = await session.command("tick", "stop")
        assert not reply.ok and reply.reason == "the loop is stopped"
        reply = await session.command("tick", "restart")
        assert reply.ok and reply.text == "tick: started"
        await until(lambda: tick.state in ("sleeping", "running"), "started again")
        reply = await session.command("tick", "cancel")
        assert reply.ok
        await until(lambda: tick.state == "cancelled", "cancelled")
        reply = await session.command("tick", "interval", ("seconds", -1))
        assert not reply.ok
        reply = await session.details("boom")
        assert reply.ok
        boom = session.registry.get("boom")
        assert [e.type_name for e in boom.exceptions] == ["ValueError"]
        reply = await session.command("nope", "stop")
        assert not reply.ok and reply.reason == "no such loop"
    finally:
        await session.shutdown()


async def test_program_restart_is_reconnected(sock: Path) -> None:
    first = Program(sock)
    session = await attached(sock)
    try:
        connection = session.connections[0]
        await until(lambda: session.registry.get("tick"), "tick")
        first.kill()
        await until(lambda: not connection.connected, "the disconnection")
        assert session.status.startswith("disconnected since ")
        tick = session.registry.get("tick")
        assert tick.unsupported("stop") == "the program is not connected"
        reply = await session.command("tick", "stop")
        assert not reply.ok
        with Program(sock) as second:
            await until(lambda: connection.connected, "the reconnection")
            assert session.status == ""
            assert session.module_name == f"program[{second.pid}]"
            assert session.registry.get("tick") is tick  # the same row, updated
            await until(lambda: tick.state in ("sleeping", "running"), "live again")
            assert (await session.command("tick", "pause")).ok
    finally:
        first.kill()
        await session.shutdown()


async def test_two_programs_merge_into_one_table(tmp_path: Path) -> None:
    with Program(tmp_path / "a.sock") as one, Program(tmp_path / "b.sock") as two:
        session = await attached(tmp_path / "a.sock", tmp_path / "b.sock")
        events: list[dict] = []
        session.add_sink(events.append)
        try:
            await until(lambda: session.registry.get("tick") and
                        session.registry.get("tick#2"), "both ticks")
            processes = {t.process for t in session.registry.trackers()}
            assert processes == {f"program[{one.pid}]", f"program[{two.pid}]"}
            second = session.registry.get("tick#2")
            assert (await session.command("tick#2", "pause")).ok
            await until(lambda: second.state == "paused", "the second paused")
            assert session.registry.get("tick").state != "paused"
            await until(lambda: {e.get("process") for e in events} >= processes, "events")
        finally:
            await session.shutdown()




async def test_headless_attach_by_pid(tmp_path: Path) -> None:
    runtime = tmp_path / "run"
    runtime.mkdir()
    env = dict(os.environ, XDG_RUNTIME_DIR=str(runtime))
    proc = subprocess.Popen(
        [sys.executable, "-c",
         "import asyncio, looptui.agent\n"
         "from looptui import loop\n"
         "@loop(seconds=0.05)\n"
         "async def beat(): pass\n"
         "async def main():\n"
         "    beat.start(); print(looptui.agent.start(), flush=True)\n"
         "    await asyncio.Event().wait()\n"
         "asyncio.run(main())\n"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        address = proc.stdout.readline().strip()
        assert address == f"unix:{runtime}/looptui-python-{proc.pid}.sock"
        record = tmp_path / "events.jsonl"
        out = subprocess.run(
            [sys.executable, "-m", "looptui", "attach", str(proc.pid), "--headless", "--json",
             "--for", "0.6", "--record", str(record)],
            capture_output=True, text=True, timeout=GUARD, env=env)
        assert out.returncode == 0, out.stderr
        events = [json.loads(line) for line in out.stdout.splitlines()]
        label = f"python[{proc.pid}]"
        assert events[0]["event"] == "attached" and events[0]["process"] == label
        assert any(e["event"] == "loop_added" and e["loop"] == "beat" for e in events)
        assert any(e["event"] == "iteration_finished" and e["process"] == label
                   for e in events)
        assert events[-1]["event"] == "summary"
        assert events[-1]["loops"][0]["process"] == label
        recorded = [json.loads(line) for line in record.read_text().splitlines()]
        assert recorded == events
        assert proc.poll() is None
    finally:
        proc.kill()
        proc.wait(GUARD)
        proc.stdout.close()
        proc.stderr.close()


async def test_nothing_to_attach_to_is_a_usage_error(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "looptui", "attach", str(tmp_path / "none")],
                         capture_output=True, text=True, timeout=GUARD)
    assert out.returncode == 2
    assert "not an agent address" in out.stderr
    stale = tmp_path / "stale.sock"
    import socket as pysocket
    s = pysocket.socket(pysocket.AF_UNIX)
    s.bind(str(stale))
    s.close()  # a socket file nobody listens on
    with pytest.raises(TargetUsageError, match="could not attach"):
        await attached(stale)
