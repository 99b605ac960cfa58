"""Stacks as text: a thread's frames (blocked event loop) and a task's await chain (stuck body).

Both are read while something is wrong, so both are bounded: frames are walked up to a
limit, source lines are looked up only for the frames that are shown, and the
machinery around user code (asyncio's run loop, looptui's own loop engine, the
interpreter's start-up) is left out unless nothing else is left.
"""

from __future__ import annotations

import asyncio
import linecache
import os
import sys
import sysconfig
from types import FrameType
from typing import Any

from looptui.core.asyncio_internals import gathered, task_waiter

__all__ = [
    "RawFrame", "walk_frames", "format_frames", "callback_frames", "is_machinery",
    "is_monitor_code", "is_monitor_callback", "await_chain", "task_await_text",
]

RawFrame = tuple[str, int, str]
"""``(filename, line number, function name)``: cheap to take from another thread."""

WALK_LIMIT = 300
"""Frames read per sample (innermost first); deeper stacks are cut at the outer end."""
SHOW_FRAMES = 30
"""Frames shown in a formatted stack (innermost kept)."""


def _dirs(*names: str) -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    found = {os.path.normcase(os.path.abspath(paths[n])) + os.sep for n in names if n in paths}
    return tuple(sorted(found))


_SITE = _dirs("purelib", "platlib")
_STDLIB = _dirs("stdlib", "platstdlib")
_MONITOR_PACKAGES = ("looptui", "textual", "rich")


def _norm(filename: str) -> str:
    return os.path.normcase(filename)


def is_stdlib(filename: str) -> bool:
    """A frame of Python's standard library (``<frozen ...>`` included)."""
    if filename.startswith("<frozen"):
        return True
    name = _norm(filename)
    if any(name.startswith(site) for site in _SITE):
        return False
    return any(name.startswith(lib) for lib in _STDLIB)


_PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
"""The ``looptui`` package folder (this file is ``looptui/session/health/stacks.py``)."""
_ENGINE = tuple(
    os.path.normcase(os.path.join(_PACKAGE_ROOT, part)) + os.sep for part in ("core", "adapters")
)


def is_machinery(filename: str) -> bool:
    """Frames around user code that say nothing about it: the standard library, and
    looptui's loop engine (which calls the body and hooks)."""
    return is_stdlib(filename) or _norm(filename).startswith(_ENGINE)


def _is_callback_runner(frame: RawFrame) -> bool:
    """asyncio's ``Handle._run``: every callback and task step starts in it."""
    filename, _line, name = frame
    return name == "_run" and _norm(filename).endswith(os.path.join("asyncio", "events.py"))


def callback_frames(frames: tuple[RawFrame, ...]) -> list[RawFrame]:
    """The frames of the callback the event loop is running, outermost first.

    Everything up to asyncio's ``Handle._run`` (interpreter start-up, the command line,
    ``run_until_complete``, the event loop itself) is the same for every callback and is
    left out. Without such a frame (the loop is in ``select``, or not in a callback),
    all frames are returned.
    """
    ordered = list(reversed(frames))
    for i in range(len(ordered) - 1, -1, -1):
        if _is_callback_runner(ordered[i]):
            return ordered[i + 1:]
    return ordered


def is_monitor_callback(frames: tuple[RawFrame, ...]) -> bool:
    """Whether the running callback is the monitor's own: the first frame of it outside
    the standard library is looptui's, Textual's or Rich's (a file watcher, a redraw)."""
    for filename, _line, _name in callback_frames(frames):
        if not is_stdlib(filename):
            return is_monitor_code(filename) and not _norm(filename).startswith(_ENGINE)
    return False


def is_monitor_code(filename: str) -> bool:
    """A frame of the monitor itself: looptui, or the Textual/Rich libraries it draws with."""
    for package in _MONITOR_PACKAGES:
        module = sys.modules.get(package)
        path = getattr(module, "__file__", None)
        if path and _norm(filename).startswith(_norm(os.path.dirname(path)) + os.sep):
            return True
    return False


def walk_frames(frame: FrameType | None, limit: int = WALK_LIMIT) -> tuple[RawFrame, ...]:
    """The frames from *frame* outwards (innermost first), at most *limit* of them."""
    out: list[RawFrame] = []
    while frame is not None and len(out) < limit:
        code = frame.f_code
        out.append((code.co_filename, frame.f_lineno or 0, code.co_name))
        frame = frame.f_back
    return tuple(out)


