"""The tasks view's and the console's requests, for programs seen over attach.

The same requests as in-process (:mod:`looptui.session.debug.service`), sent as the
protocol's ``tasks`` and ``eval`` messages. With several programs attached, the tasks of
all of them are listed, each row with its ``process`` and an id that says which program
it is in (``"2/140…"``); a task's stack and cancel go to that program. The console
evaluates in the first connected program (its label is in the reply's ``process``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .connection import Connection

__all__ = ["ask"]


def _not_connected() -> dict[str, Any]:
    reason = "no program is connected"
    return {"ok": False, "text": reason, "reason": reason}


async def ask(connections: Sequence[Connection], request: dict[str, Any]) -> dict[str, Any]:
    """Ask the programs behind *connections*; one reply as a session in-process gives."""
    kind = request.get("type")
    action = request.get("action")
    live = [(i, c) for i, c in enumerate(connections) if c.connected]
    if not live:
        return _not_connected()
    if kind == "tasks" and (action or "list") == "list":
        return await _list(live, request)
    if kind == "tasks":
        index, _sep, ident = str(request.get("task") or "").partition("/")
        connection = next((c for i, c in live if str(i) == index), None)
        if connection is None or not ident.isdigit():
            return {"ok": False, "text": "the task's program is not connected",
                    "reason": "the task's program is not connected"}
        return await connection.ask({**request, "task": int(ident)})
    if kind == "eval":
        connection = live[0][1]
        timeout = None if action != "cancel" else 10.0
        reply = await connection.ask(request, timeout=timeout)
        return {**reply, "process": connection.label}
    return {"ok": False, "text": f"unknown request {kind!r}", "reason": f"unknown request {kind!r}"}


async def _list(live: list[tuple[int, Connection]], request: dict[str, Any]) -> dict[str, Any]:
    tasks: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    total = 0
    count = 0
    reasons = []
    for index, connection in live:
        reply = await connection.ask(request)
        if not reply.get("ok"):
            reasons.append(f"{connection.label}: {reply.get('reason')}")
            continue
        for key, rows in (("tasks", tasks), ("failures", failures)):
            for row in reply.get(key) or []:
                if isinstance(row, dict):
                    rows.append({**row, "id": f"{index}/{row.get('id')}",
                                 "process": connection.label})
        total += int(reply.get("failed_total") or 0)
        count += int(reply.get("total") or len(reply.get("tasks") or []))
    if reasons and not tasks and not failures:
        return {"ok": False, "reason": "; ".join(reasons), "text": "; ".join(reasons)}
    return {"ok": True, "tasks": tasks, "total": count, "failures": failures,
            "failed_total": total,
            "reason": "; ".join(reasons)}
