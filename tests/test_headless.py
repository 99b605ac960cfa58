"""Headless mode: readable lines, JSON lines that follow the schema, exit codes, signals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from looptui.headless import EventPrinter, format_event
from test_events import check_event

TARGETS = Path(__file__).parent / "fixtures" / "targets"
TIMEOUT = 60


def looptui(*args: str, timeout: float = TIMEOUT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "looptui", *args],
        capture_output=True, text=True, timeout=timeout,
    )


# ------------------------------------------------------------------- formatting
EVENTS = [
    {"event": "loop_added", "time": "2024-05-01T09:00:00.000Z", "loop": "job",
     "schedule": "5s", "source": "looptui"},
    {"event": "state", "time": "2024-05-01T09:00:00.000Z", "loop": "job", "state": "sleeping"},
    {"event": "iteration_started", "time": "2024-05-01T09:00:00.000Z", "loop": "job",
     "iteration": 3, "scheduled": None},
    {"event": "iteration_finished", "time": "2024-05-01T09:00:00.000Z", "loop": "job",
     "iteration": 3, "duration": 0.0123, "lateness": 0.0004},
    {"event": "iteration_failed", "time": "2024-05-01T09:00:00.000Z", "loop": "job",
     "iteration": 4, "duration": 1.5, "lateness": 0.0, "error": "ValueError",
     "message": "bad \x1b[2J", "traceback": "Traceback:\n  x\nValueError: bad \x1b[2J\n",
     "retrying": True},
    {"event": "iteration_cancelled", "time": "2024-05-01T09:00:00.000Z", "loop": "job",
     "iteration": 5, "duration": 0.1, "lateness": 0.0},
    {"event": "hook_failed", "time": "2024-05-01T09:00:00.000Z", "loop": "job",
     "hook": "before_loop", "error": "E", "message": "m", "traceback": "tb"},
    {"event": "log", "time": "2024-05-01T09:00:00.000Z", "loop": None, "stream": "stdout",
     "text": "\x1b]0;pwned\x07hello"},
    {"event": "blocked", "time": "2024-05-01T09:00:00.000Z", "loop": "job", "duration": 0.5,
     "stack": '  File "bot.py", line 3\n'},
    {"event": "reload", "time": "2024-05-01T09:00:00.000Z", "added": ["a"], "removed": [],
     "changed": ["b"]},
    {"event": "reload_failed", "time": "2024-05-01T09:00:00.000Z", "error": "SyntaxError",
     "traceback": "tb"},
    {"event": "loop_removed", "time": "2024-05-01T09:00:00.000Z", "loop": "job"},
    {"event": "summary", "time": "2024-05-01T09:00:00.000Z", "loops": [
        {"loop": "job", "state": "failed", "iterations": 5, "failures": 1,
         "last_error": "ValueError: bad \x1b[2J"}]},
]


def test_every_kind_formats_to_inert_readable_lines():
    for event in EVENTS:
        check_event(event)
        lines = format_event(event)
        assert lines and all("\x1b" not in line and "\x07" not in line for line in lines)
    by_kind = {e["event"]: format_event(e) for e in EVENTS}
    assert by_kind["iteration_finished"][0].endswith("iteration 3 ok in 12.3ms (0.40ms late)")
    assert by_kind["iteration_failed"][0].endswith(
        "iteration 4 failed after 1.50s: ValueError: bad ␛[2J (retrying)")
    assert by_kind["iteration_failed"][1:] == [
        "    Traceback:", "      x", "    ValueError: bad ␛[2J"]
    assert by_kind["log"][0].endswith("stdout: ␛]0;pwned␇hello")
    assert " -  " in by_kind["log"][0]
    assert by_kind["summary"] == [
        "summary: 1 loop, 1 failed",
        "  job   failed     5 iterations, 1 failures  last: ValueError: bad ␛[2J",
    ]


def test_printer_writes_json_lines_and_survives_a_closed_pipe():
    class Closed:
        def write(self, text):
            raise BrokenPipeError

        def flush(self):
            pass

    closed: list[bool] = []
    printer = EventPrinter(Closed(), on_closed=lambda: closed.append(True))
    printer(EVENTS[0])
    printer(EVENTS[1])
    assert closed == [True]

    import io

    out = io.StringIO()
    EventPrinter(out, json_mode=True)(EVENTS[7])
    assert json.loads(out.getvalue()) == EVENTS[7]
    assert "\x1b" not in out.getvalue()  # JSON escapes control characters


# --------------------------------------------------------------------- real runs
def test_json_run_follows_the_schema_and_ends_with_the_summary(tmp_path):
    record = tmp_path / "run.jsonl"
    result = looptui(str(TARGETS / "events_all.py"), "--headless", "--json", "--for", "1.5",
                     "--record", str(record))
    assert result.returncode == 3, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    for event in events:
        check_event(event)
    assert events[-1]["event"] == "summary"
    assert [json.loads(line) for line in record.read_text().splitlines()] == events
    kinds = {e["event"] for e in events}
    assert {"loop_added", "state", "iteration_started", "iteration_finished",
            "iteration_failed", "hook_failed", "log", "blocked", "summary"} <= kinds
    summary = {entry["loop"]: entry for entry in events[-1]["loops"]}
    assert summary["fails"]["state"] == "failed"
    assert summary["fails"]["last_error"] == "KeyError: 'missing'"
    assert summary["fine"]["state"] == "finished" and summary["fine"]["iterations"] == 2
    assert summary["bad_hook"]["state"] == "failed"
    assert summary["flaky"]["state"] == "stopped"  # retried, then stopped at the end
    retried = [e for e in events if e["event"] == "iteration_failed" and e["loop"] == "flaky"]
    assert retried[0]["retrying"] is True and retried[0]["error"] == "OSError"
    # (a busy machine may add stalls of its own: look for the one the fixture causes)
    blocked = next(e for e in events if e["event"] == "blocked" and e["loop"] == "blocker")
    assert "time.sleep(0.6)" in blocked["stack"] and blocked["duration"] >= 0.25
    logs = [e for e in events if e["event"] == "log"]
    assert logs[0] == {**logs[0], "loop": None, "text": "events_all imported"}
    fine_logs = [e for e in logs if e["loop"] == "fine"]
    expected = {"stream": "stdout", "text": "fine \x1b]0;title\x07 line"}
    assert expected.items() <= fine_logs[0].items()


def test_readable_run_prints_lines_and_exits_3_on_a_failed_loop():
    result = looptui(str(TARGETS / "failing.py"), "--headless", "--for", "0.5")
    assert result.returncode == 3, result.stderr
    out = result.stdout
    assert "doomed" in out and "iteration 0 failed" in out
    assert "ValueError: doomed ␛[2Jon purpose" in out
    assert "\x1b" not in out
    lines = out.splitlines()
    summary_at = next(i for i, line in enumerate(lines) if line.startswith("summary:"))
    assert lines[summary_at] == "summary: 2 loops, 1 failed"
    assert len(lines) == summary_at + 3  # the summary comes last
    assert result.stderr == ""


def test_count_limited_loops_end_the_run_without_for(tmp_path):
    path = tmp_path / "short_lived.py"
    path.write_text(
        "from looptui import loop\n"
        "@loop(seconds=0.01, count=2)\nasync def brief():\n    print('x')\n"
    )
    result = looptui(str(path), "--headless", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.splitlines()[-1])
    assert summary["loops"] == [{"loop": "brief", "state": "finished", "iterations": 2,
                                 "failures": 0, "last_error": None}]


def test_no_loops_found_exits_0_at_once():
    result = looptui(str(TARGETS / "noloops.py"), "--headless")
    assert result.returncode == 0
    assert "no loops found in noloops.py" in result.stdout
    assert result.stdout.splitlines()[-1] == "summary: 0 loops"


def test_no_loops_found_in_json_mode_keeps_stdout_json():
    result = looptui(str(TARGETS / "noloops.py"), "--headless", "--json", "--for", "0.1")
    assert result.returncode == 0
    assert "no loops found" in result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert events[-1]["event"] == "summary" and events[-1]["loops"] == []


def test_main_can_create_the_loops():
    result = looptui(str(TARGETS / "with_main.py"), "--headless", "--json", "--main", "main",
                     "--for", "0.3")
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert events[-1]["loops"][0]["loop"] == "made_by_main"
    assert "no loops found" not in result.stderr


def test_failing_main_is_not_fatal_but_exits_3():
    result = looptui(str(TARGETS / "with_main.py"), "--headless", "--main", "broken_main",
                     "--for", "0.2")
    assert result.returncode == 3, result.stderr  # DESIGN §4: the main coroutine failed
    assert "main failed: broken_main: RuntimeError: main could not connect" in result.stdout
    assert "summary:" in result.stdout  # the run went on to its graceful end


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_gracefully_with_a_summary(sig):
    proc = subprocess.Popen(
        [sys.executable, "-m", "looptui", str(TARGETS / "forever.py"), "--headless", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # wait until the loop has really run once
            if json.loads(line)["event"] == "iteration_finished":
                break
        proc.send_signal(sig)
        rest, err = proc.communicate(timeout=TIMEOUT)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    summary = json.loads(rest.splitlines()[-1])
    assert summary["event"] == "summary"
    assert summary["loops"][0]["state"] == "stopped"


def test_readable_lines_never_cut_loop_names():
    name = "NotificationScheduler.refresh_upcoming_reminders_for_every_guild#2"
    stamp = "2026-01-01T00:00:00+00:00"
    started = format_event({"event": "state", "time": stamp, "loop": name, "state": "running"})
    short = format_event({"event": "state", "time": stamp, "loop": "tick", "state": "running"})
    summary = format_event({"event": "summary", "time": stamp, "main": None, "loops": [
        {"loop": name, "state": "stopped", "iterations": 3, "failures": 0, "last_error": None},
        {"loop": "tick", "state": "failed", "iterations": 1, "failures": 1, "last_error": "E: x"},
    ]})
    assert f"  {name}  -> running" in started[0]
    assert "  tick" + " " * 20 + "  -> running" in short[0]  # short names still line up
    assert summary[1].startswith(f"  {name}  stopped")
    assert summary[2].startswith("  tick" + " " * (len(name) - 4) + "  failed")
