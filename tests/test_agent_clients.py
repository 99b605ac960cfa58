"""Clients that misbehave or are many: TCP tokens, garbage, huge lines, silence, slow
readers, 50 connecting and leaving. The program's loops never notice."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path

import pytest

from looptui.session.program.loader import TargetUsageError
from looptui.session.remote.address import parse_address
from looptui.session.remote.remote_session import RemoteSession
from looptui.session.remote.wire import MAX_LINE, PROTOCOL

from agent_helpers import GUARD, Program, until

pytestmark = pytest.mark.asyncio


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def hello(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                token: str | None = None) -> dict:
    json.loads(await reader.readline())
    writer.write(json.dumps({"type": "hello", "protocol": PROTOCOL, "token": token}).encode() + b"\n")
    await writer.drain()
    return json.loads(await asyncio.wait_for(reader.readline(), GUARD))


async def tick_count(sock: Path) -> int:
    """Iterations of ``tick`` as a well-behaved client sees them now."""
    session = RemoteSession([parse_address(str(sock))])
    await session.start()
    try:
        tick = await until(lambda: session.registry.get("tick"), "tick")
        return tick.total_iterations
    finally:
        await session.shutdown()


async def closed_by_agent(reader: asyncio.StreamReader) -> bool:
    """Read until the agent closes the connection (bounded by the guard)."""
    async def drain() -> None:
        while await reader.read(65536):
            pass
    try:
        await asyncio.wait_for(drain(), GUARD)
    except ConnectionError:
        pass
    return True


async def test_tcp_needs_the_right_token(tmp_path: Path) -> None:
    port = free_port()
    with Program(tmp_path / "a.sock", "--tcp", f"127.0.0.1:{port}", "--token", "s3cret"):
        for token in (None, "wrong"):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            answer = await hello(reader, writer, token)
            assert answer == {"type": "error", "reason": "wrong or missing token"}
            assert await closed_by_agent(reader)
            writer.close()
        with pytest.raises(TargetUsageError, match="wrong or missing token"):
            session = RemoteSession([parse_address(f"127.0.0.1:{port}", "nope")])
            await session.start()
        session = RemoteSession([parse_address(f"127.0.0.1:{port}?token=s3cret")])
        await session.start()
        try:
            await until(lambda: session.registry.get("tick"), "tick over TCP")
            assert (await session.command("tick", "pause")).ok
        finally:
            await session.shutdown()


async def test_tcp_listens_on_loopback_and_prints_a_token_once(tmp_path: Path) -> None:
    port = free_port()
    with Program(tmp_path / "a.sock", "--tcp", str(port)) as program:
        assert program.address.startswith(f"127.0.0.1:{port}?token=")
        token = program.address.split("token=")[1]
        assert len(token) >= 30
        session = RemoteSession([parse_address(program.address)])
        await session.start()
        await session.shutdown()


async def test_garbage_before_the_hello_and_silence_are_dropped(tmp_path: Path) -> None:
    sock = tmp_path / "a.sock"
    with Program(sock):
        before = await tick_count(sock)
        # garbage instead of a hello
        reader, writer = await asyncio.open_unix_connection(str(sock))
        await reader.readline()
        writer.write(b"\x00\xffGET / HTTP/1.1\r\n\r\n")
        answer = json.loads(await reader.readline())
        assert answer["type"] == "error" and "not a hello" in answer["reason"]
        assert await closed_by_agent(reader)
        writer.close()
        # a hello that is one line too long
        reader, writer = await asyncio.open_unix_connection(str(sock))
        await reader.readline()
        writer.write(b"x" * (MAX_LINE + 10) + b"\n")
        answer = json.loads(await asyncio.wait_for(reader.readline(), GUARD))
        assert answer == {"type": "error", "reason": "line too long"}
        writer.close()
        # "protocol": true is not protocol 1 (nor 2)
        reader, writer = await asyncio.open_unix_connection(str(sock))
        await reader.readline()
        writer.write(json.dumps({"type": "hello", "protocol": True}).encode() + b"\n")
        answer = json.loads(await asyncio.wait_for(reader.readline(), GUARD))
        assert answer["type"] == "error" and answer["reason"].startswith("protocol True")
        writer.close()
        # half-open: connects, never says hello
        reader, writer = await asyncio.open_unix_connection(str(sock))
        await reader.readline()
        answer = json.loads(await asyncio.wait_for(reader.readline(), GUARD))
        assert answer["reason"].startswith("no hello within")
        writer.close()
        assert await tick_count(sock) > before  # the loops went on


async def _answer(reader: asyncio.StreamReader, ident: object = None) -> dict:
    """The next reply or error (events and updates skipped)."""
    while True:
        message = json.loads(await asyncio.wait_for(reader.readline(), GUARD))
        if message["type"] in ("reply", "error") and message.get("id") == ident:
            return message


async def test_after_the_hello_bad_messages_are_answered_and_the_client_stays(
        tmp_path: Path) -> None:
    """Too long, not JSON, nested too deeply, values out of range: each gets an error
    or a refusing reply, the connection goes on, the program prints no traceback."""
    sock = tmp_path / "a.sock"
    with Program(sock) as program:
        reader, writer = await asyncio.open_unix_connection(str(sock), limit=MAX_LINE * 2)
        assert (await hello(reader, writer))["type"] == "snapshot"
        bad = [b"x" * (MAX_LINE + 10) + b"\n", b"not json\n",
               b"[" * 100_000 + b"]" * 100_000 + b"\n",
               b'{"type":"command","loop":"tick","command":"pause","value":' + b"[" * 50_000
               + b"]" * 50_000 + b"}\n"]
        for line in bad:
            writer.write(line)
            assert (await _answer(reader))["type"] == "error"
        values = [["seconds", float("nan")], ["seconds", float("inf")], ["seconds", True],
                  ["seconds", -1], ["seconds", 1e308], ["seconds", "5"], "5", None,
                  ["times", [["09:00:00", 1e308]]], ["times", [["09:00:00", "../../etc"]]],
                  ["times", [["25:00:00", None]]], ["times", []], ["times", "x"]]
        for n, value in enumerate(values, 1):
            writer.write(json.dumps({"type": "command", "id": n, "loop": "tick",
                                     "command": "interval", "value": value}).encode() + b"\n")
            reply = await _answer(reader, n)
            assert reply["type"] == "reply" and reply["ok"] is False, (value, reply)
        for message in ({"type": "command", "id": [1], "command": 5},
                        {"type": "events", "events": ["all"]},
                        {"type": "nope", "id": "x" * 1000}):
            writer.write(json.dumps(message).encode() + b"\n")
            assert (await _answer(reader))["type"] in ("reply", "error")
        writer.write(json.dumps({"type": "command", "id": 99, "loop": "tick",
                                 "command": "interval", "value": ["seconds", 2]}).encode()
                     + b"\n")
        assert (await _answer(reader, 99))["ok"] is True  # still attached, still obeyed
        writer.close()
        program.kill()
        stderr = program.stderr()  # (the program's own loop "boom" prints its traceback)
        for sign in ("RecursionError", "OverflowError", "looptui/agent", "looptui/session"):
            assert sign not in stderr


async def test_a_client_that_does_not_read_is_cut_off(tmp_path: Path) -> None:
    sock = tmp_path / "a.sock"
    with Program(sock, "--chatty"):
        raw = socket.socket(socket.AF_UNIX)
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        raw.connect(str(sock))
        raw.sendall(json.dumps({"type": "hello", "protocol": PROTOCOL}).encode() + b"\n")
        # read nothing while the 0-second loop makes events; then see the agent hung up
        reader, writer = await asyncio.open_unix_connection(sock=raw)
        received = 0

        async def wait_for_eof() -> None:
            nonlocal received
            await asyncio.sleep(0)  # (the kernel buffers fill meanwhile)
            try:
                while chunk := await reader.read(65536):
                    received += len(chunk)
                    assert received < 64 * 1024 * 1024, "never cut off"
            except ConnectionError:
                pass  # the agent aborts a slow client's connection

        # let the agent's queue pass its budget: wait until the program dropped us,
        # which shows as a connection that is closed once its buffered data is read
        await until(lambda: _peer_gone(raw), "the agent to hang up")
        await asyncio.wait_for(wait_for_eof(), GUARD)
        writer.close()
        assert await tick_count(sock) > 0


def _peer_gone(sock: socket.socket) -> bool:
    """Whether the other end closed (seen without reading what is buffered)."""
    import select

    _, _, errors = select.select([], [], [sock], 0)
    if errors:
        return True
    try:
        info = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    except OSError:
        return True
    if info:
        return True
    poll = select.poll()
    poll.register(sock, select.POLLRDHUP if hasattr(select, "POLLRDHUP") else select.POLLHUP)
    return any(mask & (getattr(select, "POLLRDHUP", 0) | select.POLLHUP)
               for _, mask in poll.poll(0))


async def test_fifty_clients_come_and_go(tmp_path: Path) -> None:
    sock = tmp_path / "a.sock"
    with Program(sock) as program:
        for _ in range(2):
            pairs = [await asyncio.open_unix_connection(str(sock)) for _ in range(25)]
            snapshots = await asyncio.gather(*(hello(r, w) for r, w in pairs))
            assert all(s["type"] == "snapshot" for s in snapshots)
            for _, writer in pairs:
                writer.close()
        sessions = [RemoteSession([parse_address(str(sock))]) for _ in range(10)]
        await asyncio.gather(*(s.start() for s in sessions))
        await asyncio.gather(*(s.shutdown() for s in sessions))
        assert await tick_count(sock) > 0
        assert program.proc.poll() is None


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc for RSS")
async def test_sixty_four_clients_that_never_read_are_dropped_and_their_memory_given_back(
        tmp_path: Path) -> None:
    """Every-event clients that never read fill their queues, are cut off, and the
    program's resident memory goes back near where it was (not where it peaked)."""
    sock = tmp_path / "a.sock"
    with Program(sock, "--chatty") as program:
        await tick_count(sock)  # settled: one client came and went
        before = _rss_mb(program.pid)
        raws = []
        for _ in range(64):
            raw = socket.socket(socket.AF_UNIX)
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            raw.connect(str(sock))
            raw.sendall(json.dumps({"type": "hello", "protocol": PROTOCOL}).encode() + b"\n")
            raws.append(raw)
        peak = before

        def all_dropped() -> bool:
            nonlocal peak
            peak = max(peak, _rss_mb(program.pid))
            return all(_peer_gone(raw) for raw in raws)

        await until(all_dropped, "every slow client dropped")
        for raw in raws:
            raw.close()
        grown = peak - before
        assert grown > 10, f"the queues never filled ({before:.1f} -> {peak:.1f} MB)"
        await until(lambda: _rss_mb(program.pid) - before < grown / 2,
                    "the memory given back")
        assert await tick_count(sock) > 0


