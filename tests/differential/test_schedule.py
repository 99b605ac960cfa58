"""Timing of iterations: the relative grid, catch-up after overruns, ``count``, ``time=``,
``change_interval`` — identical in discord.py and looptui."""

from __future__ import annotations

import asyncio
import datetime
import zoneinfo

from .harness import Env, compare

UTC = datetime.timezone.utc


async def relative_basic(env: Env) -> None:
    @env.loop(seconds=10)
    async def job(tag: str) -> None:
        env.log(f"body {tag}", job)

    env.log("created", job)
    task = job.start("x")
    env.log("started", job)
    await env.at(35)
    job.stop()
    env.log("stop() while sleeping", job)
    env.log(await env.wait(task), job)


def test_relative_interval_runs_on_a_grid_and_stop_while_sleeping_runs_one_more_body() -> None:
    trace = compare(relative_basic)
    assert trace == [
        "0 created | cur=0 run=0 failed=0 cancelling=0 next=None",
        "0 started | cur=0 run=1 failed=0 cancelling=0 next=None",
        "0 body x | cur=0 run=1 failed=0 cancelling=0 next=10",
        "10 body x | cur=1 run=1 failed=0 cancelling=0 next=20",
        "20 body x | cur=2 run=1 failed=0 cancelling=0 next=30",
        "30 body x | cur=3 run=1 failed=0 cancelling=0 next=40",
        "35 stop() while sleeping | cur=3 run=1 failed=0 cancelling=0 next=None",
        # discord.py's stop() is a flag checked after a body: the sleep ends and one more
        # body runs before the loop ends.
        "40 body x | cur=4 run=1 failed=0 cancelling=0 next=None",
        "40 returned None | cur=0 run=0 failed=0 cancelling=0 next=None",
        "40 end",
    ]


async def count_three(env: Env) -> None:
    @env.loop(seconds=10, count=3)
    async def job() -> None:
        env.log("body", job)

    @job.before_loop
    async def before() -> None:
        env.log("before_loop", job)

    @job.after_loop
    async def after() -> None:
        env.log("after_loop", job)

    env.log(await env.wait(job.start()), job)


def test_count_three_after_loop_runs_one_interval_after_the_last_body() -> None:
    trace = compare(count_three)
    assert trace == [
        "0 before_loop | cur=0 run=1 failed=0 cancelling=0 next=None",
        "0 body | cur=0 run=1 failed=0 cancelling=0 next=10",
        "10 body | cur=1 run=1 failed=0 cancelling=0 next=20",
        "20 body | cur=2 run=1 failed=0 cancelling=0 next=30",
        "30 after_loop | cur=3 run=1 failed=0 cancelling=0 next=30",
        "30 returned None | cur=0 run=0 failed=0 cancelling=0 next=None",
        "30 end",
    ]


async def overrun(env: Env) -> None:
    @env.loop(seconds=10, count=6)
    async def job() -> None:
        env.log("body", job)
        if job.current_loop == 0:
            await asyncio.sleep(25)
            env.log("body overran", job)

    env.log(await env.wait(job.start()), job)


def test_overrun_catches_up_on_the_grid() -> None:
    trace = compare(overrun)
    assert trace == [
        "0 body | cur=0 run=1 failed=0 cancelling=0 next=10",
        "25 body overran | cur=0 run=1 failed=0 cancelling=0 next=10",
        # the missed slots (10, 20) run back to back, then the grid resumes
        "25 body | cur=1 run=1 failed=0 cancelling=0 next=20",
        "25 body | cur=2 run=1 failed=0 cancelling=0 next=30",
        "30 body | cur=3 run=1 failed=0 cancelling=0 next=40",
        "40 body | cur=4 run=1 failed=0 cancelling=0 next=50",
        "50 body | cur=5 run=1 failed=0 cancelling=0 next=60",
        "60 returned None | cur=0 run=0 failed=0 cancelling=0 next=None",
        "60 end",
    ]


