"""A monitored loop behaves exactly as an unmonitored one.

Each scenario runs twice per library — without looptui's hooks and with them — and
records what user code can observe: the order of hooks and bodies, ``current_loop``,
``is_running()``, ``failed()``, ``is_being_cancelled()``, whether ``next_iteration`` is
set, what the task ends with (type, message, context, traceback frames) and what the
library's default error handler prints. The two traces must be identical.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import io
import logging
import sys
import traceback
from pathlib import Path
from typing import Any, Callable

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "foreign"))
from foreign_support import LIBS, fast_backoff, maybe_hooked, run, tasks_of  # noqa: E402

UTC = datetime.timezone.utc


def frames(exc: BaseException | None) -> list[tuple[str, str]]:
    """Where an exception went through: (file name, function) per traceback frame."""
    if exc is None:
        return []
    return [(Path(f.filename).name, f.name) for f in traceback.extract_tb(exc.__traceback__)]


def outcome(task: asyncio.Task[Any]) -> tuple[Any, ...]:
    if task.cancelled():
        return ("cancelled",)
    exc = task.exception()
    if exc is None:
        return ("ok", task.result())
    context = exc.__context__
    return (
        "raised", type(exc).__name__, str(exc),
        type(context).__name__ if context is not None else None, frames(exc),
    )


def snapshot(loop: Any) -> tuple[Any, ...]:
    return (
        loop.current_loop, loop.is_running(), loop.failed(), loop.is_being_cancelled(),
        loop.next_iteration is None,
    )


async def _finish(task: asyncio.Task[Any]) -> None:
    """Wait for the loop's task to end, whatever it ends with."""
    await asyncio.wait({task})


# ------------------------------------------------------------------ scenarios
async def count_with_hooks(tasks: Any, trace: list[Any]) -> None:
    @tasks.loop(seconds=0.005, count=3)
    async def job(tag: str, *, sep: str = "") -> None:
        trace.append(("body", tag + sep, snapshot(job)))

    @job.before_loop
    async def before() -> None:
        trace.append(("before", snapshot(job)))

    @job.after_loop
    async def after() -> None:
        trace.append(("after", snapshot(job)))

    task = job.start("x", sep="!")
    await _finish(task)
    trace.append(("end", outcome(task), snapshot(job), job.coro.__name__, await job("direct")))


async def stop_in_body(tasks: Any, trace: list[Any]) -> None:
    @tasks.loop(seconds=0.005)
    async def job() -> None:
        trace.append(("body", snapshot(job)))
        if job.current_loop == 1:
            job.stop()
            trace.append(("stopped", snapshot(job)))

    @job.after_loop
    async def after() -> None:
        trace.append(("after", snapshot(job)))

    task = job.start()
    await _finish(task)
    trace.append(("end", outcome(task), snapshot(job)))


async def stop_in_before_loop(tasks: Any, trace: list[Any]) -> None:
    @tasks.loop(seconds=0.005)
    async def job() -> None:
        trace.append(("body", snapshot(job)))
        if job.current_loop >= 2:
            job.stop()

    @job.before_loop
    async def before() -> None:
        job.stop()
        trace.append(("before", snapshot(job)))

    task = job.start()
    await _finish(task)
    trace.append(("end", outcome(task), snapshot(job)))


async def retry_then_ok(tasks: Any, trace: list[Any]) -> None:
    attempts = {"n": 0}

    @tasks.loop(seconds=0.005, count=3)
    async def job() -> None:
        attempts["n"] += 1
        trace.append(("body", attempts["n"], snapshot(job)))
        if attempts["n"] in (2, 3):
            raise OSError(f"flaky {attempts['n']}")

    @job.after_loop
    async def after() -> None:
        trace.append(("after", snapshot(job)))

    with fast_backoff(tasks):
        task = job.start()
        await _finish(task)
    trace.append(("end", outcome(task), snapshot(job)))


async def retry_disabled(tasks: Any, trace: list[Any]) -> None:
    @tasks.loop(seconds=0.005, reconnect=False)
    async def job() -> None:
        trace.append(("body", snapshot(job)))
        raise OSError("no retry")

    @job.error
    async def on_error(exc: BaseException) -> None:
        trace.append(("error", type(exc).__name__, str(exc), snapshot(job)))

    task = job.start()
    await _finish(task)
    trace.append(("end", outcome(task), snapshot(job)))


