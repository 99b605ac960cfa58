"""Headless mode: readable lines, JSON lines that follow the schema, exit codes, signals."""

from __future__ import annotations

import io
import json
import re
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from looptui.headless import EventPrinter, format_event, shown_by_default
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
        {"loop": "job", "state": "failed", "iterations": 5, "failures": 1, "retries": 2,
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
        "  job   failed     5 iterations, 3 errors (2 retried)  last: ValueError: bad ␛[2J",
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
    # The summary comes last, then the short summary: why the exit status is 3.
    assert lines[summary_at + 3:] == [
        "FAILED doomed - ValueError: doomed ␛[2Jon purpose",
        "== 1 failed, 1 stopped · exit status 3: a loop ended failed or the main failed =="]
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
                                 "failures": 0, "retries": 0, "last_error": None}]


def test_no_loops_found_exits_0_at_once():
    result = looptui(str(TARGETS / "noloops.py"), "--headless")
    assert result.returncode == 0
    assert "no loops found in noloops.py" in result.stdout
    assert result.stdout.splitlines()[-2:] == [
        "summary: 0 loops", "== no loops · exit status 0: no loop failed =="]


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
    assert result.returncode == 3, result.stderr  # exit code 3: the main coroutine failed
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


# ------------------------------------------------------------- readable default
def test_readable_output_leaves_out_routine_events_unless_verbose():
    quiet, verbose = io.StringIO(), io.StringIO()
    for event in EVENTS:
        EventPrinter(quiet)(event)
        EventPrinter(verbose, verbose=True)(event)
    text = quiet.getvalue()
    assert "started" not in text and " ok in " not in text and "-> sleeping" not in text
    for kept in ("added: 5s", "iteration 4 failed", "(retrying)", "cancelled",
                 "before_loop failed", "hello", "blocked the event loop", "reloaded",
                 "reload failed", "removed", "summary: 1 loop"):
        assert kept in text, kept
    assert "iteration 3 started" in verbose.getvalue()
    assert "-> sleeping" in verbose.getvalue()


@pytest.mark.parametrize("state, shown", [
    ("paused", True), ("stopped", True), ("cancelled", True), ("finished", True),
    ("failed", True), ("running", False), ("sleeping", False), ("stopping", False),
])
def test_state_changes_that_matter_are_shown_by_default(state, shown):
    event = {"event": "state", "time": "2024-05-01T09:00:00.000Z", "loop": "job", "state": state}
    assert shown_by_default(event) is shown
    assert EventPrinter(io.StringIO()).wants("state", {"state": state}) is shown


def test_new_event_kinds_are_shown_by_default_and_json_keeps_everything():
    assert shown_by_default({"event": "main_started", "name": "main"})
    assert all(EventPrinter(io.StringIO(), json_mode=True).wants(e["event"], e) for e in EVENTS)


def test_headless_default_and_verbose_runs():
    target = str(TARGETS / "counting.py")
    quiet = looptui(target, "--headless", "--for", "1", "--no-reload")
    loud = looptui(target, "--headless", "--for", "1", "--no-reload", "-v")
    assert quiet.returncode == loud.returncode == 0, quiet.stderr + loud.stderr
    assert "count 2" in quiet.stdout and "finished" in quiet.stdout
    assert "iteration 0 started" not in quiet.stdout and "iteration 0 started" in loud.stdout
    assert quiet.stdout.strip().splitlines()[-4].startswith("summary")


def test_wide_characters_keep_the_columns_aligned():
    from rich.cells import cell_len

    lines = [format_event({"event": "loop_added", "time": "2024-05-01T09:00:00.000Z",
                           "loop": name, "schedule": "5s", "source": "looptui"})[0]
             for name in ("job", "漢字のループ", "🚀🚀 rockets", "")]
    starts = {cell_len(line.split("added")[0]) for line in lines}
    assert len(starts) == 1  # "added" starts in the same terminal column on every line
    assert "''" in lines[-1]  # an empty name is visible
    summary = format_event({"event": "summary", "time": "2024-05-01T09:00:00.000Z", "loops": [
        {"loop": n, "state": "stopped", "iterations": 1, "failures": 0, "last_error": None}
        for n in ("job", "漢字のループ")]})
    assert len({cell_len(line.split("stopped")[0]) for line in summary[1:]}) == 1


def test_the_count_of_characters_left_out_is_the_users_own():
    line = "\x9b" * 3000  # each shows as a 4-character stand-in
    event = {"event": "log", "time": "2024-05-01T09:00:00.000Z", "loop": "job",
             "stream": "stdout", "text": line}
    assert "[2,000 more characters]" in format_event(event)[0]
    huge = {"event": "iteration_failed", "time": "2024-05-01T09:00:00.000Z", "loop": "job",
            "iteration": 1, "duration": 0.1, "lateness": 0.0, "error": "E", "message": "m",
            "traceback": "Traceback:\n" + "é" * 500_000 + "\nE: m\n", "retrying": False}
    printed = "\n".join(format_event(huge))
    assert "[499,000 more characters]" in printed and printed.rstrip().endswith("E: m")


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


