"""Calls made while the program is imported that would run an event loop of their own.

A bot written to be run with ``python bot.py`` ends its module with ``bot.run(TOKEN)``
or ``asyncio.run(main())``. looptui imports the module while its own event loop is
already running, where those calls would fail ("asyncio.run() cannot be called from a
running event loop") or, worse, take the event loop over (nextcord, disnake and py-cord
stop it on SIGINT and cancel every task at the end, looptui's included).

While :class:`RunCalls` is capturing (a ``with`` block around the import),
``asyncio.run(coro)``, ``uvloop.run(coro)``, ``loop.run_until_complete(coro)`` and
``loop.run_forever()`` on the running loop, and ``Client.run(...)`` of the Discord libraries (reported here by
:mod:`~looptui.session.program.clients`), return at once: each becomes a
:class:`MainCall` that the session runs afterwards, in order, as the program's **main**
coroutine. Nothing else changes: outside the block every function is the original.
"""

from __future__ import annotations

import asyncio
import asyncio.base_events
import linecache
import os
import re
import sys
import sysconfig
from dataclasses import dataclass, field
from types import FrameType, ModuleType
from typing import Any, Awaitable, Callable

from looptui.adapters import importhook
from looptui.core.asyncio_internals import running_loop

__all__ = ["MainCall", "RunCalls", "capturing", "call_site", "program_frame", "is_library_file"]


@dataclass
class MainCall:
    """One captured call: what to run, and where the program asked for it.

    Attributes:
        label: What was called, as the user wrote it (``bot.run()``, ``asyncio.run(main())``).
        where: ``file:line`` of the call, relative to the program's folder.
        run: Returns the awaitable that does what the call would have done.
        client: The Discord client for ``Client.run``, else ``None``.
    """

    label: str
    where: str
    run: Callable[[], Awaitable[Any]]
    client: Any = field(default=None, repr=False)

    @property
    def name(self) -> str:
        """``bot.run() at bot.py:88``: the main's name in the header and the events."""
        return f"{self.label} at {self.where}"


_ACTIVE: list[RunCalls] = []
"""The collector capturing now (innermost last); empty outside an import."""


def capturing() -> RunCalls | None:
    """The :class:`RunCalls` capturing calls right now, or ``None``."""
    return _ACTIVE[-1] if _ACTIVE else None


def call_site(frame: FrameType | None, root: str | None) -> tuple[str, int, str]:
    """``(where, line number, source line)`` of *frame*, *where* relative to *root*."""
    if frame is None:
        return "?", 0, ""
    filename = frame.f_code.co_filename
    lineno = frame.f_lineno or 0
    shown = filename
    if root:
        try:
            rel = os.path.relpath(filename, root)
        except ValueError:  # another drive
            rel = filename
        if not rel.startswith(".."):
            shown = rel
    return f"{shown}:{lineno}", lineno, linecache.getline(filename, lineno).strip()


_STDLIB = tuple({os.path.join(sysconfig.get_paths()[key], "")
                 for key in ("stdlib", "platstdlib")})
_LOOPTUI = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "")
_LIBRARY_DIRS = (f"{os.sep}site-packages{os.sep}", f"{os.sep}dist-packages{os.sep}")


def is_library_file(filename: str) -> bool:
    """Frames that are never the program's: installed libraries, the stdlib, looptui."""
    if filename.startswith(("<frozen", _LOOPTUI)) or any(d in filename for d in _LIBRARY_DIRS):
        return True
    return filename.startswith(_STDLIB)


def program_frame(frame: FrameType | None, of: object = None) -> FrameType | None:
    """The program's own frame that made a call: *frame* or the first one outwards that
    is not a library's (``ezcord``'s ``Bot.run`` calling ``Client.run``), the standard
    library's or looptui's, nor a method of *of* itself (a subclass's ``super().__init__``
    line, its ``run`` override): the line the header should name. *frame* when none is."""
    current = frame
    while current is not None:
        if not is_library_file(current.f_code.co_filename) and (
                of is None or current.f_locals.get("self") is not of):
            return current
        current = current.f_back
    return frame


_RECEIVER = re.compile(r"([A-Za-z_][\w.]*)\s*\.\s*(run|run_until_complete|run_forever)\s*\(")


def _receiver(source: str, method: str, fallback: str) -> str:
    """The expression a method was called on, as written (``bot`` in ``bot.run(TOKEN)``)."""
    for match in _RECEIVER.finditer(source):
        if match.group(2) == method:
            return match.group(1)
    return fallback


def _coro_label(aw: Any) -> str:
    code = getattr(aw, "cr_code", None) or getattr(aw, "gi_code", None)
    name = getattr(code, "co_qualname", None) or getattr(code, "co_name", None)
    if name:
        return f"{name}()"
    return type(aw).__name__


def _close_quietly(aw: Any) -> None:
    close = getattr(aw, "close", None)
    if callable(close) and asyncio.iscoroutine(aw):
        close()