async def added_exception_type(tasks: Any, trace: list[Any]) -> None:
    class Flaky(Exception):
        pass

    attempts = {"n": 0}

    @tasks.loop(seconds=0.005, count=2)
    async def job() -> None:
        attempts["n"] += 1
        trace.append(("body", attempts["n"], snapshot(job)))
        if attempts["n"] == 1:
            raise Flaky("retry me")

    job.add_exception_type(Flaky)
    with fast_backoff(tasks):
        task = job.start()
        await _finish(task)
    trace.append(("end", outcome(task), snapshot(job)))


async def unhandled_error(tasks: Any, trace: list[Any]) -> None:
    @tasks.loop(seconds=0.005)
    async def job() -> None:
        trace.append(("body", snapshot(job)))
        if job.current_loop == 1:
            raise ValueError("boom")

    @job.error
    async def on_error(exc: BaseException) -> None:
        trace.append(("error", type(exc).__name__, str(exc), frames(exc), snapshot(job)))

    @job.after_loop
    async def after() -> None:
        trace.append(("after", snapshot(job)))

    task = job.start()
    await _finish(task)
    trace.append(("end", outcome(task), snapshot(job)))


async def default_error_handler(tasks: Any, trace: list[Any]) -> None:
    @tasks.loop(seconds=0.005)
    async def job() -> None:
        raise KeyError("default handler")

    stderr = io.StringIO()
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger(tasks.__name__)
    logger.addHandler(handler)
    try:
        with contextlib.redirect_stderr(stderr):
            task = job.start()
            await _finish(task)
    finally:
        logger.removeHandler(handler)
    logged = [
        (r.getMessage(), "".join(traceback.format_exception(*r.exc_info)) if r.exc_info else "")
        for r in records
    ]
    trace.append(("end", outcome(task), stderr.getvalue(), logged))


async def hook_errors(tasks: Any, trace: list[Any]) -> None:
    @tasks.loop(seconds=0.005, count=1)
    async def before_fails() -> None:
        trace.append(("body", "before_fails"))

    @before_fails.before_loop
    async def before() -> None:
        raise RuntimeError("before_loop failed")

    @tasks.loop(seconds=0.005, count=1)
    async def after_fails() -> None:
        trace.append(("body", "after_fails"))

    @after_fails.after_loop
    async def after() -> None:
        raise RuntimeError("after_loop failed")

    @tasks.loop(seconds=0.005)
    async def error_fails() -> None:
        raise ValueError("body failed")

    @error_fails.error
    async def on_error(exc: BaseException) -> None:
        raise RuntimeError("error handler failed")

    for job in (before_fails, after_fails, error_fails):
        task = job.start()
        await _finish(task)
        trace.append(("end", outcome(task), snapshot(job)))


async def cancel_while_sleeping(tasks: Any, trace: list[Any]) -> None:
    ran = asyncio.Event()

    @tasks.loop(seconds=30)
    async def job() -> None:
        trace.append(("body", snapshot(job)))
        ran.set()

    @job.after_loop
    async def after() -> None:
        trace.append(("after", snapshot(job)))

    task = job.start()
    await ran.wait()
    await asyncio.sleep(0.01)
    job.cancel()
    await _finish(task)
    trace.append(("end", outcome(task), snapshot(job)))


async def cancel_in_body(tasks: Any, trace: list[Any]) -> None:
    started = asyncio.Event()

    @tasks.loop(seconds=0.005)
    async def job() -> None:
        trace.append(("body", snapshot(job)))
        started.set()
        await asyncio.sleep(30)

    @job.after_loop
    async def after() -> None:
        trace.append(("after", snapshot(job)))

    task = job.start()
    await started.wait()
    job.cancel()
    await _finish(task)
    trace.append(("end", outcome(task), snapshot(job)))


