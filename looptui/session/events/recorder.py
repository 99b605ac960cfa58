"""``--record FILE``: append every event to FILE as one JSON line, flushed per event.

The file is opened when the recorder is created, before anything runs, so a path that
cannot be written is a usage error at start (exit 2), not a surprise later. If writing
fails mid-run (disk full), recording stops and the reason is kept in :attr:`error`; the
monitored loops are not disturbed.

Durability: each event is one ``write`` of a whole line followed by a flush to the
operating system, so a ``kill -9`` loses nothing already written and leaves at most a
partial last line; every complete line is valid JSON. (There is no ``fsync``: a power
cut may still lose what the system had not yet written to disk.)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

from looptui.session.program.loader import TargetUsageError

__all__ = ["Recorder", "RecordError"]

# Characters JSON allows raw in a string but a terminal may act on (``cat events.jsonl``):
# DEL and the C1 controls (8-bit CSI, OSC …), line/paragraph separators and the
# bidirectional overrides. Written as \u escapes they decode to the same text, and the
# line stays valid JSON (outside strings, JSON is plain ASCII).
_INERT = {code: f"\\u{code:04x}" for code in (
    *range(0x7F, 0xA0), 0x061C, *range(0x200B, 0x2010), 0x2028, 0x2029,
    *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0xFEFF,
)}


class RecordError(TargetUsageError):
    """The ``--record`` file cannot be opened for appending (exit 2)."""


class Recorder:
    """A sink that appends event dicts to a file as JSON lines.

    Attributes:
        path: The file written to.
        error: Why recording stopped early, or ``None``.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        self.error: str | None = None
        if self.path.is_dir():
            raise RecordError(
                f"--record {path}: is a directory.\nGive a file name, e.g. --record events.jsonl."
            )
        try:
            # backslashreplace: a lone surrogate (undecodable output) becomes a JSON \u escape
            self._file: IO[str] | None = open(
                self.path, "a", encoding="utf-8", errors="backslashreplace"
            )
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise RecordError(
                f"--record {path}: cannot open for writing ({reason}).\n"
                "Check that the folder exists and that you may write there."
            ) from None

    def __call__(self, event: dict[str, Any]) -> None:
        """Append *event* as one line and flush it to the file."""
        file = self._file
        if file is None:
            return
        try:
            file.write(json.dumps(event, ensure_ascii=False).translate(_INERT) + "\n")
            file.flush()
        except (OSError, ValueError) as exc:
            self.error = f"recording to {self.path} stopped: {exc}"
            self.close()

    def close(self) -> None:
        """Close the file (further events are ignored)."""
        file, self._file = self._file, None
        if file is not None:
            try:
                file.close()
            except OSError:
                pass
