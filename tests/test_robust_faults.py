"""Faults in user code: each has a defined outcome, and looptui is the last thing standing.

Hook and shutdown cases run in virtual time; the ones about the process (exit codes,
signals, a loop that never gives control back) run ``python -m looptui`` in a subprocess.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time

import pytest

from looptui import LoopState, loop
from looptui.core import clock
from looptui.session import Session
from looptui.session.output.clip import TRACEBACK_LINES
from looptui.testing import run_virtual
from robust_support import (  # noqa: F401  (fixture)
    TIMEOUT, PtyRun, isolated, json_lines, looptui_process, rest_of, target, wait_for,
    wait_until,
)

pytestmark = pytest.mark.usefixtures("isolated")
posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX signals")


async def _session(received: list[dict]) -> Session:
    session = Session(target("quiet.py"), watch=False)
    session.add_sink(received.append)
    await session.start()
    return session


# ---------------------------------------------------------------------- hooks
def test_after_loop_raising_fails_the_loop_with_the_hook_named():
    async def main():
        received: list[dict] = []
        session = await _session(received)

        @loop(seconds=1, count=2, name="tidy")
        async def tidy():
            pass

        @tidy.after_loop
        async def tidy_after():
            raise RuntimeError("could not close the connection")

        task = tidy.start()
        await wait_for(task.done)
        return tidy, task, await session.shutdown(), received

    tidy, task, names, received = run_virtual(main)
    assert isinstance(task.exception(), RuntimeError)  # as in discord.py: the task fails
    assert names == []
    tracker = tidy.tracker
    assert tracker.state is LoopState.FAILED and tracker.total_iterations == 2
    assert tracker.last_exception.where == "after_loop"
    assert tracker.last_exception.summary == "RuntimeError: could not close the connection"
    hook = [e for e in received if e["event"] == "hook_failed"]
    assert [(e["hook"], e["error"]) for e in hook] == [("after_loop", "RuntimeError")]
    assert "could not close" in hook[0]["traceback"]


def test_the_error_handler_raising_records_both_exceptions():
    async def main():
        received: list[dict] = []
        session = await _session(received)

        @loop(seconds=1, name="fragile")
        async def fragile():
            raise ValueError("body broke")

        @fragile.error
        async def fragile_error(exc):
            raise TypeError("handler broke too")

        fragile.start()
        await wait_for(lambda: not fragile.is_running())
        await session.shutdown()
        return fragile, received

    fragile, received = run_virtual(main)
    tracker = fragile.tracker
    assert tracker.state is LoopState.FAILED and fragile.failed()
    assert [(e.where, e.type_name) for e in tracker.exceptions] == [
        ("body", "ValueError"), ("error", "TypeError")]
    kinds = [(e["event"], e.get("error")) for e in received
             if e["event"] in ("iteration_failed", "hook_failed")]
    assert kinds == [("iteration_failed", "ValueError"), ("hook_failed", "TypeError")]


def test_before_loop_that_never_returns_waits_visibly_and_is_cancelled_at_shutdown():
    async def main():
        session = await _session([])
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        @loop(seconds=1, name="unready")
        async def unready():
            pass

        @unready.before_loop
        async def wait_ready():
            await ready  # e.g. bot.wait_until_ready() while offline

        unready.start()
        started = clock.now()
        await asyncio.sleep(30)
        waiting = (unready.tracker.state, clock.now() - unready.tracker.state_since)
        names = await session.shutdown()
        return waiting, started, names, unready.tracker.state

    (state, waited), started, names, final = run_virtual(main)
    assert state is LoopState.WAITING and waited >= 30  # the details show "waiting 30s"
    assert names == [] and final is LoopState.CANCELLED


def test_a_loop_that_swallows_cancellation_is_named_and_shutdown_stays_bounded():
    async def main():
        session = Session(target("stubborn.py"), watch=False)
        await session.start()
        await asyncio.sleep(2)
        evloop = asyncio.get_running_loop()
        began = evloop.time()
        names = await session.shutdown(timeout=5.0)
        took = evloop.time() - began
        session.module.relent = True  # so that this test's own event loop can end
        return names, took

    names, took = run_virtual(main)
    assert names == ["stubborn"]
    assert took <= 5.0 + 1.0 + 0.5  # stop timeout + cancel wait (virtual seconds)


def test_a_recursion_error_keeps_events_bounded_and_the_loop_keeps_all_of_it():
    async def main():
        received: list[dict] = []
        session = await _session(received)

        def ping(n):
            return pong(n + 1)

        def pong(n):
            return ping(n + 1)

        @loop(seconds=1, count=1, name="deep")
        async def deep():
            ping(0)

        deep.start()
        await wait_for(lambda: not deep.is_running())
        await session.shutdown()
        return deep, received

    deep, received = run_virtual(main)
    info = deep.tracker.last_exception
    assert info.type_name == "RecursionError"
    failed = next(e for e in received if e["event"] == "iteration_failed")
    clipped = failed["traceback"].splitlines()
    assert len(clipped) <= TRACEBACK_LINES + 1
    assert any("lines not shown" in line for line in clipped)
    assert clipped[-1].startswith("RecursionError")  # the end, where the error is, is kept
    assert len(info.traceback.splitlines()) > 3 * TRACEBACK_LINES  # all of it on demand


# ------------------------------------------------------------ exits and signals
def test_sys_exit_and_keyboard_interrupt_in_a_body_end_that_loop_only():
    proc = looptui_process(target("exits.py"), "--headless", "--json", "--for", "5")
    out, err = rest_of(proc)
    events = json_lines(out)
    assert proc.returncode == 3, err  # loops ended failed; looptui itself did not exit 4
    summary = {e["loop"]: e for e in events[-1]["loops"]}
    assert summary["quitter"]["state"] == "failed"
    assert summary["quitter"]["last_error"] == "SystemExit: 4"
    assert summary["interrupter"]["last_error"] == "KeyboardInterrupt: from the body"
    assert summary["survivor"]["state"] == "finished"
    assert summary["survivor"]["iterations"] == 20
    said = [e["text"] for e in events if e["event"] == "log"]
    assert any("loop quitter raised SystemExit(4)" in text for text in said)
    assert any("looptui keeps running" in text for text in said)
    assert "survivor after_loop ran" in said


def test_sys_exit_from_a_task_that_is_not_a_loop_quits_gracefully_with_its_code():
    proc = looptui_process(target("user_exit.py"), "--headless", "--json")
    out, err = rest_of(proc)
    assert proc.returncode == 5, err
    events = json_lines(out)
    assert events[-1]["event"] == "summary"
    assert events[-1]["loops"][0]["state"] == "stopped"
    assert any(e.get("text") == "ticker after_loop ran" for e in events)


def test_quit_is_bounded_with_a_loop_that_ignores_cancellation():
    proc = looptui_process(target("stubborn.py"), "--headless", "--for", "0.2")
    out, err = rest_of(proc)
    assert proc.returncode == 0, err
    assert "these loops did not stop: stubborn" in err
    assert "summary: 1 loop" in out


@posix_only
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_runs_after_loop_hooks_before_exiting(sig):
    proc = looptui_process(target("exits.py"), "--headless", "--json")
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # the survivor has run: it is mid-way
            if '"iteration_finished"' in line and '"survivor"' in line:
                break
        proc.send_signal(sig)
        out, err = rest_of(proc)
    finally:
        proc.kill()
    events = json_lines(out)
    assert proc.returncode == 3, err  # quitter and interrupter failed
    assert events[-1]["event"] == "summary"
    assert any(e.get("text") == "survivor after_loop ran" for e in events)


@posix_only
def test_three_signals_end_a_loop_that_never_gives_the_event_loop_back():
    proc = looptui_process(target("spin.py"), "--headless", "--json")
    sent = 0
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if '"iteration_started"' in line:  # the body is spinning from now on
                break
        while proc.poll() is None and sent < 3:  # (a 4th, after looptui let go, would kill)
            proc.send_signal(signal.SIGTERM)
            sent += 1
            try:
                proc.wait(timeout=0.3)  # apart, so that the kernel does not merge them
            except subprocess.TimeoutExpired:
                pass
        out, err = rest_of(proc)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert sent >= 3
    assert "interrupted" in err
    events = json_lines(out)
    assert events[-1]["event"] == "summary"
    assert events[-1]["loops"][0]["state"] == "failed"
    assert "ForcedInterrupt" in events[-1]["loops"][0]["last_error"]
    assert any(e.get("text") == "spin after_loop ran" for e in events)


def test_a_signal_after_the_forced_interrupt_ends_the_process_with_130():
    """After the third signal the process is on its way out with 130; a thread that never
    ends keeps it at the exit, and a further signal ends it — with 130, not killed by it."""
    proc = looptui_process(target("spin_and_linger.py"), "--headless", "--json")
    sent = 0
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if '"iteration_started"' in line:
                break
        while proc.poll() is None and sent < 10:
            proc.send_signal(signal.SIGTERM)
            sent += 1
            try:
                proc.wait(timeout=0.3)
            except subprocess.TimeoutExpired:
                pass
        out, err = rest_of(proc)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert sent >= 4  # the lingering thread held the process after the forced interrupt
    assert json_lines(out)[-1]["event"] == "summary"


def _tui(args: list[str], env: dict[str, str], when=None, then=None) -> tuple[int, bytes]:
    """Run the TUI on a pseudo-terminal; once ``when(screen)`` is true, call ``then(proc)``.

    Returns the exit status and everything drawn.
    """
    import pty
    import select

    master, slave = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "30", **env}
    proc = subprocess.Popen([sys.executable, "-m", "looptui", *args],
                            stdin=slave, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    screen = bytearray()
    try:
        deadline = time.monotonic() + TIMEOUT
        while proc.poll() is None and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    screen += os.read(master, 65536)
                except OSError:
                    break
            if when is not None and when(bytes(screen)):
                then(proc)
                when = None
        code = proc.wait(timeout=TIMEOUT)
        while True:  # what was drawn last
            ready, _, _ = select.select([master], [], [], 0)
            if not ready:
                break
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            screen += chunk
    finally:
        proc.kill()
        os.close(master)
    assert when is None, "the condition was never met"
    return code, bytes(screen)


@posix_only
@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_quits_the_tui_gracefully(tmp_path, sig):
    code, screen = _tui(
        [target("marked.py")], {"LOOPTUI_TEST_MARKS": str(tmp_path)},
        when=lambda screen: (tmp_path / "ran").exists() and b"marked" in screen,
        then=lambda proc: proc.send_signal(sig),
    )
    assert code == 0
    assert (tmp_path / "after_loop").exists()
    assert b"\x1b[?1049l" in screen  # the alternate screen was left: terminal restored


@posix_only
@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_the_tui_survives_a_loop_calling_sys_exit():
    code, screen = _tui([target("exits.py"), "--for", "1.5", "--no-reload"], {})
    assert code == 0
    text = screen.decode("utf-8", "replace")
    assert "SystemExit" in text and "KeyboardInterrupt" in text  # shown in the table
    assert "survivor" in text


def _left_clean(screen: bytes) -> bool:
    """Whether the last alternate screen entered was left and the cursor shown after it."""
    entered = screen.rfind(b"\x1b[?1049h")
    return entered >= 0 and b"\x1b[?1049l" in screen[entered:] and b"\x1b[?25h" in screen[
        screen.rfind(b"\x1b[?25l"):]


@posix_only
@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_a_forced_exit_from_the_tui_gives_the_terminal_back(tmp_path):
    """Blocking code that takes the event loop back after every interrupt (a plain callback
    that re-arms itself, which no cancellation reaches) keeps Textual from ever giving the
    terminal back; the forced exit still must, and must end with 130."""
    import termios

    run = PtyRun([target("blocking_callback.py"), "--no-reload"],
                 {"LOOPTUI_TEST_MARKS": str(tmp_path)})
    sent = 0
    try:
        run.until(lambda screen: (tmp_path / "ran").exists() and b"ticker" in screen)
        (tmp_path / "spin").touch()  # the callback now holds the event loop, again and again
        run.until(lambda screen: (tmp_path / "spinning").exists())
        # 1st and 2nd: not served (the event loop is held); 3rd: forced, and the front end
        # is cancelled, but the callback holds the event loop again; 4th and on: out at once
        while run.proc.poll() is None and sent < 20:
            run.proc.send_signal(signal.SIGTERM)
            sent += 1
            run.keep_reading(0.3)  # (apart, so that the kernel does not merge them)
        code = run.proc.wait(timeout=TIMEOUT)
        run.drain()
        after = termios.tcgetattr(run.master)
    finally:
        run.close()
    assert code == 130  # never killed by a signal that came on the way out
    assert sent > 3  # Textual's own shutdown could not run: only the guard gave it back
    assert _left_clean(bytes(run.screen))  # the alternate screen was left, the cursor is back
    for flag in (termios.ICANON, termios.ECHO):  # raw mode undone
        assert after[3] & flag == run.modes_before[3] & flag


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
@pytest.mark.parametrize("suspend", ["ctrl+z", "kill -TSTP"])
def test_after_a_suspension_and_fg_the_whole_screen_is_drawn_again(tmp_path, suspend):
    """In a real terminal with a shell's job control: Ctrl-Z (or `kill -TSTP`), then `fg`."""
    name = f"looptui-test-{os.getpid()}"
    pidfile = tmp_path / "pid"

    def tmux(*args: str) -> str:
        return subprocess.run(["tmux", *args], capture_output=True, text=True,
                              timeout=TIMEOUT).stdout

    def pane() -> list[str]:
        return tmux("capture-pane", "-t", name, "-p").splitlines()

    # A simple command, so that `$!` is python itself (a `cd … && python …` list would
    # be a subshell whose stop the shell sees before looptui has left the screen).
    command = (f"{shlex.quote(sys.executable)} -m looptui {shlex.quote(target('marked.py'))} "
               f"--no-reload & echo $! > {pidfile}; fg")
    env = f"LOOPTUI_TEST_MARKS={shlex.quote(str(tmp_path))}"
    tmux("new-session", "-d", "-s", name, "-x", "120", "-y", "30", "-c", os.getcwd(),
         "bash", "--norc")
    try:
        tmux("send-keys", "-t", name, f"export {env}; {command}", "Enter")
        wait_until(lambda: any("Last exception" in line for line in pane()))
        if suspend == "ctrl+z":
            tmux("send-keys", "-t", name, "C-z")
        else:
            os.kill(int(pidfile.read_text()), signal.SIGTSTP)
        wait_until(lambda: any("Stopped" in line for line in pane()))  # the shell's screen
        assert not any("Last exception" in line for line in pane())
        tmux("send-keys", "-t", name, "fg", "Enter")
        wait_until(lambda: any("marked" in line for line in pane()[2:4]))
        wait_until(lambda: "Last exception" in pane()[1] and "? more" in pane()[-1])
        tmux("send-keys", "-t", name, "q")
        wait_until(lambda: (tmp_path / "after_loop").exists())
    finally:
        tmux("kill-session", "-t", name)
        _end_left_behind(pidfile, "marked.py")


