"""The program's main coroutine: what it is made of, what it is called, where it came from.

A program has a main when ``--main NAME`` is given, when its import called something
that would have run an event loop (``bot.run(TOKEN)``, ``asyncio.run(main())``: see
:mod:`.runcalls`), or with ``--offline`` when it created Discord clients that nothing
started (a ``bot.run`` under ``if __name__ == "__main__":``). The captured calls run one
after the other, in the order the program made them, then ``--main``; clients started
by ``--offline`` run beside them.
"""

from __future__ import annotations

import asyncio
import inspect
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from looptui.session.program.runcalls import MainCall

__all__ = ["MainPlan", "build_plan"]


@dataclass
class MainPlan:
    """What the session runs as the program's main.

    Attributes:
        name: The main's name for the header and events (``bot.run() at bot.py:88``,
            ``main`` for ``--main main``).
        source: ``--main``, ``import`` (a run call the import made) or ``offline``.
        where: ``file:line`` of the first run call, or ``None``.
        steps: Run in order.
        beside: Run at the same time as the steps (offline starts of idle clients).
        took_over: Whether a run call of the program's (at import, or in a plain
            ``--main`` function) was taken over: the program starts its loops itself.
    """

    name: str
    source: str
    where: str | None = None
    steps: list[Callable[[], Awaitable[Any] | Any]] = field(default_factory=list)
    beside: list[Callable[[], Awaitable[Any]]] = field(default_factory=list)
    took_over: bool = False

    async def run(self) -> None:
        """Run the steps in order, and the ``beside`` ones alongside; raise the first failure."""
        tasks = [asyncio.ensure_future(_awaited(start)) for start in self.beside]
        try:
            for step in self.steps:
                await _awaited(step)
            if tasks:
                await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()


async def _awaited(step: Callable[[], Any]) -> Any:
    result = step()
    if inspect.isawaitable(result):
        return await result
    return result


def build_plan(calls: list[MainCall], main_name: str | None,
               main_func: Callable[[], Any] | None,
               offline_starts: list[tuple[str, Callable[[], Awaitable[Any]]]]) -> MainPlan | None:
    """The main for what the import did, ``--main``, and idle clients (``None``: no main).

    Args:
        calls: Run calls captured during the import, in order.
        main_name / main_func: ``--main NAME`` and the function it names.
        offline_starts: ``(label, start)`` of clients ``--offline`` starts itself.
    """
    names = [call.name for call in calls]
    steps: list[Callable[[], Any]] = [call.run for call in calls]
    if main_func is not None and main_name:
        names.append(main_name)
        steps.append(main_func)
    sequence = ", then ".join(names)
    side = " + ".join(label for label, _start in offline_starts)
    if not sequence and not side:
        return None
    if calls:
        source = "import"
    elif main_func is not None:
        source = "--main"
    else:
        source = "offline"
    return MainPlan(
        name=f"{sequence} + {side}" if sequence and side else sequence or side,
        source=source,
        where=calls[0].where if calls else None,
        steps=steps,
        beside=[start for _label, start in offline_starts],
        took_over=bool(calls) or bool(getattr(main_func, "took_over", False)),
    )
