"""start / stop / cancel / restart, hook order and failure — identical in discord.py and
looptui."""

from __future__ import annotations

import asyncio
from typing import Any

from .harness import Env, compare


def hooks(env: Env, job: Any, *, error: bool = True) -> None:
    """Register before_loop / after_loop (and error) hooks that log themselves."""

    @job.before_loop
    async def before() -> None:
        env.log("before_loop", job)

    @job.after_loop
    async def after() -> None:
        env.log("after_loop", job)

    if error:

        @job.error
        async def on_error(exc: BaseException) -> None:
            env.log(f"error({type(exc).__name__})", job)


async def stop_inside_body(env: Env) -> None:
    @env.loop(seconds=10)
    async def job() -> None:
        env.log("body", job)
        if job.current_loop == 2:
            job.stop()
            env.log("stop() in body", job)
            await asyncio.sleep(1)
            env.log("body still running after stop()", job)

    hooks(env, job)
    env.log(await env.wait(job.start()), job)


def test_stop_inside_body_ends_after_that_body() -> None:
    trace = compare(stop_inside_body)
    assert trace == [
        "0 before_loop | cur=0 run=1 failed=0 cancelling=0 next=None",
        "0 body | cur=0 run=1 failed=0 cancelling=0 next=10",
        "10 body | cur=1 run=1 failed=0 cancelling=0 next=20",
        "20 body | cur=2 run=1 failed=0 cancelling=0 next=30",
        "20 stop() in body | cur=2 run=1 failed=0 cancelling=0 next=None",
        "21 body still running after stop() | cur=2 run=1 failed=0 cancelling=0 next=None",
        "21 after_loop | cur=2 run=1 failed=0 cancelling=0 next=None",
        "21 returned None | cur=0 run=0 failed=0 cancelling=0 next=None",
        "21 end",
    ]


async def stop_in_before_loop(env: Env) -> None:
    @env.loop(seconds=10)
    async def job() -> None:
        env.log("body", job)

    @job.before_loop
    async def before() -> None:
        env.log("before_loop", job)
        await asyncio.sleep(5)
        job.stop()
        env.log("stop() in before_loop", job)

    @job.after_loop
    async def after() -> None:
        env.log("after_loop", job)

    env.log(await env.wait(job.start()), job)
    # the stop flag does not leak into the next run
    job.before_loop(_noop)
    task = job.start()
    await env.at(17)
    job.stop()
    env.log(await env.wait(task), job)


async def _noop() -> None:
    pass


def test_stop_in_before_loop_runs_no_iteration() -> None:
    trace = compare(stop_in_before_loop)
    assert "body" not in trace[3]
    assert trace[:5] == [
        "0 before_loop | cur=0 run=1 failed=0 cancelling=0 next=None",
        "5 stop() in before_loop | cur=0 run=1 failed=0 cancelling=0 next=None",
        "5 after_loop | cur=0 run=1 failed=0 cancelling=0 next=None",
        "5 returned None | cur=0 run=0 failed=0 cancelling=0 next=None",
        "5 body | cur=0 run=1 failed=0 cancelling=0 next=15",
    ]


async def stop_explicit_in_before_loop(env: Env) -> None:
    import datetime

    @env.loop(time=datetime.time(0, 1))
    async def job() -> None:
        env.log("body", job)

    @job.before_loop
    async def before() -> None:
        job.stop()
        env.log("stop() in before_loop", job)

    @job.after_loop
    async def after() -> None:
        env.log("after_loop", job)

    env.log(await env.wait(job.start()), job)


def test_stop_in_before_loop_of_a_time_loop() -> None:
    compare(stop_explicit_in_before_loop)


async def stop_and_cancel_when_not_running(env: Env) -> None:
    @env.loop(seconds=10, count=2)
    async def job() -> None:
        env.log("body", job)

    job.stop()
    job.cancel()
    env.log("stop() and cancel() before start", job)
    env.log(await env.wait(job.start()), job)
    job.stop()
    job.cancel()
    env.log("stop() and cancel() after the end", job)
    env.log(await env.wait(job.start()), job)


