"""Run looptui's front end on an event loop, like ``asyncio.run``, with two differences.

1. **A loop that raises ``SystemExit`` or ``KeyboardInterrupt`` does not end looptui.**
   asyncio re-raises those two out of the event loop whichever task raised them, so a
   body calling ``sys.exit()`` would take the monitor — and the terminal state of the
   TUI — down with it, silently. Here, when the exception comes from a monitored loop
   (its tracker recorded it, or its task ended with it), the loop has already ended
   ``failed`` with the exception on record; looptui says so on stderr (captured as
   output, and a ``log`` event) and keeps running. From anywhere else (a task of the
   user's that is not a loop, or a :class:`~looptui.session.program.signals.ForcedInterrupt`),
   the front end is cancelled, so it quits gracefully (loops stopped, ``after_loop``
   hooks run, summary), and then the exception is raised again: ``KeyboardInterrupt``
   ends looptui with status 130, ``SystemExit`` with its own code. A second one while
   quitting ends at once.
2. **The end is bounded.** ``asyncio.run`` waits for every task left over to finish
   being cancelled, forever if one swallows ``CancelledError``. Here left-over tasks get
   :data:`CANCEL_GRACE` seconds, async generators and the default executor as long; what
   is still pending is then abandoned (the session has already named such loops).
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any, Coroutine, TypeVar

from looptui.core.asyncio_internals import forget_pending_task
from looptui.core.registry import REGISTRY, Registry
from looptui.core.tracker import Tracker
from looptui.session.output.sanitize import safe_text
from looptui.session.program.owners import task_of
from looptui.session.program.signals import ForcedInterrupt

__all__ = ["run_bounded", "loop_that_raised", "CANCEL_GRACE"]

T = TypeVar("T")

CANCEL_GRACE = 1.0
"""Seconds left-over tasks get to end after being cancelled, at exit."""


def loop_that_raised(exc: BaseException, registry: Registry = REGISTRY) -> Tracker | None:
    """The monitored loop that ended with *exc* (recorded it, or its task raised it)."""
    for tracker in registry.trackers():
        info = tracker.last_exception
        if info is not None and info.exc is exc:
            return tracker
        task = task_of(tracker)
        if task is not None and task.done() and not task.cancelled():
            if task.exception() is exc:
                return tracker
    return None


def _say_absorbed(tracker: Tracker, exc: BaseException) -> None:
    what = safe_text(f"{type(exc).__name__}({exc})" if str(exc) else type(exc).__name__,
                     200, multiline=False)
    print(f"looptui: loop {safe_text(tracker.name, 80, multiline=False)} raised {what}; "
          "the loop ended (failed), looptui keeps running", file=sys.stderr)


def _quiet_about_handled_exits(loop: asyncio.AbstractEventLoop) -> None:
    """Keep asyncio from logging "Task exception was never retrieved" (with looptui's own
    frames) for a ``SystemExit``/``KeyboardInterrupt`` that :func:`_run` handled.

    The exits are kept on the handler itself, not in a weak mapping: the task's report
    comes from its finaliser, often during a garbage collection that has already
    cleared weak references to the loop.
    """
    previous = loop.get_exception_handler()
    handled: list[BaseException] = []

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if exc is not None and any(exc is seen for seen in handled):
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    handler.handled = handled  # type: ignore[attr-defined]  # a mark on the function itself
    loop.set_exception_handler(handler)


def _note_handled(loop: asyncio.AbstractEventLoop, exc: BaseException) -> None:
    handled = getattr(loop.get_exception_handler(), "handled", None)
    if handled is not None:
        handled.append(exc)


def _run(loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any], registry: Registry,
         main: asyncio.Task[Any] | None) -> None:
    """Run *loop* until *future* is done, absorbing exits raised by monitored loops.

    When an exit comes from elsewhere and *main* is given and still running, *main* is
    cancelled (a graceful quit) and the exit is raised once *future* is done; otherwise
    it is raised at once.
    """
    quitting: BaseException | None = None
    while True:
        try:
            loop.run_until_complete(future)
        except (KeyboardInterrupt, SystemExit) as exc:
            _note_handled(loop, exc)
            if future.done() and quitting is None:
                raise
            owner = None if isinstance(exc, ForcedInterrupt) else loop_that_raised(exc, registry)
            if owner is not None:
                _say_absorbed(owner, exc)
                continue
            if quitting is not None or main is None or main.done():
                raise
            quitting = exc
            main.cancel()
            continue
        except asyncio.CancelledError:
            if quitting is None:
                raise
        if quitting is not None:
            raise quitting
        return


def _cancel_leftovers(loop: asyncio.AbstractEventLoop, registry: Registry) -> None:
    tasks = [task for task in asyncio.all_tasks(loop) if not task.done()]
    if not tasks:
        return
    for task in tasks:
        task.cancel()
    _run(loop, loop.create_task(asyncio.wait(tasks, timeout=CANCEL_GRACE)), registry, None)
    for task in tasks:
        if not task.done():
            forget_pending_task(task)
        elif not task.cancelled() and task.exception() is not None:
            loop.call_exception_handler({
                "message": "unhandled exception during shutdown",
                "exception": task.exception(), "task": task,
            })


async def _bounded(aw: Coroutine[Any, Any, Any]) -> None:
    try:
        await asyncio.wait_for(aw, CANCEL_GRACE)
    except (asyncio.TimeoutError, Exception):
        pass


def run_bounded(main: Coroutine[Any, Any, T], *, registry: Registry = REGISTRY) -> T:
    """Run *main* on a new event loop and return its result (see the module docstring)."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    _quiet_about_handled_exits(loop)
    try:
        task = loop.create_task(main)
        _run(loop, task, registry, task)
        return task.result()
    finally:
        try:
            _cancel_leftovers(loop, registry)
            _run(loop, loop.create_task(_bounded(loop.shutdown_asyncgens())), registry, None)
            _run(loop, loop.create_task(_bounded(loop.shutdown_default_executor())), registry,
                 None)
        finally:
            asyncio.set_event_loop(None)
            loop.close()
