"""looptui's extensions to the discord.py Loop: states, records, pause, trigger, stop_now.

All in virtual time (:func:`looptui.testing.run_virtual`): times are exact.
"""

from __future__ import annotations

import asyncio

import pytest

from looptui import LoopState, loop
from looptui.core import clock
from looptui.core.registry import REGISTRY
from looptui.testing import run_virtual


@pytest.fixture(autouse=True)
def _clean_registry():
    REGISTRY.clear()
    yield
    REGISTRY.clear()


def test_states_through_a_counted_loop():
    states: list[str] = []

    async def main():
        @loop(seconds=10, count=2)
        async def job():
            await asyncio.sleep(1)

        @job.before_loop
        async def before():
            await asyncio.sleep(0)

        job.tracker.registry.add_listener(
            lambda kind, t, f: states.append(f["state"]) if kind == "state" else None
        )
        assert job.state is LoopState.IDLE
        await job.start()
        return job

    job = run_virtual(main)
    assert states == ["waiting", "running", "sleeping", "running", "sleeping", "finished"]
    assert job.tracker.iterations == 2
    assert [r.outcome for r in job.history] == ["ok", "ok"]
    assert [r.duration for r in job.history] == [1.0, 1.0]


def test_history_records_schedule_and_lateness():
    async def main():
        @loop(seconds=5, count=3)
        async def job():
            if job.current_loop == 0:
                await asyncio.sleep(7)  # overrun: the next run is 2 s late

        start = clock.now()
        await job.start()
        return job, start

    job, start = run_virtual(main)
    rec = list(job.history)
    assert [r.scheduled - start for r in rec] == [0, 5, 10]
    assert [r.started - start for r in rec] == [0, 7, 10]
    assert [r.lateness for r in rec] == [0, 2, 0]
    assert job.stats.max_lateness == 2
    assert job.lateness == 0


def test_every_exception_is_recorded_with_traceback():
    async def main():
        calls = []

        @loop(seconds=1, reconnect=True)
        async def job():
            calls.append(job.current_loop)
            if len(calls) == 1:
                raise OSError("network down")
            raise ValueError("bad value")

        @job.error
        async def on_error(exc):
            raise RuntimeError("handler broke")

        task = job.start()
        with pytest.raises(RuntimeError):
            await task
        return job

    job = run_virtual(main)
    kinds = [(e.type_name, e.where, e.retried) for e in job.tracker.exceptions]
    assert kinds == [("OSError", "body", True), ("ValueError", "body", False), ("RuntimeError", "error", False)]
    assert job.state is LoopState.FAILED
    assert job.stats.retries == 1
    assert "bad value" in job.tracker.exceptions[1].traceback
    assert "in job" in job.tracker.exceptions[1].traceback
    assert [r.outcome for r in job.history] == ["retried", "failed"]


def test_before_loop_error_is_recorded_and_loop_fails():
    async def main():
        @loop(seconds=1)
        async def job():
            pass

        @job.before_loop
        async def before():
            raise KeyError("missing")

        with pytest.raises(KeyError):
            await job.start()
        return job

    job = run_virtual(main)
    assert job.state is LoopState.FAILED
    assert job.last_exception.where == "before_loop"
    assert not job.failed()  # discord.py semantics: before_loop errors do not set failed()


def test_pause_skips_missed_runs_and_resume_reanchors():
    async def main():
        starts = []

        @loop(seconds=10)
        async def job():
            starts.append(clock.now() - t0)

        t0 = clock.now()
        job.start()
        await asyncio.sleep(15)  # ran at 0 and 10
        job.pause()
        await asyncio.sleep(0)
        assert job.state is LoopState.PAUSED and job.is_paused()
        await asyncio.sleep(40)  # 20, 30, 40, 50 missed
        assert starts == [0, 10]
        job.resume()
        await asyncio.sleep(25)
        job.cancel()
        return starts

    starts = run_virtual(main)
    assert starts == [0, 10, 55, 65, 75]


def test_trigger_runs_now_without_moving_schedule():
    async def main():
        runs = []

        @loop(seconds=10)
        async def job():
            runs.append((clock.now() - t0, job.current_loop))

        t0 = clock.now()
        job.start()
        await asyncio.sleep(3)
        job.trigger()
        await asyncio.sleep(15)
        job.cancel()
        return runs, job

    runs, job = run_virtual(main)
    assert runs == [(0, 0), (3, 0), (10, 1)]
    triggered = [r.triggered for r in job.history]
    assert triggered == [False, True, False]
    assert job.history[1].scheduled is None


def test_trigger_on_stopped_loop_raises():
    async def main():
        @loop(seconds=10)
        async def job():
            pass

        with pytest.raises(RuntimeError):
            job.trigger()
        assert job.unsupported("trigger")

    run_virtual(main)


def test_stop_now_ends_a_sleeping_loop_without_another_body():
    async def main():
        runs = []
        after = []

        @loop(seconds=10)
        async def job():
            runs.append(clock.now() - t0)

        @job.after_loop
        async def done():
            after.append(clock.now() - t0)

        t0 = clock.now()
        task = job.start()
        await asyncio.sleep(5)
        job.stop_now()
        await task
        return runs, after, job

    runs, after, job = run_virtual(main)
    assert runs == [0]
    assert after == [5]
    assert job.state is LoopState.STOPPED


