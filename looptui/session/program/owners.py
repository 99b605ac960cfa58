"""Which loop an asyncio task belongs to, and which task a loop runs in.

The blocking watchdog knows the task that held the event loop; the stuck-iteration check
knows the loop whose body overran. Both need the other half:

* :func:`task_of` — the task a tracker's loop runs in (looptui's ``Loop.get_task()``, or
  the foreign loop's, reached through its adapter).
* :class:`TaskOwners` — the tracker a task belongs to: the loop's own task, or a task
  created while a loop's body or hook was running (``asyncio.create_task`` inside the
  body), which inherits the loop's :data:`~looptui.core.context.current_tracker`. On
  Python 3.12+ that is read from ``task.get_context()``; on 3.11 a task factory notes
  the creator's loop when the task is created (a dict insert, only for tasks created
  inside a loop).
"""

from __future__ import annotations

import asyncio
import weakref
from typing import TYPE_CHECKING, Any

from looptui.core.context import current_tracker

if TYPE_CHECKING:
    from looptui.core.registry import Registry
    from looptui.core.tracker import Tracker

__all__ = ["task_of", "TaskOwners"]


def task_of(tracker: Tracker) -> asyncio.Task[Any] | None:
    """The asyncio task *tracker*'s loop runs in (``None`` if never started or gone)."""
    controls = tracker.controls
    # looptui's Loop has get_task(); an adapter exposes the foreign loop as .loop
    get_task = getattr(controls, "get_task", None) or getattr(
        getattr(controls, "loop", None), "get_task", None
    )
    if not callable(get_task):
        return None
    try:
        task = get_task()
    except Exception:  # a foreign loop in a strange state must not break the monitor
        return None
    return task if isinstance(task, asyncio.Task) else None


class TaskOwners:
    """Maps asyncio tasks to the loop (tracker) responsible for them."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._created: weakref.WeakKeyDictionary[Any, Tracker] = weakref.WeakKeyDictionary()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._factory: Any = None
        self._previous: Any = None

    def install(self) -> None:
        """Note the creating loop of new tasks (only needed before Python 3.12)."""
        if hasattr(asyncio.Task, "get_context"):
            return
        loop = asyncio.get_running_loop()
        if loop.get_task_factory() is not None:  # the user's own factory wins
            return
        created = self._created

        def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
            task = asyncio.Task(coro, loop=loop, **kwargs)
            owner = current_tracker.get()
            if owner is not None:
                created[task] = owner
            return task

        loop.set_task_factory(factory)
        self._loop, self._factory = loop, factory

    def uninstall(self) -> None:
        """Remove the task factory (if it is still the one installed)."""
        loop, self._loop = self._loop, None
        if loop is not None and not loop.is_closed() and loop.get_task_factory() is self._factory:
            loop.set_task_factory(None)
        self._factory = None

    def created_by(self, task: object) -> Tracker | None:
        """The loop whose body or hook created *task* (its context, or what the task
        factory noted), without looking through the loops: cheap enough for every task."""
        return _context_owner(task) or self._noted(task)

    def owner(self, task: object) -> Tracker | None:
        """The tracker whose loop runs *task* or created it, or ``None``.

        Looks through every tracker (once per call): meant for rare events such as a
        blocked event loop, not for a hot path.
        """
        if task is None:
            return None
        owner = _context_owner(task)
        if owner is not None:
            return owner
        # A loop's own task first: a loop started from another loop's body was created
        # in that other loop's context, but belongs to itself.
        for tracker in self.registry.trackers():
            if task_of(tracker) is task:
                return tracker
        return self._noted(task)

    def _noted(self, task: object) -> Tracker | None:
        """The creating loop the task factory noted (Python 3.11)."""
        try:
            return self._created.get(task)
        except TypeError:  # not weak-referenceable
            return None


def _context_owner(task: object) -> Tracker | None:
    """The loop in the context *task* runs in (Python 3.12+: ``task.get_context()``)."""
    get_context = getattr(task, "get_context", None)
    if not callable(get_context):
        return None
    try:
        return get_context().get(current_tracker)
    except Exception:
        return None
