"""The monitor's actions on foreign loops: stop, cancel, restart, interval, trigger, pause."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import io
import sys
import time
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "foreign"))
from foreign_support import LIBS, fast_backoff, hooked, run, tasks_of, until  # noqa: E402

from looptui import adapters  # noqa: E402
from looptui.adapters.foreign import ForeignLoop  # noqa: E402

UTC = datetime.timezone.utc


def controls_of(loop: Any) -> ForeignLoop:
    tracker = adapters.tracker_for(loop)
    assert tracker is not None
    controls = tracker.controls
    assert isinstance(controls, ForeignLoop)
    return controls


async def ended(loop: Any, timeout: float = 2.0) -> None:
    """Wait (bounded) for the loop's task to end; its exception is retrieved."""
    task = loop.get_task()
    assert task is not None
    done, _ = await asyncio.wait({task}, timeout=timeout)
    assert done, "the loop did not end in time"
    if not task.cancelled():
        task.exception()
    await asyncio.sleep(0)


def in_an_hour() -> datetime.time:
    return (datetime.datetime.now(UTC) + datetime.timedelta(hours=1)).time().replace(
        second=0, microsecond=0, tzinfo=UTC
    )


# ------------------------------------------------------------------ stop
@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("kind", ["interval", "time"])
def test_stop_while_sleeping_ends_at_once_without_another_body(lib: str, kind: str) -> None:
    tasks = tasks_of(lib)
    bodies: list[int] = []
    after: list[bool] = []

    async def main() -> Any:
        if kind == "interval":
            job = tasks.loop(seconds=30)(body)
        else:
            job = tasks.loop(time=in_an_hour())(body)
        job.after_loop(after_loop)
        tracker = adapters.tracker_for(job)
        job.start()
        expected = 1 if kind == "interval" else 0
        await until(
            lambda: tracker.state == "sleeping" and tracker.iterations == expected
            and tracker.next_run is not None
        )
        assert len(bodies) == expected
        started = time.monotonic()
        tracker.controls.ui_stop()
        assert tracker.state == "stopping"
        await ended(job)
        assert time.monotonic() - started < 1.0
        assert len(bodies) == expected  # no body after the stop
        return tracker

    async def body() -> None:
        bodies.append(1)

    async def after_loop() -> None:
        after.append(True)

    with hooked():
        tracker = run(main)
    assert tracker.state == "stopped"
    assert after == [True]


@pytest.mark.parametrize("lib", LIBS)
def test_stop_during_body_finishes_it_and_runs_no_more(lib: str) -> None:
    tasks = tasks_of(lib)
    bodies: list[str] = []

    async def main() -> Any:
        release = asyncio.Event()

        @tasks.loop(seconds=0.001)
        async def job() -> None:
            bodies.append("start")
            await release.wait()
            bodies.append("end")

        tracker = adapters.tracker_for(job)
        job.start()
        await until(lambda: bodies == ["start"])
        tracker.controls.ui_stop()
        release.set()
        await ended(job)
        return tracker

    with hooked():
        tracker = run(main)
    assert bodies == ["start", "end"]
    assert tracker.state == "stopped"
    assert [r.outcome for r in tracker.history] == ["ok"]


@pytest.mark.parametrize("lib", LIBS)
def test_stop_in_before_loop_runs_no_body(lib: str) -> None:
    tasks = tasks_of(lib)
    bodies: list[int] = []

    async def main() -> Any:
        release = asyncio.Event()

        @tasks.loop(seconds=0.001)
        async def job() -> None:
            bodies.append(1)

        @job.before_loop
        async def before() -> None:
            await release.wait()

        tracker = adapters.tracker_for(job)
        job.start()
        await until(lambda: tracker.state == "waiting")
        tracker.controls.ui_stop()
        release.set()
        await ended(job)
        return tracker

    with hooked():
        tracker = run(main)
    assert bodies == []
    assert tracker.state == "stopped"


