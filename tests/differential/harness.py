"""Run one scenario through discord.py's ``tasks.loop`` and through ``looptui.loop``.

A scenario is ``async def scenario(env)``: it builds loops with ``env.loop`` (the decorator
of the implementation under test), drives them on a timeline of virtual seconds, and
records what it observes with ``env.log``. Each record is one line of text::

    "20 body | cur=2 run=1 failed=0 cancelling=0 next=30"

time (virtual seconds since the scenario started, rounded to the millisecond), a label,
and optionally the observable state of a loop. The traces of the two implementations are
compared line by line, so a divergence shows as a readable diff in pytest's output.

Everything runs in virtual time (:func:`looptui.testing.run_virtual`) with discord.py
patched onto the same clock (:mod:`.discord_time`); a scenario covering a virtual day
takes milliseconds. A real-time watchdog fails a scenario that spins without advancing.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import threading
from typing import Any, Awaitable, Callable, Iterator

import pytest

from looptui.core import clock
from looptui.testing import DEFAULT_START, run_virtual

from .discord_time import patch_discord_time, seeded_random_module

IMPLS = ("discord.py", "looptui")
WATCHDOG_SECONDS = 10.0
"""Real seconds a scenario may take before it is cancelled and reported as hung."""

Scenario = Callable[["Env"], Awaitable[None]]


def _looptui_import_error() -> str | None:
    try:
        from looptui import loop  # noqa: F401
    except Exception as exc:  # the engine may not exist yet
        return f"{type(exc).__name__}: {exc}"
    return None


class Hung(AssertionError):
    """The scenario did not finish within the real-time watchdog."""


class Env:
    """What a scenario sees: the implementation's API and a trace recorder."""

    def __init__(self, impl: str, *, timed: bool = True) -> None:
        self.impl = impl
        self.timed = timed
        if impl == "discord.py":
            from discord.ext import tasks

            self.tasks: Any = tasks
            self.Loop: Any = tasks.Loop
        else:
            import looptui
            from looptui import tasks

            self.tasks = tasks
            self.Loop = looptui.Loop
        self.loop: Callable[..., Callable[[Callable[..., Any]], Any]] = self.tasks.loop
        self.trace: list[str] = []
        self.t0 = clock.now()

    # -- time ----------------------------------------------------------------------------
    def t(self) -> float:
        """Virtual seconds since the scenario started."""
        return clock.now() - self.t0

    def rel(self, dt: datetime.datetime | None) -> str:
        """A datetime as virtual seconds since the start (``None`` stays ``None``),
        with its UTC offset (``30@+0900``) when that is not zero."""
        if dt is None:
            return "None"
        text = _fmt(dt.timestamp() - self.t0)
        offset = dt.utcoffset()
        if offset:  # show the zone a time= slot is expressed in, when it is not UTC
            text += "@" + dt.strftime("%z")
        return text

    async def at(self, t: float) -> None:
        """Sleep until virtual second *t* of the scenario."""
        await asyncio.sleep(max(0.0, self.t0 + t - clock.now()))

    # -- recording -------------------------------------------------------------------------
    def state(self, lp: Any) -> str:
        """The observable state of a loop, as discord.py's public API shows it."""
        return (
            f"cur={lp.current_loop} run={int(lp.is_running())} failed={int(lp.failed())} "
            f"cancelling={int(lp.is_being_cancelled())} next={self.rel(lp.next_iteration)}"
        )

    def log(self, label: str, lp: Any = None) -> None:
        when = _fmt(self.t()) if self.timed else "-"
        line = f"{when} {label}"
        if lp is not None:
            line += " | " + self.state(lp)
        self.trace.append(line)

    @staticmethod
    def outcome_of(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
        """Call *fn*; describe the result or the type of the exception it raised."""
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:
            return type(exc).__name__
        return f"-> {result!r}"

    async def wait(self, task: asyncio.Task[Any] | None) -> str:
        """Await a loop's task; describe how it ended."""
        if task is None:
            return "no task"
        try:
            result = await task
        except asyncio.CancelledError:
            if asyncio.current_task().cancelling():  # type: ignore[union-attr]
                raise
            return "cancelled"
        except BaseException as exc:
            return f"raised {type(exc).__name__}"
        return f"returned {result!r}"


def _fmt(seconds: float) -> str:
    """Seconds to the millisecond, without trailing zeros: ``10``, ``11.689``."""
    text = f"{seconds:.3f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


@contextlib.contextmanager
def _seeded_looptui_backoff() -> Iterator[None]:
    """Give looptui's backoff the same repeatable randomness as discord.py's."""
    try:
        from looptui.core import backoff
    except Exception:
        yield
        return
    saved = getattr(backoff, "random", None)
    if saved is None:
        yield
        return
    backoff.random = seeded_random_module()  # type: ignore[assignment]
    try:
        yield
    finally:
        backoff.random = saved


def run_trace(
    impl: str,
    scenario: Scenario,
    *,
    start: datetime.datetime | float = DEFAULT_START,
    timed: bool = True,
) -> list[str]:
    """Run *scenario* on *impl* in virtual time and return its trace."""
    envs: list[Env] = []

    async def main() -> None:
        env = Env(impl, timed=timed)
        envs.append(env)
        task = asyncio.create_task(scenario(env))
        evloop = asyncio.get_running_loop()
        fired = threading.Event()

        def expire() -> None:
            fired.set()
            evloop.call_soon_threadsafe(task.cancel)

        watchdog = threading.Timer(WATCHDOG_SECONDS, expire)
        watchdog.daemon = True
        watchdog.start()
        try:
            await task
        except asyncio.CancelledError:
            if fired.is_set():
                raise Hung(
                    f"{impl}: scenario still running after {WATCHDOG_SECONDS}s of real time "
                    f"(at virtual t={env.t():g}); end of the trace:\n"
                    + "\n".join(env.trace[-30:])
                ) from None
            raise
        finally:
            watchdog.cancel()
        env.log("end")

    with patch_discord_time(), _seeded_looptui_backoff():
        run_virtual(main, start=start)
    return envs[0].trace


def compare(
    scenario: Scenario,
    *,
    start: datetime.datetime | float = DEFAULT_START,
    timed: bool = True,
) -> list[str]:
    """Run *scenario* on both implementations; assert equal traces; return discord's.

    When looptui's engine cannot be imported yet, the discord.py side still runs (so the
    scenario itself is checked) and the test is skipped.
    """
    reference = run_trace("discord.py", scenario, start=start, timed=timed)
    missing = _looptui_import_error()
    if missing is not None:
        pytest.skip(f"looptui.loop not importable yet ({missing})")
    ours = run_trace("looptui", scenario, start=start, timed=timed)
    assert ours == reference, _diff_message(reference, ours)
    return reference


def _diff_message(reference: list[str], ours: list[str]) -> str:
    width = max((len(line) for line in reference), default=10)
    rows = ["traces differ (discord.py | looptui):"]
    for i in range(max(len(reference), len(ours))):
        a = reference[i] if i < len(reference) else ""
        b = ours[i] if i < len(ours) else ""
        mark = "  " if a == b else "!!"
        rows.append(f"{mark} {a:<{width}} | {b}")
    return "\n".join(rows)