def _end_left_behind(pidfile, script: str) -> None:
    """Kill the looptui a failed terminal test left behind (stopped by the test's own
    SIGTSTP, it can outlive its tmux session), if it is still that process."""
    try:
        pid = int(pidfile.read_text())
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            if script.encode() not in cmdline.read():
                return
        os.kill(pid, signal.SIGKILL)
    except (OSError, ValueError):
        pass  # never written, already gone, or no /proc: nothing to end


def test_an_error_handler_that_never_returns_is_marked_stuck():
    from looptui.session.health.stuck import STUCK_MIN_SECONDS

    async def main():
        received: list[dict] = []
        never: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        @loop(seconds=1, name="handled")
        async def handled():
            raise ValueError("boom")

        @handled.error
        async def handled_error(exc):
            await never  # the handler waits for something that never comes

        session = Session(target("quiet.py"), watch=False)
        session.add_sink(received.append)
        await session.start()
        handled.start()
        tracker = handled.tracker
        await wait_for(lambda: "stuck" in tracker.notes)
        note = dict(tracker.notes["stuck"])
        await session.shutdown()  # cancels the handler
        return note, received, tracker.state

    note, received, state = run_virtual(main)
    assert note["hook"] == "error" and note["iteration"] is None
    assert note["running_for"] >= STUCK_MIN_SECONDS
    stuck = [e for e in received if e["event"] == "stuck"]
    assert len(stuck) == 1 and stuck[0]["hook"] == "error" and stuck[0]["loop"] == "handled"
    assert state is LoopState.FAILED  # the body raised; the handler was cancelled at shutdown