@pytest.mark.parametrize("lib", LIBS)
def test_stop_while_retrying_runs_no_body_after_the_backoff(lib: str) -> None:
    tasks = tasks_of(lib)
    attempts: list[int] = []

    async def main() -> Any:
        @tasks.loop(seconds=0.001)
        async def job() -> None:
            attempts.append(1)
            raise OSError("down")

        tracker = adapters.tracker_for(job)
        job.start()
        await until(lambda: tracker.state == "retrying")
        tracker.controls.ui_stop()
        count = len(attempts)
        await ended(job)
        assert len(attempts) == count
        return tracker

    with hooked(), fast_backoff(tasks):
        tracker = run(main)
    assert tracker.state == "stopped"


# ------------------------------------------------------------------ cancel
@pytest.mark.parametrize("lib", LIBS)
def test_cancel(lib: str) -> None:
    tasks = tasks_of(lib)
    seen: list[bool] = []

    async def main() -> Any:
        @tasks.loop(seconds=30)
        async def job() -> None:
            pass

        @job.after_loop
        async def after() -> None:
            seen.append(job.is_being_cancelled())

        tracker = adapters.tracker_for(job)
        assert tracker.unsupported("cancel") == "the loop is not running"
        job.start()
        await until(lambda: tracker.state == "sleeping" and tracker.iterations == 1)
        assert tracker.unsupported("cancel") is None
        tracker.controls.ui_cancel()
        await ended(job)
        return tracker

    with hooked():
        tracker = run(main)
    assert tracker.state == "cancelled"
    assert seen == [True]


# ------------------------------------------------------------------ restart / start
@pytest.mark.parametrize("lib", LIBS)
def test_restart_uses_the_last_start_arguments(lib: str) -> None:
    tasks = tasks_of(lib)
    calls: list[tuple[Any, ...]] = []

    async def main() -> Any:
        @tasks.loop(seconds=30)
        async def job(a: int, *, b: str) -> None:
            calls.append((a, b))

        tracker = adapters.tracker_for(job)
        job.start(1, b="x")
        await until(lambda: len(calls) == 1)
        # Running: the library's restart (cancel, then start again).
        tracker.controls.ui_restart()
        await until(lambda: len(calls) == 2)
        assert tracker.state in ("running", "sleeping")
        tracker.controls.ui_stop()
        await ended(job)
        assert tracker.state == "stopped"
        # Stopped: starts again.
        assert tracker.unsupported("restart") is None
        tracker.controls.ui_restart()
        await until(lambda: len(calls) == 3)
        assert tracker.iterations == 1  # a new run
        job.cancel()
        await ended(job)
        return tracker

    with hooked():
        run(main)
    assert calls == [(1, "x")] * 3


@pytest.mark.parametrize("lib", LIBS)
def test_class_bound_loop_restarts_with_its_instance(lib: str) -> None:
    tasks = tasks_of(lib)
    seen: list[Any] = []

    class Cog:
        @tasks.loop(seconds=30)
        async def job(self) -> None:
            seen.append(self)

    async def main() -> Any:
        cog = Cog()
        tracker = adapters.tracker_for(cog.job)
        assert tracker.unsupported("start") is None
        tracker.controls.ui_start()
        await until(lambda: len(seen) == 1)
        assert tracker.unsupported("start") == "the loop is already running"
        tracker.controls.ui_stop()
        await ended(cog.job)
        tracker.controls.ui_restart()
        await until(lambda: len(seen) == 2)
        cog.job.cancel()
        await ended(cog.job)
        return cog

    with hooked():
        cog = run(main)
    assert seen == [cog, cog]


# ------------------------------------------------------------------ change interval
@pytest.mark.parametrize("lib", LIBS)
def test_change_interval_while_sleeping(lib: str) -> None:
    tasks = tasks_of(lib)
    bodies: list[float] = []

    async def main() -> Any:
        @tasks.loop(seconds=30)
        async def job() -> None:
            bodies.append(time.monotonic())

        tracker = adapters.tracker_for(job)
        job.start()
        await until(lambda: tracker.state == "sleeping" and len(bodies) == 1)
        assert tracker.schedule == "30s"
        tracker.controls.ui_change_interval(seconds=0.01)
        assert tracker.schedule == "0.01s"
        assert tracker.next_run is not None and tracker.next_run < time.time() + 1
        await until(lambda: len(bodies) >= 3, what="bodies at the new interval")
        job.cancel()
        await ended(job)
        return tracker

    with hooked():
        run(main)


