"""The ``--record`` / ``--json`` writer process's own side: frames in, JSON lines out.

Runs in the child :class:`~looptui.session.events.writer_process.WriterProcess` starts,
with only what encoding needs imported (see its ``CHILD_CODE``), so the child is ready
within milliseconds of being started.
"""

from __future__ import annotations

import marshal
import os
import sys

from looptui.session.events.encode import encode_batch

__all__ = ["child_main"]


def child_main() -> None:
    """The child: read frames from stdin, append their lines to the descriptor named by
    the first argument (``ascii`` as the second: every non-ASCII character escaped),
    until stdin ends; a failed write is said on stdout (exit 1)."""
    source = sys.stdin.buffer
    ascii_only = sys.argv[2:3] == ["ascii"]
    file = open(int(sys.argv[1]), "a", encoding="utf-8", errors="backslashreplace")
    while True:
        head = source.read(8)
        size = int.from_bytes(head, "little")
        body = source.read(size) if len(head) == 8 else b""
        if len(body) < size or len(head) < 8:  # the end (looptui may have died mid-frame)
            break
        text = encode_batch(marshal.loads(body), ascii_only=ascii_only)
        try:
            file.write(text)
            file.flush()
        except OSError as exc:
            reason = ("the reader went away (broken pipe)" if isinstance(exc, BrokenPipeError)
                      else exc.strerror or str(exc))
            sys.stdout.write(f"{reason}\n")
            sys.stdout.flush()
            os._exit(1)  # not another flush of what the file refused
    file.close()