async def test_the_token_comes_from_the_environment_or_a_file_and_is_never_written(
        tmp_path: Path) -> None:
    """The program takes its token from ``$LOOPTUI_TOKEN``; ``looptui attach`` from the
    address, ``--token-file`` or ``$LOOPTUI_TOKEN``. It appears in no output of either
    side: not on the program's stderr, not in ``--json`` events, not in the record."""
    import os
    import subprocess
    import sys

    token = "s3cret-token-that-must-not-leak"
    port = free_port()
    env = dict(os.environ, LOOPTUI_TOKEN=token)
    with Program(tmp_path / "a.sock", "--tcp", f"127.0.0.1:{port}", env=env) as program:
        assert program.address == f"127.0.0.1:{port}?token={token}"  # start()'s return
        token_file = tmp_path / "token"
        token_file.write_text(token + "\n")
        plain = {k: v for k, v in os.environ.items() if k != "LOOPTUI_TOKEN"}
        runs = [([f"127.0.0.1:{port}?token={token}"], plain),
                ([f"127.0.0.1:{port}", "--token-file", str(token_file)], plain),
                ([f"127.0.0.1:{port}"], env)]
        for n, (given, run_env) in enumerate(runs):
            record = tmp_path / f"events{n}.jsonl"
            done = subprocess.run(
                [sys.executable, "-m", "looptui", "attach", *given, "--headless", "--json",
                 "--for", "1", "--record", str(record)],
                capture_output=True, text=True, timeout=GUARD * 2, env=run_env)
            events = [json.loads(line) for line in done.stdout.splitlines()]
            attached = [e for e in events if e["event"] == "attached"]
            assert attached and attached[0]["address"] == f"127.0.0.1:{port}", done.stderr
            for text in (done.stdout, done.stderr, record.read_text()):
                assert token not in text
        missing = subprocess.run(
            [sys.executable, "-m", "looptui", "attach", f"127.0.0.1:{port}", "--headless",
             "--for", "1"], capture_output=True, text=True, timeout=GUARD, env=plain)
        assert missing.returncode == 2 and "LOOPTUI_TOKEN" in missing.stderr
        program.kill()
        assert token not in program.stderr()  # announced without it (it was given)
