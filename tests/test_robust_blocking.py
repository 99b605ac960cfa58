"""Blocking detection: who held the event loop, where, and for how long.

The end-to-end cases run in real time (a watchdog thread cannot be faked), but only
wait on conditions; durations are compared with the blocking time the target chose,
never with a wall-clock budget of the test itself.
"""

from __future__ import annotations

import asyncio
import selectors
import time

import pytest

from looptui import loop
from looptui.cli import build_parser, run
from looptui.core.registry import REGISTRY
from looptui.session import Session
from looptui.session.health.stacks import format_frames, is_monitor_callback
from looptui.session.health.stalls import NO_STACK, analyse
from looptui.session.health.watchdog import DEFAULT_THRESHOLD, Watchdog
from test_events import check_event
from robust_support import isolated, target, wait_for  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("isolated")

EVENTS_FILE = "/asyncio/events.py"


# ------------------------------------------------------------------ end to end
@pytest.mark.asyncio
async def test_sleep_cpu_socket_and_pipe_blocks_are_each_named_with_their_stack():
    received: list[dict] = []
    session = Session(target("blockers.py"), watch=False)
    session.add_sink(received.append)
    await session.start()
    names = ["sleeper", "cruncher", "receiver", "piper"]
    await wait_for(lambda: all("blocked" in REGISTRY.get(n).notes for n in names))
    await session.shutdown()
    lines = {"sleeper": "time.sleep(BLOCK)", "cruncher": "while time.perf_counter() < end",
             "receiver": "mine.recv(10)", "piper": "pipe.readline()"}
    for name in names:
        note = REGISTRY.get(name).notes["blocked"]
        assert note["count"] == 1
        assert note["duration"] >= 0.2  # the target blocks 0.3 s; all four in one turn
        assert lines[name] in note["stack"], (name, note["stack"])
        assert "asyncio" not in note["stack"].splitlines()[0]  # the machinery is left out
        event = next(e for e in received if e["event"] == "blocked" and e["loop"] == name)
        check_event(event)
        assert event["stack"] == note["stack"] and event["duration"] == note["duration"]
    assert session.blocked_count >= 4
    assert session.last_block is not None


@pytest.mark.asyncio
async def test_a_task_created_by_a_loop_body_is_blamed_on_that_loop():
    @loop(seconds=3600, count=1, name="spawner")
    async def spawner():
        async def helper():
            time.sleep(0.3)

        await asyncio.create_task(helper())

    session = Session(target("quiet.py"), watch=False)
    await session.start()
    spawner.start()
    await wait_for(lambda: "blocked" in spawner.tracker.notes)
    await session.shutdown()
    assert "in helper" in spawner.tracker.notes["blocked"]["stack"]


@pytest.mark.asyncio
async def test_a_plain_callback_is_reported_without_a_loop():
    received: list[dict] = []
    session = Session(target("quiet.py"), watch=False)
    session.add_sink(received.append)
    await session.start()

    def slow_callback():
        time.sleep(0.3)

    asyncio.get_running_loop().call_soon(slow_callback)
    await wait_for(lambda: any(e["event"] == "blocked" for e in received))
    await session.shutdown()
    event = next(e for e in received if e["event"] == "blocked")
    assert event["loop"] is None and "slow_callback" in event["stack"]
    assert session.blocked_count == 1 and session.monitor_blocked_count == 0


@pytest.mark.asyncio
async def test_stalls_below_the_threshold_are_not_reported():
    reported = []
    watchdog = Watchdog(reported.append, threshold=0.5)
    assert watchdog.start()
    time.sleep(0.15)  # a short stall
    await asyncio.sleep(0.01)  # the loop goes back to select: a report would be scheduled
    await asyncio.sleep(0.01)
    assert reported == []
    time.sleep(0.6)
    await wait_for(lambda: reported)
    watchdog.stop()
    assert reported[0].duration >= 0.6 and "time.sleep(0.6)" in reported[0].stack