def test_stop_and_cancel_when_not_running_are_no_ops() -> None:
    compare(stop_and_cancel_when_not_running)


async def cancel_while_sleeping(env: Env) -> None:
    @env.loop(seconds=10)
    async def job() -> None:
        env.log("body", job)

    hooks(env, job)
    task = job.start()
    await env.at(15)
    job.cancel()
    env.log("cancel()", job)
    env.log(await env.wait(task), job)


def test_cancel_while_sleeping() -> None:
    trace = compare(cancel_while_sleeping)
    assert trace[-3:] == [
        "15 after_loop | cur=1 run=1 failed=0 cancelling=1 next=20",
        "15 cancelled | cur=0 run=0 failed=0 cancelling=0 next=None",
        "15 end",
    ]


async def cancel_during_body(env: Env) -> None:
    @env.loop(seconds=10)
    async def job() -> None:
        env.log("body", job)
        if job.current_loop == 1:
            try:
                await asyncio.sleep(100)
            except asyncio.CancelledError:
                env.log("body sees CancelledError", job)
                raise

    hooks(env, job)
    task = job.start()
    await env.at(15)
    job.cancel()
    job.cancel()  # twice: harmless
    env.log("cancel()", job)
    env.log(await env.wait(task), job)


def test_cancel_during_body() -> None:
    trace = compare(cancel_during_body)
    assert "15 after_loop | cur=1 run=1 failed=0 cancelling=1 next=20" in trace


async def cancel_in_before_loop(env: Env) -> None:
    @env.loop(seconds=10)
    async def job() -> None:
        env.log("body", job)

    @job.before_loop
    async def before() -> None:
        env.log("before_loop", job)
        job.cancel()
        env.log("cancel() in before_loop", job)

    @job.after_loop
    async def after() -> None:
        env.log("after_loop", job)

    env.log(await env.wait(job.start()), job)


def test_cancel_in_before_loop_runs_no_iteration() -> None:
    trace = compare(cancel_in_before_loop)
    assert not any(" body " in line for line in trace)


async def restart_while_running(env: Env) -> None:
    @env.loop(seconds=10)
    async def job(tag: str) -> None:
        env.log(f"body {tag}", job)

    hooks(env, job)
    first = job.start("a")
    await env.at(15)
    job.restart("b")
    env.log("restart('b')", job)
    env.log(f"first task: {await env.wait(first)}", job)
    second = job.get_task()
    env.log(f"new task: {second is not first}", job)
    await env.at(27)
    job.stop()
    env.log(await env.wait(second), job)


def test_restart_while_running_cancels_then_starts_again() -> None:
    trace = compare(restart_while_running)
    assert trace[:12] == [
        "0 before_loop | cur=0 run=1 failed=0 cancelling=0 next=None",
        "0 body a | cur=0 run=1 failed=0 cancelling=0 next=10",
        "10 body a | cur=1 run=1 failed=0 cancelling=0 next=20",
        "15 restart('b') | cur=1 run=1 failed=0 cancelling=0 next=20",
        "15 after_loop | cur=1 run=1 failed=0 cancelling=1 next=20",
        # restart's done-callback starts the new task before the awaiting code resumes;
        # discord.py still shows the previous run's next_iteration until before_loop ends
        "15 first task: cancelled | cur=0 run=1 failed=0 cancelling=0 next=20",
        "15 new task: True | cur=0 run=1 failed=0 cancelling=0 next=20",
        "15 before_loop | cur=0 run=1 failed=0 cancelling=0 next=20",
        "15 body b | cur=0 run=1 failed=0 cancelling=0 next=25",
        "25 body b | cur=1 run=1 failed=0 cancelling=0 next=35",
        "35 body b | cur=2 run=1 failed=0 cancelling=0 next=None",
        "35 after_loop | cur=2 run=1 failed=0 cancelling=0 next=None",
    ]


