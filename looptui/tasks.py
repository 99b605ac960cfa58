"""``from looptui import tasks`` — the same names as ``discord.ext.tasks``.

Swap ``from discord.ext import tasks`` for ``from looptui import tasks`` and the code runs
unchanged, without any Discord library.
"""

from __future__ import annotations

from .core.backoff import ExponentialBackoff
from .core.loop import ET, FT, LF, MISSING, Loop, loop
from .core.schedule import is_ambiguous, is_imaginary, resolve_datetime
from .core.sleep_handle import SleepHandle

__all__ = [
    "loop", "Loop", "ExponentialBackoff", "MISSING", "SleepHandle", "LF", "FT", "ET",
    "is_ambiguous", "is_imaginary", "resolve_datetime",
]
