"""What the trackers of foreign loops show: discovery, states, iterations, exceptions."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import gc
import io
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "foreign"))
from foreign_support import (  # noqa: E402
    LIBS, SOURCE, fast_backoff, hooked, run, states_of, tasks_of, until,
)

from looptui import adapters  # noqa: E402
from looptui.core.context import current_tracker  # noqa: E402

UTC = datetime.timezone.utc


async def ended(loop: Any) -> None:
    """Wait for the loop's task to end (its exception, if any, is retrieved)."""
    task = loop.get_task()
    if task is not None:
        await asyncio.wait({task})
        if not task.cancelled():
            task.exception()
    await asyncio.sleep(0)  # done callbacks


# ------------------------------------------------------------------ discovery
@pytest.mark.parametrize("lib", LIBS)
def test_module_level_loop_gets_a_tracker(lib: str) -> None:
    tasks = tasks_of(lib)
    with hooked() as registry:

        @tasks.loop(seconds=5, count=4)
        async def heartbeat() -> None:
            pass

        tracker = adapters.tracker_for(heartbeat)
        assert tracker is not None
        assert registry.trackers() == [tracker]
        assert tracker.name == "test_module_level_loop_gets_a_tracker.<locals>.heartbeat"
        assert tracker.source == SOURCE[lib]
        assert tracker.schedule == "5s"
        assert tracker.count == 4
        assert tracker.state == "idle"
        assert tracker.file == __file__
        assert heartbeat.coro.__name__ == "heartbeat"  # the user's function, untouched
        assert "coro" in vars(heartbeat) and vars(heartbeat)["coro"] is heartbeat.coro


@pytest.mark.parametrize("lib", LIBS)
def test_class_template_hidden_and_instance_copies_shown(lib: str) -> None:
    tasks = tasks_of(lib)
    with hooked() as registry:

        class Cog:
            @tasks.loop(minutes=5)
            async def refresh(self) -> None:
                pass

        assert len(registry) == 0  # the template in the class body is not a row
        a, b = Cog(), Cog()
        assert a.refresh is not b.refresh
        names = [t.name for t in registry.trackers()]
        assert names == [
            "test_class_template_hidden_and_instance_copies_shown.<locals>.Cog.refresh",
            "test_class_template_hidden_and_instance_copies_shown.<locals>.Cog.refresh#2",
        ]
        assert adapters.tracker_for(a.refresh).schedule == "5m"
        del a
        gc.collect()
        assert len(registry) == 1  # the instance is gone: so is its row


@pytest.mark.parametrize("lib", LIBS)
def test_loops_created_at_run_time_appear(lib: str) -> None:
    tasks = tasks_of(lib)

    async def main() -> list[str]:
        made: list[Any] = []

        class Service:
            async def poll(self) -> None:
                pass

        @tasks.loop(seconds=0.005, count=1)
        async def spawner() -> None:
            # A loop built from a bound method at run time (not a class template).
            made.append(tasks.loop(seconds=0.005, count=1)(Service().poll))
            made[-1].start()

        await ended_after_start(spawner)
        await ended(made[0])
        return [t.name for t in registry.trackers()]

    async def ended_after_start(loop: Any) -> None:
        loop.start()
        await ended(loop)

    with hooked() as registry:
        names = run(main)
    assert names[0].endswith("spawner")
    assert names[1].endswith("Service.poll")


def test_discord_py_name_argument_is_the_display_name() -> None:
    tasks = tasks_of("discord")
    with hooked():

        @tasks.loop(seconds=1, name="status-updater")
        async def update() -> None:
            pass

        assert adapters.tracker_for(update).name == "status-updater"


def test_disnake_loop_subclass_through_cls() -> None:
    tasks = tasks_of("disnake")
    calls: list[str] = []

    class TracedLoop(tasks.Loop):  # type: ignore[misc,name-defined]
        def __init__(self, coro: Any, *, label: str = "", **kwargs: Any) -> None:
            super().__init__(coro, **kwargs)
            self.label = label

        def clone(self) -> Any:
            copy = super().clone()
            copy.label = self.label
            return copy

        async def _loop(self, *args: Any, **kwargs: Any) -> None:
            calls.append("subclass _loop")
            await super()._loop(*args, **kwargs)

    async def main() -> Any:
        @tasks.loop(cls=TracedLoop, seconds=0.005, count=2, label="x")
        async def job() -> None:
            assert current_tracker.get() is adapters.tracker_for(job)

        assert isinstance(job, TracedLoop)
        job.start()
        await ended(job)
        return adapters.tracker_for(job)

    with hooked():
        tracker = run(main)
    assert calls == ["subclass _loop"]
    assert tracker.source == "disnake"
    assert tracker.state == "finished"
    assert tracker.iterations == 2


