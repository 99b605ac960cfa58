"""The virtual-time event loop of :mod:`looptui.testing` (no wall-clock assertions: a test
that slept for real would simply not finish within pytest's patience)."""

from __future__ import annotations

import asyncio
import datetime
import threading
import time

import pytest

from looptui.core import clock
from looptui.testing import DEFAULT_START, VirtualTimeEventLoop, run_virtual

UTC = datetime.timezone.utc


def test_a_virtual_hour_passes_at_once() -> None:
    async def main() -> tuple[float, float, float]:
        loop = asyncio.get_running_loop()
        t0, w0 = loop.time(), clock.now()
        await asyncio.sleep(3600)
        return loop.time() - t0, clock.now() - w0, clock.now()

    real = time.perf_counter()
    loop_elapsed, wall_elapsed, now = run_virtual(main)
    assert loop_elapsed == 3600
    assert wall_elapsed == 3600
    assert now == DEFAULT_START.timestamp() + 3600
    assert time.perf_counter() - real < 30  # generous: only catches real sleeping


def test_start_may_be_a_datetime_or_epoch_seconds() -> None:
    start = datetime.datetime(2030, 7, 1, 12, 30, tzinfo=UTC)

    async def main() -> datetime.datetime:
        return clock.now_datetime()

    assert run_virtual(main, start=start) == start
    assert run_virtual(main, start=start.timestamp()) == start
    assert run_virtual(main, start=start.replace(tzinfo=None)) == start  # naive = UTC


def test_the_previous_clock_is_restored_even_on_error() -> None:
    before = clock.get_clock()

    async def main() -> None:
        assert clock.get_clock() is not before
        raise LookupError

    with pytest.raises(LookupError):
        run_virtual(main)
    assert clock.get_clock() is before


def test_timers_fire_in_deadline_order() -> None:
    async def main() -> list[tuple[str, float]]:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        fired: list[tuple[str, float]] = []
        done = loop.create_future()

        def fire(name: str) -> None:
            fired.append((name, loop.time() - t0))
            if len(fired) == 5:
                done.set_result(None)

        loop.call_later(30, fire, "c")
        loop.call_later(10, fire, "a")
        loop.call_at(t0 + 20, fire, "b")
        loop.call_later(86400 * 3, fire, "e")  # beyond asyncio's one-day select cap
        loop.call_later(45.5, fire, "d")
        await done
        return fired

    assert run_virtual(main) == [("a", 10), ("b", 20), ("c", 30), ("d", 45.5), ("e", 259200)]


def test_sleeping_tasks_interleave_by_virtual_time() -> None:
    async def main() -> list[tuple[str, float]]:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        log: list[tuple[str, float]] = []

        async def ticker(name: str, every: float, n: int) -> None:
            for _ in range(n):
                await asyncio.sleep(every)
                log.append((name, loop.time() - t0))

        await asyncio.gather(ticker("fast", 2, 3), ticker("slow", 5, 2))
        return log

    assert run_virtual(main) == [
        ("fast", 2), ("fast", 4), ("slow", 5), ("fast", 6), ("slow", 10),
    ]


def test_many_short_sleeps_stay_exact() -> None:
    async def main() -> float:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        for _ in range(360):  # every 10 s for an hour
            await asyncio.sleep(10)
        return loop.time() - t0

    assert run_virtual(main) == 3600


def test_timeouts_use_virtual_time() -> None:
    async def main() -> float:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(loop.create_future(), timeout=120)
        return loop.time() - t0

    assert run_virtual(main) == 120


def test_call_soon_threadsafe_from_another_thread_wakes_the_loop() -> None:
    async def main() -> tuple[str, float]:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        fut: asyncio.Future[str] = loop.create_future()

        def worker() -> None:
            time.sleep(0.01)  # let the loop go idle first
            loop.call_soon_threadsafe(fut.set_result, "from thread")

        threading.Thread(target=worker).start()
        result = await fut  # nothing scheduled: the loop waits for real I/O
        return result, loop.time() - t0

    assert run_virtual(main) == ("from thread", 0)


def test_run_in_executor_still_works() -> None:
    async def main() -> int:
        return await asyncio.get_running_loop().run_in_executor(None, sum, [1, 2, 3])

    assert run_virtual(main) == 6


def test_autojump_threshold_lets_threads_finish_before_time_jumps() -> None:
    async def main() -> str:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[str] = loop.create_future()
        threading.Thread(
            target=lambda: (time.sleep(0.01), loop.call_soon_threadsafe(fut.set_result, "ok"))
        ).start()
        # with a real-time grace period the thread's answer beats a one-hour virtual timeout
        return await asyncio.wait_for(fut, timeout=3600)

    assert run_virtual(main, autojump_threshold=5.0) == "ok"


def test_pending_tasks_are_cancelled_at_the_end_in_virtual_time() -> None:
    seen: list[float] = []

    async def background() -> None:
        try:
            await asyncio.sleep(10**6)
        finally:
            seen.append(clock.now())

    async def main() -> None:
        asyncio.get_running_loop().create_task(background())
        await asyncio.sleep(5)

    run_virtual(main)
    assert seen == [DEFAULT_START.timestamp() + 5]


def test_advance_simulates_a_stall() -> None:
    async def main() -> list[float]:
        loop = asyncio.get_running_loop()
        assert isinstance(loop, VirtualTimeEventLoop)
        t0 = loop.time()
        fired: list[float] = []
        loop.call_later(10, lambda: fired.append(loop.time() - t0))
        loop.advance(25)  # as if the process had been frozen for 25 s
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        with pytest.raises(ValueError):
            loop.advance(-1)
        return fired

    assert run_virtual(main) == [25]


def test_the_loop_can_be_used_directly() -> None:
    loop = VirtualTimeEventLoop(start=0)
    try:
        assert loop.clock.time() == 0
        loop.run_until_complete(asyncio.sleep(42))
        assert loop.time() == 42
        assert loop.clock.time() == 42
        assert loop.clock.datetime() == datetime.datetime(1970, 1, 1, 0, 0, 42, tzinfo=UTC)
    finally:
        loop.close()