async def restart_in_body(tasks: Any, trace: list[Any]) -> None:
    runs = {"n": 0}
    done = asyncio.Event()

    @tasks.loop(seconds=0.005)
    async def job(arg: int) -> None:
        runs["n"] += 1
        trace.append(("body", arg, runs["n"], snapshot(job)))
        if runs["n"] == 2:
            job.restart(arg + 1)
        if runs["n"] == 4:
            job.stop()
            done.set()

    @job.after_loop
    async def after() -> None:
        trace.append(("after", snapshot(job)))

    job.start(10)
    await done.wait()
    await _finish(job.get_task())  # type: ignore[arg-type]
    trace.append(("end", outcome(job.get_task()), snapshot(job)))  # type: ignore[arg-type]


async def change_interval_in_body(tasks: Any, trace: list[Any]) -> None:
    @tasks.loop(seconds=30, count=3)
    async def job() -> None:
        trace.append(("body", snapshot(job), job.seconds))
        if job.current_loop == 0:
            job.change_interval(seconds=0.005)

    task = job.start()
    await _finish(task)
    trace.append(("end", outcome(task), snapshot(job), job.seconds, job.time))


async def time_slot(tasks: Any, trace: list[Any]) -> None:
    slot = (datetime.datetime.now(UTC) + datetime.timedelta(seconds=0.3)).time().replace(tzinfo=UTC)
    ran = asyncio.Event()

    @tasks.loop(time=slot)
    async def job() -> None:
        trace.append(("body", snapshot(job), job.time == [slot]))
        ran.set()

    @job.after_loop
    async def after() -> None:
        trace.append(("after", snapshot(job)))

    task = job.start()
    await ran.wait()
    await asyncio.sleep(0.01)
    trace.append(("sleeping", snapshot(job)))
    job.cancel()
    await _finish(task)
    trace.append(("end", outcome(task), snapshot(job)))


async def class_bound(tasks: Any, trace: list[Any]) -> None:
    # Two copies run on real timers side by side: which one's body runs first in a turn
    # is up to the event loop, so each copy keeps its own trace (compared in full).
    per_copy: dict[str, list[Any]] = {"a": [], "b": []}

    class Cog:
        def __init__(self, tag: str) -> None:
            self.tag = tag

        @tasks.loop(seconds=0.005, count=2)
        async def job(self) -> None:
            per_copy[self.tag].append(("body", self.tag, snapshot(self.job)))

        @job.before_loop
        async def before(self) -> None:
            per_copy[self.tag].append(("before", self.tag))

        @job.after_loop
        async def after(self) -> None:
            per_copy[self.tag].append(("after", self.tag, snapshot(self.job)))

    a, b = Cog("a"), Cog("b")
    trace.append(("copies", a.job is not b.job, a.job is a.job, type(Cog.job).__name__))
    ta, tb = a.job.start(), b.job.start()
    await _finish(ta)
    await _finish(tb)
    trace.extend(per_copy["a"] + per_copy["b"])
    trace.append(("end", outcome(ta), outcome(tb)))


async def class_default_error(tasks: Any, trace: list[Any]) -> None:
    class Cog:
        @tasks.loop(seconds=0.005)
        async def job(self) -> None:
            raise ValueError("user error in a cog")

    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        cog = Cog()
        task = cog.job.start()
        await _finish(task)
    trace.append(("end", outcome(task), snapshot(cog.job), stderr.getvalue()))


SCENARIOS: list[Callable[..., Any]] = [
    count_with_hooks, stop_in_body, stop_in_before_loop, retry_then_ok, retry_disabled,
    added_exception_type, unhandled_error, default_error_handler, hook_errors,
    cancel_while_sleeping, cancel_in_body, restart_in_body, change_interval_in_body,
    time_slot, class_bound, class_default_error,
]


def run_scenario(lib: str, scenario: Callable[..., Any], monitored: bool) -> list[Any]:
    tasks = tasks_of(lib)
    trace: list[Any] = []
    with maybe_hooked(monitored) as registry:
        run(lambda: scenario(tasks, trace))
        if monitored:
            assert registry is not None and len(registry) > 0, "the hooks saw no loop"
    return trace


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.__name__)
@pytest.mark.parametrize("lib", LIBS)
def test_same_trace_with_and_without_looptui(lib: str, scenario: Callable[..., Any]) -> None:
    plain = run_scenario(lib, scenario, monitored=False)
    watched = run_scenario(lib, scenario, monitored=True)
    assert plain, "the scenario recorded nothing"
    assert watched == plain
