"""Attach by pid or program name follows a restarted program; stale sockets are skipped,
named, and removed by the next agent (real processes killed with real signals)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from looptui.session.remote.address import AddressError, resolve_addresses
from looptui.session.remote.discovery import agent_sockets, is_stale
from looptui.session.remote.remote_session import RemoteSession

from agent_helpers import GUARD, Program, until, wait_until

pytestmark = pytest.mark.asyncio


@pytest.fixture()
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "run"
    folder.mkdir()
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    return folder


def socket_of(runtime: Path, pid: int) -> Path:
    return runtime / f"looptui-program-{pid}.sock"


def killed(program: Program, runtime: Path) -> Path:
    """SIGKILL *program*: its socket file stays behind, stale."""
    program.kill()
    left = socket_of(runtime, program.pid)
    assert left.exists()
    return left


async def test_attach_by_pid_follows_the_program_into_its_new_process(runtime: Path) -> None:
    first = Program("-", runtime=runtime)
    addresses, notes = resolve_addresses([str(first.pid)])
    assert notes == []
    session = RemoteSession(addresses)
    events: list[dict] = []
    session.add_sink(events.append)
    await session.start()
    try:
        connection = session.connections[0]
        tick = await until(lambda: session.registry.get("tick"), "tick")
        killed(first, runtime)
        await until(lambda: not connection.connected, "the disconnection")
        with Program("-", runtime=runtime) as second:
            await until(lambda: connection.connected, "the new process attached")
            assert session.module_name == f"program[{second.pid}]"
            assert connection.previous_label == f"program[{first.pid}]"
            assert session.registry.get("tick") is tick  # the same row, now the new process
            await until(lambda: tick.process == f"program[{second.pid}]", "the row's process")
            attached = [e for e in events if e["event"] == "attached"]
            assert attached[-1]["process"] == f"program[{second.pid}]"
            assert attached[-1]["previous"] == f"program[{first.pid}]"
            assert "previous" not in attached[0]
            assert any(f"a new process; was program[{first.pid}]" in text
                       for _, _, text in session.general_output)
            assert (await session.command("tick", "pause")).ok
            await until(lambda: tick.state == "paused", "paused in the new process")
    finally:
        first.kill()
        await session.shutdown()


async def test_attach_by_name_merges_shards_and_each_follows_its_restart(runtime: Path) -> None:
    with Program("-", runtime=runtime) as one, Program("-", runtime=runtime) as two:
        addresses, _ = resolve_addresses(["program"])
        assert sorted(a.pid for a in addresses) == sorted([one.pid, two.pid])
        session = RemoteSession(addresses)
        await session.start()
        try:
            await until(lambda: all(c.connected for c in session.connections), "both shards")
            await until(lambda: session.registry.get("tick") and session.registry.get("tick#2"),
                        "both ticks")
            killed(one, runtime)
            gone = await until(lambda: [c for c in session.connections if not c.connected],
                               "the killed shard disconnected")
            assert len(gone) == 1
            with Program("-", runtime=runtime) as three:
                await until(lambda: gone[0].connected, "the restarted shard attached")
                labels = sorted(c.label for c in session.connections)
                assert labels == sorted([f"program[{two.pid}]", f"program[{three.pid}]"])
                assert gone[0].previous_label == f"program[{one.pid}]"
                processes = {t.process for t in session.registry.trackers()}
                assert processes == {f"program[{two.pid}]", f"program[{three.pid}]"}
        finally:
            await session.shutdown()


async def test_a_dead_pid_says_the_process_is_gone(runtime: Path) -> None:
    program = Program("-", runtime=runtime)
    left = killed(program, runtime)
    with pytest.raises(AddressError, match=f"process {program.pid} is gone") as err:
        resolve_addresses([str(program.pid)])
    assert "stale" in str(err.value)
    out = subprocess.run([sys.executable, "-m", "looptui", "attach", str(program.pid)],
                         capture_output=True, text=True, timeout=GUARD)
    assert out.returncode == 2
    assert f"process {program.pid} is gone" in out.stderr
    assert f"its stale socket {left} was ignored" in out.stderr


async def test_a_name_that_matches_nothing_lists_the_live_programs(runtime: Path) -> None:
    with Program("-", runtime=runtime) as live:
        out = subprocess.run([sys.executable, "-m", "looptui", "attach", "nosuchbot"],
                             capture_output=True, text=True, timeout=GUARD)
        assert out.returncode == 2
        assert "nosuchbot: no running program of that name" in out.stderr
        assert f"program (pid {live.pid})" in out.stderr
        assert "Traceback" not in out.stderr


async def test_stale_sockets_are_skipped_by_name_and_removed_by_the_next_agent(
        runtime: Path) -> None:
    dead = Program("-", runtime=runtime)
    left = killed(dead, runtime)
    with Program("-", runtime=runtime) as live:
        assert not left.exists()  # the agent that started after the kill removed it
        other = Program("-", runtime=runtime)
        stale = killed(other, runtime)
        addresses, notes = resolve_addresses(["program"])
        assert [a.pid for a in addresses] == [live.pid]
        assert notes == [f"ignoring stale socket {stale} (process {other.pid} is gone)"]
        out = subprocess.run(
            [sys.executable, "-m", "looptui", "attach", "program", "--headless", "--json",
             "--for", "0.3"], capture_output=True, text=True, timeout=GUARD)
        assert out.returncode == 3, out.stderr  # the program's loop boom failed (§4)
        assert f"ignoring stale socket {stale}" in out.stderr
        first = json.loads(out.stdout.splitlines()[0])
        assert first["event"] == "attached" and first["process"] == f"program[{live.pid}]"


async def test_what_is_stale_and_what_is_not(runtime: Path) -> None:
    # a socket file nobody listens on, named for a live pid (this one): not stale
    mine = runtime / f"looptui-x-{os.getpid()}.sock"
    unbound = socket.socket(socket.AF_UNIX)
    unbound.bind(str(mine))
    unbound.close()
    assert not is_stale(mine, os.getpid())
    # named for a dead pid, but something listens there: not stale
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(GUARD)
    listening = runtime / f"looptui-y-{child.pid}.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(listening))
    server.listen(1)
    try:
        assert not is_stale(listening, child.pid)
        found = {s.path: s.stale for s in agent_sockets([runtime])}
        assert found == {mine: False, listening: False}
    finally:
        server.close()
    # now nobody listens and the pid is dead: stale
    assert is_stale(listening, child.pid)


async def test_sigterm_of_a_program_with_the_default_handler_is_unchanged(runtime: Path) -> None:
    """The agent takes no signal handler: SIGTERM still ends the program by the signal."""
    program = Program("-", runtime=runtime)
    program.proc.send_signal(signal.SIGTERM)
    assert program.proc.wait(GUARD) == -signal.SIGTERM
    program.kill()
    assert wait_until(lambda: is_stale(socket_of(runtime, program.pid), program.pid),
                      "a stale socket")