@pytest.mark.parametrize("lib", LIBS)
def test_find_foreign_loops_adopts_loops_made_before_install(lib: str, tmp_path: Path) -> None:
    tasks = tasks_of(lib)
    module = type(sys)("made_before")

    @tasks.loop(seconds=0.005)
    async def early() -> None:
        pass

    module.early = early
    module.alias = early
    module.other = 42

    async def main() -> tuple[Any, ...]:
        early.start()
        await asyncio.sleep(0.02)  # running, unobserved
        with hooked() as registry:
            found = adapters.find_foreign_loops(module)
            tracker = adapters.tracker_for(early)
            assert tracker is not None and tracker in registry.trackers()
            before = tracker.total_iterations
            await until(lambda: tracker.total_iterations >= before + 2, what="bodies")
            early.stop()
            await ended(early)
            return found, tracker.state, tracker.source

    found, state, source = run(main)
    assert found == [early]
    assert state == "stopped"
    assert source == SOURCE[lib]


def test_find_foreign_loops_ignores_other_objects() -> None:
    module = type(sys)("plain")
    module.x = 1
    module.f = test_find_foreign_loops_ignores_other_objects
    with hooked():
        assert adapters.find_foreign_loops(module) == []
        assert adapters.recognise(1) is None


# ------------------------------------------------------------------ a normal run
@pytest.mark.parametrize("lib", LIBS)
def test_states_iterations_and_lateness(lib: str) -> None:
    tasks = tasks_of(lib)
    seen_in_task: list[Any] = []

    async def main() -> Any:
        @tasks.loop(seconds=0.01, count=3)
        async def job() -> None:
            seen_in_task.append(current_tracker.get())
            print("tick")  # output capture reads current_tracker

        @job.before_loop
        async def before() -> None:
            seen_in_task.append(current_tracker.get())

        @job.after_loop
        async def after() -> None:
            seen_in_task.append(current_tracker.get())

        tracker = adapters.tracker_for(job)
        job.start()
        await until(lambda: tracker.state == "sleeping" and tracker.iterations >= 1, what="sleep")
        next_run = tracker.next_run
        assert next_run is not None
        assert abs(next_run - job.next_iteration.timestamp()) < 1e-6
        await ended(job)
        return tracker

    with hooked() as registry:
        states = states_of(registry)
        tracker = run(main)
    assert states[tracker.name][0] == "waiting"
    assert states[tracker.name][-1] == "finished"
    assert {"sleeping", "running"} <= set(states[tracker.name])
    assert tracker.iterations == 3 and tracker.total_iterations == 3
    assert [r.outcome for r in tracker.history] == ["ok", "ok", "ok"]
    assert [r.iteration for r in tracker.history] == [0, 1, 2]
    for record in tracker.history:
        assert record.scheduled is not None
        assert 0 <= record.lateness < 1.0
        assert record.duration is not None and record.duration >= 0
    assert tracker.next_run is None
    assert seen_in_task and all(t is tracker for t in seen_in_task)


@pytest.mark.parametrize("lib", LIBS)
def test_time_schedule_text_and_next_run(lib: str) -> None:
    tasks = tasks_of(lib)
    slot = datetime.time(9, 30, tzinfo=UTC)

    async def main() -> tuple[str, float | None, float]:
        @tasks.loop(time=[slot, datetime.time(21, 0, tzinfo=UTC)])
        async def daily() -> None:
            pass

        tracker = adapters.tracker_for(daily)
        daily.start()
        await until(lambda: tracker.next_run is not None, what="next run")
        expected = daily.next_iteration.timestamp()
        daily.cancel()
        await ended(daily)
        return tracker.schedule, tracker.next_run, expected

    with hooked():
        schedule, _after, expected = run(main)
    assert schedule == "09:30, 21:00 UTC"
    assert expected > datetime.datetime.now(UTC).timestamp()


@pytest.mark.parametrize("lib", LIBS)
def test_stopped_and_cancelled_end_states(lib: str) -> None:
    tasks = tasks_of(lib)

    async def main() -> tuple[str, str]:
        @tasks.loop(seconds=0.005)
        async def stops() -> None:
            if stops.current_loop == 1:
                stops.stop()

        @tasks.loop(seconds=30)
        async def cancelled() -> None:
            pass

        stops.start()
        cancelled.start()
        await ended(stops)
        await until(lambda: adapters.tracker_for(cancelled).iterations == 1)
        cancelled.cancel()
        await ended(cancelled)
        return adapters.tracker_for(stops).state, adapters.tracker_for(cancelled).state

    with hooked():
        assert run(main) == ("stopped", "cancelled")


# ------------------------------------------------------------------ exceptions
@pytest.mark.parametrize("lib", LIBS)
def test_retried_errors_are_recorded(lib: str) -> None:
    tasks = tasks_of(lib)
    attempts = {"n": 0}

    async def main() -> Any:
        @tasks.loop(seconds=0.005, count=2)
        async def flaky() -> None:
            attempts["n"] += 1
            if attempts["n"] == 1:
                raise ConnectionResetError("peer reset")

        flaky.start()
        await ended(flaky)
        return adapters.tracker_for(flaky)

    events: list[tuple[str, dict[str, Any]]] = []
    with hooked() as registry, fast_backoff(tasks):
        registry.add_listener(lambda kind, t, fields: events.append((kind, dict(fields))))
        states = states_of(registry)
        tracker = run(main)
    assert tracker.state == "finished"
    assert tracker.retries == 1 and tracker.failures == 0
    assert [r.outcome for r in tracker.history] == ["retried", "ok", "ok"]
    assert tracker.history[1].scheduled is None  # a retry is not a scheduled run
    assert tracker.last_exception.type_name == "ConnectionResetError"
    assert tracker.last_exception.retried is True
    assert "retrying" in states[tracker.name]
    failed = [f for k, f in events if k == "iteration_failed"]
    assert failed and failed[0]["retrying"] is True and failed[0]["error"] == "ConnectionResetError"


