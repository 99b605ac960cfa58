"""Attach at production sizes: 100 busy loops with full histories, a 5 MB exception
message, 150 lines of 10 KB printed in one run — over a real socket to a real program.

The snapshot comes in pages and a message longer than a line in parts, so nothing here
is too big for the connection: it never drops, and nothing is left out."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from agent_helpers import GUARD, Program, until
from looptui.core.tracker import HISTORY_SIZE
from looptui.session.remote.address import parse_address
from looptui.session.remote.remote_session import RemoteSession

BIG = Path(__file__).parent / "fixtures" / "agent" / "big.py"
HUGE = "é" + "x" * (5 * 1024 * 1024)


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory):
    sock = tmp_path_factory.mktemp("big") / "big.sock"
    with Program(sock, script=BIG) as running:
        yield running


@pytest.mark.asyncio
async def test_a_hundred_busy_loops_and_a_5_mb_exception_attach(big: Program) -> None:
    events: list[dict] = []
    session = RemoteSession([parse_address(str(big.socket))])
    session.add_sink(events.append)
    await session.start()
    try:
        connection = session.connections[0]
        names = {t.name for t in session.registry.trackers()}
        assert {f"busy{n:03d}" for n in range(100)} | {"huge", "printer"} <= names
        busy = session.registry.get("busy042")
        assert len(busy.history) == HISTORY_SIZE  # the whole ring came
        huge = await until(lambda: (t := session.registry.get("huge")) and
                           t.last_exception and t, "huge's exception")
        shown = huge.last_exception.message
        assert shown.startswith("éxxx") and "more characters" in shown  # cut in the snapshot
        # the exception happens again while attached: its event comes whole, in parts
        assert (await session.command("huge", "restart")).ok
        failed = await until(lambda: [e for e in events if e["event"] == "iteration_failed"
                                      and e["loop"] == "huge"], "the 5 MB event")
        assert failed[0]["message"] == HUGE
        # 150 lines of 10 KB in one run of printer
        logs = await until(lambda: len([e for e in events if e["event"] == "log"
                                        and e["loop"] == "printer"]) >= 150 and events,
                           "printer's 150 lines")
        lines = [e["text"] for e in logs if e["event"] == "log" and e["loop"] == "printer"]
        assert all(len(line.rstrip("\n")) == 10_003 for line in lines[:150])
        printer = session.registry.get("printer")
        await until(lambda: len(printer.output) >= 150, "printer's lines in the mirror")
        assert connection.connected and connection.skipped == 0
        assert not [e for e in events if e["event"] == "disconnected"]
    finally:
        await session.shutdown()


def test_headless_attach_of_the_big_program_streams_every_loop(big: Program) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "looptui", "attach", str(big.socket), "--headless", "--json",
         "--for", "2"], capture_output=True, text=True, timeout=GUARD * 3)
    assert done.returncode == 3, done.stderr[-2000:]  # huge ended failed
    events = [json.loads(line) for line in done.stdout.splitlines()]
    added = {e["loop"] for e in events if e["event"] == "loop_added"}
    assert len(added) >= 102
    assert not [e for e in events if e["event"] == "disconnected" and e.get("reason")]


def test_headless_attach_that_lost_its_program_does_not_end_as_if_all_went_well(
        tmp_path: Path) -> None:
    sock = tmp_path / "gone.sock"
    program = Program(sock)
    attach = subprocess.Popen(
        [sys.executable, "-m", "looptui", "attach", str(sock), "--headless", "--json",
         "--for", "4"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert attach.stdout is not None
        for line in attach.stdout:  # attached: the loops are listed
            if json.loads(line)["event"] == "loop_added":
                break
        program.kill()  # the program is gone and does not come back
        out, err = attach.communicate(timeout=GUARD)
    finally:
        program.kill()
        if attach.poll() is None:
            attach.kill()
    assert attach.returncode == 3, err
    assert "was not connected at the end" in err
    events = [json.loads(line) for line in out.splitlines()]
    assert any(e["event"] == "disconnected" for e in events)
