"""Floods of output: memory stays bounded, events are limited, and every drop is counted."""

from __future__ import annotations

import asyncio
import threading

import pytest

from looptui import loop
from looptui.core.tracker import OUTPUT_SIZE
from looptui.session import Session
from looptui.session.output.flood import (
    BURST, INBOX_SIZE, RATE, SLICE, LogLimiter, ThreadInbox,
)
from looptui.session.session import GENERAL_OUTPUT_SIZE
from looptui.testing import run_virtual
from test_events import check_event
from robust_support import (  # noqa: F401  (fixture)
    TIMEOUT, isolated, json_lines, looptui_process, target, wait_for,
)

pytestmark = pytest.mark.usefixtures("isolated")


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_limiter_lets_a_burst_through_then_the_rate_and_counts_the_rest():
    reports: list[tuple[object, int]] = []
    clock = FakeClock()
    limiter = LogLimiter(lambda source, n: reports.append((source, n)), rate=10, burst=5,
                         now=clock)
    source, other = object(), object()
    assert [limiter.allow(source) for _ in range(8)] == [True] * 5 + [False] * 3
    assert limiter.allow(other)  # sources are limited separately
    clock.now = 0.35  # 3.5 tokens: three more lines
    assert [limiter.allow(source) for _ in range(4)] == [True, True, True, False]
    limiter.flush()
    assert reports == [(source, 4)] and limiter.total_dropped == 4
    limiter.flush()
    assert reports == [(source, 4)]  # nothing new


def test_a_loop_printing_thousands_of_lines_at_once_keeps_memory_and_events_bounded():
    lines = 5 * BURST

    async def main():
        received: list[dict] = []
        session = Session(target("quiet.py"), watch=False)
        session.add_sink(received.append)
        await session.start()

        @loop(seconds=1, count=1, name="chatty")
        async def chatty():
            for i in range(lines):
                print("line", i)

        chatty.start()
        await wait_for(lambda: not chatty.is_running())
        for i in range(2 * GENERAL_OUTPUT_SIZE):
            print("outside", i)  # no loop: the general output
        await asyncio.sleep(2)  # the limiter reports once a second
        await session.shutdown()
        return chatty.tracker, session, received

    tracker, session, received = run_virtual(main)
    for event in received:
        check_event(event)
    assert len(tracker.output) == OUTPUT_SIZE and tracker.output_total == lines
    assert tracker.dropped == lines - OUTPUT_SIZE
    assert tracker.output[-1][2] == f"line {lines - 1}"  # the latest are kept
    assert len(session.general_output) == GENERAL_OUTPUT_SIZE
    logs = [e for e in received if e["event"] == "log" and e["loop"] == "chatty"]
    dropped = sum(e["dropped"] for e in received
                  if e["event"] == "log_dropped" and e["loop"] == "chatty")
    assert len(logs) == BURST and len(logs) + dropped == lines  # every line accounted for
    general = [e for e in received if e["event"] == "log" and e["loop"] is None]
    general_dropped = sum(e["dropped"] for e in received
                          if e["event"] == "log_dropped" and e["loop"] is None)
    assert len(general) + general_dropped == 2 * GENERAL_OUTPUT_SIZE
    assert session.log_limiter.total_dropped == dropped + general_dropped


@pytest.mark.asyncio
async def test_writes_from_a_flooding_thread_wait_in_a_bounded_inbox():
    delivered: list[int] = []
    lost: list[int] = []
    inbox = ThreadInbox(asyncio.get_running_loop(), delivered.append, lost.append)
    extra = 500

    def flood() -> None:
        for i in range(INBOX_SIZE + extra):
            inbox.put(i)

    thread = threading.Thread(target=flood)
    thread.start()
    thread.join()  # the event loop is held: nothing is drained meanwhile
    await wait_for(lambda: lost)
    assert delivered == list(range(INBOX_SIZE)) and lost == [extra]
    assert inbox.dropped == extra


@pytest.mark.asyncio
async def test_a_writing_thread_waits_for_room_instead_of_losing_writes():
    delivered: list[int] = []
    lost: list[int] = []
    inbox = ThreadInbox(asyncio.get_running_loop(), delivered.append, lost.append)
    total = 3 * INBOX_SIZE  # more than fits: the thread must wait while the loop drains

    def flood() -> None:
        for i in range(total):
            inbox.put(i)

    thread = threading.Thread(target=flood)
    thread.start()
    await wait_for(lambda: len(delivered) == total)
    thread.join()
    assert delivered == list(range(total))
    assert lost == [] and inbox.dropped == 0


@pytest.mark.asyncio
async def test_the_inbox_is_drained_in_slices_per_turn_of_the_event_loop():
    delivered: list[int] = []
    inbox = ThreadInbox(asyncio.get_running_loop(), delivered.append, lambda n: None)
    thread = threading.Thread(target=lambda: [inbox.put(i) for i in range(5 * SLICE)])
    thread.start()
    thread.join()  # all waiting: the event loop has not turned since
    inbox.drain()
    assert delivered == list(range(SLICE))  # one slice, the rest in the next turns
    await wait_for(lambda: len(delivered) == 5 * SLICE)
    assert delivered == list(range(5 * SLICE))


@pytest.mark.asyncio
async def test_a_thread_flooding_stdout_is_reported_as_dropped_lines():
    session = Session(target("quiet.py"), watch=False)
    await session.start()

    def flood() -> None:
        for i in range(INBOX_SIZE + 10):
            print("from a thread", i)

    thread = threading.Thread(target=flood)
    thread.start()
    thread.join()
    await wait_for(lambda: any("writes from other threads were dropped" in text
                               for _t, _s, text in session.general_output))
    await session.shutdown()


def test_a_flood_of_100000_lines_in_headless_json_is_limited_and_counted():
    proc = looptui_process(target("flood.py"), "--headless", "--json", "--no-reload")
    out, err = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 0, err
    events = json_lines(out)
    logs = sum(1 for e in events if e["event"] == "log" and e["loop"] == "flood")
    dropped = sum(e["dropped"] for e in events if e["event"] == "log_dropped")
    assert logs + dropped == 100_000
    assert logs < 100_000 / 10  # the output is a fraction of the flood …
    assert logs >= BURST  # … but at least the burst, and the rate after it
    assert RATE > 0