def test_readable_output_listens_without_the_routine_events_json_and_verbose_with_them():
    """Readable output drops the events of every iteration, so the session asks the loops
    not to make them at all; ``--json``, ``-v`` and a recorder want them."""
    from looptui.core.registry import Registry
    from looptui.session import Session

    def listens_routinely(*printers: EventPrinter) -> bool:
        registry = Registry()
        session = Session("examples/demo.py", watch=False, registry=registry)
        for printer in printers:
            session.add_sink(printer)
        assert len(registry.listeners) == 1  # the session's one listener
        return bool(registry.routine_listeners)

    readable = EventPrinter(io.StringIO())
    assert not listens_routinely(readable)
    assert listens_routinely(EventPrinter(io.StringIO(), json_mode=True))
    assert listens_routinely(EventPrinter(io.StringIO(), verbose=True))
    assert listens_routinely(readable, EventPrinter(io.StringIO(), json_mode=True))
    assert listens_routinely(lambda event: None)  # a sink that does not say what it wants


def _golden(text: str) -> list[str]:
    """Lines with what changes between runs masked: clock times, durations, paths."""
    text = text.replace(str(TARGETS) + "/", "TARGETS/")
    text = re.sub(r"^\d\d:\d\d:\d\d\.\d{3}", "HH:MM:SS.mmm", text, flags=re.M)
    text = re.sub(r"after \d+\.\d+ms", "after Tms", text)
    text = re.sub(r"retrying in \d+\.\d+s", "retrying in Ts", text)
    lines: list[str] = []
    blocked = False
    for line in text.splitlines():  # a loaded machine may stall the loop: not the subject
        if "  blocked the event loop for " in line:
            blocked = True
            continue
        if blocked and line.startswith("    "):
            continue
        blocked = False
        lines.append(line)
    return lines


def test_golden_readable_output_of_a_failing_loop():
    """Each failure once (the handler's echo of the traceback left out), then a short
    summary naming the failed loop and why the exit status is 3."""
    result = looptui(str(TARGETS / "failing.py"), "--headless", "--for", "0.5", "--no-reload")
    assert result.returncode == 3, result.stderr
    lines = _golden(result.stdout)
    survivor = next(line for line in lines if line.startswith("  survivor"))
    assert lines == [
        "HH:MM:SS.mmm  doomed                    added: 0.01s (looptui)",
        "HH:MM:SS.mmm  survivor                  added: 0.05s (looptui)",
        "HH:MM:SS.mmm  doomed                    iteration 0 failed after Tms: "
        "ValueError: doomed ␛[2Jon purpose",
        "    Traceback (most recent call last):",
        '      File "TARGETS/failing.py", line 8, in doomed',
        '        raise ValueError("doomed \\x1b[2Jon purpose")',
        "    ValueError: doomed ␛[2Jon purpose",
        "HH:MM:SS.mmm  doomed                    -> failed",
        "HH:MM:SS.mmm  survivor                  -> stopped",
        "summary: 2 loops, 1 failed",
        "  doomed    failed     1 iteration, 1 error  last: ValueError: doomed ␛[2Jon purpose",
        survivor,
        "FAILED doomed - ValueError: doomed ␛[2Jon purpose",
        "== 1 failed, 1 stopped · exit status 3: a loop ended failed or the main failed ==",
    ]
    assert re.fullmatch(r"  survivor  stopped    \d+ iterations, 0 errors", survivor)


def test_golden_readable_output_of_a_retrying_loop():
    """A retried error: one block, no frame of looptui's, the retry delay in one line,
    and the error counted as the TUI's Errors column counts it."""
    result = looptui(str(TARGETS / "retrying.py"), "--headless", "--no-reload")
    assert result.returncode == 0, result.stderr
    assert _golden(result.stdout) == [
        "HH:MM:SS.mmm  sync_feed                 added: 0.01s (looptui)",
        "HH:MM:SS.mmm  sync_feed                 iteration 0 failed after Tms: "
        "ConnectionResetError: reset by peer (retrying)",
        "    Traceback (most recent call last):",
        '      File "TARGETS/retrying.py", line 12, in sync_feed',
        '        raise ConnectionResetError("reset by peer")',
        "    ConnectionResetError: reset by peer",
        "HH:MM:SS.mmm  sync_feed                 logging: retrying in Ts",
        "HH:MM:SS.mmm  sync_feed                 -> finished",
        "summary: 1 loop",
        "  sync_feed  finished   3 iterations, 1 error (1 retried)  "
        "last: ConnectionResetError: reset by peer",
        "== 1 finished · exit status 0: no loop failed ==",
    ]