@pytest.mark.parametrize("lib", LIBS)
def test_change_to_daily_times(lib: str) -> None:
    tasks = tasks_of(lib)

    async def main() -> Any:
        @tasks.loop(seconds=30)
        async def job() -> None:
            pass

        tracker = adapters.tracker_for(job)
        job.start()
        await until(lambda: tracker.state == "sleeping" and tracker.iterations == 1)
        slot = in_an_hour()
        tracker.controls.ui_change_interval(times=[slot])
        assert tracker.schedule == f"{slot.hour:02d}:{slot.minute:02d} UTC"
        assert job.time == [slot]
        assert tracker.next_run is not None and tracker.next_run > time.time() + 3000
        job.cancel()
        await ended(job)

    with hooked():
        run(main)


def test_change_interval_bad_value_raises_and_changes_nothing() -> None:
    tasks = tasks_of("discord")

    async def main() -> None:
        @tasks.loop(seconds=30)
        async def job() -> None:
            pass

        tracker = adapters.tracker_for(job)
        with pytest.raises(ValueError):
            tracker.controls.ui_change_interval(seconds=-1)
        assert tracker.schedule == "30s" and job.seconds == 30

    with hooked():
        run(main)


def test_nextcord_change_interval_before_first_iteration() -> None:
    tasks = tasks_of("nextcord")

    async def main() -> None:
        release = asyncio.Event()

        @tasks.loop(seconds=30)
        async def job() -> None:
            pass

        @job.before_loop
        async def before() -> None:
            await release.wait()

        tracker = adapters.tracker_for(job)
        job.start()
        await until(lambda: tracker.state == "waiting")
        reason = tracker.unsupported("change_interval")
        assert reason is not None and "first sleep" in reason
        # Indeed the library itself cannot do it at this point.
        with pytest.raises((AttributeError, TypeError)):
            job.change_interval(seconds=5)
        release.set()
        await until(lambda: tracker.iterations == 1)
        assert tracker.unsupported("change_interval") is None
        job.cancel()
        await ended(job)

        @tasks.loop(time=in_an_hour())
        async def daily() -> None:
            pass

        tracker = adapters.tracker_for(daily)
        daily.start()
        await until(lambda: tracker.state == "sleeping" and tracker.next_run is not None)
        # Sleeping toward its first slot: new times are fine, an interval is refused
        # before the library could half-apply it.
        assert tracker.unsupported("change_interval") is None
        with pytest.raises(RuntimeError, match="first iteration"):
            tracker.controls.ui_change_interval(seconds=5)
        assert daily.time is not None and daily.seconds is None
        slot = (datetime.datetime.now(UTC) + datetime.timedelta(hours=2)).time().replace(
            second=0, microsecond=0, tzinfo=UTC
        )
        tracker.controls.ui_change_interval(times=[slot])
        assert daily.time == [slot]
        daily.cancel()
        await ended(daily)

    with hooked():
        run(main)


# ------------------------------------------------------------------ trigger
@pytest.mark.parametrize("lib", LIBS)
def test_trigger_runs_one_extra_body_without_moving_the_schedule(lib: str) -> None:
    tasks = tasks_of(lib)
    seen: list[int] = []

    async def main() -> Any:
        @tasks.loop(seconds=30)
        async def job(tag: str) -> None:
            seen.append(job.current_loop)

        tracker = adapters.tracker_for(job)
        assert tracker.unsupported("trigger") == "the loop is not running; press r to start it"
        job.start("t")
        await until(lambda: tracker.state == "sleeping" and len(seen) == 1)
        next_run = tracker.next_run
        next_iteration = job.next_iteration
        tracker.controls.ui_trigger()
        await until(lambda: len(seen) == 2 and tracker.state == "sleeping")
        assert tracker.next_run == next_run and job.next_iteration == next_iteration
        assert job.current_loop == 0
        job.cancel()
        await ended(job)
        return tracker

    with hooked():
        tracker = run(main)
    assert seen == [0, 0]
    assert [r.triggered for r in tracker.history] == [False, True]
    assert tracker.iterations == 1 and tracker.total_iterations == 2


