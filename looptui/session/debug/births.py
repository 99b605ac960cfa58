"""When each asyncio task was created, and by which task: a task factory that notes it.

Tasks carry no creation time and no parent. :class:`TaskBirths` installs a task factory
on the event loop that makes the task as before — through the factory already there
(the user's own, or looptui's for task owners on Python 3.11), else ``asyncio.Task`` —
and notes, in a weak dictionary, the wall-clock time and the name of the task that was
running (``None``: a callback, or the program's import). The tasks view shows them as
the task's age and ``by task NAME``.

It costs one factory call and one dictionary insert per *task created* — nothing per
iteration of a loop (a loop makes its task once, when it starts) and nothing at all
while no task is created; ``benchmarks/task_factory.py`` measures ``create_task`` with
and without it. A factory the program sets later replaces this one (then ages are
counted from when looptui first saw each task, as for tasks created before).
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Callable
from typing import Any

__all__ = ["TaskBirths"]

Birth = tuple[float, "str | None"]
"""``(epoch seconds it was created, name of the task that created it or None)``."""


class TaskBirths:
    """Notes the creation time and creating task of every new task (see module doc)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.births: weakref.WeakKeyDictionary[asyncio.Future[Any], Birth] = \
            weakref.WeakKeyDictionary()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._factory: Any = None
        self._previous: Any = None

    def install(self) -> None:
        """Note the tasks created on the running loop from now on."""
        if self._loop is not None:
            return
        loop = asyncio.get_running_loop()
        previous = loop.get_task_factory()
        births = self.births
        now = self.clock
        current = asyncio.current_task

        def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> Any:
            task = previous(loop, coro, **kwargs) if previous is not None else \
                asyncio.Task(coro, loop=loop, **kwargs)
            parent = current(loop)
            try:
                births[task] = (now(), parent.get_name() if parent is not None else None)
            except TypeError:  # a factory that made something not weak-referenceable
                pass
            return task

        loop.set_task_factory(factory)
        self._loop, self._factory, self._previous = loop, factory, previous

    def uninstall(self) -> None:
        """Put the factory that was there back (if ours is still the one installed)."""
        loop, self._loop = self._loop, None
        if loop is not None and not loop.is_closed() and \
                loop.get_task_factory() is self._factory:
            loop.set_task_factory(self._previous)
        self._factory = self._previous = None

    def get(self, task: object) -> Birth | None:
        """When *task* was created and by which task, if it was noted."""
        try:
            return self.births.get(task)  # type: ignore[call-overload]
        except TypeError:
            return None
