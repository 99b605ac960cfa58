"""The rest of the public API: argument validation, read-only properties, the descriptor
that gives each instance its own Loop, ``__call__``, ``get_task`` and task names, and the
DST helpers — identical in discord.py and looptui."""

from __future__ import annotations

import datetime
import zoneinfo
from typing import Any

import pytest

from .harness import Env, compare

UTC = datetime.timezone.utc
T9 = datetime.time(9)


async def _coro() -> None:
    pass


def _not_a_coroutine() -> None:
    pass


async def _agen() -> Any:
    yield 1


VALIDATION_CASES: dict[str, tuple[dict[str, Any], Any]] = {
    "count=0": ({"seconds": 1, "count": 0}, _coro),
    "count=-1": ({"seconds": 1, "count": -1}, _coro),
    "count=0 and not a coroutine": ({"seconds": 1, "count": 0}, _not_a_coroutine),
    "seconds=-1": ({"seconds": -1}, _coro),
    "minutes=-1": ({"minutes": -1}, _coro),
    "hours=-0.5": ({"hours": -0.5}, _coro),
    "negative total": ({"seconds": 30, "minutes": -1}, _coro),
    "positive total of mixed signs": ({"seconds": -30, "minutes": 1}, _coro),
    "time with seconds": ({"time": T9, "seconds": 5}, _coro),
    "time with hours": ({"time": [T9], "hours": 1}, _coro),
    "time with seconds=0": ({"time": T9, "seconds": 0}, _coro),
    "empty time list": ({"time": []}, _coro),
    "empty time tuple": ({"time": ()}, _coro),
    "time as a string": ({"time": "09:00"}, _coro),
    "time as an int": ({"time": 9}, _coro),
    "time as a datetime": ({"time": datetime.datetime(2026, 1, 1, 9)}, _coro),
    "bad element": ({"time": [T9, "10:00"]}, _coro),
    "time as a set": ({"time": {T9}}, _coro),
    "duplicate times": ({"time": [T9, T9, datetime.time(9, tzinfo=UTC)]}, _coro),
    "not a coroutine": ({"seconds": 1}, _not_a_coroutine),
    "async generator": ({"seconds": 1}, _agen),
    "lambda": ({"seconds": 1}, lambda: None),
    "defaults": ({}, _coro),
    "count=None": ({"count": None}, _coro),
    "reconnect=False": ({"reconnect": False}, _coro),
}


@pytest.mark.parametrize("case", list(VALIDATION_CASES))
def test_validation_raises_the_same_exception_types(case: str) -> None:
    kwargs, func = VALIDATION_CASES[case]

    async def scenario(env: Env) -> None:
        def build() -> str:
            lp = env.loop(**kwargs)(func)
            return f"{lp.seconds} {lp.minutes} {lp.hours} {lp.time} {lp.count} {lp.reconnect}"

        env.log(env.outcome_of(build))

    compare(scenario)


CHANGE_INTERVAL_CASES: dict[str, dict[str, Any]] = {
    "seconds=-1": {"seconds": -1},
    "time and minutes": {"time": T9, "minutes": 1},
    "empty time": {"time": []},
    "bad time": {"time": [None]},
    "seconds=None": {"seconds": None},
    "all zero": {},
    "time list": {"time": [datetime.time(18), T9]},
}


@pytest.mark.parametrize("case", list(CHANGE_INTERVAL_CASES))
def test_change_interval_validation(case: str) -> None:
    kwargs = CHANGE_INTERVAL_CASES[case]

    async def scenario(env: Env) -> None:
        @env.loop(seconds=5)
        async def job() -> None:
            pass

        env.log(f"change_interval: {env.outcome_of(job.change_interval, **kwargs)}")
        env.log(f"now: {job.seconds} {job.minutes} {job.hours} {job.time}")

    compare(scenario)


@pytest.mark.parametrize("hook", ["before_loop", "after_loop", "error"])
def test_hook_decorators_reject_non_coroutines(hook: str) -> None:
    async def scenario(env: Env) -> None:
        @env.loop(seconds=5)
        async def job() -> None:
            pass

        register = getattr(job, hook)
        env.log(f"function: {env.outcome_of(register, _not_a_coroutine)}")
        env.log(f"coroutine returns it: {register(_coro) is _coro}")

    trace = compare(scenario)
    assert trace[0] == "0 function: TypeError"


async def properties(env: Env) -> None:
    @env.loop(seconds=5)
    async def a() -> None:
        pass

    times = [datetime.time(18, tzinfo=UTC), datetime.time(6), datetime.time(6, tzinfo=UTC)]

    @env.loop(time=times, count=3, reconnect=False)
    async def b() -> None:
        pass

    env.log(f"a: {a.seconds!r} {a.minutes!r} {a.hours!r} {a.time!r} {a.count!r} {a.reconnect!r}")
    env.log(f"b: {b.seconds!r} {b.minutes!r} {b.hours!r} {b.time!r} {b.count!r} {b.reconnect!r}")
    copy = b.time
    copy.append(datetime.time(1))  # type: ignore[union-attr]
    env.log(f"b.time is a copy: {len(b.time)}")  # type: ignore[arg-type]
    env.log(f"coro: {a.coro.__name__} get_task: {a.get_task()!r}")


def test_read_only_properties() -> None:
    trace = compare(properties)
    assert trace[:3] == [
        "0 a: 5.0 0.0 0.0 None None True",
        "0 b: None None None [datetime.time(6, 0, tzinfo=datetime.timezone.utc), "
        "datetime.time(18, 0, tzinfo=datetime.timezone.utc)] 3 False",
        "0 b.time is a copy: 2",
    ]


