"""The session: start, discovery, --main, output, events, lag, graceful shutdown.

Most tests run in virtual time (:func:`looptui.testing.run_virtual`), so loops that run
"for a second" finish at once and nothing depends on the speed of the machine.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from pathlib import Path

import pytest

from looptui import LoopState, loop
from looptui.core.registry import REGISTRY, Registry
from looptui.core.tracker import Tracker
from looptui.session import Session, TargetImportError, TargetUsageError
from looptui.session.health.lag import LagProbe
from looptui.testing import run_virtual

import polling

TARGETS = Path(__file__).parent / "fixtures" / "targets"


pytestmark = pytest.mark.usefixtures("isolated_imports")
"""Every test here loads user programs: see ``isolated_imports`` in conftest.py."""


async def wait_for(condition, timeout: float = 10.0) -> None:
    """Wait until ``condition()`` is true (virtual or real time), or fail."""
    await polling.until(condition, timeout=timeout, every=0.01)


def target(name: str) -> str:
    return str(TARGETS / name)


# ------------------------------------------------------------------------ start
def test_start_imports_discovers_and_starts_module_loops():
    async def main():
        session = Session(target("counting.py"), watch=False)
        await session.start()
        module = session.module
        assert session.module_name == "counting.py"
        assert session.module_loops == [module.counter, module.chatter]
        assert module.counter.is_running() and module.chatter.is_running()
        await wait_for(lambda: module.counter.tracker.state is LoopState.FINISHED)
        names = await session.shutdown()
        return session, module, names

    session, module, names = run_virtual(main)
    assert names == []
    assert module.after_loop_ran == ["counter"]
    assert [t.state for t in REGISTRY.trackers()] == [LoopState.FINISHED, LoopState.STOPPED]
    assert [text for _, _, text in session.general_output] == ["counting imported"]
    assert session.output_version == 1
    counter_output = [text for _, _, text in module.counter.tracker.output]
    assert counter_output == ["count 0", "count 1", "count 2"]


def test_no_start_leaves_module_loops_idle():
    async def main():
        session = Session(target("counting.py"), start_loops=False, watch=False)
        await session.start()
        states = [t.state for t in REGISTRY.trackers()]
        await session.shutdown()
        return states

    assert run_virtual(main) == [LoopState.IDLE, LoopState.IDLE]


def test_loops_started_by_the_module_itself_are_monitored():
    async def main():
        session = Session(target("starts_itself.py"), watch=False)
        await session.start()
        manager = session.module.manager
        await wait_for(lambda: manager.saves >= 2)
        await session.shutdown()
        return manager

    manager = run_virtual(main)
    tracker = manager.autosave.tracker
    assert tracker.name == "DatabaseManager.autosave"
    assert tracker.state is LoopState.STOPPED
    assert [text for _, _, text in tracker.output][:2] == ["saved 1", "saved 2"]


def test_import_errors_restore_the_terminal():
    stdout = sys.stdout

    async def main():
        session = Session(target("does_not_exist.py"))
        with pytest.raises(TargetUsageError):
            await session.start()
        assert sys.stdout is stdout

    run_virtual(main)


def test_import_error_after_loops_started_stops_them(tmp_path):
    path = tmp_path / "half_started.py"
    path.write_text(
        "from looptui import loop\n"
        "@loop(seconds=1)\nasync def early():\n    pass\n"
        "early.start()\n"
        "raise RuntimeError('config missing')\n"
    )

    async def main():
        session = Session(str(path), watch=False)
        with pytest.raises(TargetImportError, match="config missing"):
            await session.start()
        return REGISTRY.get("early")

    stdout = sys.stdout
    tracker = run_virtual(main)
    assert tracker.state is LoopState.STOPPED
    assert sys.stdout is stdout


# ------------------------------------------------------------------------- main
def test_main_runs_on_the_same_loop_and_its_loops_appear():
    async def main():
        session = Session(target("with_main.py"), main="main", watch=False)
        await session.start()
        assert session.main_state == "running"
        await wait_for(lambda: "made_by_main" in session.registry)
        await wait_for(lambda: session.registry.get("made_by_main").total_iterations >= 3)
        await session.shutdown()
        return session

    session = run_virtual(main)
    assert session.main_state == "finished"
    assert session.registry.get("made_by_main").state is LoopState.STOPPED


def test_failing_main_is_shown_not_fatal():
    async def main():
        session = Session(target("with_main.py"), main="broken_main", watch=False)
        await session.start()
        await wait_for(lambda: session.main_state != "running")
        await session.shutdown()
        return session

    session = run_virtual(main)
    assert session.main_state == "failed"
    info = session.main_exception
    assert info.type_name == "RuntimeError" and info.message == "main could not connect"
    assert 'with_main.py", line 21, in broken_main' in info.traceback
    assert "session.py" not in info.traceback  # looptui's own frames are left out
    text = "\n".join(t for _, _, t in session.general_output)
    assert "--main broken_main() failed" in text and "main could not connect" in text


def test_unknown_main_is_a_usage_error():
    async def main():
        session = Session(target("with_main.py"), main="nope", watch=False)
        with pytest.raises(TargetUsageError, match="has no function named nope"):
            await session.start()

    run_virtual(main)


# ----------------------------------------------------------------- fake controls
class FakeControls:
    """Controls for a hand-made tracker: stop/cancel end it unless it is stubborn."""

    def __init__(self, tracker: Tracker, stubborn: bool = False) -> None:
        self.tracker = tracker
        self.stubborn = stubborn
        self.calls: list[str] = []

    def unsupported(self, action):
        return None

    def ui_stop(self):
        self.calls.append("stop")
        if not self.stubborn:
            asyncio.get_running_loop().call_soon(self.tracker.set_state, LoopState.STOPPED)

    def ui_cancel(self):
        self.calls.append("cancel")


def fake(registry: Registry, name: str, state: LoopState, stubborn: bool = False):
    tracker = Tracker(name)
    controls = FakeControls(tracker, stubborn)
    tracker._controls_ref = lambda: controls
    registry.register(tracker)
    tracker.set_state(state)
    return tracker, controls


def test_shutdown_stops_then_cancels_and_names_stragglers(tmp_path):
    registry = Registry()
    path = tmp_path / "empty_target.py"
    path.write_text("")

    async def main():
        session = Session(str(path), registry=registry, watch=False)
        await session.start()
        polite = fake(registry, "polite", LoopState.SLEEPING)
        stubborn = fake(registry, "stubborn", LoopState.RUNNING, stubborn=True)
        done = fake(registry, "done", LoopState.FINISHED)
        names = await session.shutdown(timeout=2.0)
        return names, polite, stubborn, done

    names, polite, stubborn, done = run_virtual(main)
    assert names == ["stubborn"]
    assert polite[1].calls == ["stop"] and polite[0].state is LoopState.STOPPED
    assert stubborn[1].calls == ["stop", "cancel"]
    assert done[1].calls == []


def test_shutdown_is_idempotent_and_restores_streams(tmp_path):
    path = tmp_path / "empty_target2.py"
    path.write_text("")
    stdout, stderr = sys.stdout, sys.stderr

    async def main():
        session = Session(str(path), watch=False)
        await session.start()
        assert sys.stdout is session.capture.stdout
        first = await session.shutdown()
        sys.stdout = session.capture.stdout  # e.g. Textual restoring what it found
        second = await session.shutdown()
        return first, second

    assert run_virtual(main) == ([], [])
    assert (sys.stdout, sys.stderr) == (stdout, stderr)


def test_install_capture_reinstalls_after_replacement(tmp_path):
    path = tmp_path / "empty_target3.py"
    path.write_text("")

    async def main():
        session = Session(str(path), watch=False)
        await session.start()
        sys.stdout = sys.__stdout__
        session.install_capture()
        replaced = sys.stdout is session.capture.stdout
        await session.shutdown()
        return replaced

    assert run_virtual(main) is True


# ----------------------------------------------------------------------- events
def test_sinks_get_events_and_record_writes_them(tmp_path, monkeypatch):
    monkeypatch.setattr(logging.root, "handlers", [])  # pytest's log capture would take them
    record = tmp_path / "events.jsonl"
    received: list[dict] = []

    async def main():
        session = Session(target("counting.py"), record=str(record), watch=False)
        session.add_sink(received.append)
        await session.start()
        await wait_for(lambda: session.module.counter.tracker.state is LoopState.FINISHED)
        await session.shutdown()

    run_virtual(main)
    lines = [json.loads(line) for line in record.read_text().splitlines()]
    assert lines == received
    assert lines[0] == {**lines[0], "event": "log", "loop": None, "text": "counting imported"}
    assert lines[-1]["event"] == "summary"
    kinds = {e["event"] for e in lines}
    assert {"loop_added", "state", "iteration_started", "iteration_finished", "log"} <= kinds
    chatter_logs = [e for e in lines if e["event"] == "log" and e["loop"] == "chatter"]
    assert chatter_logs[0]["stream"] == "logging"
    assert "chatter says \x1b[31mhi" in chatter_logs[0]["text"]  # data, not printed


def test_a_broken_sink_is_removed_and_others_keep_going(tmp_path):
    path = tmp_path / "empty_target4.py"
    path.write_text("print('hi')\n")
    good: list[dict] = []

    def broken(event):
        raise RuntimeError("sink bug")

    async def main():
        session = Session(str(path), watch=False)
        session.add_sink(broken)
        session.add_sink(good.append)
        await session.start()
        await session.shutdown()
        return session

    session = run_virtual(main)
    assert [e["event"] for e in good] == ["log", "summary"]
    assert any("sink bug" in text for _, _, text in session.general_output)


# -------------------------------------------------------------------- lag probe
def test_lag_probe_measures_lateness_and_window_max():
    async def main():
        probe = LagProbe(interval=0.25, window=1.0)
        probe.start()
        loop_ = asyncio.get_running_loop()
        await asyncio.sleep(0.3)
        loop_.advance(0.5)  # as if a callback had held the loop for half a second
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        spike = probe.lag
        await asyncio.sleep(2.0)  # the spike leaves the 1 s window
        after = probe.lag_max
        probe.stop()
        return spike, after

    spike, after = run_virtual(main)
    assert spike == pytest.approx(0.3, abs=0.01)
    assert after == 0.0


@pytest.mark.asyncio
async def test_a_blocking_loop_is_reported_with_its_stack():
    """Real time: the watchdog thread sees the event loop stall in time.sleep."""
    received: list[dict] = []
    registry = REGISTRY

    @loop(seconds=60, count=1)
    async def sleeper_in_body():
        time.sleep(0.6)

    session = Session(target("noloops.py"), watch=False)
    session.add_sink(received.append)
    await session.start()
    sleeper_in_body.start()
    name = "test_a_blocking_loop_is_reported_with_its_stack.<locals>.sleeper_in_body"
    await wait_for(lambda: any(e["event"] == "blocked" and e["loop"] == name for e in received))
    await session.shutdown()
    blocked = next(e for e in received if e["event"] == "blocked" and e["loop"] == name)
    assert blocked["duration"] > 0.25
    assert "time.sleep(0.6)" in blocked["stack"]
    assert "blocked" in registry.get(blocked["loop"]).notes


def test_recorder_appends_lines_that_read_back_exactly(tmp_path):
    from looptui.session.events.recorder import Recorder

    path = tmp_path / "r.jsonl"
    path.write_text('{"event": "earlier"}\n')
    recorder = Recorder(path)
    events = [{"event": "log", "text": "héllo 👋"}, {"event": "log", "text": "bad \udcff byte"}]
    for event in events:
        recorder(event)
        assert path.read_text(errors="replace").count("\n") >= 2  # flushed per event
    recorder.close()
    recorder({"event": "ignored after close"})
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines == [{"event": "earlier"}, *events]
    assert recorder.error is None


def test_a_loop_stuck_in_before_loop_is_cancelled_soon_at_shutdown(tmp_path):
    path = tmp_path / "stuck_before.py"
    path.write_text(
        "import asyncio\nfrom looptui import loop\n"
        "@loop(seconds=1)\nasync def presence():\n    pass\n"
        "@presence.before_loop\nasync def wait_until_ready():\n"
        "    await asyncio.Event().wait()  # never set offline\n"
    )

    async def main():
        session = Session(str(path), watch=False)
        await session.start()
        await wait_for(lambda: REGISTRY.get("presence").state is LoopState.WAITING)
        loop_ = asyncio.get_running_loop()
        began = loop_.time()
        names = await session.shutdown(timeout=30.0)
        return names, loop_.time() - began

    names, took = run_virtual(main)
    assert names == []
    assert REGISTRY.get("presence").state is LoopState.CANCELLED
    assert took < 2.0  # about one second of grace (virtual time), not the 30 s timeout
