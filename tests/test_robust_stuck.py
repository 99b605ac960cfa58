"""Stuck iterations: a body awaiting something that never comes is marked, explained, cancellable.

Virtual time: "ten seconds" pass at once and exactly.
"""

from __future__ import annotations

import asyncio

import pytest

from looptui import LoopState, loop
from looptui.core.registry import REGISTRY
from looptui.session import Session
from looptui.session.health.stuck import (
    STUCK_INTERVALS, STUCK_MIN_SECONDS, StuckWatch, await_stack, stuck_after,
)
from looptui.testing import run_virtual
from test_events import check_event
from robust_support import isolated, target, wait_for  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("isolated")


def test_a_body_waiting_forever_is_marked_stuck_with_its_await_stack():
    async def main():
        received: list[dict] = []
        never: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        async def fetch():
            await never  # the response that never comes

        @loop(seconds=1, name="poller")
        async def poller():
            await fetch()

        session = Session(target("quiet.py"), watch=False)
        session.add_sink(received.append)
        await session.start()
        poller.start()
        tracker = poller.tracker
        await asyncio.sleep(STUCK_MIN_SECONDS - 1)
        early = "stuck" in tracker.notes
        await wait_for(lambda: "stuck" in tracker.notes)
        note = dict(tracker.notes["stuck"])
        stack = await_stack(tracker)
        await asyncio.sleep(5)
        later = tracker.notes["stuck"]["running_for"]
        poller.tracker.controls.ui_cancel()  # the TUI's x
        await wait_for(lambda: "stuck" not in tracker.notes)
        state = tracker.state
        await session.shutdown()
        return early, note, stack, later, state, received

    early, note, stack, later, state, received = run_virtual(main)
    assert not early
    assert note["running_for"] >= STUCK_MIN_SECONDS and note["threshold"] == STUCK_MIN_SECONDS
    assert note["iteration"] == 0 and isinstance(note["since"], float)
    assert later > note["running_for"]  # refreshed every check
    assert "in poller" in stack and "await fetch()" in stack
    assert "in fetch" in stack and "await never" in stack
    assert "Future pending" in stack
    assert "looptui/core" not in stack  # the engine's frames are left out
    assert state is LoopState.CANCELLED
    for event in received:
        check_event(event)
    stuck_events = [e for e in received if e["event"] == "stuck"]
    assert len(stuck_events) == 1 and stuck_events[0]["loop"] == "poller"


def test_the_threshold_grows_with_the_interval():
    async def main():
        gate: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        @loop(minutes=1, name="slow")
        async def slow():
            await gate

        slow.start()
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        limit = stuck_after(slow.tracker)
        watch = StuckWatch(REGISTRY)
        await asyncio.sleep(60)
        watch.check()
        at_one_minute = "stuck" in slow.tracker.notes
        await asyncio.sleep(121)
        watch.check()
        at_three = "stuck" in slow.tracker.notes
        gate.set_result(None)
        await asyncio.sleep(0)
        watch.check()
        after = "stuck" in slow.tracker.notes
        slow.cancel()
        return limit, at_one_minute, at_three, after

    limit, at_one_minute, at_three, after = run_virtual(main)
    assert limit == STUCK_INTERVALS * 60
    assert (at_one_minute, at_three, after) == (False, True, False)


def test_await_stack_of_loops_that_are_not_awaiting():
    async def main():
        @loop(seconds=1, name="idle")
        async def idle():
            pass

        before = await_stack(idle.tracker)
        idle.start()
        await asyncio.sleep(0.5)
        sleeping = await_stack(idle.tracker)
        idle.cancel()
        await asyncio.sleep(0)
        return before, sleeping, await_stack(idle.tracker)

    before, sleeping, ended = run_virtual(main)
    assert before == "(the loop has no task)\n"
    assert sleeping.startswith("task 'idle':") and "Future pending" in sleeping
    assert ended == "(the loop's task has ended)\n"
