"""looptui: a terminal UI monitor for live background loops.

The public API is the loop engine — a drop-in for ``discord.ext.tasks`` — and the records
the monitor shows. Importing this package never imports the UI (Textual).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version as _version

from . import tasks
from .core.backoff import ExponentialBackoff
from .core.loop import Loop, loop
from .core.records import ExceptionInfo, IterationRecord
from .core.registry import REGISTRY, Registry
from .core.schedule import is_ambiguous, is_imaginary, resolve_datetime
from .core.states import LoopState
from .core.tracker import Stats, Tracker

try:
    __version__ = _version("looptui")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "loop", "Loop", "LoopState", "tasks", "ExponentialBackoff", "ExceptionInfo",
    "IterationRecord", "Registry", "REGISTRY", "Stats", "Tracker",
    "is_ambiguous", "is_imaginary", "resolve_datetime", "__version__",
]
