"""``SleepHandle``: a future that completes at a given datetime and can be re-aimed.

discord.py's ``discord.ext.tasks`` exports this helper (its loops sleep on one), and code
written against it may import or use it; looptui's own loops sleep with a bare timer on
the hot path, so this class is here for that code, with the same members and behaviour.
Time comes from :mod:`looptui.core.clock`, so virtual time applies to it too.
"""

from __future__ import annotations

import asyncio
import datetime
from typing import Any

from . import clock

__all__ = ["SleepHandle", "seconds_until"]


def seconds_until(dt: datetime.datetime) -> float:
    """Seconds from now until *dt* (0 if past); a naive *dt* is local time, as in discord.py."""
    if dt.tzinfo is None:
        dt = dt.astimezone()
    return max(dt.timestamp() - clock.now(), 0.0)


def _set_result(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class SleepHandle:
    """Sleep until a datetime: ``await handle.wait()``; :meth:`recalculate` re-aims it.

    Attributes:
        future: Completes (result ``None``) when the time is reached.
        loop: The event loop the timer runs on.
        handle: The timer that completes the future.
    """

    __slots__ = ("future", "loop", "handle")

    def __init__(self, dt: datetime.datetime, *, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.future: asyncio.Future[None] = loop.create_future()
        self.handle: asyncio.TimerHandle = loop.call_later(
            seconds_until(dt), _set_result, self.future
        )

    def recalculate(self, dt: datetime.datetime) -> None:
        """Complete at *dt* instead (the future stays the same object)."""
        self.handle.cancel()
        self.handle = self.loop.call_later(seconds_until(dt), _set_result, self.future)

    def wait(self) -> asyncio.Future[Any]:
        """The future to await."""
        return self.future

    def done(self) -> bool:
        """Whether the time was reached (or the handle cancelled)."""
        return self.future.done()

    def cancel(self) -> None:
        """Stop the timer and cancel the future."""
        self.handle.cancel()
        self.future.cancel()
