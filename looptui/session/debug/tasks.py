"""Every asyncio task of the program, as rows a front end shows; and the ones that died.

:meth:`TaskBook.rows` lists the tasks of the event loop (``asyncio.all_tasks``) as plain
dicts — name, coroutine, state, where it waits (the innermost frame of the program's own
code in its await chain), age, the loop that created it — cheap enough for a view that
reads them once a second, and nothing at all while no view asks.

A task that ends with an exception nobody retrieves is reported by asyncio when it is
deleted ("Task exception was never retrieved", through the event loop's exception
handler). :meth:`TaskBook.install` puts a handler in front of the program's (which still
runs, so the message is still logged) that keeps the last :data:`KEPT_FAILURES` of them,
with their tracebacks, and tells *on_failed* (the ``task_failed`` event). asyncio
reports such a task when it is deleted: one the program still holds in a variable is
reported once that reference goes (and, having ended, it is no longer among the tasks).

Ages are counted from the task's creation when :mod:`.births` noted it (``looptui
bot.py``), else from when looptui first saw the task (a view opened; tasks created before
looptui started; an attached program, whose agent installs no task factory).
"""

from __future__ import annotations

import asyncio
import collections
import functools
import operator
import os
import traceback
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from looptui.core import clock
from looptui.session.health.stacks import is_machinery, is_monitor_code, task_await_text
from looptui.session.output.sanitize import safe_text
from looptui.session.program.owners import TaskOwners, task_of

from .births import TaskBirths

if TYPE_CHECKING:
    from looptui.core.registry import Registry
    from looptui.core.tracker import Tracker

__all__ = ["KEPT_FAILURES", "NEVER_RETRIEVED", "ROW_LIMIT", "TaskBook", "row_matches"]

KEPT_FAILURES = 100
"""Failed tasks kept (the newest); older ones are counted, not kept."""
NEVER_RETRIEVED = "Task exception was never retrieved"
"""asyncio's message for a task that died with an exception nobody read."""
_CHAIN = 80
"""Awaits followed per task."""
ROW_LIMIT = 500
"""Rows a listing returns at most (the oldest first; a filter narrows before the cut)."""
SLICE = 256
_OLDEST_FIRST = operator.itemgetter(0, 1)
"""Tasks described per turn of the event loop by :meth:`TaskBook.rows_soon`."""


_USER, _MACHINERY, _MONITOR = 0, 1, 2


@functools.lru_cache(maxsize=4096)
def _file_kind(filename: str) -> int:
    """Whether a file is the program's own code, machinery around it (the standard
    library, looptui's loop engine) or the monitor's (looptui, Textual, Rich); asked
    once per file."""
    if is_monitor_code(filename) and not is_machinery(filename):
        return _MONITOR
    return _MACHINERY if is_machinery(filename) else _USER


def _coro_name(task: asyncio.Task[Any]) -> str:
    coro = task.get_coro()
    name = getattr(coro, "__qualname__", None) or type(coro).__name__
    return str(name)


def _frames(coro: Any) -> list[Any]:
    """The frames of *coro*'s await chain, outermost first."""
    frames: list[Any] = []
    aw: Any = coro
    seen: set[int] = set()
    while aw is not None and len(frames) < _CHAIN and id(aw) not in seen:
        seen.add(id(aw))
        frame = getattr(aw, "cr_frame", None) or getattr(aw, "gi_frame", None)
        if frame is None:
            break
        frames.append(frame)
        aw = getattr(aw, "cr_await", None) if hasattr(aw, "cr_await") else \
            getattr(aw, "gi_yieldfrom", None)
    return frames


def _short(filename: str, root: str | None) -> str:
    """A file name as the program's folder sees it (the base name for the library's)."""
    if root and filename.startswith(root + os.sep):
        return filename[len(root) + 1:]
    return os.path.basename(filename) if _file_kind(filename) != _USER else filename


def _place(task: asyncio.Task[Any], root: str | None,
           loop: Tracker | None = None) -> tuple[str, bool]:
    """Where the task waits and whether it is the monitor's own, in one walk of its
    await chain: ``file:line`` of the innermost frame of the program's own code (a loop's
    task between two bodies says so); own when the chain has the monitor's frames and
    none of the program's."""
    frames = _frames(task.get_coro())
    chosen = None
    monitor = False
    for frame in reversed(frames):
        kind = _file_kind(frame.f_code.co_filename)
        if kind == _USER:
            chosen = frame
            break
        monitor = monitor or kind == _MONITOR
    if chosen is not None:
        return f"{_short(chosen.f_code.co_filename, root)}:{chosen.f_lineno}", False
    own = monitor or task.get_name().startswith("looptui")
    if loop is not None:
        return f"({loop.state.value}: between bodies)", False
    if frames:
        last = frames[-1]
        return f"{_short(last.f_code.co_filename, root)}:{last.f_lineno}", own
    return "", own


