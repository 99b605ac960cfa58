"""The lines on the attach socket: every line bounded, a bigger message sent in parts.

Both ends read lines of at most :data:`MAX_LINE` bytes. A message whose JSON is longer
is sent as consecutive ``part`` lines, ``{"type":"part","id":N,"data":"…","end":false}``,
whose ``data`` strings joined are the message's JSON; the last has ``"end":true``. The
reader puts them back together, up to :data:`MAX_MESSAGE` bytes. Nothing on the wire
ends a connection by its size: a line that is longer anyway (a peer that does not split)
is skipped up to its newline and a message over the limit is left out, each reported as
:class:`MessageTooBig` with the reader positioned at the next line, so the caller decides
(the client notes it and reads on; the agent answers with an ``error``). The sender never
makes a message over :data:`MAX_MESSAGE`: longer strings in it are cut first
(:func:`fit`).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

__all__ = [
    "MAX_LINE", "MAX_MESSAGE", "PART_CHARS", "ProtocolError", "MessageTooBig",
    "frame", "fit", "loads", "MessageReader",
]

MAX_LINE = 1 << 20
"""Longest line either end writes or reads (bytes, with its newline)."""
MAX_MESSAGE = 16 << 20
"""Longest message put back together from parts (bytes of JSON)."""
PART_CHARS = MAX_LINE // 4
"""Characters of a message's JSON carried by one ``part`` line (escaped, at most twice as
many bytes: well under :data:`MAX_LINE`)."""
_ids = itertools.count(1)


class ProtocolError(ValueError):
    """A line that is not a message of this protocol."""


class MessageTooBig(ProtocolError):
    """A line or a message over the limits: left out; the next line can be read."""


def frame(text: str) -> bytes:
    """The JSON text of one message as the line(s) that carry it."""
    line = (text + "\n").encode()
    if len(line) <= MAX_LINE:
        return line
    ident = next(_ids)
    last = len(text) - 1
    parts = [
        json.dumps({"type": "part", "id": ident, "data": text[at:at + PART_CHARS],
                    "end": at + PART_CHARS > last}, separators=(",", ":"))
        for at in range(0, len(text), PART_CHARS)
    ]
    return ("\n".join(parts) + "\n").encode()


def _cut(value: Any, limit: int) -> Any:
    if isinstance(value, str):
        if len(value) <= limit:
            return value
        return f"{value[:limit]}… [{len(value) - limit:,} more characters not sent]"
    if isinstance(value, dict):
        return {key: _cut(item, limit) for key, item in value.items()}
    if isinstance(value, list):
        return [_cut(item, limit) for item in value]
    return value


def fit(message: dict[str, Any], text: str) -> str:
    """*text* (the JSON of *message*), or when over :data:`MAX_MESSAGE` the JSON of
    *message* with its longest strings cut, each saying how much was left out."""
    limit = MAX_MESSAGE // 4
    while len(text) > MAX_MESSAGE and limit >= 64:
        text = json.dumps(_cut(message, limit), ensure_ascii=True, separators=(",", ":"))
        limit //= 8
    if len(text) > MAX_MESSAGE:  # thousands of small strings: say what it was, no more
        text = json.dumps({"type": "error", "id": message.get("id"),
                           "reason": f"a {message.get('type')!r} message was too big to send"})
    return text


def loads(data: bytes | str) -> dict[str, Any]:
    """One message's JSON as a dict.

    Raises:
        ProtocolError: not JSON, nested too deeply, or not an object with a string
            ``type``. (``NaN`` and ``Infinity`` are read as numbers: whoever uses a value
            checks that it is finite.)
    """
    try:
        message = json.loads(data)
    except (ValueError, UnicodeDecodeError) as err:
        raise ProtocolError(f"not JSON: {err}") from None
    except RecursionError:
        raise ProtocolError("not JSON this protocol carries: nested too deeply") from None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise ProtocolError("not a message (a JSON object with a 'type')")
    return message


class MessageReader:
    """Read whole messages (parts put back together) from a stream of lines.

    The stream must have been opened with ``limit=MAX_LINE``.

    Attributes:
        skipped: Lines and messages left out because they were over the limits.
    """

    def __init__(self, reader: asyncio.StreamReader, max_message: int = MAX_MESSAGE) -> None:
        self.reader = reader
        self.max_message = max_message
        self.skipped = 0
        self._parts: list[str] = []
        self._part_id: object = None
        self._part_size = 0

    async def read(self) -> dict[str, Any] | None:
        """The next message; ``None`` when the stream ended.

        Raises:
            MessageTooBig: a line or message over the limits was left out.
            ProtocolError: a line that is not a message (the next one can be read).
        """
        while True:
            line = await self._line()
            if line is None:
                return None
            message = loads(line)
            if message["type"] != "part":
                return message
            whole = self._part(message)
            if whole is not None:
                return loads(whole)

    def _part(self, message: dict[str, Any]) -> str | None:
        data, ident = message.get("data"), message.get("id")
        if not isinstance(data, str):
            raise ProtocolError("a part without its data")
        if ident != self._part_id:  # a new message (an unfinished one is abandoned)
            self._parts, self._part_id, self._part_size = [], ident, 0
        if self._part_size >= 0:
            self._part_size += len(data)
            if self._part_size > self.max_message:
                self._parts, self._part_size = [], -1  # left out up to its last part
            else:
                self._parts.append(data)
        if message.get("end") is not True:
            return None
        parts, size = self._parts, self._part_size
        self._parts, self._part_id, self._part_size = [], None, 0
        if size < 0:
            self.skipped += 1
            raise MessageTooBig(f"a message over {self.max_message:,} bytes was left out")
        return "".join(parts)

    async def _line(self) -> bytes | None:
        reader = self.reader
        try:
            return await reader.readuntil(b"\n")
        except asyncio.IncompleteReadError:
            return None  # the end (a last line without its newline is not a message)
        except asyncio.LimitOverrunError as err:
            consumed = err.consumed
        while True:  # skip the rest of the long line, never holding more than the limit
            await reader.readexactly(consumed)
            try:
                await reader.readuntil(b"\n")
                break
            except asyncio.IncompleteReadError:
                return None
            except asyncio.LimitOverrunError as err:
                consumed = err.consumed
        self.skipped += 1
        raise MessageTooBig(f"a line over {MAX_LINE:,} bytes was left out")