async def zero_seconds(env: Env) -> None:
    @env.loop(seconds=0, count=4)
    async def job() -> None:
        env.log("body", job)

    env.log(await env.wait(job.start()), job)


def test_zero_second_loop() -> None:
    compare(zero_seconds)


async def minutes_and_hours(env: Env) -> None:
    @env.loop(hours=1, minutes=30, seconds=15, count=3)
    async def job() -> None:
        env.log(f"body {job.hours} {job.minutes} {job.seconds}", job)

    env.log(await env.wait(job.start()), job)


def test_minutes_and_hours_add_up() -> None:
    trace = compare(minutes_and_hours)
    assert trace[1].startswith("5415 body")


JST = datetime.timezone(datetime.timedelta(hours=9), "JST")


async def explicit_times(env: Env) -> None:
    # 00:00:10 and 00:00:30 UTC, written in JST (the local date is already Jan 1, 09:00)
    times = [datetime.time(9, 0, 30, tzinfo=JST), datetime.time(9, 0, 10, tzinfo=JST)]

    @env.loop(time=times, count=5)
    async def job() -> None:
        env.log("body", job)

    @job.before_loop
    async def before() -> None:
        env.log("before_loop", job)

    @job.after_loop
    async def after() -> None:
        env.log("after_loop", job)

    task = job.start()
    env.log(f"started time={[t.isoformat() for t in job.time]}", job)
    env.log(await env.wait(task), job)


def test_explicit_times_sleep_before_the_body() -> None:
    trace = compare(explicit_times)
    assert trace == [
        "0 started time=['09:00:10+09:00', '09:00:30+09:00'] | "
        "cur=0 run=1 failed=0 cancelling=0 next=None",
        "0 before_loop | cur=0 run=1 failed=0 cancelling=0 next=None",
        "10 body | cur=0 run=1 failed=0 cancelling=0 next=30@+0900",
        "30 body | cur=1 run=1 failed=0 cancelling=0 next=86410@+0900",
        "86410 body | cur=2 run=1 failed=0 cancelling=0 next=86430@+0900",
        "86430 body | cur=3 run=1 failed=0 cancelling=0 next=172810@+0900",
        "172810 body | cur=4 run=1 failed=0 cancelling=0 next=172830@+0900",
        # with time=, the count is reached right after the body: no sleep first
        "172810 after_loop | cur=5 run=1 failed=0 cancelling=0 next=172830@+0900",
        "172810 returned None | cur=0 run=0 failed=0 cancelling=0 next=None",
        "172810 end",
    ]


async def explicit_naive_single_time(env: Env) -> None:
    @env.loop(time=datetime.time(0, 1), count=2)
    async def job() -> None:
        env.log(f"body tz={job.time[0].tzinfo}", job)

    env.log(await env.wait(job.start()), job)


def test_single_naive_time_means_utc() -> None:
    trace = compare(explicit_naive_single_time)
    assert trace[0] == "60 body tz=UTC | cur=0 run=1 failed=0 cancelling=0 next=86460"


async def explicit_stop_while_sleeping(env: Env) -> None:
    @env.loop(time=[datetime.time(0, 0, 10), datetime.time(0, 0, 30)])
    async def job() -> None:
        env.log("body", job)

    task = job.start()
    await env.at(20)
    job.stop()
    env.log("stop()", job)
    env.log(await env.wait(task), job)


def test_explicit_stop_while_sleeping_runs_the_next_slot_then_ends() -> None:
    trace = compare(explicit_stop_while_sleeping)
    assert trace[-3] == "30 body | cur=1 run=1 failed=0 cancelling=0 next=None"


async def change_interval_while_sleeping(env: Env) -> None:
    @env.loop(seconds=10, count=6)
    async def job() -> None:
        env.log("body", job)

    task = job.start()
    await env.at(3)
    job.change_interval(seconds=2)  # next = 0 + 2, already past: wakes now
    env.log("change_interval(seconds=2)", job)
    await env.at(6.5)
    job.change_interval(minutes=1)  # next = 6 + 60
    env.log("change_interval(minutes=1)", job)
    env.log(await env.wait(task), job)


