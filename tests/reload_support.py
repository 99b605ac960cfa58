"""Shared pieces of the hot-reload tests: a probe module, program files, bounded waits.

The user's files under test report what they run to :data:`PROBE`, a module installed in
:data:`sys.modules` before the session starts: it is not under the program's folder, so a
reload never re-imports it and its ``marks`` survive every generation of the code.
"""

from __future__ import annotations

import asyncio
import sys
import textwrap
import types
from pathlib import Path
from typing import Any, Awaitable, Callable

import polling

PROBE = "looptui_reload_probe"


def install_probe() -> types.ModuleType:
    """A fresh probe: ``hit(*mark)`` appends the tuple to ``marks``."""
    probe = types.ModuleType(PROBE)
    probe.marks = []  # type: ignore[attr-defined]
    probe.hit = lambda *mark: probe.marks.append(mark)  # type: ignore[attr-defined]
    sys.modules[PROBE] = probe
    return probe


def write(path: Path, text: str) -> Path:
    """Write *text* (dedented) to *path* in place, as most editors do."""
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def heartbeat_program(version: int, extra: str = "") -> str:
    """A module with one fast loop reporting ``("beat", version)`` and its after_loop."""
    return textwrap.dedent(f"""
        import {PROBE} as probe
        from looptui import loop

        VERSION = {version}

        @loop(seconds=0.02)
        async def heartbeat():
            probe.hit("beat", VERSION)

        @heartbeat.after_loop
        async def heartbeat_done():
            probe.hit("after", VERSION)
    """).lstrip("\n") + textwrap.dedent(extra)


async def wait_for(condition: Callable[[], Any], timeout: float = 10.0,
                   what: str = "condition") -> None:
    """Wait until ``condition()`` is true, or fail after *timeout* seconds."""
    await polling.until(condition, timeout=timeout, what=what, every=0.005)


def run(main: Callable[[], Awaitable[Any]], timeout: float = 60.0) -> Any:
    """Run *main* on a fresh event loop (real time: files and threads are real)."""

    async def bounded() -> Any:
        return await asyncio.wait_for(main(), timeout)

    return asyncio.run(bounded())


def marks_of(probe: types.ModuleType, kind: str) -> list[Any]:
    """The marks of *kind*: their one value, a tuple of several, or ``None`` for none."""
    found = []
    for mark in list(probe.marks):
        if mark[0] == kind:
            found.append(mark[1:] if len(mark) > 2 else (mark[1] if len(mark) == 2 else None))
    return found