async def restart_when_not_running(env: Env) -> None:
    @env.loop(seconds=10, count=1)
    async def job() -> None:
        env.log("body", job)

    job.restart()
    env.log(f"restart() before start: task={job.get_task()}", job)
    task = job.start()
    env.log(await env.wait(task), job)
    job.restart()
    env.log(f"restart() after the end: same task={job.get_task() is task}", job)
    await env.at(100)
    env.log("nothing ran", job)


def test_restart_when_not_running_is_a_no_op() -> None:
    compare(restart_when_not_running)


async def restart_during_cancel_teardown(env: Env) -> None:
    @env.loop(seconds=10)
    async def job() -> None:
        env.log("body", job)

    @job.after_loop
    async def after() -> None:
        env.log("after_loop", job)
        if job.is_being_cancelled():
            job.restart()
            job.cancel()
            env.log("restart()/cancel() in after_loop ignored", job)

    task = job.start()
    await env.at(5)
    job.cancel()
    env.log(await env.wait(task), job)
    env.log(f"same task: {job.get_task() is task}", job)


def test_restart_and_cancel_during_cancel_teardown_are_ignored() -> None:
    compare(restart_during_cancel_teardown)


async def start_twice(env: Env) -> None:
    @env.loop(seconds=10)
    async def job() -> None:
        env.log("body", job)

    @job.after_loop
    async def after() -> None:
        env.log(f"start() in after_loop: {env.outcome_of(job.start)}", job)

    task = job.start()
    env.log(f"second start(): {env.outcome_of(job.start)}", job)
    await env.at(5)
    env.log(f"start() while sleeping: {env.outcome_of(job.start)}", job)
    job.stop()
    env.log(f"start() after stop() before the end: {env.outcome_of(job.start)}", job)
    env.log(await env.wait(task), job)
    again = job.start()
    env.log(f"start() after the end: new task={again is not task}", job)
    again.cancel()
    env.log(await env.wait(again), job)


def test_start_while_running_raises_runtime_error() -> None:
    trace = compare(start_twice)
    assert trace[0] == "0 second start(): RuntimeError | cur=0 run=1 failed=0 cancelling=0 next=None"


async def failed_is_sticky(env: Env) -> None:
    @env.loop(seconds=10)
    async def job() -> None:
        env.log("body", job)
        if job.current_loop == 1:
            raise ValueError("boom")

    hooks(env, job)
    env.log(await env.wait(job.start()), job)
    await env.at(50)
    env.log("later", job)
    task = job.start()
    env.log("start() resets failed()", job)
    await env.at(55)
    job.cancel()
    env.log(await env.wait(task), job)


def test_failed_is_sticky_until_the_next_start() -> None:
    trace = compare(failed_is_sticky)
    assert trace[3:8] == [
        "10 error(ValueError) | cur=1 run=1 failed=1 cancelling=0 next=20",
        "10 after_loop | cur=1 run=1 failed=1 cancelling=0 next=20",
        "10 raised ValueError | cur=0 run=0 failed=1 cancelling=0 next=None",
        "50 later | cur=0 run=0 failed=1 cancelling=0 next=None",
        "50 start() resets failed() | cur=0 run=1 failed=0 cancelling=0 next=20",
    ]


async def failure_with_default_error_handler(env: Env) -> None:
    @env.loop(seconds=10)
    async def job() -> None:
        env.log("body", job)
        raise KeyError("k")

    hooks(env, job, error=False)
    env.log(await env.wait(job.start()), job)


def test_failure_with_the_default_error_handler(capsys: Any) -> None:
    compare(failure_with_default_error_handler)