@pytest.mark.parametrize("lib", LIBS)
def test_unhandled_error_fails_the_loop(lib: str) -> None:
    tasks = tasks_of(lib)

    async def main() -> Any:
        @tasks.loop(seconds=0.005)
        async def broken() -> None:
            if broken.current_loop == 1:
                raise ZeroDivisionError("bad maths")

        with contextlib.redirect_stderr(io.StringIO()):
            broken.start()
            await ended(broken)
        return adapters.tracker_for(broken)

    with hooked():
        tracker = run(main)
    assert tracker.state == "failed"
    assert tracker.failures == 1
    assert [r.outcome for r in tracker.history] == ["ok", "failed"]
    info = tracker.last_exception
    assert (info.type_name, info.message, info.where) == ("ZeroDivisionError", "bad maths", "body")
    assert "raise ZeroDivisionError" in info.traceback
    assert "looptui" not in info.traceback  # no monitor frame in the user's traceback


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("hook", ["before_loop", "after_loop", "error"])
def test_hook_errors_are_recorded(lib: str, hook: str) -> None:
    tasks = tasks_of(lib)

    async def main() -> Any:
        @tasks.loop(seconds=0.005, count=1)
        async def job() -> None:
            if hook == "error":
                raise ValueError("body")

        async def failing(*args: Any) -> None:
            raise RuntimeError(f"{hook} broke")

        getattr(job, hook)(failing)
        job.start()
        await ended(job)
        return adapters.tracker_for(job)

    with hooked():
        tracker = run(main)
    assert tracker.state == "failed"
    info = tracker.last_exception
    assert (info.type_name, info.message, info.where) == ("RuntimeError", f"{hook} broke", hook)
    if hook == "error":
        assert [e.type_name for e in tracker.exceptions] == ["ValueError", "RuntimeError"]


def test_nextcord_default_error_handler_bug_does_not_hide_the_users_error() -> None:
    tasks = tasks_of("nextcord")

    class Cog:
        @tasks.loop(seconds=0.005)
        async def job(self) -> None:
            raise ValueError("the real problem")

    async def unmonitored() -> BaseException | None:
        cog = Cog()
        task = cog.job.start()
        await asyncio.wait({task})
        return task.exception()

    # The bug is in the installed nextcord: its default handler cannot be called on a
    # class-bound loop, and the task ends with a TypeError of its own.
    bug = run(unmonitored)
    assert isinstance(bug, TypeError) and "positional argument" in str(bug)
    assert isinstance(bug.__context__, ValueError)

    async def monitored() -> Any:
        cog = Cog()
        task = cog.job.start()
        await asyncio.wait({task})
        assert isinstance(task.exception(), TypeError)  # behaviour unchanged
        return adapters.tracker_for(cog.job)

    with hooked():
        tracker = run(monitored)
    assert tracker.state == "failed"
    assert tracker.last_exception.type_name == "ValueError"
    assert tracker.last_exception.message == "the real problem"
    assert all(e.type_name != "TypeError" for e in tracker.exceptions)
    assert "default error handler failed" in tracker.notes["library_error"]


@pytest.mark.parametrize("lib", ["discord", "disnake"])
def test_class_bound_default_error_handler_works_elsewhere(lib: str) -> None:
    tasks = tasks_of(lib)

    class Cog:
        @tasks.loop(seconds=0.005)
        async def job(self) -> None:
            raise ValueError("cog error")

    async def main() -> Any:
        cog = Cog()
        with contextlib.redirect_stderr(io.StringIO()):
            task = cog.job.start()
            await asyncio.wait({task})
        assert isinstance(task.exception(), ValueError)
        return adapters.tracker_for(cog.job)

    with hooked():
        tracker = run(main)
    assert tracker.last_exception.type_name == "ValueError"
    assert "library_error" not in tracker.notes


@pytest.mark.parametrize("lib", LIBS)
def test_direct_call_is_not_an_iteration(lib: str) -> None:
    tasks = tasks_of(lib)
    calls: list[int] = []

    async def main() -> Any:
        @tasks.loop(seconds=1)
        async def job(x: int) -> int:
            calls.append(x)
            return x * 2

        assert await job(21) == 42
        return adapters.tracker_for(job)

    with hooked():
        tracker = run(main)
    assert calls == [21]
    assert tracker.total_iterations == 0 and tracker.state == "idle"
