"""The debugger handover in-process: what a debugger stop does to the front end, the
output capture, the loop's notes and the stuck check (the terminal itself: see
``test_debug_breakpoint.py``)."""

from __future__ import annotations

import contextlib
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from looptui.core.registry import REGISTRY, Registry
from looptui.core.tracker import Tracker
from looptui.session import Session
from looptui.session.health.stuck import StuckWatch
from robust_support import wait_for
from ui_fakes import frozen_time

PROGRAM = textwrap.dedent(
    '''
    import bdb
    import sys

    from looptui import loop

    STOPS = []


    class Quiet(bdb.Bdb):
        """A debugger that notes what it finds at its stop and continues."""

        def user_line(self, frame):
            self.interaction(frame)

        def interaction(self, frame):
            STOPS.append({"stdout": sys.stdout, "line": frame.f_lineno,
                          "front": FRONT[:]})
            self.set_continue()
            self.botframe.f_trace = None  # (bdb leaves itself on the outermost frame)


    FRONT = []


    @loop(seconds=0.01, count=2)
    async def body():
        if body.current_loop == 1:
            Quiet().set_trace(sys._getframe())
            stopped_here = True
        print("after", body.current_loop)
    '''
)
STOP_LINE = PROGRAM.splitlines().index("        stopped_here = True") + 1
"""The debugger stops at the line after ``set_trace``."""


@pytest.fixture(autouse=True)
def _isolation(isolated_imports: None) -> None:
    """The program is imported afresh."""


@pytest.mark.asyncio
async def test_a_stop_hands_over_and_back(tmp_path: Path) -> None:
    path = tmp_path / "prog.py"
    path.write_text(PROGRAM, encoding="utf-8")
    session = Session(str(path), watch=False)
    calls: list[str] = []

    @contextlib.contextmanager
    def front() -> Iterator[None]:
        calls.append("enter")
        module = session.module
        if module is not None:
            module.FRONT.append("suspended")
        yield
        calls.append("exit")
        if module is not None:
            module.FRONT.clear()

    session.debugger.front = front
    await session.start()
    try:
        tracker = REGISTRY.get("body")
        assert tracker is not None
        await wait_for(lambda: tracker.state.value == "finished")
        module: Any = session.module
        assert len(module.STOPS) == 1
        stop = module.STOPS[0]
        assert stop["front"] == ["suspended"]  # the front end had stepped aside
        assert not getattr(stop["stdout"], "looptui_capture", False)  # the real stream
        assert calls == ["enter", "exit"]  # and came back
        assert session.capture.active and getattr(sys.stdout, "looptui_capture", False)
        note = tracker.notes["debugger"]
        assert stop["line"] == STOP_LINE
        assert note["iteration"] == 1 and note["where"] == f"prog.py:{STOP_LINE}"
        assert note["duration"] >= 0.0
        lines = [line for _t, _s, line in tracker.output]
        assert "after 1" in lines  # what the body printed after the stop is its output
    finally:
        await session.shutdown()


def test_time_in_the_debugger_is_not_stuck_time() -> None:
    with frozen_time() as fake:
        registry = Registry()
        tracker = registry.register(Tracker("slow", schedule="1s"))
        tracker.iteration_started(0, None)
        fake.advance(60.0)  # a minute into the body...
        watch = StuckWatch(registry)
        tracker.notes["debugger"] = {"_seq": tracker.current_seq, "duration": 55.0}
        watch.check()  # ...55 s of it stopped in pdb: 5 s of running
        assert "stuck" not in tracker.notes
        tracker.notes["debugger"]["duration"] = 10.0
        watch.check()
        assert tracker.notes["stuck"]["running_for"] == pytest.approx(50.0)
