"""What each kind of client receives: a ``table`` client (the TUI) gets the coalesced
updates and every event but the routine ones of each iteration; an ``all`` client (and an
old client whose hello does not say) gets every event, in order. Real program, real socket."""

from __future__ import annotations

import asyncio
import io
import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from looptui.core.version import looptui_version
from looptui.headless import EventPrinter
from looptui.session.remote.address import parse_address
from looptui.session.remote.remote_session import RemoteSession
from looptui.session.remote.wire import PROTOCOL

from agent_helpers import GUARD, Program, until

pytestmark = pytest.mark.asyncio

ROUTINE = {"iteration_started", "iteration_finished"}


def routine(event: dict[str, Any]) -> bool:
    return event["event"] in ROUTINE or (
        event["event"] == "state" and event["state"] in ("running", "sleeping"))


class RawClient:
    """A client speaking the protocol by hand, keeping every message it receives."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.hello: dict[str, Any] = {}
        self.snapshot: dict[str, Any] = {}
        self.messages: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._task: asyncio.Task[None] | None = None

    @classmethod
    async def connect(cls, sock: Path, events: str | None) -> RawClient:
        reader, writer = await asyncio.open_unix_connection(str(sock), limit=1 << 22)
        client = cls(reader, writer)
        client.hello = json.loads(await asyncio.wait_for(reader.readline(), GUARD))
        hello: dict[str, Any] = {"type": "hello", "protocol": PROTOCOL, "token": None}
        if events is not None:
            hello["events"] = events
        writer.write(json.dumps(hello).encode() + b"\n")
        client.snapshot = json.loads(await asyncio.wait_for(reader.readline(), GUARD))
        client._task = asyncio.get_running_loop().create_task(client._read())
        return client

    async def _read(self) -> None:
        while line := await self.reader.readline():
            self.messages.append(json.loads(line))

    def events(self, loop: str | None = None) -> list[dict[str, Any]]:
        return [m["data"] for m in self.messages if m["type"] == "event"
                and (loop is None or m["data"].get("loop") == loop)]

    def updates(self, loop: str) -> list[dict[str, Any]]:
        return [snap for m in self.messages if m["type"] == "update"
                for snap in m["loops"] if snap["name"] == loop]

    async def command(self, loop: str, command: str) -> dict[str, Any]:
        ident = next(self._ids)
        self.writer.write(json.dumps({"type": "command", "id": ident, "loop": loop,
                                      "command": command}).encode() + b"\n")
        return await until(lambda: next((m for m in self.messages if m["type"] == "reply"
                                         and m["id"] == ident), None), f"reply to {command}")

    async def close(self) -> None:
        self.writer.close()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


async def test_a_table_client_sees_the_table_move_and_every_failure(tmp_path: Path) -> None:
    with Program(tmp_path / "a.sock") as program:
        client = await RawClient.connect(program.socket, "table")
        try:
            assert client.hello["events"] == ["all", "table"]
            assert client.hello["looptui"] == looptui_version()  # the one version
            assert client.snapshot["type"] == "snapshot" and client.snapshot["events"] == "table"
            first = next(s for s in client.snapshot["loops"] if s["name"] == "tick")
            for n in range(1, 6):  # boom fails each time it is started again
                assert (await client.command("boom", "restart"))["ok"]
                await until(lambda: len([e for e in client.events("boom")
                                         if e["event"] == "iteration_failed"]) == n,
                            f"failure {n} of boom")
            failed = [e for e in client.events("boom") if e["event"] == "iteration_failed"]
            assert [(e["error"], e["message"]) for e in failed] == \
                [("ValueError", "boom in the program")] * 5
            await until(lambda: any(u["failures"] == 6 for u in client.updates("boom")),
                        "boom's failures in the table")  # 1 at start + 5
            await until(lambda: len({u["total_iterations"] for u in client.updates("tick")})
                        >= 3, "tick's iterations moving in the updates")
            ticks = client.updates("tick")
            assert ticks[-1]["total_iterations"] > first["total_iterations"]
            assert len({u["next_run"] for u in ticks}) >= 3  # next run moves
            assert ticks[-1]["last_duration"] is not None and ticks[-1]["history"]
            assert max(r["started"] for u in ticks for r in u["history"]) > \
                max((r["started"] for r in first["history"]), default=0)  # last run moves
            assert not [e for e in client.events() if routine(e)]
            # the failures' own state changes are not routine: they come
            assert any(e["event"] == "state" and e["state"] == "failed"
                       for e in client.events("boom"))
        finally:
            await client.close()


@pytest.mark.parametrize("events", ["all", None], ids=["all", "old-hello"])
async def test_an_every_event_client_gets_each_iteration_in_order(tmp_path: Path,
                                                                  events: str | None) -> None:
    with Program(tmp_path / "a.sock") as program:
        client = await RawClient.connect(program.socket, events)
        try:
            assert client.snapshot["events"] == "all"
            assert (await client.command("counted", "restart"))["ok"]
            await until(lambda: {"event": "state", "state": "finished"} in [
                {"event": e["event"], "state": e.get("state")} for e in client.events("counted")],
                "counted to finish")
            steps = [(e["event"], e["iteration"]) for e in client.events("counted")
                     if e["event"] in ROUTINE]
            first = steps[0][1]
            assert steps == [(kind, first + i) for i in range(200)
                             for kind in ("iteration_started", "iteration_finished")]
            states = [e["state"] for e in client.events("counted") if e["event"] == "state"]
            assert states.count("running") == 200 and states[-1] == "finished"
        finally:
            await client.close()


async def test_attach_asks_for_what_its_front_end_shows(tmp_path: Path) -> None:
    with Program(tmp_path / "a.sock") as program:
        session = RemoteSession([parse_address(str(program.socket))])
        printer = EventPrinter(io.StringIO(), json_mode=False)  # readable headless output
        session.add_sink(printer)
        await session.start()
        try:
            connection = session.connections[0]
            assert connection.events == "table"
            seen: list[dict[str, Any]] = []
            session.add_sink(seen.append)  # a sink that cannot say: it gets everything
            assert connection.events == "all"
            await until(lambda: any(e["event"] == "iteration_finished" and e["loop"] == "tick"
                                    for e in seen), "tick's iterations as events")
        finally:
            await session.shutdown()
            printer.close()


async def test_attach_with_a_record_file_asks_for_every_event(tmp_path: Path) -> None:
    with Program(tmp_path / "a.sock") as program:
        record = tmp_path / "events.jsonl"
        session = RemoteSession([parse_address(str(program.socket))], record=str(record))
        await session.start()
        try:
            assert session.connections[0].events == "all"
            await until(lambda: record.exists() and '"iteration_finished"' in record.read_text(),
                        "tick's iterations in the record")
        finally:
            await session.shutdown()