def test_a_body_raising_cancelled_error_itself_is_recorded():
    async def main():
        received: list[dict] = []

        @loop(seconds=1, name="selfcancel")
        async def selfcancel():
            raise asyncio.CancelledError("from the body")

        session = Session(target("quiet.py"), watch=False)
        session.add_sink(received.append)
        await session.start()
        selfcancel.start()
        tracker = selfcancel.tracker
        await wait_for(lambda: not tracker.is_active)
        await session.shutdown()
        return tracker, received

    tracker, received = run_virtual(main)
    assert tracker.state is LoopState.CANCELLED
    info = tracker.last_exception
    assert info is not None and info.type_name == "CancelledError"
    assert "raise asyncio.CancelledError" in info.traceback
    assert tracker.history[-1].exception is info
    said = "\n".join(e["text"] for e in received if e["event"] == "log")
    assert "raised CancelledError itself" in said


def test_a_program_lowering_the_recursion_limit_does_not_break_looptui(tmp_path):
    program = tmp_path / "shallow.py"
    program.write_text(
        "import sys\n"
        "from looptui import loop\n"
        "sys.setrecursionlimit(50)\n"
        "@loop(seconds=0.01, count=3)\n"
        "async def tick():\n"
        "    print('limit', sys.getrecursionlimit())\n"
    )
    proc = looptui_process(str(program), "--headless", "--json", "--for", "5")
    out, err = rest_of(proc)
    assert proc.returncode == 0, err
    said = [e["text"] for e in json_lines(out) if e["event"] == "log"]
    assert any("set the recursion limit to 50" in text and "set it back to" in text
               for text in said)
    assert any(t.startswith("limit ") and int(t.split()[1]) >= 1000 for t in said)
    assert json_lines(out)[-1]["loops"][0]["state"] == "finished"
