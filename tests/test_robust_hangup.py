"""The terminal of the TUI goes away (a closed ssh session, a killed tmux window).

Each test runs ``looptui`` on a real pseudo-terminal that is its controlling terminal,
closes the terminal's master side (the kernel hangs it up and sends SIGHUP), and waits —
bounded, on conditions — for the process to exit and for what ``after_loop`` wrote. The
quit must be the graceful one (loops stopped, hooks run, record complete) and must end
even though nothing can be drawn any more.
"""

from __future__ import annotations

import json
import os
import signal
import sys

import pytest

from robust_support import TIMEOUT, PtyRun, target

pytestmark = pytest.mark.skipif(os.name != "posix" or sys.platform == "win32",
                                reason="needs a POSIX pseudo-terminal")


def _run(tmp_path, mode: str = "") -> PtyRun:
    run = PtyRun([target("hangup.py"), "--no-reload", "--record", str(tmp_path / "rec.jsonl")],
                 {"LOOPTUI_TEST_MARKS": str(tmp_path), "LOOPTUI_TEST_HANGUP": mode})
    run.until(lambda screen: (tmp_path / "ran").exists() and b"hangup" in screen)
    return run


def _record(tmp_path) -> list[dict]:
    text = (tmp_path / "rec.jsonl").read_text()
    assert text.endswith("\n")  # the last line is complete
    return [json.loads(line) for line in text.splitlines()]


def _summary_state(events: list[dict]) -> str:
    assert events[-1]["event"] == "summary"
    return events[-1]["loops"][0]["state"]


def test_closing_the_terminal_quits_gracefully(tmp_path):
    run = _run(tmp_path)
    try:
        run.hang_up()
        assert run.proc.wait(timeout=TIMEOUT) == 0
    finally:
        run.close()
    assert (tmp_path / "after_loop").exists()
    assert _summary_state(_record(tmp_path)) == "stopped"


def test_closing_the_terminal_while_a_body_runs_lets_it_finish(tmp_path):
    run = _run(tmp_path, "body")
    try:
        run.until(lambda screen: (tmp_path / "in_body").exists())
        run.hang_up()  # the body runs until looptui asks the loop to stop
        assert run.proc.wait(timeout=TIMEOUT) == 0
    finally:
        run.close()
    assert (tmp_path / "body_done").exists()
    assert (tmp_path / "after_loop").exists()
    events = _record(tmp_path)
    assert _summary_state(events) == "stopped"
    kinds = [e["event"] for e in events]
    assert "iteration_finished" in kinds and "iteration_failed" not in kinds


def test_closing_the_terminal_with_a_slow_after_loop_ends_as_the_quit_does(tmp_path):
    run = _run(tmp_path, "slow_after")
    try:
        run.hang_up()
        # bounded like the quit key: the loops get 5 s, then are cancelled
        assert run.proc.wait(timeout=TIMEOUT) == 0
    finally:
        run.close()
    assert (tmp_path / "after_loop_started").exists()
    assert not (tmp_path / "after_loop").exists()
    assert _summary_state(_record(tmp_path)) == "cancelled"


def test_sighup_with_the_terminal_still_there_gives_it_back(tmp_path):
    """``kill -HUP`` by hand: the terminal is alive, so it is restored as on a quit."""
    run = _run(tmp_path)
    try:
        run.proc.send_signal(signal.SIGHUP)
        run.drain()
        assert run.proc.wait(timeout=TIMEOUT) == 0
    finally:
        run.close()
    assert (tmp_path / "after_loop").exists()
    screen = bytes(run.screen)
    assert b"\x1b[?1049l" in screen[screen.rfind(b"\x1b[?1049h"):]  # alternate screen left