@pytest.mark.asyncio
async def test_threshold_zero_turns_the_watchdog_off_and_stop_restores_the_selector():
    off = Watchdog(lambda block: None, threshold=0)
    assert not off.start() and not off.running
    evloop = asyncio.get_running_loop()
    selector = evloop._selector  # type: ignore[attr-defined]
    on = Watchdog(lambda block: None)
    assert on.start()
    assert "select" in vars(selector)  # wrapped on the instance
    on.stop()
    assert "select" not in vars(selector)
    assert isinstance(selector, selectors.BaseSelector)


@pytest.mark.asyncio
async def test_the_watchdog_is_idle_when_nothing_blocks():
    reported = []
    watchdog = Watchdog(reported.append)
    watchdog.start()
    for _ in range(50):
        await asyncio.sleep(0.002)
    watchdog.stop()
    assert reported == [] and watchdog.count == 0
    assert watchdog.blocked_for() == 0.0


# ------------------------------------------------------------- stall analysis
def _frames(*names: str) -> tuple:
    """Innermost-first raw frames: the event loop's callback runner, then *names*."""
    inner = tuple((f"/app/{n}.py", 1, n) for n in reversed(names))
    return inner + (("/usr/lib/python3.11" + EVENTS_FILE, 80, "_run"),)


def test_one_task_gets_the_whole_stall_with_its_most_common_stack():
    task = object()
    samples = [(1.05, _frames("body", "a"), task), (1.10, _frames("body", "b"), task),
               (1.15, _frames("body", "b"), task)]
    [block] = analyse(1.0, 0.4, samples, 0.1)
    assert block.duration == 0.4 and block.task is task and block.samples == 3
    assert "in b" in block.stack and "in a" not in block.stack


def test_a_shared_stall_is_split_between_the_tasks_that_held_it():
    one, two = object(), object()
    samples = [(1.05 + 0.05 * i, _frames("first"), one) for i in range(6)]
    samples += [(1.40 + 0.05 * i, _frames("second"), two) for i in range(6)]
    blocks = analyse(1.0, 0.7, samples, 0.1)
    assert [b.task for b in blocks] == [one, two]
    assert sum(b.duration for b in blocks) == pytest.approx(0.7)
    assert all(b.stall == 0.7 for b in blocks)


def test_many_short_callbacks_make_one_block_listing_them():
    tasks = [object() for _ in range(8)]
    samples = [(1.0 + 0.03 * i, _frames(f"cb{i}"), tasks[i]) for i in range(8)]
    [block] = analyse(1.0, 0.24, samples, 0.1)
    assert block.task is None and "several callbacks" in block.stack
    assert block.stack.count("--- about") == 5  # the longest five


def test_a_stall_without_samples_says_why():
    [block] = analyse(1.0, 0.3, [], 0.1)
    assert block.stack == NO_STACK and block.task is None


def test_only_the_running_callback_is_shown_and_the_monitor_is_recognised():
    import looptui

    own = looptui.__file__.replace("__init__.py", "session/reloader.py")
    frames = (("/app/x.py", 3, "work"), (own, 10, "watch"),
              ("/usr/lib/python3.11" + EVENTS_FILE, 80, "_run"), (own, 1, "run_bounded"))
    text = format_frames(frames)
    assert "run_bounded" not in text and "watch" in text and "work" in text
    assert is_monitor_callback(frames)
    assert not is_monitor_callback(_frames("user_task"))


# ------------------------------------------------------------------ the option
def test_block_threshold_option():
    assert build_parser().parse_args(["x.py"]).block_threshold == DEFAULT_THRESHOLD == 0.1
    assert build_parser().parse_args(["x.py", "--block-threshold", "0.5"]).block_threshold == 0.5
    assert build_parser().parse_args(["x.py", "--block-threshold", "0"]).block_threshold == 0
    assert run(["x.py", "--block-threshold", "-1"]) == 2
    assert run(["x.py", "--block-threshold", "soon"]) == 2
