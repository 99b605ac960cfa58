"""Why a loop is ``waiting``: the ``before_loop`` hook it is in, what that awaits, what to do.

A loop stays ``waiting`` while its ``before_loop`` hook has not returned — for a bot,
almost always ``await bot.wait_until_ready()``, which returns only once the client has
logged in and connected. :func:`explain` follows the loop task's await chain to the
program's own frame (the hook, with file and line) and the call it awaits
(``Client.wait_until_ready()``), and, when that is the client getting ready, says why it
is not (the main failed — a bad token, no network —, or nothing started the client) and
suggests ``--offline``. :class:`WaitingWatch` keeps ``tracker.notes["waiting"]`` up to
date for every waiting loop, and sends a ``waiting`` event when the reason is first
known or changes.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from typing import Any, Callable

from looptui.core.tracker import Tracker
from looptui.session.health.stacks import await_chain, is_monitor_code, is_stdlib
from looptui.session.program.clients import PACKAGES
from looptui.session.program.owners import task_of

__all__ = ["explain", "WaitingWatch", "chain_frames"]

_LIBRARY_DIRS = tuple(sorted({
    os.path.normcase(os.path.abspath(path)) + os.sep
    for key, path in sysconfig.get_paths().items() if key in ("purelib", "platlib")
}))

Frame = tuple[str, int, str]
"""``(filename, line, qualified name)`` of one coroutine in an await chain."""


def _discord_dirs() -> tuple[str, ...]:
    """Folders of the Discord libraries imported now, wherever they are installed
    (a ``--target`` folder on ``PYTHONPATH`` is not ``site-packages``)."""
    found = []
    for package in PACKAGES:
        module = sys.modules.get(package)
        file = getattr(module, "__file__", None)
        if isinstance(file, str):
            found.append(os.path.normcase(os.path.dirname(os.path.abspath(file))) + os.sep)
    return tuple(found)


def _is_library(filename: str) -> bool:
    name = os.path.normcase(filename)
    return any(name.startswith(d) for d in _LIBRARY_DIRS + _discord_dirs())


def _is_program(filename: str) -> bool:
    return not (is_stdlib(filename) or is_monitor_code(filename) or _is_library(filename))


def chain_frames(coro: Any, limit: int = 60) -> list[Frame]:
    """The coroutines *coro* is awaiting through, outermost first."""
    frames: list[Frame] = []
    seen: set[int] = set()
    aw = coro
    while aw is not None and len(frames) < limit and id(aw) not in seen:
        seen.add(id(aw))
        frame = getattr(aw, "cr_frame", None) or getattr(aw, "gi_frame", None)
        if frame is None:
            break
        code = frame.f_code
        frames.append((code.co_filename, frame.f_lineno or 0,
                       getattr(code, "co_qualname", code.co_name)))
        aw = getattr(aw, "cr_await", None) if hasattr(aw, "cr_await") else getattr(
            aw, "gi_yieldfrom", None)
    return frames


def _relative(filename: str, root: str | None) -> str:
    if root:
        try:
            rel = os.path.relpath(filename, root)
        except ValueError:
            return filename
        if not rel.startswith(".."):
            return rel
    return filename


def explain(tracker: Tracker, *, root: str | None, offline: bool,
            main_state: str | None, main_error: str | None) -> dict[str, Any] | None:
    """The ``waiting`` note for *tracker* (``None`` if its task cannot be looked into).

    Keys: ``in`` (the program's frame: ``Cog.before_ticker at cogs/ticker.py:21``),
    ``awaiting`` (``Client.wait_until_ready()``), ``reason`` (one line for the table),
    ``why`` (a sentence, with what to do) and ``stack`` (the await chain).
    """
    task = task_of(tracker)
    if task is None or task.done():
        return None
    frames = chain_frames(task.get_coro())
    user_at = next((i for i, f in enumerate(frames) if _is_program(f[0])), None)
    note: dict[str, Any] = {}
    awaiting = ""
    if user_at is not None:
        filename, line, name = frames[user_at]
        note["in"] = f"{name} at {_relative(filename, root)}:{line}"
        inner = [f for f in frames[user_at + 1:] if not is_monitor_code(f[0])]
        if inner:
            awaiting = f"{inner[0][2]}()"
    if not awaiting and frames:
        awaiting = f"{frames[-1][2]}()"
    note["awaiting"] = awaiting or "?"
    reason = f"in before_loop: {awaiting}" if awaiting else "in before_loop"
    if "wait_until_ready" in awaiting and not offline:
        if main_state == "failed":
            why = (f"the client never got ready: the main failed ({main_error}). "
                   "Run with --offline to run the loops without Discord.")
            reason = "client not ready: main failed · try --offline"
        elif main_state is None:
            why = ("nothing starts the client (no run()/start() ran; bot.run under "
                   "`if __name__ == \"__main__\":` does not run on import). Run with "
                   "--offline to run the loops without Discord, or --main NAME.")
            reason = "client never started · try --offline"
        else:
            why = ("the client is not ready yet: it is logging in to Discord; without a "
                   "network or a valid token it never will be. Run with --offline to run "
                   "the loops without Discord.")
            reason = "client not ready (logging in) · --offline runs it without Discord"
        note["why"] = why
    note["reason"] = reason
    note["stack"] = "".join(await_chain(task.get_coro(),
                                        waiting_on=getattr(task, "_fut_waiter", None)))
    return note


class WaitingWatch:
    """Refreshes ``notes["waiting"]`` of waiting loops; removes it once they move on."""

    def __init__(self, facts: Callable[[], dict[str, Any]]) -> None:
        self.facts = facts

    def check(self, trackers: list[Tracker]) -> None:
        facts: dict[str, Any] | None = None
        for tracker in trackers:
            if tracker.state.value != "waiting":
                if tracker.notes.pop("waiting", None) is not None:
                    tracker.version += 1
                continue
            if facts is None:
                facts = self.facts()
            note = explain(tracker, **facts)
            old = tracker.notes.get("waiting")
            if note is None:
                if old is not None:
                    del tracker.notes["waiting"]
                    tracker.version += 1
            elif note != old:
                tracker.notes["waiting"] = note
                tracker.version += 1
                if old is None or old.get("reason") != note.get("reason"):
                    _emit_waiting(tracker, note)


def _emit_waiting(tracker: Tracker, note: dict[str, Any]) -> None:
    """A ``waiting`` event: once per loop and reason (``in``, ``awaiting``, ``reason``, ``why``)."""
    registry = tracker.registry
    if registry is not None and registry.listeners:
        registry.emit("waiting", tracker, {k: v for k, v in note.items() if k != "stack"})
