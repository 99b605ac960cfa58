"""The ``--record`` writer process: the same bytes as writing in-process, and a real child.

While an event loop runs, the recorder hands its batches to a child process that
encodes and writes them. These tests hold that it writes exactly what the recorder
writes itself (hostile text, items marshal cannot carry), that Ctrl+C to looptui's
process group does not cut the record short, and that a child that dies is said at once.
"""

from __future__ import annotations

import asyncio
import enum
import json
import os
import signal
import subprocess
import sys

import pytest

from looptui.session.events.recorder import FLUSH_EVERY, Recorder
from robust_support import TIMEOUT, target, wait_until

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the writer process is POSIX only")

NOW = 1714554000.25


class Named:
    def __init__(self, name: str) -> None:
        self.name = name


class Colour(enum.Enum):
    RED = "red"


HOSTILE = ["plain", "漢字 🙂", "\x1b[2J\x9b\u202e\u2028\x00", "lone \udc80\ud800", "é" * 200_000]


def items() -> list[tuple[str, object]]:
    """What a session hands a recorder: raw iteration events and event dicts."""
    out: list[tuple[str, object]] = []
    for n, text in enumerate(HOSTILE):
        out.append(("raw", ("state", text, {"state": "running", "time": NOW + n})))
        out.append(("raw", ("iteration_finished", text,
                            {"iteration": n, "duration": 0.5, "lateness": 1e-9, "time": NOW})))
        out.append(("raw", ("iteration_started", text,
                            {"iteration": n, "scheduled": None, "triggered": True})))
        out.append(("dict", {"event": "log", "time": "2024-05-01T09:00:00.000Z",
                             "loop": text, "stream": "stdout", "text": text * 2}))
    return out


ODD = ("dict", {"event": "odd", "colour": Colour.RED, "set": {1}})  # marshal cannot carry it


def feed(recorder: Recorder, odd: bool = False) -> None:
    for kind, item in items() + ([ODD] if odd else []):
        if kind == "raw":
            event, name, fields = item  # type: ignore[misc]
            recorder.take_raw(event, Named(name), dict(fields))
        else:
            recorder(dict(item))  # type: ignore[arg-type]


def test_the_writer_process_writes_the_bytes_the_recorder_writes_itself(tmp_path, monkeypatch):
    from looptui.core import clock

    class Frozen:
        def time(self) -> float:
            return NOW

    previous = clock.get_clock()
    clock.set_clock(Frozen())  # the one raw event without a time takes the clock's
    try:
        here = Recorder(tmp_path / "here.jsonl")  # no event loop: written in this process
        feed(here)
        feed(here, odd=True)
        here.close()
        assert here.writer_pid is None

        async def main() -> int | None:
            recorder = Recorder(tmp_path / "child.jsonl")
            feed(recorder)
            recorder.flush()
            pid = recorder.writer_pid
            feed(recorder, odd=True)  # a batch with an item marshal cannot carry
            recorder.close()
            return pid

        pid = asyncio.run(main())
    finally:
        clock.set_clock(previous)
    assert pid is not None and pid != os.getpid()
    expected = (tmp_path / "here.jsonl").read_bytes()
    assert (tmp_path / "child.jsonl").read_bytes() == expected
    lines = expected.decode("utf-8").splitlines()
    assert len(lines) == 2 * len(items()) + 1
    assert [json.loads(line).get("loop") for line in lines[:4]] == ["plain"] * 4
    assert json.loads(lines[-1]) == {"event": "odd", "colour": "Colour.RED", "set": "{1}"}
    assert json.loads(lines[-2])["text"] == HOSTILE[-1] * 2
    assert "\\udc80" in lines[12] and json.loads(lines[12])["loop"] == HOSTILE[3]


def test_ctrl_c_to_the_process_group_does_not_cut_the_record_short(tmp_path):
    path = tmp_path / "events.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "looptui", target("steady.py"), "--headless", "--no-reload",
         "--record", str(path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )
    try:
        wait_until(lambda: path.exists() and path.read_bytes().count(b"\n") >= 200)
        os.killpg(proc.pid, signal.SIGINT)  # as Ctrl+C: to every process of the group
        _out, err = proc.communicate(timeout=TIMEOUT)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b""
    assert json.loads(lines[-2])["event"] == "summary"
    for line in lines[:-1]:
        json.loads(line)


def test_a_writer_process_that_dies_is_said_at_once(tmp_path):
    failures: list[str] = []

    async def main() -> Recorder:
        recorder = Recorder(tmp_path / "e.jsonl", on_error=failures.append)
        recorder({"event": "log", "text": "first"})
        recorder.flush()
        pid = recorder.writer_pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        n = 0
        while not failures:  # said while events still come, not only at close
            recorder({"event": "log", "text": str(n)})
            n += 1
            await asyncio.sleep(FLUSH_EVERY)
        recorder.close()
        return recorder

    recorder = asyncio.run(asyncio.wait_for(main(), TIMEOUT))
    assert len(failures) == 1 and "writer process ended" in failures[0]
    assert recorder.error == failures[0]


def _ended(pid: int) -> bool:
    """Whether process *pid* is gone or a zombie (nobody may reap it in a container)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError):
        return True


@pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="reads /proc")
def test_after_kill_9_of_looptui_the_writer_writes_what_it_was_handed_and_ends(tmp_path):
    path = tmp_path / "events.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "looptui", target("steady.py"), "--headless", "--no-reload",
         "--record", str(path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    children = f"/proc/{proc.pid}/task/{proc.pid}/children"
    try:
        wait_until(lambda: path.exists() and path.read_bytes().count(b"\n") >= 200)
        with open(children) as listed:
            writers = [int(pid) for pid in listed.read().split()]
        assert len(writers) == 1  # the writer process, the only child
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=TIMEOUT)
    finally:
        proc.kill()
    wait_until(lambda: _ended(writers[0]))  # its input ended: it finished and exited
    raw = path.read_bytes()
    assert raw.endswith(b"\n")  # it was not cut off: every batch it had is whole
    for line in raw.split(b"\n")[:-1]:
        json.loads(line)