class TaskBook:
    """The program's tasks as rows; the ones that died with an unread exception.

    Args:
        registry: The loops (a loop's own task is named after it).
        owners: Maps tasks to the loop that created them.
        root: The program's folder (file names are shown relative to it).
        on_failed: Called (on the event loop, soon after) with each failure's row.
        births: Creation times and creating tasks (:mod:`.births`), when noted.

    Attributes:
        failures: The newest failed tasks' rows (``traceback`` included).
        failed_total: Failed tasks since start, also those no longer kept.
    """

    def __init__(self, registry: Registry, owners: TaskOwners, root: str | None = None,
                 on_failed: Callable[[dict[str, Any]], None] | None = None,
                 births: TaskBirths | None = None) -> None:
        self.births = births
        self.registry = registry
        self.owners = owners
        self.root = root
        self.on_failed = on_failed
        self.failures: collections.deque[dict[str, Any]] = collections.deque(
            maxlen=KEPT_FAILURES)
        self.failed_total = 0
        self._first: dict[int, tuple[float, weakref.ref[asyncio.Task[Any]]]] = {}
        """When each task listed was created (or first seen), by ``id``: plain
        dictionary look-ups for thousands of tasks a second."""
        self._by_id: weakref.WeakValueDictionary[int, asyncio.Task[Any]] = \
            weakref.WeakValueDictionary()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._previous: Any = None
        self._handler: Any = None

    # ---------------------------------------------------------- failures
    def install(self) -> None:
        """Keep the tasks that die with an unread exception (see the module doc)."""
        if self._loop is not None:
            return
        loop = asyncio.get_running_loop()
        previous = loop.get_exception_handler()

        def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
            try:
                self._noticed(context)
            finally:
                if previous is not None:
                    previous(loop, context)
                else:
                    loop.default_exception_handler(context)

        loop.set_exception_handler(handler)
        self._loop, self._previous, self._handler = loop, previous, handler

    def uninstall(self) -> None:
        """Give the event loop its exception handler back (if ours is still in place)."""
        loop, self._loop = self._loop, None
        if loop is not None and not loop.is_closed() and \
                loop.get_exception_handler() is self._handler:
            loop.set_exception_handler(self._previous)
        self._handler = self._previous = None

    def _noticed(self, context: dict[str, Any]) -> None:
        task = context.get("future") or context.get("task")
        exc = context.get("exception")
        if not isinstance(task, asyncio.Task) or not isinstance(exc, BaseException):
            return
        if context.get("message") != NEVER_RETRIEVED:
            return
        row = self._describe(task, clock.now(), clock.now(), None)  # no weak refs: dying
        row.update(state="failed", failed=True, where=_tb_where(exc, self.root),
                   error=type(exc).__name__, message=safe_text(str(exc), 2000),
                   traceback="".join(traceback.format_exception(exc)), time=clock.now())
        self.failures.append(row)
        self.failed_total += 1
        if self.on_failed is not None and self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon(self.on_failed, row)  # not from inside a __del__

    # ------------------------------------------------------------- reading
    async def rows_soon(self, own: bool = True, text: str = "",
                        limit: int = ROW_LIMIT) -> tuple[list[dict[str, Any]], int]:
        """The *limit* oldest tasks that match *text* (:func:`row_matches`; *own*:
        looptui's too), and how many tasks there are in all.

        Only the rows returned are made (with one task per loop, thousands of rows a
        second would feed the garbage collector), and :data:`SLICE` loops or tasks are
        looked at per turn of the event loop, so a big program is never held up long.
        """
        now = clock.now()
        loops: dict[int, Tracker] = {}
        for index, tracker in enumerate(self.registry.trackers()):
            if index and index % SLICE == 0:
                await asyncio.sleep(0)
            task = task_of(tracker)
            if task is not None:
                loops[id(task)] = tracker
        tasks = self._all_tasks()
        first = self._first
        order: list[tuple[float, int, asyncio.Task[Any]]] = []
        for index, task in enumerate(tasks):
            if index and index % SLICE == 0:
                await asyncio.sleep(0)
            key = id(task)
            entry = first.get(key)
            if entry is None or entry[1]() is not task:  # new (or a new task in its place)
                entry = first[key] = (self._born(task, now), weakref.ref(task))
            order.append((entry[0], key, task))
        for key in first.keys() - {key for _when, key, _task in order}:
            del first[key]  # tasks that ended
        order.sort(key=_OLDEST_FIRST)
        rows: list[dict[str, Any]] = []
        for index, (when, _key, task) in enumerate(order):
            if index and index % SLICE == 0:
                await asyncio.sleep(0)
            if task.done():
                continue
            self._by_id[id(task)] = task
            row = self._describe(task, now, when, loops.get(id(task)))
            if (own or not row["own"]) and row_matches(row, text):
                rows.append(row)
                if len(rows) >= limit:
                    break
        return rows, len(tasks)

    def _all_tasks(self) -> list[asyncio.Task[Any]]:
        return list(asyncio.all_tasks(self._loop or asyncio.get_running_loop()))

    def _born(self, task: asyncio.Task[Any], now: float) -> float:
        """When *task* was created, if noted; else *now* (first seen)."""
        birth = self.births.get(task) if self.births is not None else None
        return birth[0] if birth is not None else now

    def _describe(self, task: asyncio.Task[Any], now: float, seen: float,
                  loop_tracker: Tracker | None) -> dict[str, Any]:
        creator = self.owners.created_by(task)
        if creator is loop_tracker:
            creator = None
        birth = self.births.get(task) if self.births is not None else None
        current = asyncio.current_task()
        if task.done():
            state = "cancelled" if task.cancelled() else (
                "failed" if task.exception() is not None else "done")
        elif task is current:
            state = "running"
        elif getattr(task, "cancelling", lambda: 0)():
            state = "cancelling"
        else:
            state = "waiting"
        where, own = _place(task, self.root, loop_tracker)
        return {
            "id": id(task), "name": _inert(task.get_name(), 200),
            "coro": _inert(_coro_name(task), 200), "state": state,
            "where": _inert(where, 300), "age": max(0.0, now - seen),
            "loop": loop_tracker.name if loop_tracker is not None else None,
            "created_by": creator.name if creator is not None else None,
            "parent": _inert(birth[1], 200) if birth is not None and birth[1] else None,
            "born": birth is not None, "own": own, "failed": False,
        }

    def stack(self, task_id: int) -> str:
        """The task's whole await chain (or a failed task's traceback), as text."""
        for row in self.failures:
            if row["id"] == task_id:
                return str(row.get("traceback") or "")
        task = self._by_id.get(task_id)
        if task is None:
            return "(the task has ended)\n"
        if task.done():
            return "(the task has ended)\n"
        return task_await_text(task, f"task {task.get_name()!r} ({_coro_name(task)}):\n")

    def cancel(self, task_id: int) -> tuple[bool, str]:
        """Cancel the task; ``(done, what happened or why not)``."""
        task = self._by_id.get(task_id)
        if task is None or task.done():
            return False, "the task has ended"
        if task is asyncio.current_task():
            return False, "that is the task answering"
        task.cancel()
        return True, f"task {task.get_name()!r}: cancelled (it ends at its next await)"


def row_matches(row: dict[str, Any], text: str) -> bool:
    """Whether a task row has *text* in its name, coroutine, file, loop or error."""
    if not text:
        return True
    hay = " ".join(str(row.get(k) or "") for k in ("name", "coro", "where", "loop",
                                                    "created_by", "parent", "process",
                                                    "error"))
    return text.lower() in hay.lower()


def _inert(text: str, limit: int) -> str:
    """*text* made inert for a terminal (the common case, short printable ASCII, as is)."""
    if len(text) <= limit and text.isascii() and text.isprintable():
        return text
    return safe_text(text, limit)


def _tb_where(exc: BaseException, root: str | None) -> str:
    """``file:line`` where *exc* was raised in the program's own code (else innermost)."""
    frames = traceback.extract_tb(exc.__traceback__)
    for frame in reversed(frames):
        if _file_kind(frame.filename) == _USER:
            break
    else:
        if not frames:
            return ""
        frame = frames[-1]
    return f"{_short(frame.filename, root)}:{frame.lineno}"