@pytest.mark.parametrize("lib", LIBS)
def test_triggered_failure_is_recorded_and_the_loop_goes_on(lib: str) -> None:
    tasks = tasks_of(lib)
    calls: list[int] = []

    async def main() -> Any:
        @tasks.loop(seconds=30)
        async def job() -> None:
            calls.append(1)
            if len(calls) == 2:
                raise LookupError("only when triggered")

        tracker = adapters.tracker_for(job)
        job.start()
        await until(lambda: tracker.state == "sleeping" and len(calls) == 1)
        with contextlib.redirect_stderr(io.StringIO()) as err:
            tracker.controls.ui_trigger()
            await until(lambda: tracker.last_exception is not None and tracker.state == "sleeping")
        assert "only when triggered" in err.getvalue()
        assert job.is_running()
        job.cancel()
        await ended(job)
        return tracker

    with hooked():
        tracker = run(main)
    assert tracker.last_exception.type_name == "LookupError"
    assert [r.outcome for r in tracker.history] == ["ok", "failed"]


@pytest.mark.parametrize("lib", LIBS)
def test_trigger_never_overlaps_a_running_body(lib: str) -> None:
    tasks = tasks_of(lib)
    log: list[str] = []

    async def main() -> None:
        release = asyncio.Event()

        @tasks.loop(seconds=30)
        async def job() -> None:
            log.append("start")
            if len(log) == 1:
                await release.wait()
            log.append("end")

        tracker = adapters.tracker_for(job)
        job.start()
        await until(lambda: log == ["start"])
        assert tracker.unsupported("trigger") is None
        tracker.controls.ui_trigger()
        await asyncio.sleep(0.02)
        assert log == ["start"]
        release.set()
        await until(lambda: len(log) == 4)
        job.cancel()
        await ended(job)

    with hooked():
        run(main)
    assert log == ["start", "end", "start", "end"]


@pytest.mark.parametrize("lib", LIBS)
def test_trigger_while_paused_runs_once_and_stays_paused(lib: str) -> None:
    tasks = tasks_of(lib)
    log: list[str] = []

    async def main() -> Any:
        @tasks.loop(seconds=0.01)
        async def job() -> None:
            log.append("body")

        tracker = adapters.tracker_for(job)
        job.start()
        await until(lambda: len(log) >= 1)
        tracker.controls.ui_pause()
        await until(lambda: tracker.state == "paused")
        count = len(log)
        tracker.controls.ui_trigger()
        await until(lambda: len(log) == count + 1 and tracker.state == "paused")
        await asyncio.sleep(0.05)
        assert len(log) == count + 1  # still paused after the triggered run
        tracker.controls.ui_resume()
        await until(lambda: len(log) >= count + 2)
        job.cancel()
        await ended(job)
        return tracker

    with hooked():
        tracker = run(main)
    assert any(r.triggered for r in tracker.history)


# ------------------------------------------------------------------ pause
@pytest.mark.parametrize("lib", LIBS)
def test_pause_holds_bodies_and_resume_reanchors(lib: str) -> None:
    tasks = tasks_of(lib)
    stamps: list[float] = []

    async def main() -> Any:
        @tasks.loop(seconds=0.02)
        async def job() -> None:
            stamps.append(time.monotonic())

        tracker = adapters.tracker_for(job)
        job.start()
        await until(lambda: len(stamps) >= 2)
        tracker.controls.ui_pause()
        assert tracker.controls.is_paused()
        await until(lambda: tracker.state == "paused")
        count = len(stamps)
        await asyncio.sleep(0.2)  # ten intervals
        assert len(stamps) <= count + 1  # at most the body that was already running
        count = len(stamps)
        resumed = time.monotonic()
        tracker.controls.ui_resume()
        await until(lambda: len(stamps) >= count + 1)
        await asyncio.sleep(0.03)
        # No burst of the ten missed runs: about one body per interval after resume.
        assert len(stamps) - count <= 5
        assert stamps[count] - resumed < 0.5
        job.cancel()
        await ended(job)
        return tracker

    with hooked():
        tracker = run(main)
    assert tracker.state == "cancelled"


