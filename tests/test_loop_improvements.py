"""Where looptui's Loop deliberately differs from discord.py's (README "Differences from
discord.py"), checked in virtual time. Each test shows looptui's behaviour and, where
useful, discord.py's for contrast, so a reader sees exactly what changed and why.

The scenarios use the differential harness (``tests/differential``), which runs the same
code against either implementation. The extensions (pause, trigger, stop_now, states,
records) are tested in ``tests/test_loop_extensions.py``.
"""

from __future__ import annotations

import datetime
import logging
import zoneinfo
from typing import Any, Iterator

import pytest

from differential.harness import Env, run_trace
from looptui.core.registry import REGISTRY

UTC = datetime.timezone.utc
MINUS10 = datetime.timezone(datetime.timedelta(hours=-10))
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


@pytest.fixture(autouse=True)
def _clean_registry() -> Iterator[None]:
    REGISTRY.clear()
    yield
    REGISTRY.clear()


def times_of(trace: list[str], label: str = "body") -> list[str]:
    """The virtual times of the trace lines whose label's first word is *label*."""
    return [line.split(" ", 1)[0] for line in trace if line.split(" ", 2)[1] == label]


# -- 1. every exception is recorded; the default handler prints and logs ---------------


async def unhandled_failure(env: Env) -> None:
    @env.loop(seconds=10)
    async def job() -> None:
        raise KeyError("lost key")

    env.log(await env.wait(job.start()))