def test_change_interval_while_sleeping_rearms_the_sleep() -> None:
    trace = compare(change_interval_while_sleeping)
    assert trace == [
        "0 body | cur=0 run=1 failed=0 cancelling=0 next=10",
        "3 change_interval(seconds=2) | cur=0 run=1 failed=0 cancelling=0 next=2",
        "3 body | cur=1 run=1 failed=0 cancelling=0 next=4",
        "4 body | cur=2 run=1 failed=0 cancelling=0 next=6",
        "6 body | cur=3 run=1 failed=0 cancelling=0 next=8",
        "6.5 change_interval(minutes=1) | cur=3 run=1 failed=0 cancelling=0 next=66",
        "66 body | cur=4 run=1 failed=0 cancelling=0 next=126",
        "126 body | cur=5 run=1 failed=0 cancelling=0 next=186",
        "186 returned None | cur=0 run=0 failed=0 cancelling=0 next=None",
        "186 end",
    ]


async def change_interval_in_body(env: Env) -> None:
    @env.loop(seconds=10, count=4)
    async def job() -> None:
        env.log("body", job)
        if job.current_loop == 1:
            job.change_interval(seconds=25)
            env.log("changed to 25s", job)

    env.log(await env.wait(job.start()), job)


def test_change_interval_in_body_counts_from_the_last_scheduled_time() -> None:
    compare(change_interval_in_body)


async def change_relative_to_times_while_sleeping(env: Env) -> None:
    @env.loop(seconds=100, count=3)
    async def job() -> None:
        env.log("body", job)

    task = job.start()
    await env.at(5)
    job.change_interval(time=[datetime.time(0, 0, 40), datetime.time(0, 1, 20)])
    env.log(f"change_interval(time=...) seconds={job.seconds}", job)
    env.log(await env.wait(task), job)


def test_change_from_seconds_to_times_while_sleeping() -> None:
    compare(change_relative_to_times_while_sleeping)


async def change_times_to_relative_while_sleeping(env: Env) -> None:
    @env.loop(time=[datetime.time(0, 0, 10), datetime.time(0, 1)], count=4)
    async def job() -> None:
        env.log("body", job)

    task = job.start()
    await env.at(20)
    job.change_interval(seconds=15)
    env.log(f"change_interval(seconds=15) time={job.time}", job)
    env.log(await env.wait(task), job)


def test_change_from_times_to_seconds_while_sleeping() -> None:
    compare(change_times_to_relative_while_sleeping)


async def change_interval_when_not_running(env: Env) -> None:
    @env.loop(seconds=10, count=2)
    async def job() -> None:
        env.log("body", job)

    job.change_interval(seconds=3)
    env.log(f"changed before start seconds={job.seconds}", job)
    env.log(await env.wait(job.start()), job)
    job.change_interval(seconds=7)
    env.log(f"changed after end seconds={job.seconds}", job)
    env.log(await env.wait(job.start()), job)


def test_change_interval_when_not_running() -> None:
    compare(change_interval_when_not_running)


NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


async def zoned_times_on_ordinary_days(env: Env) -> None:
    times = [datetime.time(17, 30, tzinfo=NEW_YORK), datetime.time(9, tzinfo=NEW_YORK)]

    @env.loop(time=times, count=5)
    async def job() -> None:
        env.log("body", job)

    env.log(await env.wait(job.start()), job)


zoned_times_on_ordinary_days_kw = {"start": datetime.datetime(2026, 6, 10, 12, tzinfo=UTC)}


def test_zoneinfo_times_on_ordinary_days() -> None:
    # 12:00 UTC is 08:00 EDT: 09:00 comes first, then 17:30, then the next days
    trace = compare(zoned_times_on_ordinary_days, **zoned_times_on_ordinary_days_kw)
    assert [line.split(" ")[0] for line in trace[:5]] == [
        "3600", "34200", "90000", "120600", "176400",
    ]