@pytest.mark.parametrize("lib", LIBS)
def test_pause_and_resume_while_sleeping_keeps_the_schedule(lib: str) -> None:
    tasks = tasks_of(lib)

    async def main() -> None:
        @tasks.loop(seconds=30)
        async def job() -> None:
            pass

        tracker = adapters.tracker_for(job)
        job.start()
        await until(lambda: tracker.state == "sleeping" and tracker.iterations == 1)
        next_run = tracker.next_run
        tracker.controls.ui_pause()
        assert tracker.state == "paused" and tracker.next_run is None
        tracker.controls.ui_resume()
        assert tracker.state == "sleeping" and tracker.next_run == next_run
        tracker.controls.ui_pause()
        tracker.controls.ui_stop()  # stop wins over pause, at once
        await ended(job)
        assert tracker.state == "stopped" and tracker.iterations == 1

    with hooked():
        run(main)


@pytest.mark.parametrize("lib", ["nextcord", "disnake"])
def test_pause_of_time_loops_unsupported_where_unsafe(lib: str) -> None:
    tasks = tasks_of(lib)

    async def main() -> None:
        @tasks.loop(time=in_an_hour())
        async def job() -> None:
            pass

        tracker = adapters.tracker_for(job)
        job.start()
        await until(lambda: tracker.state == "sleeping" and tracker.next_run is not None)
        reason = tracker.unsupported("pause")
        assert reason is not None and "time=" in reason
        with pytest.raises(RuntimeError):
            tracker.controls.ui_pause()
        job.cancel()
        await ended(job)

    with hooked():
        run(main)


def test_discord_py_time_loop_pause_waits_for_the_next_slot() -> None:
    tasks = tasks_of("discord")
    ran: list[datetime.datetime] = []

    async def main() -> Any:
        first = datetime.datetime.now(UTC) + datetime.timedelta(seconds=0.15)
        slots = [(first + datetime.timedelta(seconds=0.25 * i)).time().replace(tzinfo=UTC) for i in range(3)]

        @tasks.loop(time=slots)
        async def job() -> None:
            ran.append(datetime.datetime.now(UTC))

        tracker = adapters.tracker_for(job)
        job.start()
        await until(lambda: tracker.state == "sleeping" and tracker.next_run is not None)
        assert tracker.unsupported("pause") is None
        tracker.controls.ui_pause()
        await asyncio.sleep(0.2)  # the first slot passes while paused
        assert ran == [] and tracker.state == "paused"
        tracker.controls.ui_resume()
        await until(lambda: len(ran) == 1, timeout=2)
        # It ran at the second slot, not at resume time.
        second = datetime.datetime.combine(first.date(), slots[1])
        assert abs((ran[0] - second).total_seconds()) < 0.1
        await until(lambda: len(ran) == 2, timeout=2)
        third = datetime.datetime.combine(first.date(), slots[2])
        assert abs((ran[1] - third).total_seconds()) < 0.1
        job.cancel()
        await ended(job)
        return tracker

    with hooked():
        run(main)


@pytest.mark.parametrize("lib", LIBS)
def test_unsupported_reasons_when_not_running(lib: str) -> None:
    tasks = tasks_of(lib)
    with hooked():

        @tasks.loop(seconds=1)
        async def job() -> None:
            pass

        tracker = adapters.tracker_for(job)
        assert tracker.unsupported("start") is None
        assert tracker.unsupported("restart") is None
        assert tracker.unsupported("change_interval") is None
        for action in ("stop", "cancel", "pause"):
            assert tracker.unsupported(action) == "the loop is not running"
        assert "press r" in tracker.unsupported("trigger")