async def before_loop_raises(env: Env) -> None:
    @env.loop(seconds=10)
    async def job() -> None:
        env.log("body", job)

    @job.before_loop
    async def before() -> None:
        env.log("before_loop", job)
        raise RuntimeError("not ready")

    @job.after_loop
    async def after() -> None:
        env.log("after_loop", job)

    @job.error
    async def on_error(exc: BaseException) -> None:
        env.log(f"error({type(exc).__name__})", job)

    env.log(await env.wait(job.start()), job)


def test_before_loop_raising_ends_the_task_without_error_or_after_loop() -> None:
    trace = compare(before_loop_raises)
    assert trace == [
        "0 before_loop | cur=0 run=1 failed=0 cancelling=0 next=None",
        "0 raised RuntimeError | cur=0 run=0 failed=0 cancelling=0 next=None",
        "0 end",
    ]


async def error_hook_raises(env: Env) -> None:
    @env.loop(seconds=10)
    async def job() -> None:
        env.log("body", job)
        raise ValueError("body")

    @job.error
    async def on_error(exc: BaseException) -> None:
        env.log(f"error({type(exc).__name__})", job)
        raise LookupError("from error hook")

    @job.after_loop
    async def after() -> None:
        env.log("after_loop", job)

    env.log(await env.wait(job.start()), job)


def test_error_hook_raising_replaces_the_exception_and_after_loop_still_runs() -> None:
    trace = compare(error_hook_raises)
    assert trace[-2].startswith("0 raised LookupError")


async def after_loop_raises(env: Env) -> None:
    @env.loop(seconds=10, count=2)
    async def job() -> None:
        env.log("body", job)

    @job.after_loop
    async def after() -> None:
        env.log("after_loop", job)
        raise LookupError("from after_loop")

    outcome = await env.wait(job.start())
    # Not logged with the loop's state: discord.py skips its end-of-run reset when
    # after_loop raises (current_loop stays 2); looptui resets. See
    # tests/test_loop_improvements.py.
    env.log(f"{outcome} running={job.is_running()} failed={job.failed()}")


def test_after_loop_raising_becomes_the_task_exception() -> None:
    trace = compare(after_loop_raises)
    assert trace[-2] == "20 raised LookupError running=False failed=False"


async def exception_in_body_is_not_retried_by_default(env: Env) -> None:
    @env.loop(seconds=10)
    async def job() -> None:
        env.log("body", job)
        raise ZeroDivisionError

    hooks(env, job)
    env.log(await env.wait(job.start()), job)


def test_non_network_exception_ends_the_loop() -> None:
    compare(exception_in_body_is_not_retried_by_default)


async def is_being_cancelled_only_in_teardown(env: Env) -> None:
    @env.loop(seconds=10, count=2)
    async def job() -> None:
        env.log("body", job)

    hooks(env, job)
    env.log(await env.wait(job.start()), job)  # after_loop of a normal end: cancelling=0


def test_is_being_cancelled_false_on_a_normal_end() -> None:
    compare(is_being_cancelled_only_in_teardown)


async def next_iteration_around_stop(env: Env) -> None:
    @env.loop(seconds=10)
    async def job() -> None:
        env.log("body", job)

    env.log("before start", job)
    task = job.start()
    await env.at(12)
    env.log("sleeping", job)
    job.stop()
    env.log("after stop()", job)
    env.log(await env.wait(task), job)
    task = job.start()
    await env.at(45)
    job.cancel()
    env.log(await env.wait(task), job)


def test_next_iteration_none_after_stop() -> None:
    compare(next_iteration_around_stop)


async def restart_after_stop_requested(env: Env) -> None:
    @env.loop(seconds=10)
    async def job() -> None:
        env.log("body", job)

    hooks(env, job, error=False)
    task = job.start()
    await env.at(12)
    job.stop()
    job.restart()
    env.log("stop() then restart()", job)
    env.log(f"first task: {await env.wait(task)}", job)
    await env.at(25)
    job.cancel()
    env.log(await env.wait(job.get_task()), job)


def test_restart_after_stop_was_requested_starts_a_fresh_run() -> None:
    compare(restart_after_stop_requested)