def test_default_error_handler_prints_the_traceback_and_logs_it(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        run_trace("looptui", unhandled_failure)
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert "KeyError: 'lost key'" in err
    assert any(r.exc_info and r.exc_info[0] is KeyError for r in caplog.records)


def test_discord_default_error_handler_only_logs(capsys: pytest.CaptureFixture[str]) -> None:
    run_trace("discord.py", unhandled_failure)
    assert "Traceback" not in capsys.readouterr().err


def test_an_exception_in_after_loop_is_recorded() -> None:
    """(Body, retried, ``error`` and ``before_loop`` exceptions: tests/test_loop_extensions.py.)"""
    seen: dict[str, Any] = {}

    async def scenario(env: Env) -> None:
        @env.loop(seconds=10, count=1)
        async def job() -> None:
            pass

        @job.after_loop
        async def broken() -> None:
            raise LookupError("from after_loop")

        seen["outcome"] = await env.wait(job.start())
        seen["last"] = job.last_exception
        seen["state"] = job.state

    run_trace("looptui", scenario)
    assert seen["outcome"] == "raised LookupError"
    assert (seen["last"].type_name, seen["last"].where) == ("LookupError", "after_loop")
    assert seen["state"] == "failed"


# -- 2. exception types added on a class-level loop reach per-instance copies ----------


async def class_level_exception_types(env: Env) -> None:
    class Cog:
        @env.loop(seconds=10, count=2)
        async def job(self) -> None:
            if self.job.current_loop == 0 and not self.failed_once:
                self.failed_once = True
                raise ValueError("flaky")
            env.log("body ok", self.job)

        job.add_exception_type(ValueError)

        def __init__(self) -> None:
            self.failed_once = False

    env.log(await env.wait(Cog().job.start()))


def test_exception_types_added_on_the_class_loop_apply_to_instances() -> None:
    ours = run_trace("looptui", class_level_exception_types)
    assert "returned None" in ours[-2]
    assert len([line for line in ours if "body ok" in line]) == 2
    # discord.py builds each instance's Loop afresh and forgets the added type
    theirs = run_trace("discord.py", class_level_exception_types)
    assert "raised ValueError" in theirs[-2]


# -- 3. time= slots in real-instant order; a change before the first slot applies ------


async def mixed_fixed_offsets(env: Env) -> None:
    # 01:00 UTC, and 02:00 at UTC-10 = 12:00 UTC
    @env.loop(time=[datetime.time(1, tzinfo=UTC), datetime.time(2, tzinfo=MINUS10)], count=4)
    async def job() -> None:
        env.log("body", job)

    env.log(await env.wait(job.start()), job)


def test_mixed_offsets_run_every_slot_in_real_order() -> None:
    assert times_of(run_trace("looptui", mixed_fixed_offsets)) == [
        "3600", "43200", "90000", "129600",
    ]
    # discord.py compares wall-clock times across zones and never reaches 12:00 UTC
    assert times_of(run_trace("discord.py", mixed_fixed_offsets)) == [
        "3600", "90000", "176400", "262800",
    ]


async def zoneinfo_with_utc(env: Env) -> None:
    times = [datetime.time(9, tzinfo=NEW_YORK), datetime.time(9, tzinfo=UTC)]

    def build() -> Any:
        return env.loop(time=times, count=3)(_body)

    env.log(env.outcome_of(build).split(" ")[0])
    if env.impl == "looptui":
        lp = env.loop(time=times, count=3)(_body)
        env.log(await env.wait(lp.start()))


async def _body() -> None:
    pass


def test_zoneinfo_times_may_be_mixed_with_fixed_offsets() -> None:
    # January: 09:00 UTC, then 09:00 New York = 14:00 UTC, then the next day
    assert run_trace("looptui", zoneinfo_with_utc)[:2] == ["0 ->", "118800 returned None"]
    # discord.py cannot sort such a list and raises at definition time
    assert run_trace("discord.py", zoneinfo_with_utc)[0] == "0 TypeError"


async def same_wall_time_two_zones(env: Env) -> None:
    london = zoneinfo.ZoneInfo("Europe/London")
    times = [datetime.time(9, tzinfo=NEW_YORK), datetime.time(9, tzinfo=london)]

    @env.loop(time=times, count=4)
    async def job() -> None:
        env.log("body", job)

    env.log(f"{len(job.time)} times")
    env.log(await env.wait(job.start()))


def test_the_same_wall_time_in_two_zones_is_two_slots() -> None:
    """``datetime.time`` objects whose zone has no fixed offset compare as if naive, so
    09:00 New York == 09:00 London; de-duplicating with ``set``/``dict`` keeps only one.
    discord.py loses the London slot this way."""
    trace = run_trace("looptui", same_wall_time_two_zones)
    assert trace[0] == "0 2 times"
    # January: 09:00 London = 09:00 UTC, 09:00 New York = 14:00 UTC
    assert times_of(trace) == ["32400", "50400", "118800", "136800"]
    assert run_trace("discord.py", same_wall_time_two_zones)[0] == "0 1 times"


async def spring_forward(env: Env) -> None:
    # 2026-03-08: New York skips 02:00-03:00. 02:30 does not exist that day and moves to
    # 03:30 (as in discord.py's resolve_datetime); 03:00 exists and comes first.
    times = [datetime.time(2, 30, tzinfo=NEW_YORK), datetime.time(3, tzinfo=NEW_YORK)]

    @env.loop(time=times, count=4)
    async def job() -> None:
        local = datetime.datetime.fromtimestamp(env.t0 + env.t(), NEW_YORK)
        env.log(f"body {local:%m-%d %H:%M%z}")

    env.log(await env.wait(job.start()))


def test_spring_forward_day_runs_each_slot_once_in_order() -> None:
    start = datetime.datetime(2026, 3, 8, 5, tzinfo=UTC)  # midnight in New York
    assert run_trace("looptui", spring_forward, start=start)[:4] == [
        "7200 body 03-08 03:00-0400",
        "9000 body 03-08 03:30-0400",
        "91800 body 03-09 02:30-0400",
        "93600 body 03-09 03:00-0400",
    ]
    # discord.py sorts by wall time, sleeps toward 02:30 (= 03:30) and skips 03:00
    assert run_trace("discord.py", spring_forward, start=start)[0] == "9000 body 03-08 03:30-0400"


async def change_before_first_slot(env: Env) -> None:
    @env.loop(time=[datetime.time(0, 10)], count=2)
    async def job() -> None:
        env.log("body", job)

    task = job.start()
    await env.at(60)
    job.change_interval(time=[datetime.time(0, 5)])
    env.log("change_interval(time=00:05)", job)
    env.log(await env.wait(task), job)


def test_time_change_while_sleeping_toward_the_first_slot_is_applied() -> None:
    ours = run_trace("looptui", change_before_first_slot)
    assert ours[0] == "60 change_interval(time=00:05) | cur=0 run=1 failed=0 cancelling=0 next=300"
    assert times_of(ours) == ["300", "86700"]
    # discord.py keeps sleeping toward the old 00:10 slot
    assert times_of(run_trace("discord.py", change_before_first_slot)) == ["600", "86700"]


def test_a_time_loop_woken_exactly_on_its_slot_reports_no_clock_drift(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Waking exactly at a slot is not drift. Under virtual time every wake-up is exact,
    so a spurious warning here would fire on every iteration of every ``time=`` test."""

    async def scenario(env: Env) -> None:
        @env.loop(time=[datetime.time(0, 0, 10), datetime.time(0, 0, 30)], count=3)
        async def job() -> None:
            env.log("body", job)

        env.log(await env.wait(job.start()))

    with caplog.at_level(logging.WARNING):
        trace = run_trace("looptui", scenario)
    assert times_of(trace) == ["10", "30", "86410"]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


# -- teardown always resets the loop (not in the README's list; discord.py differs) -----


async def after_loop_raises_during_cancel(env: Env) -> None:
    first_run = [True]

    @env.loop(seconds=10)
    async def job() -> None:
        env.log("body", job)

    @job.after_loop
    async def after() -> None:
        env.log("after_loop", job)
        if first_run:
            first_run.clear()
            raise LookupError("teardown failed")

    task = job.start()
    await env.at(5)
    job.cancel()
    env.log(await env.wait(task), job)
    task = job.start()
    await env.at(7)
    job.cancel()
    env.log("cancel() on the next run", job)
    await env.at(25)
    env.log(f"next run ended: {task.done()}", job)
    task.cancel()
    await env.wait(task)


def test_after_loop_raising_still_resets_the_loop() -> None:
    ours = run_trace("looptui", after_loop_raises_during_cancel)
    assert ours[2] == "5 raised LookupError | cur=0 run=0 failed=0 cancelling=0 next=None"
    assert ours[-2] == "25 next run ended: True | cur=0 run=0 failed=0 cancelling=0 next=None"
    # discord.py skips its reset: is_being_cancelled() stays True, so cancel() is ignored
    theirs = run_trace("discord.py", after_loop_raises_during_cancel)
    assert theirs[2] == "5 raised LookupError | cur=0 run=0 failed=0 cancelling=1 next=None"
    assert theirs[-3] == "25 next run ended: False | cur=1 run=1 failed=0 cancelling=1 next=25"


def test_change_interval_refuses_nan_and_infinity():
    """discord.py accepts them and the loop never runs again; looptui says no, as it does
    for a negative interval (ValueError), and the loop keeps its interval."""
    import math

    from looptui import loop

    @loop(seconds=5)
    async def job() -> None:
        pass

    for bad in (math.nan, math.inf):
        with pytest.raises(ValueError, match="finite"):
            job.change_interval(seconds=bad)
        with pytest.raises(ValueError, match="finite"):
            job.change_interval(minutes=bad)
    with pytest.raises(ValueError):
        job.change_interval(seconds=-math.inf)
    assert job.seconds == 5
    with pytest.raises(ValueError, match="finite"):
        loop(hours=math.inf)(job.coro)


def test_the_controls_of_a_discord_py_loop_refuse_a_non_finite_interval():
    import math

    from discord.ext import tasks as dtasks

    from looptui import adapters
    from looptui.core.registry import Registry
    from looptui.session.commands import run_command

    registry = Registry()
    adapters.install(registry)

    @dtasks.loop(seconds=5)
    async def job() -> None:
        pass

    adapters.recognise(job)
    tracker = adapters.tracker_for(job)
    assert tracker is not None
    for bad in (math.nan, math.inf):
        reply = run_command(tracker, "interval", ("seconds", bad))
        assert not reply.ok and "finite" in reply.text
    assert job.seconds == 5
