"""The debugging requests a front end makes — list tasks, a task's stack, cancel it,
evaluate in the console — answered by the program's side, in this process or over
attach (the agent hands the protocol's ``tasks`` and ``eval`` messages to the same
:meth:`DebugService.handle`).

Requests and replies are plain JSON-able dicts (the README's protocol section):

* ``{"type": "tasks", "action": "list", "own": false, "filter": "poll", "limit": 500}``
  → ``{"ok", "tasks": [row…], "total", "failures": [row…], "failed_total"}`` (rows of
  :mod:`.tasks`: the *limit* oldest that match; *total*: the tasks of the program);
* ``{"type": "tasks", "action": "stack" | "cancel", "task": ID}`` → ``{"ok", "text",
  "reason"}``;
* ``{"type": "eval", "source": TEXT, "eval": N}`` → ``{"ok", "output", "result",
  "error", "cancelled"}``; ``{"type": "eval", "action": "cancel", "eval": N}`` →
  ``{"ok"}``.

The console may be refused (:attr:`DebugService.console_refusal`: the agent on a TCP
connection the program did not open to it); every reply then says why in ``reason``.
"""

from __future__ import annotations

from typing import Any

from .console import Console
from .tasks import ROW_LIMIT, TaskBook

__all__ = ["DEBUG_MESSAGES", "DebugService"]

DEBUG_MESSAGES = ("tasks", "eval")
"""Message types :meth:`DebugService.handle` answers."""


def _refused(reason: str) -> dict[str, Any]:
    return {"ok": False, "text": reason, "reason": reason}


def _ident(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class DebugService:
    """Answers the debugging requests (see the module doc)."""

    def __init__(self, tasks: TaskBook, console: Console | None) -> None:
        self.tasks = tasks
        self.console = console

    async def handle(self, message: dict[str, Any],
                     console_refusal: str | None = None) -> dict[str, Any]:
        """The reply to *message* (a dict with ``type`` among :data:`DEBUG_MESSAGES`);
        *console_refusal* says why this asker may not use the console, if not."""
        kind = message.get("type")
        action = message.get("action")
        if kind == "tasks":
            return await self._tasks(str(action or "list"), message)
        if kind == "eval":
            if console_refusal is not None:
                return _refused(console_refusal)
            if self.console is None:
                return _refused("no console in this program")
            if action == "cancel":
                return {"ok": self.console.cancel(_ident(message.get("eval")))}
            source = message.get("source")
            if not isinstance(source, str):
                return _refused("eval needs source text")
            return await self.console.run(source, _ident(message.get("eval")))
        return _refused(f"unknown request {kind!r}")

    async def _tasks(self, action: str, message: dict[str, Any]) -> dict[str, Any]:
        book = self.tasks
        if action == "list":
            text = message.get("filter")
            limit = message.get("limit")
            limit = limit if isinstance(limit, int) and 0 < limit <= ROW_LIMIT else ROW_LIMIT
            rows, total = await book.rows_soon(own=bool(message.get("own", True)),
                                               text=text if isinstance(text, str) else "",
                                               limit=limit)
            return {"ok": True, "tasks": rows, "total": total,
                    "failures": list(book.failures), "failed_total": book.failed_total}
        ident = _ident(message.get("task"))
        if ident is None:
            return _refused(f"tasks {action} needs a task id")
        if action == "stack":
            return {"ok": True, "text": book.stack(ident), "reason": ""}
        if action == "cancel":
            ok, text = book.cancel(ident)
            return {"ok": ok, "text": text, "reason": "" if ok else text}
        return _refused(f"unknown tasks action {action!r}")
