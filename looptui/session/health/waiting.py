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

An ``idle`` loop (created, not started) is either forgotten — nothing calls ``.start()``
on it — or started by code that has not run yet: a bot's ``setup_hook``, ``cog_load`` or
``on_ready``, which run only once the client logs in. :func:`explain_idle` finds the
``.start()`` call in the loop's own file and says which of the two it is, and, when the
client never got ready (the main failed, or it is still logging in), suggests
``--offline``; the watch keeps ``tracker.notes["idle"]``.
"""

from __future__ import annotations

import linecache
import os
import re
import sys
import sysconfig
from typing import Any, Callable

from looptui.core.asyncio_internals import task_waiter
from looptui.core.tracker import Tracker
from looptui.session.health.stacks import await_chain, is_monitor_code, is_stdlib
from looptui.session.program.clients import PACKAGES
from looptui.session.program.owners import task_of

__all__ = ["explain", "explain_idle", "start_call", "WaitingWatch", "chain_frames"]

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
                                        waiting_on=task_waiter(task)))
    return note


def start_call(tracker: Tracker) -> tuple[int, str] | None:
    """``(line, text)`` of the first ``<name>.start(`` call in the file that defines
    *tracker*'s loop (``self.presence.start()`` for ``MyBot.presence``), or ``None``."""
    if not tracker.file:
        return None
    attribute = tracker.base_name.rsplit(".", 1)[-1]
    if not attribute.isidentifier():
        return None
    call = re.compile(rf"\b{re.escape(attribute)}\s*\.\s*start\s*\(")
    linecache.checkcache(tracker.file)  # a saved edit is read again
    for number, text in enumerate(linecache.getlines(tracker.file), 1):
        code = text.split("#", 1)[0]
        if call.search(code):
            return number, text.strip()
    return None


def explain_idle(tracker: Tracker, *, root: str | None, offline: bool,
                 main_state: str | None, main_error: str | None) -> dict[str, Any] | None:
    """The ``idle`` note for a loop nothing has started yet (``None``: no ``.start()``
    call in its file — a forgotten start, which the details view names as such).

    Keys: ``start`` (``bot.py:21``, where it is started), ``reason`` (one line for the
    table) and ``why`` (a sentence, with what to do).
    """
    found = start_call(tracker)
    if found is None:
        return None
    line, text = found
    where = f"{_relative(tracker.file or '', root)}:{line}"
    library = tracker.source != "looptui"
    if library and not offline and main_state == "failed":
        reason = f"not started: main failed before {where} ran · try --offline"
        why = (f"its start ({text} at {where}) has not run: a bot starts its loops in "
               "setup_hook, cog_load or on_ready, which run once the client is ready, and "
               f"the main failed ({main_error}). Run with --offline to run them without "
               "Discord; r starts this loop now.")
    elif library and not offline and main_state == "running":
        reason = f"not started yet: {where} waits for the client · --offline runs it"
        why = (f"its start ({text} at {where}) has not run yet: if it is in setup_hook, "
               "cog_load or on_ready, it runs once the client has logged in to Discord; "
               "without a network or a valid token it never will. Run with --offline to "
               "run the loops without Discord; r starts this loop now.")
    else:
        reason = f"not started: {where} has not run"
        why = f"its start ({text} at {where}) has not run (yet); r starts this loop now."
    return {"start": where, "reason": reason, "why": why}


class WaitingWatch:
    """Refreshes ``notes["waiting"]`` of waiting loops and ``notes["idle"]`` of loops not
    started yet; removes them once the loops move on."""

    def __init__(self, facts: Callable[[], dict[str, Any]]) -> None:
        self.facts = facts

    def check(self, trackers: list[Tracker]) -> None:
        facts: dict[str, Any] | None = None
        for tracker in trackers:
            if tracker.state.value == "idle":
                if facts is None:
                    facts = self.facts()
                self._idle(tracker, facts)
                continue
            if tracker.notes.pop("idle", None) is not None:
                tracker.version += 1
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


    @staticmethod
    def _idle(tracker: Tracker, facts: dict[str, Any]) -> None:
        note = explain_idle(tracker, **facts)
        if note != tracker.notes.get("idle"):
            if note is None:
                del tracker.notes["idle"]
            else:
                tracker.notes["idle"] = note
            tracker.version += 1


def _emit_waiting(tracker: Tracker, note: dict[str, Any]) -> None:
    """A ``waiting`` event: once per loop and reason (``in``, ``awaiting``, ``reason``, ``why``)."""
    registry = tracker.registry
    if registry is not None and registry.listeners:
        registry.emit("waiting", tracker, {k: v for k, v in note.items() if k != "stack"})
