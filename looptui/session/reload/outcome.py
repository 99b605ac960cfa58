"""What a reload attempt did, and why one failed, in the shape the front ends read.

:class:`ReloadError` is text only (summary line, full traceback, file and line): keeping
the exception itself would keep the frames of the failed import, and with them the
half-imported module, alive.
"""

from __future__ import annotations

import os
import traceback
from dataclasses import dataclass, field
from typing import Any

from looptui.core import clock
from looptui.core.tracebacks import format_user_exception, is_own_frame
from looptui.session.program.loader import TargetError, TargetImportError

__all__ = ["ReloadError", "ReloadResult", "describe_failure"]


@dataclass
class ReloadError:
    """Why the last reload failed: what the UI shows (banner) and lets the user read.

    Attributes:
        summary: One line, ``Type: message (file.py:line)``.
        traceback: The full traceback of the user's code (looptui's frames removed).
        time: Epoch seconds of the attempt.
        file / line: Where in the user's code it failed, when known.
    """

    summary: str
    traceback: str
    time: float
    file: str | None = None
    line: int | None = None


@dataclass
class ReloadResult:
    """What one reload attempt did (``session.last_reload`` is its :meth:`as_dict`)."""

    ok: bool
    time: float
    duration: float = 0.0
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    stragglers: list[str] = field(default_factory=list)
    error: ReloadError | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "added": list(self.added), "removed": list(self.removed),
            "changed": list(self.changed), "time": self.time, "duration": self.duration,
            "files": list(self.files), "stragglers": list(self.stragglers),
        }


def _where(exc: BaseException | None) -> tuple[str | None, int | None]:
    """The user's file and line an exception points at (syntax error or last user frame)."""
    if exc is None:
        return None, None
    if isinstance(exc, SyntaxError) and exc.filename:
        return exc.filename, exc.lineno
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not is_own_frame(f.filename)]
    return (frames[-1].filename, frames[-1].lineno) if frames else (None, None)


def describe_failure(exc: BaseException) -> ReloadError:
    """Turn what the import raised into a :class:`ReloadError` (text only, no frames)."""
    now = clock.now()
    if isinstance(exc, TargetImportError):
        original, text = exc.__context__, exc.traceback_text
    elif isinstance(exc, TargetError):  # the file vanished, --main NAME is gone …
        message = str(exc).strip()
        return ReloadError(message.splitlines()[0] if message else type(exc).__name__,
                           message, now)
    else:
        original, text = exc, format_user_exception(exc)
    if original is None:
        return ReloadError(str(exc).splitlines()[0], text, now)
    file, line = _where(original)
    if isinstance(original, SyntaxError):
        message = original.msg or ""
    else:
        try:
            message = str(original)
        except Exception:
            message = ""
    first = next((part for part in message.splitlines() if part.strip()), "")
    summary = type(original).__name__ + (f": {first}" if first else "")
    if file is not None:
        summary += f" ({os.path.basename(file)}:{line})"
    return ReloadError(summary, text, now, file, line)
