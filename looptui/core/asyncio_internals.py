"""asyncio's private names that looptui reads or sets, in one place.

Every use of an underscore name of asyncio goes through a function here, so that an
upgrade that renames one breaks one module, and :data:`PRIVATE_NAMES` lists them all:
``tests/test_private_names.py`` checks each one on real asyncio objects (both the C and
the pure-Python tasks), so CI fails loudly instead of a feature going quiet at a user's.

Every function here degrades instead of raising when a name is missing: the feature
that reads it (an await chain, the blocking watchdog) says less, the program runs on.
"""

from __future__ import annotations

import asyncio
from typing import Any

__all__ = [
    "PRIVATE_NAMES", "task_waiter", "gathered", "loop_selector", "peek_exception",
    "forget_pending_task", "running_loop", "clock_resolution", "set_clock_resolution",
]

PRIVATE_NAMES: dict[str, tuple[str, ...]] = {
    "Task": ("_fut_waiter", "_log_destroy_pending"),
    "Future": ("_exception",),
    "gather()'s future": ("_children",),
    "BaseSelectorEventLoop": ("_selector",),
    "BaseEventLoop": ("_clock_resolution",),
    "asyncio": ("_get_running_loop",),
}
"""Where each private name lives → the names looptui relies on there."""


def task_waiter(task: Any) -> Any:
    """The future *task* is suspended on, or ``None`` (``Task._fut_waiter``)."""
    return getattr(task, "_fut_waiter", None)


def gathered(future: Any) -> list[Any] | None:
    """The children of an ``asyncio.gather`` future, or ``None`` for any other future."""
    children = getattr(future, "_children", None)
    return children if isinstance(children, list) else None


def loop_selector(loop: asyncio.AbstractEventLoop) -> Any:
    """The selector a selector event loop waits in (``None`` for other loops)."""
    return getattr(loop, "_selector", None)


def peek_exception(future: Any) -> BaseException | None:
    """What a done *future* raised, read without marking it retrieved (asyncio still
    reports it if nobody else does)."""
    exc = getattr(future, "_exception", None)
    return exc if isinstance(exc, BaseException) else None


def forget_pending_task(task: Any) -> None:
    """Abandon *task* on purpose: no "Task was destroyed but it is pending!" later."""
    try:
        task._log_destroy_pending = False
    except AttributeError:
        pass


def running_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop running in this thread, or ``None`` (no exception, unlike
    :func:`asyncio.get_running_loop`: cheap enough for a patched ``asyncio.run``)."""
    return asyncio._get_running_loop()


def clock_resolution(loop: asyncio.AbstractEventLoop) -> float:
    """How close to due a timer must be for *loop* to run it (``0.0`` if unknown)."""
    return float(getattr(loop, "_clock_resolution", 0.0))


def set_clock_resolution(loop: Any, value: float) -> None:
    """Make *loop* run timers due within *value* seconds of now (virtual time needs it)."""
    loop._clock_resolution = value