def _frame_text(filename: str, lineno: int, name: str) -> str:
    text = f'  File "{filename}", line {lineno}, in {name}\n'
    source = linecache.getline(filename, lineno).strip() if lineno else ""
    if source:
        text += f"    {source[:300]}\n"
    return text


def format_frames(frames: tuple[RawFrame, ...], show: int = SHOW_FRAMES) -> str:
    """Innermost-first raw frames as traceback-style text, outermost first.

    Only the running callback's frames are shown (:func:`callback_frames`), without the
    outer run of machinery (asyncio, looptui's loop engine) when any other frame is
    left; then at most *show* innermost frames are kept, with a line saying how many
    were left out.
    """
    ordered = callback_frames(frames)
    first_user = next((i for i, f in enumerate(ordered) if not is_machinery(f[0])), None)
    if first_user is not None:
        ordered = ordered[first_user:]
    lines: list[str] = []
    if len(ordered) > show:
        lines.append(f"  ... {len(ordered) - show} outer frames not shown ...\n")
        ordered = ordered[-show:]
    lines.extend(_frame_text(*f) for f in ordered)
    return "".join(lines)


# ------------------------------------------------------------------ await chains
def _describe_awaitable(aw: Any) -> str:
    if isinstance(aw, asyncio.Task):
        return f"task {aw.get_name()!r}"
    if isinstance(aw, asyncio.Future):
        children = gathered(aw)
        if children is not None:  # asyncio.gather
            pending = sum(1 for child in children if not child.done())
            return f"gather of {len(children)} ({pending} pending)"
        text = repr(aw)
        return text if len(text) <= 200 else text[:199] + "…"
    return type(aw).__name__


def _waiter(task: Any) -> Any:
    """The future *task* is suspended on (asyncio keeps it; both implementations)."""
    return task_waiter(task)


def await_chain(coro: Any, limit: int = 60, waiting_on: Any = None) -> list[str]:
    """Lines describing what *coro* is waiting for, outermost await first.

    Follows ``cr_await`` (coroutines), ``gi_yieldfrom`` (generator-based coroutines)
    and awaited tasks into their own coroutines; ends at a future, a gather, or an
    object it cannot look into — then *waiting_on* (the future the task is suspended
    on, when known) says what it is. looptui's loop engine frames are left out.
    """
    lines: list[str] = []
    seen: set[int] = set()
    aw: Any = coro
    while aw is not None and len(lines) < limit:
        if id(aw) in seen:
            lines.append("  (the chain loops back on itself)\n")
            break
        seen.add(id(aw))
        if isinstance(aw, asyncio.Task):
            lines.append(f"  awaiting {_describe_awaitable(aw)}\n")
            if aw.done():
                break
            waiting_on = _waiter(aw)
            aw = aw.get_coro()
            continue
        frame = getattr(aw, "cr_frame", None)
        if frame is not None or hasattr(aw, "cr_await"):
            nxt = getattr(aw, "cr_await", None)
        elif getattr(aw, "gi_frame", None) is not None or hasattr(aw, "gi_yieldfrom"):
            frame, nxt = getattr(aw, "gi_frame", None), getattr(aw, "gi_yieldfrom", None)
        else:
            if not isinstance(aw, asyncio.Future) and waiting_on is not None:
                aw = waiting_on  # e.g. the iterator of an awaited future: say what it is
            lines.append(f"  awaiting {_describe_awaitable(aw)}\n")
            if isinstance(aw, asyncio.Task) and not aw.done():
                aw, waiting_on = aw.get_coro(), _waiter(aw)
                continue
            break
        if frame is None:  # finished, or not started yet
            break
        code = frame.f_code
        if not _norm(code.co_filename).startswith(_ENGINE):
            lines.append(_frame_text(code.co_filename, frame.f_lineno or 0, code.co_name))
        aw = nxt
    else:
        if aw is not None:
            lines.append("  ... (chain cut) ...\n")
    return lines


def task_await_text(task: Any, head: str) -> str:
    """*head*, then what *task* is awaiting now (:func:`await_chain`), as text."""
    lines = await_chain(task.get_coro(), waiting_on=_waiter(task))
    return head + ("".join(lines) if lines else "  (running: not at an await)\n")