class RunCalls:
    """Collects the run calls of one import (see the module docstring).

    Use as a context manager around the import; :attr:`calls` holds what was captured.

    Attributes:
        root: The program's folder (``where`` is relative to it).
        calls: The captured calls, in the order the program made them.
        on_call: Called with each :class:`MainCall` as it is captured.
    """

    def __init__(self, root: str | None = None,
                 on_call: Callable[[MainCall], None] | None = None) -> None:
        self.root = root
        self.calls: list[MainCall] = []
        self.on_call = on_call
        self._saved: dict[str, Any] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._watching_uvloop = False

    # ------------------------------------------------------------------ capture
    def add(self, call: MainCall) -> None:
        self.calls.append(call)
        if self.on_call is not None:
            self.on_call(call)

    def client_run(self, client: Any, args: tuple[Any, ...], kwargs: dict[str, Any],
                   frame: FrameType | None, start: Callable[[], Awaitable[Any]]) -> None:
        """``Client.run(*args, **kwargs)`` was called: *start* does what it would have."""
        where, _line, source = call_site(program_frame(frame, client), self.root)
        who = _receiver(source, "run", type(client).__name__)
        self.add(MainCall(f"{who}.run()", where, start, client))

    def __enter__(self) -> RunCalls:
        loop = self._loop = asyncio.get_running_loop()
        base = asyncio.base_events.BaseEventLoop
        self._saved = {
            "asyncio.run": asyncio.run,
            "run_until_complete": base.run_until_complete,
            "run_forever": base.run_forever,
        }
        orig_run = asyncio.run
        orig_ruc = base.run_until_complete
        orig_forever = base.run_forever
        me = self

        def run_until_complete(self: Any, future: Any) -> Any:
            if capturing() is not me or running_loop() is not loop:
                return orig_ruc(self, future)
            where, _line, source = call_site(program_frame(sys._getframe(1)), me.root)
            who = _receiver(source, "run_until_complete", "loop")
            me.add(MainCall(f"{who}.run_until_complete({_coro_label(future)})", where,
                            lambda: future))
            return None

        def run_forever(self: Any) -> None:
            if capturing() is not me or running_loop() is not loop:
                return orig_forever(self)
            where, _line, source = call_site(program_frame(sys._getframe(1)), me.root)
            who = _receiver(source, "run_forever", "loop")

            async def forever() -> None:  # what run_forever does: run the tasks, never end
                await asyncio.get_running_loop().create_future()

            me.add(MainCall(f"{who}.run_forever()", where, forever))
            return None

        asyncio.run = self._runner(orig_run, "asyncio.run")
        base.run_until_complete = run_until_complete  # type: ignore[method-assign]
        base.run_forever = run_forever  # type: ignore[method-assign]
        _ACTIVE.append(self)
        if "uvloop" in sys.modules:
            self._hook_uvloop(sys.modules["uvloop"])
        elif not importhook.is_watching("uvloop"):
            importhook.watch("uvloop", self._hook_uvloop)
            self._watching_uvloop = True
        return self

    def _hook_uvloop(self, uvloop: ModuleType) -> None:
        """``uvloop.run(main())``: taken over like ``asyncio.run`` (it would make a loop of
        its own; on looptui's event loop its wrapper refuses to run)."""
        orig = getattr(uvloop, "run", None)
        if not callable(orig) or "uvloop" in self._saved:
            return
        self._saved["uvloop"] = (uvloop, orig)
        uvloop.run = self._runner(orig, "uvloop.run")  # type: ignore[attr-defined]

    def _runner(self, orig: Callable[..., Any], what: str) -> Callable[..., Any]:
        """*orig* (``asyncio.run``, ``uvloop.run``), taken over while this collector
        captures on its event loop: the coroutine becomes a :class:`MainCall`."""
        me = self
        loop = self._loop

        def run(main: Any, *args: Any, **kwargs: Any) -> Any:
            if capturing() is not me or running_loop() is not loop:
                return orig(main, *args, **kwargs)
            where, _line, _source = call_site(program_frame(sys._getframe(1)), me.root)
            me.add(MainCall(f"{what}({_coro_label(main)})", where, lambda: main))
            return None

        return run

    def __exit__(self, *exc_info: Any) -> None:
        if self in _ACTIVE:
            _ACTIVE.remove(self)
        base = asyncio.base_events.BaseEventLoop
        saved = self._saved
        if self._watching_uvloop:
            importhook.unwatch("uvloop")
            self._watching_uvloop = False
        if saved:
            asyncio.run = saved["asyncio.run"]
            base.run_until_complete = saved["run_until_complete"]  # type: ignore[method-assign]
            base.run_forever = saved["run_forever"]  # type: ignore[method-assign]
            if "uvloop" in saved:
                uvloop, orig = saved["uvloop"]
                uvloop.run = orig
        self._saved = {}

    def discard(self) -> None:
        """Forget the calls without running them (a failed import)."""
        for call in self.calls:
            try:
                aw = call.run()
            except Exception:
                continue
            _close_quietly(aw)
        self.calls.clear()