async def descriptor(env: Env) -> None:
    class Cog:
        def __init__(self, name: str) -> None:
            self.name = name

        @env.loop(seconds=10, count=2)
        async def job(self, extra: str = "") -> None:
            env.log(f"body self={self.name} {extra}".rstrip(), self.job)

        @job.before_loop
        async def before(self) -> None:
            env.log(f"before_loop self={self.name}", self.job)

        @job.after_loop
        async def after(self) -> None:
            env.log(f"after_loop self={self.name}", self.job)

        alias = job

    class_loop = Cog.__dict__["job"]
    env.log(f"class access returns the class loop: {Cog.job is class_loop}")
    a, b = Cog("a"), Cog("b")
    ja, jb = a.job, b.job
    env.log(f"per instance: {ja is not jb and ja is not class_loop} type={type(ja) is env.Loop}")
    env.log(f"stored in instance dict: {a.__dict__.get('job') is ja}")
    env.log(f"same on second access: {a.job is ja}")
    alias = b.alias
    env.log(f"alias stored under coro.__name__: {b.__dict__.get('job') is alias} {'alias' in b.__dict__}")
    b.job = jb  # undo the alias' overwrite
    env.log(f"__call__ injects self: {await a.job('called')!r}")
    env.log(f"class loop __call__: {await class_loop(b, 'class')!r}")
    ta = ja.start("x")
    tb = jb.start()
    env.log(f"class loop untouched: running={class_loop.is_running()} task={class_loop.get_task()!r}")
    env.log(await env.wait(ta), ja)
    env.log(await env.wait(tb), jb)


def test_descriptor_gives_each_instance_its_own_loop() -> None:
    trace = compare(descriptor)
    assert trace[:4] == [
        "0 class access returns the class loop: True",
        "0 per instance: True type=True",
        "0 stored in instance dict: True",
        "0 same on second access: True",
    ]


async def descriptor_copies_settings(env: Env) -> None:
    class Cog:
        @env.loop(time=[datetime.time(0, 0, 30)], count=2, reconnect=False, name="cog-job")
        async def job(self) -> None:
            env.log("body", self.job)

        @job.error
        async def on_error(self, exc: BaseException) -> None:
            env.log(f"error({type(exc).__name__})", self.job)

    cog = Cog()
    j = cog.job
    env.log(f"settings: {j.time} {j.count} {j.reconnect} {j.seconds}")
    env.log(f"name: {j.start().get_name()}")
    env.log(await env.wait(j.get_task()), j)


def test_descriptor_copies_schedule_count_reconnect_name_and_hooks() -> None:
    compare(descriptor_copies_settings)


async def task_names(env: Env) -> None:
    @env.loop(seconds=1, name="custom name")
    async def named() -> None:
        pass

    @env.loop(seconds=1)
    async def unnamed() -> None:
        pass

    task = unnamed.start()
    env.log(f"default task name: {task.get_name()!r}")
    task.cancel()
    await env.wait(task)
    env.log(f"get_task before start: {named.get_task()!r}")
    task = named.start()
    env.log(f"name=: {task.get_name()!r} get_task is task: {named.get_task() is task}")
    named.cancel()
    await env.wait(task)
    env.log(f"get_task after the end: {named.get_task() is task}")


def test_task_name_from_name_argument_and_get_task() -> None:
    compare(task_names)


async def call_does_not_start(env: Env) -> None:
    @env.loop(seconds=1)
    async def job(x: int, *, y: int = 0) -> int:
        env.log(f"body {x} {y}", job)
        return x + y

    env.log(f"result: {await job(1, y=2)}", job)


def test_call_runs_the_coroutine_once_without_starting() -> None:
    trace = compare(call_does_not_start)
    assert trace[1] == "0 result: 3 | cur=0 run=0 failed=0 cancelling=0 next=None"


# -- DST helpers ------------------------------------------------------------------------

NY = zoneinfo.ZoneInfo("America/New_York")
LH = zoneinfo.ZoneInfo("Australia/Lord_Howe")
DATETIMES = [
    datetime.datetime(2026, 3, 8, 2, 30, tzinfo=NY),  # gap
    datetime.datetime(2026, 11, 1, 1, 30, tzinfo=NY),  # fold
    datetime.datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=NY),
    datetime.datetime(2026, 6, 1, 12, tzinfo=NY),
    datetime.datetime(2026, 10, 4, 2, 15, tzinfo=LH),  # 30-minute gap
    datetime.datetime(2026, 4, 5, 1, 45, tzinfo=LH),  # 30-minute fold
    datetime.datetime(2026, 4, 5, 1, 45, tzinfo=datetime.timezone(datetime.timedelta(hours=11))),
    datetime.datetime(2026, 3, 8, 2, 30),  # naive
]


@pytest.mark.parametrize("dt", DATETIMES, ids=[d.isoformat() + f"/{d.tzinfo}" for d in DATETIMES])
def test_dst_helpers_agree(dt: datetime.datetime) -> None:
    from discord.ext import tasks as theirs

    from looptui import tasks as ours

    for name in ("is_ambiguous", "is_imaginary", "resolve_datetime"):
        a, b = getattr(theirs, name)(dt), getattr(ours, name)(dt)
        assert a == b, name
        if isinstance(a, datetime.datetime):
            assert (a.fold, a.tzinfo, a.utcoffset()) == (b.fold, b.tzinfo, b.utcoffset()), name
