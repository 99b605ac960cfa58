"""The agent's side of the tasks view and the console: the ``tasks`` and ``eval`` messages.

A client of ``looptui attach`` asks for the program's tasks (``a``) or evaluates Python
in it (``c``) with the same requests the TUI makes of a session in its own process
(:mod:`looptui.session.debug.service`); this module answers them in the program.

The console runs whatever a client sends, as the program's user. It is answered on the
Unix socket (only its user can open it: mode 0600) and on TCP only when the program
started the agent with ``console=True``; anywhere else it is refused, with that reason.
The tasks that died with an exception nobody retrieved are kept from the agent's start
(the event loop's exception handler, which costs nothing until such a task dies) and
sent to attached clients as ``task_failed`` events.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from looptui.core.registry import Registry
from looptui.session.debug.console import Console
from looptui.session.debug.service import DEBUG_MESSAGES, DebugService
from looptui.session.debug.tasks import TaskBook
from looptui.session.events import build as events
from looptui.session.program.live_loops import loop_object
from looptui.session.program.owners import TaskOwners
from looptui.session.remote import wire

if TYPE_CHECKING:
    from .client import AgentClient

__all__ = ["DEBUG_MESSAGES", "TCP_CONSOLE_REFUSED", "AgentDebug"]

TCP_CONSOLE_REFUSED = ("the console is not enabled on TCP: the program must start the "
                       "agent with looptui.agent.start(tcp=..., console=True)")


class AgentDebug:
    """Answers ``tasks`` and ``eval`` for the agent's clients.

    Args:
        registry: The program's loops.
        broadcast: Sends an event to every attached client (``task_failed``).
        console_on_tcp: Whether TCP clients may use the console.
    """

    def __init__(self, registry: Registry, broadcast: Callable[[dict[str, Any]], None],
                 console_on_tcp: bool = False) -> None:
        self.registry = registry
        self.broadcast = broadcast
        self.console_on_tcp = console_on_tcp
        self.tasks = TaskBook(registry, TaskOwners(registry), on_failed=self._failed)
        self.service = DebugService(self.tasks, Console(_main_globals, self._names))
        self._answering: set[asyncio.Task[None]] = set()

    def serve(self, handlers: dict[str, Callable[[AgentClient, dict[str, Any]], None]]
              ) -> None:
        """Answer the ``tasks`` and ``eval`` messages (*handlers*: the server's, by message
        type), and keep the tasks that die unretrieved from now on (on the program's
        loop)."""
        for kind in DEBUG_MESSAGES:
            handlers[kind] = self._on_message
        self.tasks.install()

    def uninstall(self) -> None:
        """Stop keeping failed tasks; requests still being answered are cancelled."""
        self.tasks.uninstall()
        for task in list(self._answering):
            task.cancel()

    def _on_message(self, client: AgentClient, message: dict[str, Any]) -> None:
        """A ``tasks`` or ``eval`` message: answered in a task of its own (an evaluation
        may wait), so the client's next messages — a cancel — are read meanwhile."""
        task = asyncio.get_running_loop().create_task(self._reply(client, message),
                                                      name="looptui-agent-request")
        self._answering.add(task)
        task.add_done_callback(self._answering.discard)

    async def _reply(self, client: AgentClient, message: dict[str, Any]) -> None:
        reply = await self.answer(message, unix=client.peer == "unix")
        if client.dropped is None:
            client.send(wire.encode(reply))

    async def answer(self, message: dict[str, Any], *, unix: bool) -> dict[str, Any]:
        """The ``reply`` to one ``tasks`` or ``eval`` message of a client."""
        refusal = None if unix or self.console_on_tcp else TCP_CONSOLE_REFUSED
        try:
            reply = await self.service.handle(message, console_refusal=refusal)
        # a strange task or value must not cost the client its connection
        except Exception as err:
            reason = f"{type(err).__name__}: {err}"
            reply = {"ok": False, "text": reason, "reason": reason}
        return {"type": "reply", "id": message.get("id"), **reply}

    def _failed(self, row: dict[str, Any]) -> None:
        self.broadcast(events.session_event(
            "task_failed", time=row.get("time"), loop=row.get("created_by"),
            task=row.get("name"), coro=row.get("coro"), where=row.get("where"),
            error=row.get("error"), message=row.get("message"),
            traceback=row.get("traceback")))

    def _names(self) -> dict[str, Any]:
        loops = {}
        for tracker in self.registry.trackers():
            lp = loop_object(tracker)
            loops[tracker.name] = lp if lp is not None else tracker
        return {"loops": loops, "clients": _clients()}


def _main_globals() -> dict[str, Any]:
    """The program's namespace: its ``__main__`` module (``python bot.py``)."""
    main = sys.modules.get("__main__")
    return main.__dict__ if main is not None else {}


def _clients() -> list[Any]:
    """The Discord clients of the program: instances of the libraries' ``Client`` among
    its ``__main__`` globals (the agent does not hook their creation)."""
    classes = []
    for package in ("discord", "nextcord", "disnake"):
        module = sys.modules.get(package)
        client = getattr(module, "Client", None) if module is not None else None
        if isinstance(client, type):
            classes.append(client)
    if not classes:
        return []
    found: list[Any] = []
    for value in list(_main_globals().values()):
        if isinstance(value, tuple(classes)) and not any(value is f for f in found):
            found.append(value)
    return found
