"""``--record`` durability: every event is on disk as it happens, even after ``kill -9``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from looptui.cli import run
from robust_support import TIMEOUT, target, wait_until


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
