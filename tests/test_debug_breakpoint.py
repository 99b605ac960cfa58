"""``breakpoint()`` in a loop body under the TUI and headless, on a real pseudo-terminal.

The debugger gets the terminal: its prompt is drawn, typed commands reach it, ``c``
brings the TUI back, ``q`` fails that loop with ``BdbQuit`` and looptui goes on; the
pause is neither a block nor loop output.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest

from robust_support import PtyRun

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX terminals")

FIXTURE = str(Path(__file__).parent / "fixtures" / "debug" / "breakpoint_loop.py")
ALT_SCREEN = b"\x1b[?1049h"


def _events(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _json_lines(screen: bytes) -> list[dict]:
    """The events among what was drawn on the terminal (``--json``)."""
    found = []
    for line in screen.decode(errors="replace").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and "event" in event:
            found.append(event)
    return found


def _pause_reported(events: list[dict]) -> list[dict]:
    """Events that report the debugger's pause as trouble: a stuck body, or a block in
    the loop or in the debugger. (The TUI's own redraw when it comes back may be slow on
    a loaded machine: a block of the monitor's code, blamed on no loop, is not the pause.)"""
    return [e for e in events if e["event"] == "stuck" or (
        e["event"] == "blocked" and (e["loop"] is not None or any(
            name in (e.get("stack") or "") for name in ("pdb.py", "bdb.py", "cmd.py",
                                                        "breakpoint_loop.py",
                                                        "tiny_debugger.py"))))]


def _type(run: PtyRun, text: str) -> None:
    os.write(run.master, text.encode())


def test_pdb_gets_the_terminal_and_the_tui_comes_back(tmp_path):
    record = tmp_path / "events.jsonl"
    run = PtyRun([FIXTURE, "--no-reload", "--record", str(record)], {})
    try:
        run.until(lambda s: b"(Pdb)" in s)
        start = len(run.screen)
        _type(run, "p x\r")
        run.until(lambda s: b"42" in s[start:])  # x = 41 + 1 on the 2nd iteration
        start = len(run.screen)
        _type(run, "c\r")
        # the TUI takes the screen again and draws the table
        run.until(lambda s: ALT_SCREEN in s[start:] and b"ticker" in s[start:])
        run.until(lambda s: s.count(b"(Pdb)") >= 3)  # the second stop
        start = len(run.screen)
        _type(run, "q\r")
        run.until(lambda s: ALT_SCREEN in s[start:] and b"BdbQuit" in s[start:])
        run.until(lambda s: any(e["event"] == "iteration_failed" for e in _events(record)))
        _type(run, "q")  # quit looptui: graceful
        run.drain()
        assert run.proc.wait(timeout=60) == 0
    finally:
        run.close()
    events = _events(record)
    failed = [e for e in events if e["event"] == "iteration_failed"]
    assert [e["error"] for e in failed] == ["BdbQuit"]
    assert failed[0]["loop"] == "ticker"
    assert not _pause_reported(events)
    logs = " ".join(e["text"] for e in events if e["event"] == "log")
    assert "(Pdb)" not in logs and "tick 42" in logs  # the loop's own print is captured


def test_headless_pdb_talks_to_the_terminal(tmp_path):
    run = PtyRun([FIXTURE, "--no-reload", "--headless", "--json"], {})
    try:
        run.until(lambda s: b"(Pdb)" in s)
        start = len(run.screen)
        _type(run, "p x * 2\r")
        run.until(lambda s: b"84" in s[start:])
        _type(run, "c\r")
        run.until(lambda s: s.count(b"(Pdb)") >= 3)
        start = len(run.screen)
        _type(run, "c\r")
        # the loop's output is captured again: a log event
        run.until(lambda s: re.search(rb'"text": ?"tick \d+"', s[start:]))
        os.kill(run.proc.pid, 15)
        run.drain()
        assert run.proc.wait(timeout=60) == 0
    finally:
        run.close()
    screen = bytes(run.screen)
    assert not _pause_reported(_json_lines(screen))
    assert b'"text": "(Pdb)' not in screen and b'"text":"(Pdb)' not in screen


def test_pythonbreakpoint_0_disables_it(tmp_path):
    record = tmp_path / "events.jsonl"
    run = PtyRun([FIXTURE, "--no-reload", "--record", str(record)], {"PYTHONBREAKPOINT": "0"})
    try:
        run.until(lambda s: sum(e["event"] == "iteration_finished"
                                for e in _events(record)) >= 5)
        assert b"(Pdb)" not in run.screen
        _type(run, "q")
        run.drain()
        assert run.proc.wait(timeout=60) == 0
    finally:
        run.close()


def test_another_debugger_module_gets_the_terminal_too(tmp_path):
    record = tmp_path / "events.jsonl"
    env = {"PYTHONBREAKPOINT": "tiny_debugger.set_trace",
           "PYTHONPATH": os.pathsep.join([str(Path(FIXTURE).parent), *sys.path])}
    run = PtyRun([FIXTURE, "--no-reload", "--record", str(record)], env)
    try:
        run.until(lambda s: b"tiny> " in s)
        start = len(run.screen)
        _type(run, "x * 10\r")
        run.until(lambda s: b"tiny says 420" in s[start:])
        run.until(lambda s: ALT_SCREEN in s[start:] and b"ticker" in s[start:])
        run.until(lambda s: s.count(b"tiny> ") >= 2)  # the second stop
        _type(run, "x\r")
        run.until(lambda s: s.count(b"tiny says ") >= 2)
        run.until(lambda s: sum(e["event"] == "iteration_finished"
                                for e in _events(record)) >= 5)
        _type(run, "q")
        run.drain()
        assert run.proc.wait(timeout=60) == 0
    finally:
        run.close()
    events = _events(record)
    assert not _pause_reported(events)
    assert not [e for e in events if e["event"] == "iteration_failed"]
    assert "tiny" not in " ".join(e["text"] for e in events if e["event"] == "log")


def test_post_mortem_gets_the_terminal(tmp_path):
    record = tmp_path / "events.jsonl"
    fixture = str(Path(FIXTURE).parent / "post_mortem_loop.py")
    run = PtyRun([fixture, "--no-reload", "--record", str(record)], {})
    try:
        run.until(lambda s: b"(Pdb)" in s)
        start = len(run.screen)
        _type(run, "p sorted(items)\r")
        run.until(lambda s: b"['a']" in s[start:])
        _type(run, "c\r")
        run.until(lambda s: s.count(b"(Pdb)") >= 3)  # the second iteration
        start = len(run.screen)
        _type(run, "c\r")
        run.until(lambda s: ALT_SCREEN in s[start:] and b"crunch" in s[start:])
        run.until(lambda s: any(e["event"] == "state" and e.get("state") == "finished"
                                for e in _events(record)))
        _type(run, "q")
        run.drain()
        assert run.proc.wait(timeout=60) == 0
    finally:
        run.close()
    events = _events(record)
    logs = [e["text"] for e in events if e["event"] == "log"]
    assert "after the post-mortem 0" in logs and "after the post-mortem 1" in logs
    assert not _pause_reported(events)
