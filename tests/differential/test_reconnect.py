"""Reconnect: retrying OSError / TimeoutError with exponential backoff, and the
exception-type API — identical in discord.py and looptui.

Both backoffs draw their delays from ``random.Random``; the harness seeds both the same
way, so even the retry times agree.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from .harness import Env, compare
from .test_lifecycle import hooks


def failing_body(env: Env, job_ref: list[Any], plan: dict[int, list[type[BaseException]]]) -> Any:
    """A body that raises the next exception planned for the current iteration."""

    async def job() -> None:
        job = job_ref[0]
        pending = plan.get(job.current_loop, [])
        if pending:
            exc = pending.pop(0)
            env.log(f"body raises {exc.__name__}", job)
            raise exc("planned")
        env.log("body ok", job)

    return job


async def retries_then_succeeds(env: Env) -> None:
    ref: list[Any] = []
    plan = {1: [OSError, asyncio.TimeoutError, ConnectionResetError], 3: [TimeoutError]}
    job = env.loop(seconds=10, count=5)(failing_body(env, ref, plan))
    ref.append(job)
    hooks(env, job)
    env.log(await env.wait(job.start()), job)


def test_reconnect_retries_os_and_timeout_errors_with_backoff() -> None:
    trace = compare(retries_then_succeeds)
    labels = [line.split(" | ")[0].split(" ", 1)[1] for line in trace]
    assert labels == [
        "before_loop",
        "body ok",
        "body raises OSError",
        "body raises TimeoutError",
        "body raises ConnectionResetError",
        "body ok",
        "body ok",
        "body raises TimeoutError",
        "body ok",
        "body ok",
        "after_loop",
        "returned None",
        "end",
    ]


async def retry_with_aiohttp_error(env: Env) -> None:
    ref: list[Any] = []
    plan = {0: [aiohttp.ClientConnectionError, aiohttp.ServerDisconnectedError]}
    job = env.loop(seconds=10, count=2)(failing_body(env, ref, plan))
    ref.append(job)
    hooks(env, job)
    env.log(await env.wait(job.start()), job)


def test_reconnect_retries_aiohttp_client_errors() -> None:
    compare(retry_with_aiohttp_error)


async def reconnect_false_raises(env: Env) -> None:
    ref: list[Any] = []
    job = env.loop(seconds=10, reconnect=False)(failing_body(env, ref, {1: [OSError]}))
    ref.append(job)
    hooks(env, job)
    env.log(await env.wait(job.start()), job)


def test_reconnect_false_lets_os_error_end_the_loop() -> None:
    trace = compare(reconnect_false_raises)
    assert trace[-4:] == [
        "10 error(OSError) | cur=1 run=1 failed=1 cancelling=0 next=20",
        "10 after_loop | cur=1 run=1 failed=1 cancelling=0 next=20",
        "10 raised OSError | cur=0 run=0 failed=1 cancelling=0 next=None",
        "10 end",
    ]


async def stop_during_backoff(env: Env) -> None:
    ref: list[Any] = []
    job = env.loop(seconds=100)(failing_body(env, ref, {1: [OSError, OSError, OSError]}))
    ref.append(job)
    hooks(env, job)
    task = job.start()
    await env.at(100.5)  # inside the first backoff sleep
    job.stop()
    env.log("stop() during backoff", job)
    env.log(await env.wait(task), job)


def test_stop_during_backoff_retries_until_a_body_succeeds() -> None:
    trace = compare(stop_during_backoff)
    assert sum("body raises OSError" in line for line in trace) == 3


async def cancel_during_backoff(env: Env) -> None:
    ref: list[Any] = []
    job = env.loop(seconds=100)(failing_body(env, ref, {0: [OSError, OSError]}))
    ref.append(job)
    hooks(env, job)
    task = job.start()
    await env.at(0.5)
    job.cancel()
    env.log(await env.wait(task), job)


def test_cancel_during_backoff() -> None:
    compare(cancel_during_backoff)


async def added_exception_type_is_retried(env: Env) -> None:
    ref: list[Any] = []
    job = env.loop(seconds=10, count=2)(failing_body(env, ref, {0: [ValueError, KeyError]}))
    ref.append(job)
    env.log(f"add_exception_type: {env.outcome_of(job.add_exception_type, ValueError, LookupError)}")
    hooks(env, job)
    env.log(await env.wait(job.start()), job)


def test_added_exception_types_are_retried() -> None:
    trace = compare(added_exception_type_is_retried)
    assert trace[0] == "0 add_exception_type: -> None"


async def cleared_exception_types(env: Env) -> None:
    ref: list[Any] = []
    job = env.loop(seconds=10)(failing_body(env, ref, {0: [OSError]}))
    ref.append(job)
    env.log(f"clear_exception_types: {env.outcome_of(job.clear_exception_types)}")
    hooks(env, job)
    env.log(await env.wait(job.start()), job)


def test_cleared_exception_types_are_not_retried() -> None:
    trace = compare(cleared_exception_types)
    assert "0 raised OSError | cur=0 run=0 failed=1 cancelling=0 next=None" in trace


async def removed_exception_type(env: Env) -> None:
    ref: list[Any] = []
    job = env.loop(seconds=10)(failing_body(env, ref, {0: [ConnectionError, TimeoutError]}))
    ref.append(job)
    out = env.outcome_of
    env.log(f"remove OSError: {out(job.remove_exception_type, OSError)}")
    env.log(f"remove OSError again: {out(job.remove_exception_type, OSError)}")
    env.log(f"remove KeyError: {out(job.remove_exception_type, KeyError)}")
    env.log(f"remove nothing: {out(job.remove_exception_type)}")
    job.add_exception_type(KeyError, IndexError)
    env.log(f"remove KeyError, ValueError: {out(job.remove_exception_type, KeyError, ValueError)}")
    env.log(f"remove IndexError twice: {out(job.remove_exception_type, IndexError, IndexError)}")
    hooks(env, job)
    # ConnectionError is an OSError: no longer handled
    env.log(await env.wait(job.start()), job)


def test_remove_exception_type_return_values() -> None:
    trace = compare(removed_exception_type)
    assert trace[:6] == [
        "0 remove OSError: -> True",
        "0 remove OSError again: -> False",
        "0 remove KeyError: -> False",
        "0 remove nothing: -> True",
        "0 remove KeyError, ValueError: -> False",
        "0 remove IndexError twice: -> False",
    ]
    assert "0 raised ConnectionError | cur=0 run=0 failed=1 cancelling=0 next=None" in trace


class NotAnException:
    pass


@pytest.mark.parametrize(
    "bad",
    [ValueError("instance"), NotAnException, 42, "OSError", None],
    ids=["instance", "plain class", "int", "str", "None"],
)
def test_add_exception_type_rejects_non_exception_classes(bad: Any) -> None:
    async def scenario(env: Env) -> None:
        @env.loop(seconds=1)
        async def job() -> None:
            pass

        env.log(f"add bad: {env.outcome_of(job.add_exception_type, bad)}")
        env.log(f"add good then bad: {env.outcome_of(job.add_exception_type, KeyError, bad)}")
        # nothing was added by the failing call: KeyError is not retried
        job.coro = _raise_key_error
        env.log(await env.wait(job.start()))

    trace = compare(scenario)
    assert trace[:2] == ["0 add bad: TypeError", "0 add good then bad: TypeError"]


async def _raise_key_error() -> None:
    raise KeyError("k")


async def backoff_resets_after_a_quiet_period(env: Env) -> None:
    ref: list[Any] = []
    # two failures, a long quiet period (more than 2**11 s), then more failures
    plan = {0: [OSError, OSError, OSError], 1: [OSError, OSError]}
    job = env.loop(hours=2, count=2)(failing_body(env, ref, plan))
    ref.append(job)
    env.log(await env.wait(job.start()), job)


def test_backoff_timing_matches_including_the_reset() -> None:
    compare(backoff_resets_after_a_quiet_period)