async def fixed_offset_local_date_differs(env: Env) -> None:
    minus10 = datetime.timezone(datetime.timedelta(hours=-10))

    @env.loop(time=[datetime.time(8, tzinfo=JST)], count=2)
    async def tokyo() -> None:
        env.log("tokyo", tokyo)

    @env.loop(time=[datetime.time(20, tzinfo=minus10)], count=2)
    async def honolulu() -> None:
        env.log("honolulu", honolulu)

    t1, t2 = tokyo.start(), honolulu.start()
    env.log(await env.wait(t1), tokyo)
    env.log(await env.wait(t2), honolulu)


# 20:00 UTC on Jan 1 is already 05:00 on Jan 2 in Tokyo and still 10:00 on Jan 1 at -10
fixed_offset_local_date_differs_kw = {"start": datetime.datetime(2026, 1, 1, 20, tzinfo=UTC)}


def test_fixed_offsets_whose_local_date_differs_from_utc() -> None:
    trace = compare(fixed_offset_local_date_differs, **fixed_offset_local_date_differs_kw)
    assert trace[:2] == [
        "10800 tokyo | cur=0 run=1 failed=0 cancelling=0 next=97200@+0900",
        "36000 honolulu | cur=0 run=1 failed=0 cancelling=0 next=122400@-1000",
    ]


async def explicit_overrun(env: Env) -> None:
    times = [datetime.time(0, 0, 10), datetime.time(0, 0, 30), datetime.time(0, 0, 50)]

    @env.loop(time=times, count=4)
    async def job() -> None:
        env.log("body", job)
        if job.current_loop == 0:
            await asyncio.sleep(45)  # past the 00:30 slot and close to 00:50
            env.log("body overran", job)

    env.log(await env.wait(job.start()), job)


def test_explicit_times_overrun_runs_the_missed_slot_late_once() -> None:
    trace = compare(explicit_overrun)
    assert [line.split(" | ")[0] for line in trace[:4]] == [
        "10 body", "55 body overran", "55 body", "86410 body",
    ]


async def change_times_while_sleeping(env: Env) -> None:
    @env.loop(time=[datetime.time(0, 0, 10)], count=3)
    async def job() -> None:
        env.log("body", job)

    task = job.start()
    await env.at(20)
    job.change_interval(time=[datetime.time(0, 1), datetime.time(0, 2)])
    env.log(f"change_interval(time=00:01, 00:02) next={env.rel(job.next_iteration)}", job)
    env.log(await env.wait(task), job)


def test_change_times_while_sleeping_after_the_first_slot() -> None:
    trace = compare(change_times_while_sleeping)
    assert [line.split(" | ")[0] for line in trace[2:4]] == ["60 body", "120 body"]


async def zero_interval_slowed_then_sped_up(env: Env) -> None:
    """A 0-second loop slowed down by another task, then sped up again (it used to stay
    asleep for the whole long interval)."""
    seen = {"bodies": 0}

    def slow_down() -> None:  # another task's call, between two runs of the loop
        job.change_interval(seconds=100)
        env.log("change_interval(seconds=100)", job)

    @env.loop(seconds=0)
    async def job() -> None:
        seen["bodies"] += 1
        if seen["bodies"] <= 2 or env.t() > 0:
            env.log("body", job)
        if seen["bodies"] == 2:
            asyncio.get_running_loop().call_soon(slow_down)
        if env.t() >= 5 and seen["bodies"] >= 5:
            job.stop()

    task = job.start()
    await env.at(5)
    job.change_interval(seconds=0)  # from the last run: due at once
    env.log("change_interval(seconds=0)", job)
    env.log(await env.wait(task), job)


def test_a_zero_second_loop_slowed_then_sped_up_runs_at_the_new_interval() -> None:
    trace = compare(zero_interval_slowed_then_sped_up)
    sped_up = trace.index(next(line for line in trace if "change_interval(seconds=0)" in line))
    assert trace[sped_up + 1].startswith("5 body"), trace
