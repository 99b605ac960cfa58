"""Bounded waits shared by the tests: poll a condition until it holds, or fail saying
what never happened. Never a bare sleep hoping something happened.

Three clocks, three helpers: :func:`until` counts the running event loop's time (so it
works under virtual time too), :func:`wait_until` the monotonic clock (tests outside an
event loop, watching subprocesses), :func:`until_drawn` rounds of a Textual app's event
processing (``Pilot.pause``).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Callable

from textual.pilot import Pilot

__all__ = ["until", "wait_until", "until_drawn"]


async def until(condition: Callable[[], Any], *, timeout: float = 10.0,
                what: str = "condition", every: float = 0.01) -> Any:
    """Wait until ``condition()`` is truthy and return it; fail after *timeout* seconds
    of the event loop's time."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = condition()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(every)


def wait_until(condition: Callable[[], Any], *, timeout: float = 10.0,
               what: str = "condition", every: float = 0.02) -> Any:
    """:func:`until` for code outside an event loop (real time)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(every)


async def until_drawn(pilot: Pilot, predicate: Callable[[], object], *, rounds: int = 200,
                      what: str = "", pause: float | None = None) -> None:
    """Let the app process events until *predicate* holds, for at most *rounds* rounds."""
    for _ in range(rounds):
        if predicate():
            return
        await pilot.pause(pause)
    raise AssertionError(f"condition never became true: {what or predicate}")
