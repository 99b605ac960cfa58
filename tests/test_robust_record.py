"""``--record`` durability: every event is on disk as it happens, even after ``kill -9``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from looptui.cli import run
from robust_support import TIMEOUT, isolated, target, wait_until  # noqa: F401  (fixture)


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_after_kill_9_every_complete_line_is_valid_json(tmp_path):
    path = tmp_path / "events.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "looptui", target("steady.py"), "--headless", "--record",
         str(path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: path.exists() and path.read_bytes().count(b"\n") >= 500)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=TIMEOUT)
    finally:
        proc.kill()
    raw = path.read_bytes()
    complete, _sep, partial = raw.rpartition(b"\n")
    lines = complete.split(b"\n")
    assert len(lines) >= 500
    events = [json.loads(line) for line in lines]  # every complete line parses
    assert events[0]["event"] == "loop_added"
    assert any(e["event"] == "log" and e["text"].startswith("tick") for e in events)
    assert not partial or partial.startswith(b"{")  # at most the last line is cut short


def test_an_unwritable_record_path_is_a_usage_error_at_start(tmp_path, capsys):
    for bad in (tmp_path / "no_such_dir" / "events.jsonl", tmp_path):
        assert run([target("steady.py"), "--headless", "--record", str(bad)]) == 2
        err = capsys.readouterr().err
        assert "--record" in err and "Traceback" not in err
    assert not (tmp_path / "no_such_dir").exists()


def test_a_file_that_ends_mid_line_gets_a_fresh_line_first(tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_bytes(b'{"event": "loop_added"}\n{"event": "sta')  # cut short by a crash
    assert run([target("quiet.py"), "--headless", "--for", "0.2", "--no-reload",
                "--record", str(path)]) == 0
    lines = path.read_bytes().split(b"\n")
    assert lines[1] == b'{"event": "sta'  # the old partial line stays as it was
    for line in lines[2:-1]:
        json.loads(line)  # every new line is valid
    assert lines[-1] == b""
    assert json.loads(lines[-2])["event"] == "summary"


@pytest.mark.skipif(os.name != "posix", reason="FIFO")
def test_a_fifo_or_a_device_is_refused_before_anything_runs(tmp_path, capsys):
    fifo = tmp_path / "events.fifo"
    os.mkfifo(fifo)
    for bad in (fifo, "/dev/null"):
        assert run([target("steady.py"), "--headless", "--record", str(bad)]) == 2
        err = capsys.readouterr().err
        assert "not a regular file" in err and "Traceback" not in err


def test_the_programs_own_source_is_refused(tmp_path, capsys):
    program = tmp_path / "bot.py"
    source = "from looptui import loop\n@loop(seconds=1)\nasync def tick():\n    pass\n"
    program.write_text(source)
    for bad in (program, tmp_path / "other.py"):
        assert run([str(program), "--headless", "--record", str(bad)]) == 2
        assert "Python source file" in capsys.readouterr().err
    assert program.read_text() == source
    assert not (tmp_path / "other.py").exists()


@pytest.mark.skipif(os.name != "posix", reason="RLIMIT_FSIZE")
def test_a_write_failure_is_said_at_once_and_ends_with_status_4(tmp_path):
    import resource

    path = tmp_path / "events.jsonl"

    def small_files() -> None:  # the file system refuses writes past 20 kB (EFBIG)
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))

    proc = subprocess.Popen(
        [sys.executable, "-m", "looptui", target("steady.py"), "--headless", "--json",
         "--no-reload", "--record", str(path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=small_files,
    )
    try:
        assert proc.stdout is not None
        failed = None
        for line in proc.stdout:
            event = json.loads(line)
            if event["event"] == "record_failed":
                failed = event
                break
        assert failed is not None  # said while the program runs, not only at the end
        assert "File too large" in failed["error"] and failed["path"] == str(path)
        for line in proc.stdout:  # the loops keep running after it
            if '"iteration_finished"' in line:
                break
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=TIMEOUT)
    finally:
        proc.kill()
    assert proc.returncode == 4, err
    assert "recording to" in err and "the record is incomplete" in err
    assert json.loads(out.splitlines()[-1])["event"] == "summary"
    complete = path.read_bytes().rpartition(b"\n")[0]
    for line in complete.split(b"\n"):
        json.loads(line)


def test_non_ascii_and_terminal_controls_are_escaped_in_one_pass(tmp_path):
    from looptui.session.events.encode import encode_line
    from looptui.session.events.recorder import Recorder

    text = "é" * 100_000 + "\x1b[2J\u202e\x9b" + "漢字"
    line = encode_line({"event": "log", "text": text})
    assert "\u202e" not in line and "\x9b" not in line and "\\u202e" in line
    assert json.loads(line)["text"] == text
    recorder = Recorder(tmp_path / "e.jsonl")
    recorder({"event": "log", "text": text})  # outside an event loop: written at once
    recorder.close()
    assert json.loads((tmp_path / "e.jsonl").read_text(encoding="utf-8"))["text"] == text


def test_events_are_written_in_batches_within_the_flush_time(tmp_path):
    import asyncio

    from looptui.session.events.recorder import FLUSH_EVERY, Recorder

    path = tmp_path / "e.jsonl"

    async def main() -> tuple[int, int]:
        recorder = Recorder(path)
        for n in range(100):
            recorder({"event": "log", "text": str(n)})
        before = path.stat().st_size  # nothing written yet: one batch later
        await asyncio.sleep(FLUSH_EVERY)
        while recorder.written < 100:
            await asyncio.sleep(FLUSH_EVERY / 10)
        recorder.close()
        return before, len(path.read_text().splitlines())

    assert asyncio.run(main()) == (0, 100)


@pytest.mark.asyncio
async def test_a_5_mb_exception_message_is_recorded_whole_without_blaming_the_loop(
        tmp_path, isolated):
    """The record is encoded and written by the writer process, not inside the loop that
    failed: the watchdog (its real threshold) reports no block against the loop, whatever
    the encoding costs on this machine, and the line holds the whole message."""
    from looptui.core.registry import REGISTRY
    from looptui.session import Session
    from robust_support import wait_for

    path = tmp_path / "events.jsonl"
    received: list[dict] = []
    session = Session(target("huge_message.py"), watch=False, record=str(path))
    session.add_sink(received.append)
    try:
        await session.start()
        failed_loop = REGISTRY.get("huge")
        await wait_for(lambda: failed_loop.state.value == "failed")
        await wait_for(lambda: "iteration_failed" in path.read_text(encoding="utf-8",
                                                                      errors="replace"))
        writer = session.recorder.writer_pid if session.recorder is not None else None
    finally:
        await session.shutdown()
    assert writer is not None and writer != os.getpid()  # encoded in another process
    blocked = [e for e in received if e["event"] == "blocked"]
    assert not [e for e in blocked if e.get("loop") == "huge"], blocked
    lines = path.read_text(encoding="utf-8").splitlines()
    events = [json.loads(line) for line in lines]  # every line complete and valid
    failed = [e for e in events if e["event"] == "iteration_failed"]
    assert len(failed) == 1
    message = "é" + "x" * (5 * 1024 * 1024)
    assert failed[0]["message"] == message


def test_record_refuses_the_programs_own_source_through_links(tmp_path):
    """A symbolic link (also from a subfolder, ``sub/rec.jsonl -> ../bot.py``) or a hard
    link to the program's source is refused before the program runs: exit 2, a message,
    the source unchanged."""
    bot = tmp_path / "bot.py"
    marker = tmp_path / "ran"
    source = (f"open({str(marker)!r}, 'w').close()\n"
              "from looptui import loop\n@loop(seconds=0.05)\nasync def beat(): pass\n")
    bot.write_text(source)
    (tmp_path / "sub").mkdir()
    (tmp_path / "link.jsonl").symlink_to(bot)
    (tmp_path / "sub" / "rec.jsonl").symlink_to(Path("..") / "bot.py")
    os.link(bot, tmp_path / "hard.jsonl")
    for record, why in (("link.jsonl", "through a link"), ("sub/rec.jsonl", "through a link"),
                        ("hard.jsonl", "a hard link")):
        done = subprocess.run([sys.executable, "-m", "looptui", "bot.py", "--headless",
                               "--for", "0.5", "--record", record],
                              cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert done.returncode == 2, (record, done.stderr)
        assert why in done.stderr and "Traceback" not in done.stderr, done.stderr
        assert bot.read_text() == source and not marker.exists()


@pytest.mark.asyncio
async def test_the_event_of_a_5_mb_exception_is_built_outside_the_failing_loops_task(isolated):
    """Its traceback is formatted in a callback of the event loop, not in the task of the
    loop that failed (the watchdog would blame that loop for the time it takes), and the
    events keep their order: the failure before the state change it causes."""
    import asyncio

    from looptui.session import Session
    from robust_support import wait_for

    seen: list[tuple[str, object, object]] = []
    session = Session(target("huge_message.py"), watch=False)
    session.add_sink(lambda e: seen.append((e["event"], e.get("state"), asyncio.current_task())))
    try:
        await session.start()
        await wait_for(lambda: ("state", "failed") in [(k, s) for k, s, _ in seen])
    finally:
        await session.shutdown()
    kinds = [(kind, state) for kind, state, _ in seen]
    at = kinds.index(("iteration_failed", None))
    assert seen[at][2] is None  # no task: a callback of the event loop
    assert kinds.index(("state", "failed")) > at  # the events kept their order
