"""Build a loop's failure events outside the loop's own task, keeping every event in order.

A listener is called from inside the loop that made the event. Most events cost
microseconds to build, but a failure's event formats its traceback: for an exception
with a megabyte message, or a deep recursion, that takes long enough for the blocking
watchdog to see the event loop stall — and to blame the loop that failed, since the
work ran in its task. :class:`InOrder` runs such a call a moment later as a callback of
the event loop (not in any loop's task), and every call after it in the same queue, so
the events keep their order; while nothing waits, calls run at once, as before.
"""

from __future__ import annotations

import asyncio
import collections
import sys
import traceback
from typing import Any, Callable

from looptui.core.records import ExceptionInfo

__all__ = ["InOrder", "is_heavy"]

_FAILURES = frozenset({"iteration_failed", "hook_failed"})


def is_heavy(kind: str, fields: dict[str, Any]) -> bool:
    """Whether building the event of *kind* would format a traceback not formatted yet."""
    if kind not in _FAILURES:
        return False
    info = fields.get("traceback")
    return isinstance(info, ExceptionInfo) and not info.formatted


class InOrder:
    """Calls run in the order made; a heavy one, and those after it, off the caller's task.

    Args:
        name: Said in the message when a deferred call fails.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._waiting: collections.deque[tuple[Callable[..., None], tuple[Any, ...]]] = \
            collections.deque()

    def __call__(self, call: Callable[..., None], *args: Any, heavy: bool = False) -> None:
        """Run ``call(*args)`` now, or after the calls already waiting (``heavy``: later
        in any case, in a callback of the running event loop)."""
        if not self._waiting and not heavy:
            call(*args)
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop (a test, the end): nothing runs meanwhile
            self._waiting.append((call, args))
            self._drain()
            return
        self._waiting.append((call, args))
        if len(self._waiting) == 1:
            loop.call_soon(self._drain)

    def _drain(self) -> None:
        waiting = self._waiting
        while waiting:
            call, args = waiting[0]
            try:
                call(*args)
            except Exception:  # a broken sink must not stop the events after it
                print(f"looptui: {self.name} failed on an event:", file=sys.stderr)
                traceback.print_exc()
            finally:
                waiting.popleft()
