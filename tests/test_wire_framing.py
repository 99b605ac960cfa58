"""The attach protocol's framing over a real socket pair: every line bounded, big messages
in parts and put back together, nothing over the limits ever ends the reading."""

from __future__ import annotations

import asyncio
import json
import socket

import pytest

from looptui.session.remote import wire
from looptui.session.remote.framing import (
    MAX_LINE,
    MAX_MESSAGE,
    MessageReader,
    MessageTooBig,
    ProtocolError,
)

pytestmark = pytest.mark.asyncio


async def pair() -> tuple[MessageReader, asyncio.StreamWriter, asyncio.StreamWriter]:
    """A reader over one end of a Unix socket pair, a writer of the other end (and the
    reading end's own writer, kept so that it stays open)."""
    left, right = socket.socketpair()
    reader, keep = await asyncio.open_unix_connection(sock=left, limit=MAX_LINE)
    _, writer = await asyncio.open_unix_connection(sock=right, limit=MAX_LINE)
    return MessageReader(reader), writer, keep


async def test_a_message_longer_than_a_line_goes_in_parts_and_comes_back_whole() -> None:
    messages, writer, keep = await pair()
    big = {"type": "event", "data": {"message": "é" + "x" * (5 * 1024 * 1024)}}
    data = wire.encode(big)
    lines = data.splitlines()
    assert len(lines) > 1 and all(len(line) < MAX_LINE for line in lines)
    writer.write(data + wire.encode({"type": "ping"}))
    assert await messages.read() == big
    assert await messages.read() == {"type": "ping"}
    writer.close()
    keep.close()


async def test_strings_that_would_make_a_message_too_big_are_cut_by_the_sender() -> None:
    huge = {"type": "event", "data": {"text": "y" * (MAX_MESSAGE + 10)}}
    data = wire.encode(huge)
    messages, writer, keep = await pair()
    writer.write(data)
    got = await messages.read()
    assert got is not None and "more characters not sent" in got["data"]["text"]
    assert len(got["data"]["text"]) < MAX_MESSAGE
    writer.close()
    keep.close()


async def test_what_is_over_the_limits_is_skipped_and_the_next_message_is_read() -> None:
    messages, writer, keep = await pair()
    writer.write(b"z" * (MAX_LINE * 3) + b"\n")  # a peer that does not split its lines
    writer.write(b"not json\n")
    writer.write(b"[" * 100_000 + b"\n")  # nested too deeply
    over = json.dumps({"type": "event", "data": "w" * (MAX_MESSAGE + 10)})
    for at in range(0, len(over), wire.MAX_LINE // 4):  # parts over the message limit
        writer.write(json.dumps({"type": "part", "id": 7, "data": over[at:at + MAX_LINE // 4],
                                 "end": at + MAX_LINE // 4 >= len(over)}).encode() + b"\n")
    writer.write(wire.encode({"type": "ping", "n": 1}))
    with pytest.raises(MessageTooBig):
        await messages.read()
    for _ in range(2):
        with pytest.raises(ProtocolError):
            await messages.read()
    with pytest.raises(MessageTooBig):
        await messages.read()
    assert await messages.read() == {"type": "ping", "n": 1}
    assert messages.skipped == 2
    writer.close()
    assert await messages.read() is None
    keep.close()


async def test_the_snapshot_pages_are_bounded_and_hold_every_loop() -> None:
    loops = [{"name": f"loop{n}", "history": ["r" * 300] * 200} for n in range(100)]
    pages = list(wire.pages("snapshot", iter(loops), {"events": "all"}, more_key="more",
                            last={"session": {"lag": 0}}))
    decoded = [wire.decode(page) for page in pages]
    assert len(pages) > 10 and all(len(page) < MAX_LINE for page in pages)
    assert [p["more"] for p in decoded] == [True] * (len(pages) - 1) + [False]
    assert "session" in decoded[-1] and "session" not in decoded[0]
    assert [loop["name"] for p in decoded for loop in p["loops"]] == [each["name"] for each in loops]