def test_stop_flag_during_sleep_runs_one_more_body_like_discord():
    async def main():
        runs = []

        @loop(seconds=10)
        async def job():
            runs.append(clock.now() - t0)

        t0 = clock.now()
        task = job.start()
        await asyncio.sleep(5)
        job.stop()
        assert job.state is LoopState.STOPPING
        await task
        return runs

    assert run_virtual(main) == [0, 10]


def test_stop_now_in_body_finishes_body_then_stops():
    async def main():
        runs = []

        @loop(seconds=10)
        async def job():
            runs.append(clock.now() - t0)
            await asyncio.sleep(2)

        t0 = clock.now()
        task = job.start()
        await asyncio.sleep(1)
        job.stop_now()
        assert job.state is LoopState.STOPPING
        await task
        return runs, job

    runs, job = run_virtual(main)
    assert runs == [0]
    assert job.history[-1].outcome == "ok"


def test_cancel_records_cancelled_iteration_and_state():
    async def main():
        @loop(seconds=10)
        async def job():
            await asyncio.sleep(5)

        task = job.start()
        await asyncio.sleep(1)
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return job

    job = run_virtual(main)
    assert job.state is LoopState.CANCELLED
    assert job.history[-1].outcome == "cancelled"


def test_cancel_before_task_runs_sets_cancelled():
    async def main():
        @loop(seconds=10)
        async def job():
            pass

        task = job.start()
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return job

    assert run_virtual(main).state is LoopState.CANCELLED


def test_change_interval_rearms_and_updates_schedule_text():
    async def main():
        runs = []

        @loop(seconds=100)
        async def job():
            runs.append(clock.now() - t0)

        t0 = clock.now()
        job.start()
        await asyncio.sleep(1)
        assert job.tracker.schedule == "1m40s"
        job.ui_change_interval(seconds=5)
        assert job.tracker.schedule == "5s"
        assert job.tracker.next_run - t0 == 5
        await asyncio.sleep(11)
        job.cancel()
        return runs

    assert run_virtual(main) == [0, 5, 10]


def test_registry_names_unique_and_instance_copies_registered():
    async def main():
        class Worker:
            @loop(seconds=1)
            async def job(self):
                pass

        w1, w2 = Worker(), Worker()
        l1, l2 = w1.job, w2.job
        assert w1.job is l1  # stored on the instance under the coroutine's name
        names = [t.name for t in REGISTRY.trackers()]
        assert names == [
            "test_registry_names_unique_and_instance_copies_registered.<locals>.main.<locals>.Worker.job",
            "test_registry_names_unique_and_instance_copies_registered.<locals>.main.<locals>.Worker.job#2",
        ]

    run_virtual(main)


def test_named_loop_uses_name_and_registry_drops_collected_loops():
    import gc

    def make():
        @loop(seconds=1, name="heartbeat")
        async def job():
            pass

        return job

    first = make()
    second = make()
    assert [t.name for t in REGISTRY.trackers()] == ["heartbeat", "heartbeat#2"]
    del first
    gc.collect()
    assert [t.name for t in REGISTRY.trackers()] == ["heartbeat#2"]
    assert second.name == "heartbeat#2"


def test_failed_loop_stays_registered_after_collection():
    import gc

    async def main():
        @loop(seconds=1)
        async def job():
            raise ValueError("x")

        @job.error
        async def quiet(exc):
            pass

        with pytest.raises(ValueError):
            await job.start()

    run_virtual(main)
    gc.collect()
    assert [t.state for t in REGISTRY.trackers()] == [LoopState.FAILED]


def test_output_inside_loop_task_has_current_tracker():
    from looptui.core.context import current_tracker

    async def main():
        seen = []

        @loop(seconds=1, count=1)
        async def job():
            seen.append(current_tracker.get())

        await job.start()
        return seen, job

    seen, job = run_virtual(main)
    assert seen == [job.tracker]


def test_time_loop_next_run_and_schedule_text():
    import datetime
    from zoneinfo import ZoneInfo

    paris = ZoneInfo("Europe/Paris")
    start = datetime.datetime(2026, 3, 28, 7, 0, tzinfo=datetime.timezone.utc)

    async def main():
        runs = []

        @loop(time=[datetime.time(9, tzinfo=paris), datetime.time(15, tzinfo=paris)], count=3)
        async def job():
            runs.append(clock.now_datetime())

        assert job.tracker.schedule == "09:00, 15:00 Europe/Paris"
        await job.start()
        return runs

    runs = run_virtual(main, start=start)
    # 2026-03-29 is the DST change in Paris: 09:00 is 08:00 UTC on the 28th, 07:00 UTC on the 29th.
    assert [r.isoformat() for r in runs] == [
        "2026-03-28T08:00:00+00:00",
        "2026-03-28T14:00:00+00:00",
        "2026-03-29T07:00:00+00:00",
    ]
