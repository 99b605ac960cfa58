"""Signals against a program that has its own handlers, and during a slow import.

Real subprocesses and real signals: looptui's handlers must survive the program's
(put back after import, chained so the program's shutdown still runs).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from robust_support import TIMEOUT, json_lines, looptui_process, target, wait_until

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX signals")


def _run_until(proc: subprocess.Popen[str], marker: str) -> list[str]:
    """Read *proc*'s stdout until a line containing *marker*; return the lines read."""
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if marker in line:
            return seen
    raise AssertionError(f"{marker!r} never printed; stderr: {proc.stderr.read() if proc.stderr else ''}")


@posix_only
@pytest.mark.parametrize("mode", ["signal", "asyncio", "later"])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_one_signal_stops_a_program_with_its_own_handlers_and_chains_to_them(mode, sig):
    env = {**os.environ, "OWN_SIGNALS": mode}
    proc = looptui_process(target("own_signals.py"), "--headless", "--json", "--no-reload",
                           env=env)
    try:
        marker = "handler replaced" if mode == "later" else '"iteration_finished"'
        seen = _run_until(proc, marker)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=TIMEOUT)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    events = json_lines("".join(seen) + out)
    said = [e.get("text") for e in events if e["event"] == "log"]
    assert f"program handler ran for {sig.name}" in said
    assert "worker after_loop ran" in said
    assert events[-1]["event"] == "summary"
    assert events[-1]["loops"][0]["state"] == "stopped"


@posix_only
def test_a_program_handler_that_exits_ends_looptui_gracefully_with_its_code(tmp_path):
    program = tmp_path / "exits_on_term.py"
    program.write_text(
        "import signal, sys\n"
        "from looptui import loop\n"
        "@loop(seconds=0.02)\n"
        "async def worker():\n"
        "    pass\n"
        "@worker.after_loop\n"
        "async def done():\n"
        "    print('worker after_loop ran')\n"
        "signal.signal(signal.SIGTERM, lambda s, f: sys.exit(9))\n"
    )
    proc = looptui_process(str(program), "--headless", "--json", "--no-reload")
    try:
        seen = _run_until(proc, '"iteration_finished"')
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=TIMEOUT)
    finally:
        proc.kill()
    assert proc.returncode == 9, err
    events = json_lines("".join(seen) + out)
    assert any(e.get("text") == "worker after_loop ran" for e in events)
    assert "Traceback" not in err


@posix_only
def test_one_ctrl_c_interrupts_a_slow_import(tmp_path):
    marks = tmp_path / "importing"
    program = tmp_path / "slow_import.py"
    program.write_text(
        "import pathlib, time\n"
        f"pathlib.Path({str(marks)!r}).write_text('now')\n"
        "time.sleep(600)\n"
    )
    proc = looptui_process(str(program), "--headless", "--no-reload")
    try:
        wait_until(marks.exists)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=TIMEOUT)
    finally:
        proc.kill()
    assert proc.returncode == 1, err  # the first Ctrl+C ends the import, saying where it was
    assert "interrupted while importing" in err and "slow_import.py" in err


@posix_only
def test_a_hang_up_counts_once_and_calls_on_hangup_before_anything_else():
    """The kernel's SIGHUP and the TUI driver's report of the same hang-up are one signal."""
    import asyncio

    from looptui.session.program.signals import QuitSignals

    calls: list[str] = []

    async def main() -> None:
        signals = QuitSignals(lambda: calls.append("first"), lambda: calls.append("second"),
                              on_hangup=lambda: calls.append("hangup"))
        assert signals.install()
        try:
            signal.raise_signal(signal.SIGHUP)
            signal.raise_signal(signal.SIGHUP)  # the same hang-up, reported again
            await asyncio.sleep(0)  # the scheduled callback runs before this task resumes
            assert signals.count == 1
            signal.raise_signal(signal.SIGTERM)
            await asyncio.sleep(0)
        finally:
            signals.uninstall()

    asyncio.run(main())
    assert calls == ["hangup", "first", "second"]
